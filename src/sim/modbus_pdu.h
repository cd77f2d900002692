#pragma once
// Modbus application protocol for the simulator's server side: the four data tables, exception
// codes, the backend interface that holds the data, MBAP header parsing and request PDU
// processing. Pure functions over bytes (no I/O): the TCP server calls them, the fuzz target
// and the unit tests call them directly. Every byte comes from the network and is checked;
// nothing here asserts on input.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sf::sim {

enum class Table : uint8_t { kCoil, kDiscreteInput, kHoldingRegister, kInputRegister };
std::string_view tableName(Table table);  // "coil", "discrete_input", ...
uint8_t readFunctionOf(Table table);      // 1, 2, 3, 4

enum class ModbusException : uint8_t {
  kNone = 0,
  kIllegalFunction = 0x01,
  kIllegalDataAddress = 0x02,
  kIllegalDataValue = 0x03,
  kServerDeviceFailure = 0x04,
  kGatewayPathUnavailable = 0x0A,
  kGatewayTargetFailed = 0x0B,
};

// The data behind a server: one instance serves every unit id. Called from the server's thread
// only. A range that is not entirely mapped (or not writable, for writes) is
// kIllegalDataAddress. Writes are all-or-nothing.
class ModbusBackend {
 public:
  virtual ~ModbusBackend() = default;
  virtual bool hasUnit(uint8_t unit) const = 0;
  virtual ModbusException readBits(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                   std::vector<uint8_t>& out) = 0;  // one 0/1 byte per bit
  virtual ModbusException readRegisters(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                        std::vector<uint16_t>& out) = 0;
  virtual ModbusException writeCoils(uint8_t unit, uint16_t address,
                                     std::span<const uint8_t> values) = 0;
  virtual ModbusException writeRegisters(uint8_t unit, uint16_t address,
                                         std::span<const uint16_t> values) = 0;
};

// Protocol limits (Modbus Application Protocol V1.1b3, section 6).
inline constexpr size_t kMbapHeaderSize = 7;
inline constexpr size_t kMaxPduSize = 253;
inline constexpr size_t kMaxAduSize = kMbapHeaderSize + kMaxPduSize;  // 260
inline constexpr uint16_t kMaxReadBits = 2000;
inline constexpr uint16_t kMaxReadRegisters = 125;
inline constexpr uint16_t kMaxWriteCoils = 1968;
inline constexpr uint16_t kMaxWriteRegisters = 123;

struct MbapHeader {
  uint16_t transaction_id = 0;
  uint16_t protocol_id = 0;
  uint16_t length = 0;  // bytes that follow: unit id + PDU
  uint8_t unit_id = 0;
};

enum class MbapCheck {
  kOk,
  kBadProtocol,  // well delimited but not Modbus (protocol id != 0): skip the frame
  kBadLength,    // length outside 2..254: the stream cannot be re-synchronised; close
};

MbapHeader parseMbap(std::span<const uint8_t, kMbapHeaderSize> bytes);
MbapCheck checkMbap(const MbapHeader& header);
// Appends an MBAP header for a PDU of pdu_size bytes.
void appendMbap(std::vector<uint8_t>& out, uint16_t transaction_id, uint8_t unit, size_t pdu_size);

// Handles one request PDU (function code + data) addressed to `unit` (which the backend
// serves) and replaces `response` with the response PDU: the normal response or an exception
// response (function | 0x80, code). Returns the exception code (kNone on success).
ModbusException processRequest(ModbusBackend& backend, uint8_t unit, std::span<const uint8_t> pdu,
                               std::vector<uint8_t>& response);

// Exception response PDU for a function code.
void exceptionResponse(uint8_t function, ModbusException code, std::vector<uint8_t>& response);

}  // namespace sf::sim
