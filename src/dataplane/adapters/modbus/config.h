#pragma once
// Configuration of the Modbus adapters, declared once with the option-spec builder
// (config/spec.h): `modbus_tcp` (Modbus TCP, and RTU framing over TCP for serial servers) and
// `modbus_rtu` (RTU on a serial port). The reference in docs/reference/adapters/ and the option
// table in this folder's README are generated from these specs. Validation is pure.
//
//   - type: modbus_tcp
//     name: line1
//     host: 10.0.0.5
//     poll_interval: 1s
//     poll_groups: [{name: fast, interval: 100ms}]
//     devices:
//       - name: pump1
//         unit_id: 3
//         tags:
//           - {name: flow, address: 100, type: float32, word_order: CDAB, poll_group: fast,
//              unit: m3/h, scale: 0.1, deadband: 0.5}
//
// A tag is a pipeline::TagPipelineConfig (unit, scale, offset, deadband, alarms... sit flat
// beside the Modbus options) plus where and how to read it.
// Thread-safety: plain values; the spec accessors return function-local statics.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/spec.h"
#include "dataplane/adapters/modbus/codec.h"
#include "dataplane/adapters/modbus/protocol.h"
#include "dataplane/pipeline/tag_config.h"

namespace sf::modbus {

inline constexpr std::string_view kDefaultGroup = "default";

struct ModbusTagConfig : pipeline::TagPipelineConfig {
  // The tag name is TagPipelineConfig::tag (option `name`).
  Table table = Table::kHolding;
  uint16_t address = 0;
  std::optional<DataType> type;  // bool for bit tables, uint16 for registers when absent
  ByteOrder word_order = ByteOrder::kABCD;
  std::optional<uint8_t> bit;  // bool in a register
  uint16_t length = 0;         // string: registers
  std::string poll_group;      // empty: the default group (poll_interval)

  DataType resolvedType() const {
    return type.value_or(isBitTable(table) ? DataType::kBool : DataType::kUInt16);
  }
  TagCodec codec() const;
  bool operator==(const ModbusTagConfig&) const = default;
};

struct ModbusDeviceConfig {
  std::string name;
  uint8_t unit_id = 1;
  bool writes_enabled = false;
  bool coalesce = true;
  uint16_t max_read_registers = kMaxReadRegisters;
  uint16_t max_read_bits = kMaxReadBits;
  uint16_t max_gap_registers = 16;
  uint16_t max_gap_bits = 64;
  uint32_t failures_before_backoff = 3;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{60'000};
  std::chrono::milliseconds bad_address_retry{300'000};
  std::vector<ModbusTagConfig> tags;
  bool operator==(const ModbusDeviceConfig&) const = default;
};

struct PollGroupConfig {
  std::string name;
  std::chrono::milliseconds interval{1000};
  bool operator==(const PollGroupConfig&) const = default;
};

// Options both adapter types share.
struct ModbusCommonConfig {
  std::string name;
  std::chrono::milliseconds poll_interval{1000};
  std::vector<PollGroupConfig> poll_groups;
  std::chrono::milliseconds timeout{1000};
  std::chrono::milliseconds request_gap{0};
  std::vector<ModbusDeviceConfig> devices;
  bool operator==(const ModbusCommonConfig&) const = default;
};

enum class Framing : uint8_t { kMbap, kRtu };

struct ModbusTcpConfig : ModbusCommonConfig {
  std::string host;
  uint16_t port = 502;
  Framing framing = Framing::kMbap;
  std::chrono::milliseconds connect_timeout{5000};
  uint16_t max_in_flight = 1;
  bool operator==(const ModbusTcpConfig&) const = default;
};

enum class Parity : uint8_t { kNone, kEven, kOdd };

struct ModbusRtuConfig : ModbusCommonConfig {
  std::string serial_port;
  uint32_t baud_rate = 19200;
  Parity parity = Parity::kEven;
  uint8_t data_bits = 8;
  uint8_t stop_bits = 1;
  std::chrono::microseconds frame_gap{0};  // 0: 3.5 character times
  bool operator==(const ModbusRtuConfig&) const = default;

  int bitsPerChar() const { return 1 + data_bits + (parity == Parity::kNone ? 0 : 1) + stop_bits; }
};

const config::Spec<ModbusTagConfig>& tagSpec();
const config::Spec<ModbusDeviceConfig>& deviceSpec();
const config::Spec<PollGroupConfig>& pollGroupSpec();
const config::Spec<ModbusTcpConfig>& tcpSpec();
const config::Spec<ModbusRtuConfig>& rtuSpec();

// The interval of a named group ("" or "default": poll_interval).
std::chrono::milliseconds groupInterval(const ModbusCommonConfig& c, const std::string& group);

}  // namespace sf::modbus
