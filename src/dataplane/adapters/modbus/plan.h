#pragma once
// Request planning: the fewest reads that cover a poll group's tags within a device's limits
// (max registers or bits per read, max unused span to read through), and what the device taught
// us: split points where a merged read was refused (exception 02/03) and tags that fail on their
// own (isolated). Pure; the adapter keeps the learned state per device and re-plans when it
// changes. `streamforge modbus plan` and describePlan() show the result.
// Thread-safety: pure functions over plain values.

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/adapters/modbus/config.h"
#include "dataplane/adapters/modbus/protocol.h"

namespace sf::modbus {

struct PlanLimits {
  uint16_t max_registers = kMaxReadRegisters;
  uint16_t max_bits = kMaxReadBits;
  uint16_t gap_registers = 0;
  uint16_t gap_bits = 0;
  bool coalesce = true;
};
PlanLimits limitsOf(const ModbusDeviceConfig& d);

// One tag as the planner sees it.
struct PlanItem {
  uint32_t tag = 0;  // index into the device's tags
  Table table = Table::kHolding;
  uint16_t address = 0;
  uint16_t quantity = 1;  // registers or bits
};

// What a device taught us. A split point (table, address) forbids a read that holds a tag
// starting below `address` together with one starting at or above it. An isolated tag is
// always read alone.
struct Learned {
  std::set<std::pair<Table, uint32_t>> splits;
  std::set<uint32_t> isolated;
  bool operator==(const Learned&) const = default;
};

struct PlannedRead {
  ReadRequest request;
  std::vector<uint32_t> tags;  // by address
};

// Reads covering `items` (any order), grouped by table, each within the limits. Greedy from the
// lowest address, which is optimal for contiguous spans with a length and gap limit.
std::vector<PlannedRead> planReads(std::vector<PlanItem> items, const PlanLimits& limits,
                                   const Learned& learned = {});

// The items of one device's tags in one poll group ("" = default).
std::vector<PlanItem> planItems(const ModbusDeviceConfig& d, const std::string& group);

// The poll groups a device's tags use, the default group first when used.
std::vector<std::string> groupsOf(const ModbusDeviceConfig& d);

// The plan of every device and poll group of an adapter configuration, as text (one line per
// request) for `streamforge modbus plan`, and as JSON for the API.
struct GroupPlan {
  std::string device;
  uint8_t unit_id = 0;
  std::string group;
  int64_t interval_ms = 0;
  size_t tags = 0;
  std::vector<PlannedRead> reads;
};
std::vector<GroupPlan> planAdapter(const ModbusCommonConfig& c);
std::string describePlan(const ModbusCommonConfig& c, const std::vector<GroupPlan>& plans);
std::string planJson(const ModbusCommonConfig& c, const std::vector<GroupPlan>& plans);

}  // namespace sf::modbus
