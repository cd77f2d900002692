#include "sim/modbus_pdu.h"

#include <gtest/gtest.h>

#include <array>

namespace sf::sim {
namespace {

using Bytes = std::vector<uint8_t>;

// 100 of everything at addresses 0..99 of unit 1; registers hold their address.
class MemoryBackend : public ModbusBackend {
 public:
  MemoryBackend() {
    for (uint16_t i = 0; i < 100; ++i) {
      regs[i] = i;
      bits[i] = i % 3 == 0;
    }
  }
  bool hasUnit(uint8_t unit) const override { return unit == 1; }
  ModbusException readBits(uint8_t, Table, uint16_t address, uint16_t count,
                           std::vector<uint8_t>& out) override {
    if (address + count > 100) return ModbusException::kIllegalDataAddress;
    out.assign(bits.begin() + address, bits.begin() + address + count);
    return ModbusException::kNone;
  }
  ModbusException readRegisters(uint8_t, Table, uint16_t address, uint16_t count,
                                std::vector<uint16_t>& out) override {
    if (address + count > 100) return ModbusException::kIllegalDataAddress;
    out.assign(regs.begin() + address, regs.begin() + address + count);
    return ModbusException::kNone;
  }
  ModbusException writeCoils(uint8_t, uint16_t address, std::span<const uint8_t> v) override {
    if (address + v.size() > 100) return ModbusException::kIllegalDataAddress;
    std::copy(v.begin(), v.end(), bits.begin() + address);
    return ModbusException::kNone;
  }
  ModbusException writeRegisters(uint8_t, uint16_t address, std::span<const uint16_t> v) override {
    if (address + v.size() > 100) return ModbusException::kIllegalDataAddress;
    std::copy(v.begin(), v.end(), regs.begin() + address);
    return ModbusException::kNone;
  }
  std::array<uint16_t, 100> regs{};
  std::array<uint8_t, 100> bits{};
};

Bytes run(ModbusBackend& b, const Bytes& pdu) {
  Bytes out;
  processRequest(b, 1, pdu, out);
  return out;
}

TEST(ModbusPdu, Reads) {
  MemoryBackend b;
  EXPECT_EQ(run(b, {3, 0, 10, 0, 2}), (Bytes{3, 4, 0, 10, 0, 11}));
  EXPECT_EQ(run(b, {4, 0, 99, 0, 1}), (Bytes{4, 2, 0, 99}));
  // Bits 0..9: 1 0 0 1 0 0 1 0 | 0 1 -> 0x49, 0x02 (LSB first).
  EXPECT_EQ(run(b, {1, 0, 0, 0, 10}), (Bytes{1, 2, 0x49, 0x02}));
  EXPECT_EQ(run(b, {2, 0, 3, 0, 1}), (Bytes{2, 1, 0x01}));
  Bytes big = run(b, {3, 0, 0, 0, 100});
  EXPECT_EQ(big.size(), 2u + 200);
}

TEST(ModbusPdu, Writes) {
  MemoryBackend b;
  EXPECT_EQ(run(b, {6, 0, 5, 0xAB, 0xCD}), (Bytes{6, 0, 5, 0xAB, 0xCD}));
  EXPECT_EQ(b.regs[5], 0xABCD);
  EXPECT_EQ(run(b, {5, 0, 1, 0xFF, 0x00}), (Bytes{5, 0, 1, 0xFF, 0x00}));
  EXPECT_EQ(b.bits[1], 1);
  EXPECT_EQ(run(b, {5, 0, 1, 0x00, 0x00}), (Bytes{5, 0, 1, 0x00, 0x00}));
  EXPECT_EQ(b.bits[1], 0);
  EXPECT_EQ(run(b, {16, 0, 20, 0, 2, 4, 0x12, 0x34, 0x56, 0x78}), (Bytes{16, 0, 20, 0, 2}));
  EXPECT_EQ(b.regs[20], 0x1234);
  EXPECT_EQ(b.regs[21], 0x5678);
  EXPECT_EQ(run(b, {15, 0, 40, 0, 10, 2, 0xFF, 0x01}), (Bytes{15, 0, 40, 0, 10}));
  for (int i = 40; i < 49; ++i) EXPECT_EQ(b.bits[static_cast<size_t>(i)], 1) << i;
  EXPECT_EQ(b.bits[49], 0);
}

TEST(ModbusPdu, Exceptions) {
  MemoryBackend b;
  // 01: unknown function codes.
  EXPECT_EQ(run(b, {0x2B, 0x0E, 1, 0}), (Bytes{0xAB, 0x01}));
  EXPECT_EQ(run(b, {8, 0, 0, 0, 0}), (Bytes{0x88, 0x01}));
  EXPECT_EQ(run(b, {0}), (Bytes{0x80, 0x01}));
  EXPECT_EQ(run(b, {}), (Bytes{0x80, 0x01}));
  // 02: outside the backend or the address space.
  EXPECT_EQ(run(b, {3, 0, 99, 0, 2}), (Bytes{0x83, 0x02}));
  EXPECT_EQ(run(b, {3, 0xFF, 0xFF, 0, 2}), (Bytes{0x83, 0x02}));
  EXPECT_EQ(run(b, {6, 0, 100, 0, 1}), (Bytes{0x86, 0x02}));
  EXPECT_EQ(run(b, {1, 0xFF, 0xF0, 0, 0x20}), (Bytes{0x81, 0x02}));
  // 03: quantities and structure.
  EXPECT_EQ(run(b, {3, 0, 0, 0, 0}), (Bytes{0x83, 0x03}));
  EXPECT_EQ(run(b, {3, 0, 0, 0, 126}), (Bytes{0x83, 0x03}));
  EXPECT_EQ(run(b, {4, 0, 0, 0, 125}), (Bytes{0x84, 0x02}));             // quantity ok, range not
  EXPECT_EQ(run(b, {1, 0, 0, 0x07, 0xD1}), (Bytes{0x81, 0x03}));         // 2001 bits
  EXPECT_EQ(run(b, {3, 0, 0, 0}), (Bytes{0x83, 0x03}));                  // short
  EXPECT_EQ(run(b, {3, 0, 0, 0, 1, 0}), (Bytes{0x83, 0x03}));            // long
  EXPECT_EQ(run(b, {5, 0, 1, 0x12, 0x34}), (Bytes{0x85, 0x03}));         // coil value
  EXPECT_EQ(run(b, {16, 0, 0, 0, 2, 3, 0, 1, 0}), (Bytes{0x90, 0x03}));  // byte count
  EXPECT_EQ(run(b, {16, 0, 0, 0, 1, 2, 0}), (Bytes{0x90, 0x03}));        // truncated
  EXPECT_EQ(run(b, {16, 0, 0, 0, 124, 248}), (Bytes{0x90, 0x03}));       // too many
  EXPECT_EQ(run(b, {15, 0, 0, 0, 9, 1, 0xFF}), (Bytes{0x8F, 0x03}));     // 9 bits, 1 byte
  EXPECT_EQ(run(b, {15, 0, 0, 0, 0, 0}), (Bytes{0x8F, 0x03}));
  EXPECT_EQ(run(b, {15, 0}), (Bytes{0x8F, 0x03}));
}

TEST(ModbusPdu, Mbap) {
  std::array<uint8_t, 7> raw = {0x12, 0x34, 0, 0, 0, 6, 9};
  MbapHeader h = parseMbap(raw);
  EXPECT_EQ(h.transaction_id, 0x1234);
  EXPECT_EQ(h.protocol_id, 0);
  EXPECT_EQ(h.length, 6);
  EXPECT_EQ(h.unit_id, 9);
  EXPECT_EQ(checkMbap(h), MbapCheck::kOk);
  h.protocol_id = 1;
  EXPECT_EQ(checkMbap(h), MbapCheck::kBadProtocol);
  h.protocol_id = 0;
  for (uint16_t len : {0, 1, 255, 256, 0xFFFF}) {
    h.length = len;
    EXPECT_EQ(checkMbap(h), MbapCheck::kBadLength) << len;
  }
  h.length = 254;
  EXPECT_EQ(checkMbap(h), MbapCheck::kOk);
  Bytes out;
  appendMbap(out, 0xBEEF, 3, 5);
  EXPECT_EQ(out, (Bytes{0xBE, 0xEF, 0, 0, 0, 6, 3}));
}

// Every short input: no crash, always a response of sane size.
TEST(ModbusPdu, ArbitraryBytesNeverCrash) {
  MemoryBackend b;
  uint64_t x = 1;
  for (int i = 0; i < 200000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    Bytes pdu(1 + (x >> 59) % 12);
    for (auto& byte : pdu) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      byte = static_cast<uint8_t>(x >> 56);
    }
    if (i % 3 == 0) pdu[0] = static_cast<uint8_t>(1 + i % 16);
    Bytes out;
    processRequest(b, 1, pdu, out);
    ASSERT_GE(out.size(), 2u);
    ASSERT_LE(out.size(), kMaxPduSize);
  }
}

}  // namespace
}  // namespace sf::sim
