#include "dataplane/adapters/modbus/protocol.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace sf::modbus {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
void putBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xFF));
}
std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFFu);
  return buf;
}

core::Unexpected<core::Error> invalid(std::string message) {
  return core::fail(core::Errc::kInvalidData, std::move(message));
}

constexpr std::array<uint16_t, 256> makeCrcTable() {
  std::array<uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    uint16_t c = static_cast<uint16_t>(i);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<uint16_t>((c >> 1) ^ 0xA001) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = makeCrcTable();

}  // namespace

std::string_view tableName(Table t) {
  switch (t) {
    case Table::kCoil:
      return "coil";
    case Table::kDiscreteInput:
      return "discrete_input";
    case Table::kHolding:
      return "holding";
    case Table::kInput:
      return "input";
  }
  return "holding";
}

bool isBitTable(Table t) { return t == Table::kCoil || t == Table::kDiscreteInput; }

uint8_t readFunction(Table t) {
  switch (t) {
    case Table::kCoil:
      return fc::kReadCoils;
    case Table::kDiscreteInput:
      return fc::kReadDiscreteInputs;
    case Table::kHolding:
      return fc::kReadHoldingRegisters;
    case Table::kInput:
      return fc::kReadInputRegisters;
  }
  return fc::kReadHoldingRegisters;
}

std::string_view exceptionName(uint8_t code) {
  switch (code) {
    case ex::kIllegalFunction:
      return "illegal function";
    case ex::kIllegalDataAddress:
      return "illegal data address";
    case ex::kIllegalDataValue:
      return "illegal data value";
    case ex::kServerDeviceFailure:
      return "server device failure";
    case ex::kAcknowledge:
      return "acknowledge";
    case ex::kServerDeviceBusy:
      return "server device busy";
    case ex::kMemoryParityError:
      return "memory parity error";
    case ex::kGatewayPathUnavailable:
      return "gateway path unavailable";
    case ex::kGatewayTargetFailed:
      return "gateway target device failed to respond";
    default:
      return "unknown exception";
  }
}

std::vector<uint8_t> buildRead(const ReadRequest& r) {
  std::vector<uint8_t> pdu;
  pdu.reserve(5);
  pdu.push_back(readFunction(r.table));
  putBe16(pdu, r.address);
  putBe16(pdu, r.count);
  return pdu;
}

std::vector<uint8_t> buildWriteSingleCoil(uint16_t address, bool on) {
  std::vector<uint8_t> pdu{fc::kWriteSingleCoil};
  putBe16(pdu, address);
  putBe16(pdu, on ? 0xFF00 : 0x0000);
  return pdu;
}

std::vector<uint8_t> buildWriteSingleRegister(uint16_t address, uint16_t value) {
  std::vector<uint8_t> pdu{fc::kWriteSingleRegister};
  putBe16(pdu, address);
  putBe16(pdu, value);
  return pdu;
}

std::vector<uint8_t> buildWriteMultipleCoils(uint16_t address, std::span<const bool> values) {
  std::vector<uint8_t> pdu{fc::kWriteMultipleCoils};
  putBe16(pdu, address);
  putBe16(pdu, static_cast<uint16_t>(values.size()));
  const size_t bytes = (values.size() + 7) / 8;
  pdu.push_back(static_cast<uint8_t>(bytes));
  const size_t base = pdu.size();
  pdu.resize(base + bytes, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i]) pdu[base + i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return pdu;
}

std::vector<uint8_t> buildWriteMultipleRegisters(uint16_t address,
                                                 std::span<const uint16_t> values) {
  std::vector<uint8_t> pdu{fc::kWriteMultipleRegisters};
  putBe16(pdu, address);
  putBe16(pdu, static_cast<uint16_t>(values.size()));
  pdu.push_back(static_cast<uint8_t>(values.size() * 2));
  for (uint16_t v : values) putBe16(pdu, v);
  return pdu;
}

core::Result<Response> parseResponse(std::span<const uint8_t> request,
                                     std::span<const uint8_t> response) {
  if (request.size() < 5) return core::fail(core::Errc::kInternal, "request PDU too short");
  if (response.empty()) return invalid("empty response PDU");
  const uint8_t function = request[0];
  const uint8_t got = response[0];
  if (got == (function | 0x80)) {
    if (response.size() != 2) {
      return invalid("exception response of " + std::to_string(response.size()) +
                     " bytes (expected 2)");
    }
    Response r;
    r.exception = response[1];
    if (r.exception == 0) return invalid("exception response with code 0");
    return r;
  }
  if (got != function) {
    return invalid("function code " + hex2(got) + " answers a request " + hex2(function));
  }
  switch (function) {
    case fc::kReadCoils:
    case fc::kReadDiscreteInputs:
    case fc::kReadHoldingRegisters:
    case fc::kReadInputRegisters: {
      const uint16_t count = be16(request, 3);
      const bool bits = function <= fc::kReadDiscreteInputs;
      const size_t expected = bits ? (count + 7u) / 8u : count * 2u;
      if (response.size() < 2) return invalid("read response without byte count");
      if (response[1] != expected) {
        return invalid("byte count " + std::to_string(response[1]) + " for " +
                       std::to_string(count) + (bits ? " bits" : " registers") + " (expected " +
                       std::to_string(expected) + ")");
      }
      if (response.size() != 2 + expected) {
        return invalid("read response of " + std::to_string(response.size()) +
                       " bytes with byte count " + std::to_string(expected));
      }
      Response r;
      r.payload = response.subspan(2);
      return r;
    }
    case fc::kWriteSingleCoil:
    case fc::kWriteSingleRegister:
      if (response.size() != 5 || !std::equal(response.begin(), response.end(), request.begin())) {
        return invalid("write response does not echo the request");
      }
      return Response{};
    case fc::kWriteMultipleCoils:
    case fc::kWriteMultipleRegisters:
      if (response.size() != 5 || be16(response, 1) != be16(request, 1) ||
          be16(response, 3) != be16(request, 3)) {
        return invalid("write response does not echo address and quantity");
      }
      return Response{};
    default:
      return core::fail(core::Errc::kInternal, "unsupported request function " + hex2(function));
  }
}

