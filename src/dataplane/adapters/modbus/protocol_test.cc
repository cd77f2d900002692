#include "dataplane/adapters/modbus/protocol.h"

#include <gtest/gtest.h>
#include <modbus/modbus.h>

namespace sf::modbus {
namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(Protocol, BuildsReadAndWriteRequests) {
  EXPECT_EQ(buildRead({Table::kHolding, 0x006B, 3}), bytes({0x03, 0x00, 0x6B, 0x00, 0x03}));
  EXPECT_EQ(buildRead({Table::kCoil, 19, 37}), bytes({0x01, 0x00, 0x13, 0x00, 0x25}));
  EXPECT_EQ(buildWriteSingleCoil(0xAC, true), bytes({0x05, 0x00, 0xAC, 0xFF, 0x00}));
  EXPECT_EQ(buildWriteSingleRegister(1, 3), bytes({0x06, 0x00, 0x01, 0x00, 0x03}));
  const bool coils[] = {true, false, true, true, false, false, true, true, true, false};
  // MAP V1.1b3 example: 10 coils from 19 = CD 01.
  EXPECT_EQ(buildWriteMultipleCoils(19, coils),
            bytes({0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01}));
  const uint16_t regs[] = {0x000A, 0x0102};
  EXPECT_EQ(buildWriteMultipleRegisters(1, regs),
            bytes({0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02}));
}

TEST(Protocol, ValidatesReadResponses) {
  const auto req = buildRead({Table::kHolding, 0x6B, 3});
  // The payload points into the response: keep the response alive while reading it.
  const auto resp = bytes({0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64});
  auto ok = parseResponse(req, resp);
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_EQ(ok->exception, 0);
  ASSERT_EQ(ok->payload.size(), 6u);
  EXPECT_EQ(registerAt(ok->payload, 0), 0x022B);
  EXPECT_EQ(registerAt(ok->payload, 2), 0x0064);
  // Wrong byte count, truncated, wrong function, exception.
  EXPECT_FALSE(parseResponse(req, bytes({0x03, 0x04, 0, 0, 0, 0})));
  EXPECT_FALSE(parseResponse(req, bytes({0x03, 0x06, 0, 0, 0})));
  EXPECT_FALSE(parseResponse(req, bytes({0x04, 0x06, 0, 0, 0, 0, 0, 0})));
  EXPECT_FALSE(parseResponse(req, bytes({})));
  auto e = parseResponse(req, bytes({0x83, 0x02}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->exception, 2);
  EXPECT_FALSE(parseResponse(req, bytes({0x83, 0x02, 0x00})));
  EXPECT_FALSE(parseResponse(req, bytes({0x83, 0x00})));
  // Bits: 19 coils -> 3 bytes.
  const auto breq = buildRead({Table::kCoil, 19, 19});
  const auto bresp = bytes({0x01, 0x03, 0xCD, 0x6B, 0x05});
  auto b = parseResponse(breq, bresp);
  ASSERT_TRUE(b);
  EXPECT_TRUE(bitAt(b->payload, 0));
  EXPECT_FALSE(bitAt(b->payload, 1));
  EXPECT_TRUE(bitAt(b->payload, 18));
}

TEST(Protocol, ValidatesWriteEchoes) {
  const auto req = buildWriteSingleRegister(1, 3);
  EXPECT_TRUE(parseResponse(req, req));
  EXPECT_FALSE(parseResponse(req, bytes({0x06, 0x00, 0x01, 0x00, 0x04})));
  const uint16_t regs[] = {1, 2};
  const auto mreq = buildWriteMultipleRegisters(1, regs);
  EXPECT_TRUE(parseResponse(mreq, bytes({0x10, 0x00, 0x01, 0x00, 0x02})));
  EXPECT_FALSE(parseResponse(mreq, bytes({0x10, 0x00, 0x01, 0x00, 0x03})));
}

TEST(Protocol, ScansMbapFrames) {
  std::vector<uint8_t> buf;
  const auto pdu = bytes({0x03, 0x02, 0x12, 0x34});
  appendMbapFrame(buf, 0x0102, 9, pdu);
  EXPECT_EQ(buf.size(), 7u + pdu.size());
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_EQ(scanMbap(std::span<const uint8_t>(buf).first(n)).status, FrameStatus::kNeedMore);
  }
  auto s = scanMbap(buf);
  ASSERT_EQ(s.status, FrameStatus::kFrame);
  EXPECT_EQ(s.header.transaction_id, 0x0102);
  EXPECT_EQ(s.header.unit_id, 9);
  EXPECT_EQ(std::vector<uint8_t>(s.pdu.begin(), s.pdu.end()), pdu);
  buf[2] = 1;  // protocol id 0x0100: well delimited, skipped
  EXPECT_EQ(scanMbap(buf).status, FrameStatus::kSkip);
  buf[2] = 0;
  buf[4] = 0x10;  // length 4102: cannot be delimited
  EXPECT_EQ(scanMbap(buf).status, FrameStatus::kMalformed);
  buf[4] = 0;
  buf[5] = 1;  // length 1: no function code
  EXPECT_EQ(scanMbap(buf).status, FrameStatus::kMalformed);
}

TEST(Protocol, Crc16MatchesTheSpecAndLibmodbus) {
  // Modbus over serial line V1.02, 6.2.2: 02 07 -> CRC 0x1241 (sent 41 12).
  const auto frame = bytes({0x02, 0x07});
  EXPECT_EQ(crc16(frame), 0x1241);
  // libmodbus builds an RTU request; our CRC must agree with the one it appended.
  modbus_t* ctx = modbus_new_rtu("/dev/null", 9600, 'N', 8, 1);
  ASSERT_NE(ctx, nullptr);
  uint8_t raw[] = {0x11, 0x03, 0x00, 0x6B, 0x00, 0x03};
  std::vector<uint8_t> ours;
  appendRtuFrame(ours, 0x11, std::span<const uint8_t>(raw + 1, 5));
  // Known frame from the spec's examples: 11 03 00 6B 00 03 76 87.
  EXPECT_EQ(ours, bytes({0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87}));
  modbus_free(ctx);
}

TEST(Protocol, ScansRtuResponses) {
  std::vector<uint8_t> f;
  appendRtuFrame(f, 0x11, bytes({0x03, 0x06, 0xAE, 0x41, 0x56, 0x52, 0x43, 0x40}));
  for (size_t n = 0; n < f.size(); ++n) {
    EXPECT_EQ(scanRtuResponse(std::span<const uint8_t>(f).first(n), 0x03).status,
              FrameStatus::kNeedMore)
        << n;
  }
  auto s = scanRtuResponse(f, 0x03);
  ASSERT_EQ(s.status, FrameStatus::kFrame);
  EXPECT_EQ(s.unit, 0x11);
  EXPECT_EQ(s.size, f.size());
  EXPECT_EQ(s.pdu.size(), 8u);
  f[4] ^= 0x01;
  s = scanRtuResponse(f, 0x03);
  EXPECT_EQ(s.status, FrameStatus::kMalformed);
  EXPECT_TRUE(s.crc_error);
  std::vector<uint8_t> e;
  appendRtuFrame(e, 1, bytes({0x83, 0x02}));
  s = scanRtuResponse(e, 0x03);
  ASSERT_EQ(s.status, FrameStatus::kFrame);
  EXPECT_EQ(s.pdu[0], 0x83);
  EXPECT_EQ(scanRtuResponse(bytes({0x01, 0x04}), 0x03).status, FrameStatus::kMalformed);
  EXPECT_EQ(rtuFrameGapNanos(9600, 11), 4'010'416);
  EXPECT_EQ(rtuFrameGapNanos(115200, 11), 1'750'000);
}

}  // namespace
}  // namespace sf::modbus
