#pragma once
// Modbus client protocol: request PDUs, response validation, MBAP (TCP) and RTU framing, CRC-16.
// Pure functions over bytes, no I/O: the transports (transport.h) frame and unframe with them,
// the fuzz targets (protocol_fuzz.cc) feed them arbitrary bytes. Every function treats its input
// as hostile: lengths are checked before reads, nothing asserts on bytes from outside.
// Modbus Application Protocol V1.1b3 and Modbus over Serial Line V1.02 are the references.
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sf::modbus {

// The four data tables and the function codes that read them.
enum class Table : uint8_t { kCoil = 0, kDiscreteInput = 1, kHolding = 2, kInput = 3 };
std::string_view tableName(Table t);  // "coil", "discrete_input", "holding", "input"
bool isBitTable(Table t);             // coils and discrete inputs
uint8_t readFunction(Table t);        // 1, 2, 3, 4

namespace fc {
inline constexpr uint8_t kReadCoils = 0x01;
inline constexpr uint8_t kReadDiscreteInputs = 0x02;
inline constexpr uint8_t kReadHoldingRegisters = 0x03;
inline constexpr uint8_t kReadInputRegisters = 0x04;
inline constexpr uint8_t kWriteSingleCoil = 0x05;
inline constexpr uint8_t kWriteSingleRegister = 0x06;
inline constexpr uint8_t kWriteMultipleCoils = 0x0F;
inline constexpr uint8_t kWriteMultipleRegisters = 0x10;
}  // namespace fc

// Protocol limits (MAP V1.1b3 section 6).
inline constexpr uint16_t kMaxReadBits = 2000;
inline constexpr uint16_t kMaxReadRegisters = 125;
inline constexpr uint16_t kMaxWriteBits = 1968;
inline constexpr uint16_t kMaxWriteRegisters = 123;
inline constexpr size_t kMaxPduSize = 253;
inline constexpr size_t kMbapHeaderSize = 7;
inline constexpr size_t kMaxMbapFrame = kMbapHeaderSize + kMaxPduSize;  // 260
inline constexpr size_t kMaxRtuFrame = 256;                             // unit + PDU + CRC

// Exception codes a device answers with (and the quality codes of records, see docs/MODBUS.md).
namespace ex {
inline constexpr uint8_t kIllegalFunction = 0x01;
inline constexpr uint8_t kIllegalDataAddress = 0x02;
inline constexpr uint8_t kIllegalDataValue = 0x03;
inline constexpr uint8_t kServerDeviceFailure = 0x04;
inline constexpr uint8_t kAcknowledge = 0x05;
inline constexpr uint8_t kServerDeviceBusy = 0x06;
inline constexpr uint8_t kMemoryParityError = 0x08;
inline constexpr uint8_t kGatewayPathUnavailable = 0x0A;
inline constexpr uint8_t kGatewayTargetFailed = 0x0B;
}  // namespace ex
std::string_view exceptionName(uint8_t code);  // "illegal data address", ...

// Quality codes of records for failures that are not Modbus exceptions (above 0xFF so they
// never collide with an exception code).
namespace quality {
inline constexpr uint32_t kTimeout = 0x100;          // no response in time
inline constexpr uint32_t kInvalidResponse = 0x101;  // malformed / mismatched response
inline constexpr uint32_t kNotConnected = 0x102;     // link down or lost during the request
inline constexpr uint32_t kInvalidValue = 0x103;     // registers that do not decode (bad BCD)
inline constexpr uint32_t kNotAttempted = 0x104;     // skipped: the device timed out earlier in
                                                     // the same poll
}  // namespace quality

// A read request of one table.
struct ReadRequest {
  Table table = Table::kHolding;
  uint16_t address = 0;
  uint16_t count = 0;
};

// Request PDUs (function code + data). Counts must be within the protocol limits; the callers
// (planner, writer) guarantee that, and the builders clamp nothing.
std::vector<uint8_t> buildRead(const ReadRequest& r);
std::vector<uint8_t> buildWriteSingleCoil(uint16_t address, bool on);
std::vector<uint8_t> buildWriteSingleRegister(uint16_t address, uint16_t value);
std::vector<uint8_t> buildWriteMultipleCoils(uint16_t address, std::span<const bool> values);
std::vector<uint8_t> buildWriteMultipleRegisters(uint16_t address,
                                                 std::span<const uint16_t> values);

// The outcome of a response PDU checked against its request PDU.
struct Response {
  uint8_t exception = 0;             // != 0: the device answered with this exception code
  std::span<const uint8_t> payload;  // read: the data bytes (registers big-endian, bits LSB
                                     // first); empty for writes and exceptions
};

// Validates `response` (function code + data) against `request` (as built above): the function
// code or its exception form, the byte count against the requested quantity, the echo of a
// write. kInvalidData names what is wrong. `payload` points into `response`.
core::Result<Response> parseResponse(std::span<const uint8_t> request,
                                     std::span<const uint8_t> response);

// Register i (0-based) of a read payload, and bit i of a bit payload. No bounds checks: the
// payload was validated by parseResponse().
inline uint16_t registerAt(std::span<const uint8_t> payload, size_t i) {
  return static_cast<uint16_t>((payload[2 * i] << 8) | payload[2 * i + 1]);
}
inline bool bitAt(std::span<const uint8_t> payload, size_t i) {
  return ((payload[i / 8] >> (i % 8)) & 1) != 0;
}

// ---- MBAP (Modbus TCP) ----

struct MbapHeader {
  uint16_t transaction_id = 0;
  uint16_t protocol_id = 0;
  uint16_t length = 0;  // unit id + PDU
  uint8_t unit_id = 0;
};

void appendMbapFrame(std::vector<uint8_t>& out, uint16_t transaction_id, uint8_t unit,
                     std::span<const uint8_t> pdu);

// Scanning a receive buffer for one frame.
enum class FrameStatus {
  kNeedMore,   // a prefix of a frame: read more bytes
  kFrame,      // a complete frame of `size` bytes
  kSkip,       // a complete, well-delimited frame that is not ours to parse (protocol id != 0):
               // drop `size` bytes and go on
  kMalformed,  // the stream cannot be delimited any more (impossible length): reconnect
};
struct MbapScan {
  FrameStatus status = FrameStatus::kNeedMore;
  size_t size = 0;
  MbapHeader header;
  std::span<const uint8_t> pdu;  // valid for kFrame
};
MbapScan scanMbap(std::span<const uint8_t> buffer);

// ---- RTU (serial line, RTU over TCP) ----

// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), as sent: low byte first.
uint16_t crc16(std::span<const uint8_t> bytes);
void appendRtuFrame(std::vector<uint8_t>& out, uint8_t unit, std::span<const uint8_t> pdu);

// The length of the response frame at the start of `buffer` for a request with function code
// `function`, from the function code and byte count it carries (RTU has no length field):
// kNeedMore until the length is known and that many bytes are there, then kFrame with a checked
// CRC, or kMalformed (unknown function code, bad byte count or CRC mismatch: `crc_error` tells).
struct RtuScan {
  FrameStatus status = FrameStatus::kNeedMore;
  size_t size = 0;
  uint8_t unit = 0;
  bool crc_error = false;
  std::span<const uint8_t> pdu;  // valid for kFrame: function code + data, without unit/CRC
};
RtuScan scanRtuResponse(std::span<const uint8_t> buffer, uint8_t function);

// 3.5 character times for `baud` with `bits_per_char` (start + data + parity + stop), at least
// 1750 us above 19200 baud as the serial line spec fixes it.
int64_t rtuFrameGapNanos(uint32_t baud, int bits_per_char);

}  // namespace sf::modbus