void appendMbapFrame(std::vector<uint8_t>& out, uint16_t transaction_id, uint8_t unit,
                     std::span<const uint8_t> pdu) {
  putBe16(out, transaction_id);
  putBe16(out, 0);
  putBe16(out, static_cast<uint16_t>(pdu.size() + 1));
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
}

MbapScan scanMbap(std::span<const uint8_t> buffer) {
  MbapScan s;
  if (buffer.size() < 6) return s;
  s.header.transaction_id = be16(buffer, 0);
  s.header.protocol_id = be16(buffer, 2);
  s.header.length = be16(buffer, 4);
  // Unit id + at least a function code; at most unit + 253 PDU bytes.
  if (s.header.length < 2 || s.header.length > kMaxPduSize + 1) {
    s.status = FrameStatus::kMalformed;
    return s;
  }
  const size_t total = 6 + size_t{s.header.length};
  if (buffer.size() < total) return s;
  s.size = total;
  s.header.unit_id = buffer[6];
  if (s.header.protocol_id != 0) {
    s.status = FrameStatus::kSkip;
    return s;
  }
  s.status = FrameStatus::kFrame;
  s.pdu = buffer.subspan(7, total - 7);
  return s;
}

uint16_t crc16(std::span<const uint8_t> bytes) {
  uint16_t crc = 0xFFFF;
  for (uint8_t b : bytes) crc = static_cast<uint16_t>((crc >> 8) ^ kCrcTable[(crc ^ b) & 0xFF]);
  return crc;
}

void appendRtuFrame(std::vector<uint8_t>& out, uint8_t unit, std::span<const uint8_t> pdu) {
  const size_t start = out.size();
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  const uint16_t crc = crc16(std::span<const uint8_t>(out).subspan(start));
  out.push_back(static_cast<uint8_t>(crc & 0xFF));
  out.push_back(static_cast<uint8_t>(crc >> 8));
}

RtuScan scanRtuResponse(std::span<const uint8_t> buffer, uint8_t function) {
  RtuScan s;
  if (buffer.size() < 2) return s;
  s.unit = buffer[0];
  const uint8_t got = buffer[1];
  size_t total = 0;
  if (got == (function | 0x80)) {
    total = 5;  // unit, function, code, CRC
  } else if (got != function) {
    // Not the answer to our request (another function code, or noise): the length is unknown.
    s.status = FrameStatus::kMalformed;
    return s;
  } else {
    switch (function) {
      case fc::kReadCoils:
      case fc::kReadDiscreteInputs:
      case fc::kReadHoldingRegisters:
      case fc::kReadInputRegisters:
        if (buffer.size() < 3) return s;
        total = 3 + size_t{buffer[2]} + 2;
        if (buffer[2] == 0) {
          s.status = FrameStatus::kMalformed;
          return s;
        }
        break;
      case fc::kWriteSingleCoil:
      case fc::kWriteSingleRegister:
      case fc::kWriteMultipleCoils:
      case fc::kWriteMultipleRegisters:
        total = 8;
        break;
      default:
        s.status = FrameStatus::kMalformed;
        return s;
    }
  }
  if (buffer.size() < total) return s;
  const uint16_t crc = crc16(buffer.first(total - 2));
  const uint16_t sent = static_cast<uint16_t>(buffer[total - 2] | (buffer[total - 1] << 8));
  s.size = total;
  if (crc != sent) {
    s.status = FrameStatus::kMalformed;
    s.crc_error = true;
    return s;
  }
  s.status = FrameStatus::kFrame;
  s.pdu = buffer.subspan(1, total - 3);
  return s;
}

int64_t rtuFrameGapNanos(uint32_t baud, int bits_per_char) {
  if (baud == 0) return 1'750'000;
  if (baud > 19200) return 1'750'000;
  // 3.5 characters of bits_per_char bits at `baud` bits per second.
  return static_cast<int64_t>(3.5 * bits_per_char * 1e9 / baud);
}

}  // namespace sf::modbus
