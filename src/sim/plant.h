#pragma once
// Plant: N pumps, tanks and compressors per Modbus unit id, mapped onto a fixed register map
// (docs/SIMULATOR.md is the table; `streamforge sim --print-map` prints the same map from this
// code). Each unit id is one simulated device with its own assets (keyed by seed and unit id).
//
// Map rules, per unit id and per table (coils, discrete inputs, holding and input registers):
//   asset block   base(kind) + 10 * index, 10 addresses; pumps 0, tanks 1000, compressors 2000
//                 (at most 100 of each). Unused addresses inside a block read 0.
//   plant block   holding registers 3000..3009: simulated time, heartbeat, unit id, counts.
//   scratch       holding registers and coils 4000..4099: writable, never overwritten.
//   load block    holding and input registers 10000.. (--scale-registers N): plain counters.
// Any other address is Modbus exception 02; writes outside writable points are exception 02.
//
// Values are computed on read from the signal model and memoised per unit for one 100 ms tick,
// so every read within a tick is consistent (float pairs never tear) and values are a pure
// function of (seed, unit, tick, commands). Thread-safe: one mutex around the unit state.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sim/modbus_pdu.h"
#include "sim/signal.h"

namespace sf::sim {

inline constexpr uint16_t kAssetStride = 10;
inline constexpr uint16_t kMaxAssetsPerKind = 100;
uint16_t kindBase(AssetKind kind);  // 0, 1000, 2000
inline constexpr uint16_t kPlantBlockBase = 3000;
inline constexpr uint16_t kPlantBlockSize = 10;
inline constexpr uint16_t kScratchBase = 4000;
inline constexpr uint16_t kScratchSize = 100;
inline constexpr uint16_t kLoadBase = 10000;
inline constexpr uint32_t kMaxLoadRegisters = 0x10000 - kLoadBase;  // 55536
inline constexpr double kTicksPerSecond = 10;

struct PlantOptions {
  uint64_t seed = 1;
  int pumps = 2;
  int tanks = 2;
  int compressors = 1;
  std::vector<uint8_t> units = {1};
  uint32_t scale_registers = 0;       // load block size per unit, holding and input registers
  std::string device_prefix = "sim";  // device names: "<prefix>-u<unit>"
  SignalOptions signal;               // signal.seed is overwritten by `seed`
  // Simulated time t = time_offset + speed * (seconds since the plant was created), or
  // frozen at `frozen_time` (tests, reproducible demos).
  double time_offset = 0;
  double speed = 1;
  std::optional<double> frozen_time;

  core::Status validate() const;
};

// "1-4,7,10" -> {1,2,3,4,7,10}; ids 0..255, sorted, no duplicates.
core::Result<std::vector<uint8_t>> parseUnitList(const std::string& text);
std::string formatUnitList(const std::vector<uint8_t>& units);  // "1-4,7,10"

enum class DataType : uint8_t { kBool, kInt16, kUInt16, kUInt32, kFloat32 };
std::string_view dataTypeName(DataType type);  // "bool", "int16", "uint16", "uint32", "float32"
uint16_t registerCount(DataType type);         // 0 for bool, 1 or 2

// One point of the map as a gateway tag: everything a Modbus adapter needs to poll and decode
// it, plus suggested alarm limits. Engineering value = decoded raw value * scale.
struct TagSpec {
  std::string device;  // "sim-u1"
  uint8_t unit_id = 1;
  std::string tag;     // "pump1.flow"
  std::string asset;   // "pump1" ("plant", "load")
  std::string signal;  // "flow"
  Table table = Table::kHoldingRegister;
  uint16_t address = 0;
  DataType type = DataType::kFloat32;
  std::string word_order;  // "ABCD" for 32-bit types (high word first, big-endian bytes)
  double scale = 1;
  std::string unit;  // engineering unit
  AlarmLimits limits;
  bool alarm_when_true = false;  // discrete alarm (bool tags)
  bool writable = false;
  bool primary = true;  // false: alternative encodings (input-register copies) and load block
  std::string description;
};

enum class TagSet {
  kPrimary,  // one point per signal: what a default gateway configuration polls
  kAll,      // plus the int16 input-register copies, the plant counts and the load block
};

// The map as gateway tags, pure (no plant instance needed).
std::vector<TagSpec> gatewayTags(const PlantOptions& options, TagSet set);

// Decodes a tag's raw registers (registerCount(type) of them) or bit (regs[0] is 0/1) into its
// engineering value.
double decodeTag(const TagSpec& tag, std::span<const uint16_t> regs);

class Plant final : public ModbusBackend {
 public:
  // Validates the options. `clock` (monotonic time) defaults to the system clock and must
  // outlive the plant.
  static core::Result<std::unique_ptr<Plant>> create(PlantOptions options,
                                                     const core::Clock* clock = nullptr);
  ~Plant() override;
  Plant(const Plant&) = delete;
  Plant& operator=(const Plant&) = delete;

  const PlantOptions& options() const { return options_; }
  std::vector<TagSpec> tags(TagSet set) const { return gatewayTags(options_, set); }

  double simTime() const;
  static int64_t tickOf(double t);
  static double timeOfTick(int64_t tick) { return static_cast<double>(tick) / kTicksPerSecond; }

  // The assets of one unit (pumps, then tanks, then compressors); empty if not served.
  const std::vector<Asset>* assetsOf(uint8_t unit) const;

  // Reads at an explicit simulated time (print-map values, tests).
  ModbusException readBitsAt(uint8_t unit, Table table, uint16_t address, uint16_t count, double t,
                             std::vector<uint8_t>& out);
  ModbusException readRegistersAt(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                  double t, std::vector<uint16_t>& out);
  // The engineering value of each tag at time t (NaN for a tag that cannot be read).
  std::vector<double> tagValues(const std::vector<TagSpec>& tags, double t);

  // ModbusBackend, at simTime().
  bool hasUnit(uint8_t unit) const override;
  ModbusException readBits(uint8_t unit, Table table, uint16_t address, uint16_t count,
                           std::vector<uint8_t>& out) override;
  ModbusException readRegisters(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                std::vector<uint16_t>& out) override;
  ModbusException writeCoils(uint8_t unit, uint16_t address,
                             std::span<const uint8_t> values) override;
  ModbusException writeRegisters(uint8_t unit, uint16_t address,
                                 std::span<const uint16_t> values) override;

 private:
  struct Unit;
  Plant(PlantOptions options, const core::Clock* clock);
  Unit* findUnit(uint8_t unit);
  const Unit* findUnit(uint8_t unit) const;
  void refresh(Unit& unit, int64_t tick);
  bool registerAt(Unit& unit, Table table, uint16_t address, int64_t tick, uint16_t& out);
  bool bitAt(Unit& unit, Table table, uint16_t address, uint8_t& out);

  PlantOptions options_;
  const core::Clock* clock_;
  int64_t start_mono_ns_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Unit>> units_;  // sorted by unit id
  std::vector<int16_t> unit_index_;           // unit id -> index in units_, or -1
};

// Human-readable table of the map; with `values`, a value column.
std::string renderMapTable(const std::vector<TagSpec>& tags,
                           const std::vector<double>* values = nullptr);
// JSON: {"simulator": {...options}, "tags": [{device, unit_id, tag, table, function, address,
// count, type, word_order, scale, unit, writable, primary, alarm, description[, value]}]}.
std::string renderMapJson(const PlantOptions& options, const std::vector<TagSpec>& tags,
                          const std::vector<double>* values = nullptr,
                          std::optional<double> at_time = std::nullopt);

}  // namespace sf::sim
