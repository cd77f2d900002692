#include "sim/plant.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

namespace sf::sim {
namespace {

// A point of an asset block. `signal` indexes signalsOf(kind), or one of these pseudo-signals:
constexpr uint8_t kStatusWord = 0xFE;  // bit i = the kind's discrete input at offset i
constexpr uint8_t kRunEnable = 0xFD;   // the run command (coil), writable

struct PointDef {
  Table table;
  uint8_t offset;
  uint8_t signal;
  DataType type;
  bool primary;
  double scale;
};

constexpr Table kHR = Table::kHoldingRegister;
constexpr Table kIR = Table::kInputRegister;
constexpr Table kDI = Table::kDiscreteInput;
constexpr Table kCO = Table::kCoil;
constexpr DataType kF32 = DataType::kFloat32;
constexpr DataType kI16 = DataType::kInt16;
constexpr DataType kU16 = DataType::kUInt16;
constexpr DataType kBit = DataType::kBool;

// The documented layout (docs/SIMULATOR.md "Register map"). Append only: gateways' configs
// point at these addresses.
constexpr PointDef kPumpPoints[] = {
    {kHR, 0, pump::kFlow, kF32, true, 1},
    {kHR, 2, pump::kDischargePressure, kF32, true, 1},
    {kHR, 4, pump::kMotorCurrent, kF32, true, 1},
    {kHR, 6, pump::kWindingTemp, kF32, true, 1},
    {kHR, 8, kStatusWord, kU16, true, 1},
    {kHR, 9, pump::kFaultCode, kU16, true, 1},
    {kIR, 0, pump::kFlow, kI16, false, 0.1},
    {kIR, 1, pump::kDischargePressure, kI16, false, 0.01},
    {kIR, 2, pump::kMotorCurrent, kI16, false, 0.1},
    {kIR, 3, pump::kWindingTemp, kI16, false, 0.1},
    {kIR, 4, kStatusWord, kU16, false, 1},
    {kIR, 5, pump::kFaultCode, kU16, false, 1},
    {kDI, 0, pump::kRunning, kBit, true, 1},
    {kDI, 1, pump::kTripped, kBit, true, 1},
    {kDI, 2, pump::kFaultActive, kBit, true, 1},
    {kCO, 0, kRunEnable, kBit, true, 1},
};
constexpr uint8_t kPumpStatusBits[] = {pump::kRunning, pump::kTripped, pump::kFaultActive};

constexpr PointDef kTankPoints[] = {
    {kHR, 0, tank::kLevel, kF32, true, 1},
    {kHR, 2, tank::kVolume, kF32, true, 1},
    {kHR, 4, tank::kInflow, kF32, true, 1},
    {kHR, 6, tank::kOutflow, kF32, true, 1},
    {kHR, 8, tank::kTemperature, kF32, true, 1},
    {kIR, 0, tank::kLevel, kI16, false, 0.1},
    {kIR, 1, tank::kVolume, kI16, false, 0.1},
    {kIR, 2, tank::kInflow, kI16, false, 0.1},
    {kIR, 3, tank::kOutflow, kI16, false, 0.1},
    {kIR, 4, tank::kTemperature, kI16, false, 0.1},
    {kIR, 5, kStatusWord, kU16, true, 1},
    {kIR, 6, tank::kFaultCode, kU16, true, 1},
    {kDI, 0, tank::kHighLevelSwitch, kBit, true, 1},
    {kDI, 1, tank::kLowLevelSwitch, kBit, true, 1},
    {kDI, 2, tank::kInletValveOpen, kBit, true, 1},
    {kDI, 3, tank::kFaultActive, kBit, true, 1},
};
constexpr uint8_t kTankStatusBits[] = {tank::kHighLevelSwitch, tank::kLowLevelSwitch,
                                       tank::kInletValveOpen, tank::kFaultActive};

constexpr PointDef kCompressorPoints[] = {
    {kHR, 0, compressor::kDischargePressure, kF32, true, 1},
    {kHR, 2, compressor::kDischargeTemp, kF32, true, 1},
    {kHR, 4, compressor::kVibration, kF32, true, 1},
    {kHR, 6, compressor::kMotorCurrent, kF32, true, 1},
    {kHR, 8, kStatusWord, kU16, true, 1},
    {kHR, 9, compressor::kFaultCode, kU16, true, 1},
    {kIR, 0, compressor::kDischargePressure, kI16, false, 0.01},
    {kIR, 1, compressor::kDischargeTemp, kI16, false, 0.1},
    {kIR, 2, compressor::kVibration, kI16, false, 0.01},
    {kIR, 3, compressor::kMotorCurrent, kI16, false, 0.1},
    {kIR, 4, kStatusWord, kU16, false, 1},
    {kIR, 5, compressor::kFaultCode, kU16, false, 1},
    {kDI, 0, compressor::kRunning, kBit, true, 1},
    {kDI, 1, compressor::kLoaded, kBit, true, 1},
    {kDI, 2, compressor::kTripped, kBit, true, 1},
    {kDI, 3, compressor::kFaultActive, kBit, true, 1},
    {kCO, 0, kRunEnable, kBit, true, 1},
};
constexpr uint8_t kCompressorStatusBits[] = {compressor::kRunning, compressor::kLoaded,
                                             compressor::kTripped, compressor::kFaultActive};

std::span<const PointDef> pointsOf(AssetKind kind) {
  switch (kind) {
    case AssetKind::kPump:
      return kPumpPoints;
    case AssetKind::kTank:
      return kTankPoints;
    case AssetKind::kCompressor:
      return kCompressorPoints;
  }
  return {};
}

std::span<const uint8_t> statusBitsOf(AssetKind kind) {
  switch (kind) {
    case AssetKind::kPump:
      return kPumpStatusBits;
    case AssetKind::kTank:
      return kTankStatusBits;
    case AssetKind::kCompressor:
      return kCompressorStatusBits;
  }
  return {};
}

// Per kind and table: which point (and which word of it) sits at each block offset.
struct Slot {
  int8_t point = -1;
  uint8_t word = 0;
};
using BlockLayout = std::array<Slot, kAssetStride>;

const BlockLayout& layoutOf(AssetKind kind, Table table) {
  static const auto layouts = [] {
    std::array<std::array<BlockLayout, 4>, 3> all{};
    for (AssetKind kind : kAssetKinds) {
      auto points = pointsOf(kind);
      for (size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        auto& block = all[static_cast<size_t>(kind)][static_cast<size_t>(p.table)];
        uint16_t words = std::max<uint16_t>(1, registerCount(p.type));
        for (uint8_t w = 0; w < words; ++w) block[p.offset + w] = {static_cast<int8_t>(i), w};
      }
    }
    return all;
  }();
  return layouts[static_cast<size_t>(kind)][static_cast<size_t>(table)];
}

int countOf(const PlantOptions& o, AssetKind kind) {
  switch (kind) {
    case AssetKind::kPump:
      return o.pumps;
    case AssetKind::kTank:
      return o.tanks;
    case AssetKind::kCompressor:
      return o.compressors;
  }
  return 0;
}

std::string assetName(AssetKind kind, int index) {
  return std::string(assetKindName(kind)) + std::to_string(index + 1);
}

std::string deviceName(const PlantOptions& o, uint8_t unit) {
  return o.device_prefix + "-u" + std::to_string(unit);
}

uint16_t toInt16Raw(double v, double scale) {
  double r = std::round(v / scale);
  r = std::clamp(r, -32768.0, 32767.0);
  return static_cast<uint16_t>(static_cast<int16_t>(r));
}
uint16_t toUInt16Raw(double v) {
  return static_cast<uint16_t>(std::clamp(std::round(v), 0.0, 65535.0));
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

SignalOptions signalOptionsOf(const PlantOptions& o) {
  SignalOptions s = o.signal;
  s.seed = o.seed;
  return s;
}

}  // namespace

uint16_t kindBase(AssetKind kind) { return static_cast<uint16_t>(kind) * 1000; }

std::string_view dataTypeName(DataType type) {
  switch (type) {
    case DataType::kBool:
      return "bool";
    case DataType::kInt16:
      return "int16";
    case DataType::kUInt16:
      return "uint16";
    case DataType::kUInt32:
      return "uint32";
    case DataType::kFloat32:
      return "float32";
  }
  return "unknown";
}

uint16_t registerCount(DataType type) {
  switch (type) {
    case DataType::kBool:
      return 0;
    case DataType::kInt16:
    case DataType::kUInt16:
      return 1;
    case DataType::kUInt32:
    case DataType::kFloat32:
      return 2;
  }
  return 0;
}

core::Status PlantOptions::validate() const {
  auto bad = [](std::string m) { return core::fail(core::Errc::kInvalidConfig, std::move(m)); };
  for (AssetKind kind : kAssetKinds) {
    int n = countOf(*this, kind);
    if (n < 0 || n > kMaxAssetsPerKind) {
      return bad(std::string(assetKindName(kind)) + " count must be 0.." +
                 std::to_string(kMaxAssetsPerKind));
    }
  }
  if (units.empty()) return bad("at least one unit id is needed");
  for (size_t i = 1; i < units.size(); ++i) {
    if (units[i] <= units[i - 1]) return bad("unit ids must be sorted and unique");
  }
  if (scale_registers > kMaxLoadRegisters) {
    return bad("scale registers must be 0.." + std::to_string(kMaxLoadRegisters));
  }
  if (!(speed > 0 && speed <= 10000)) return bad("speed must be in (0, 10000]");
  if (!std::isfinite(time_offset)) return bad("time offset must be finite");
  if (frozen_time && !(std::isfinite(*frozen_time) && std::abs(*frozen_time) < 1e12)) {
    return bad("frozen time must be finite");
  }
  if (device_prefix.empty()) return bad("device prefix must not be empty");
  if (auto st = signal.validate(); !st) return st;
  return core::ok();
}

core::Result<std::vector<uint8_t>> parseUnitList(const std::string& text) {
  std::vector<bool> seen(256, false);
  auto bad = [&] {
    return core::fail(core::Errc::kInvalidConfig,
                      "bad unit id list '" + text + "' (expected e.g. 1-4,7; ids 0..255)");
  };
  auto parseId = [](std::string_view s, unsigned& out) {
    auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), out);
    return e == std::errc() && p == s.data() + s.size() && out <= 255;
  };
  std::string_view rest = text;
  if (rest.empty()) return bad();
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) return bad();
    unsigned lo = 0;
    unsigned hi = 0;
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!parseId(item, lo)) return bad();
      hi = lo;
    } else if (!parseId(item.substr(0, dash), lo) || !parseId(item.substr(dash + 1), hi) ||
               hi < lo) {
      return bad();
    }
    for (unsigned u = lo; u <= hi; ++u) seen[u] = true;
  }
  std::vector<uint8_t> units;
  for (unsigned u = 0; u < 256; ++u) {
    if (seen[u]) units.push_back(static_cast<uint8_t>(u));
  }
  return units;
}

std::string formatUnitList(const std::vector<uint8_t>& units) {
  std::string out;
  for (size_t i = 0; i < units.size();) {
    size_t j = i;
    while (j + 1 < units.size() && units[j + 1] == units[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(units[i]);
    if (j > i) out += '-' + std::to_string(units[j]);
    i = j + 1;
  }
  return out;
}

std::vector<TagSpec> gatewayTags(const PlantOptions& options, TagSet set) {
  std::vector<TagSpec> tags;
  bool all = set == TagSet::kAll;
  SignalOptions signal_options = signalOptionsOf(options);
  for (uint8_t unit : options.units) {
    std::string device = deviceName(options, unit);
    auto base = [&](std::string asset, std::string signal, Table table, uint16_t address,
                    DataType type) {
      TagSpec t;
      t.device = device;
      t.unit_id = unit;
      t.asset = std::move(asset);
      t.signal = std::move(signal);
      t.tag = t.asset + "." + t.signal;
      t.table = table;
      t.address = address;
      t.type = type;
      if (registerCount(type) == 2) t.word_order = "ABCD";
      return t;
    };
    for (AssetKind kind : kAssetKinds) {
      for (int i = 0; i < countOf(options, kind); ++i) {
        Asset asset(kind, assetName(kind, i), assetKey(options.seed, unit, kind, i),
                    signal_options);
        auto signals = asset.signals();
        uint16_t block = static_cast<uint16_t>(kindBase(kind) + kAssetStride * i);
        for (const auto& p : pointsOf(kind)) {
          if (!p.primary && !all) continue;
          TagSpec t;
          if (p.signal == kStatusWord) {
            t = base(asset.name(), "status", p.table, block + p.offset, p.type);
            t.description = "Status word: bit i = discrete input " + std::to_string(block) + "+i";
          } else if (p.signal == kRunEnable) {
            t = base(asset.name(), "run_enable", p.table, block + p.offset, p.type);
            t.writable = true;
            t.description = "Run command: 0 stops the " + std::string(assetKindName(kind)) +
                            ", 1 releases it to its schedule";
          } else {
            const SignalInfo& info = signals[p.signal];
            t = base(asset.name(), std::string(info.name), p.table, block + p.offset, p.type);
            t.unit = std::string(info.unit);
            t.limits = asset.limits(p.signal);
            t.alarm_when_true = info.alarm_when_true;
            t.description = std::string(info.description);
          }
          t.scale = p.scale;
          t.primary = p.primary;
          if (!p.primary) {
            t.signal += "_ir";
            t.tag += "_ir";
            t.description += p.type == DataType::kInt16
                                 ? " (int16 copy, x" + number(1 / p.scale) + ")"
                                 : " (input-register copy)";
          }
          tags.push_back(std::move(t));
        }
      }
    }
    auto plant = [&](std::string signal, uint16_t offset, DataType type, bool primary,
                     std::string unit_text, std::string description) {
      if (!primary && !all) return;
      TagSpec t = base("plant", std::move(signal), kHR, kPlantBlockBase + offset, type);
      t.primary = primary;
      t.unit = std::move(unit_text);
      t.description = std::move(description);
      tags.push_back(std::move(t));
    };
    plant("sim_time", 0, DataType::kUInt32, true, "s", "Simulated time, whole seconds");
    plant("heartbeat", 2, DataType::kUInt16, true, "", "Counts 100 ms ticks (wraps at 65536)");
    plant("unit_id", 3, DataType::kUInt16, false, "", "This device's unit id");
    plant("pump_count", 4, DataType::kUInt16, false, "", "Pumps on this unit");
    plant("tank_count", 5, DataType::kUInt16, false, "", "Tanks on this unit");
    plant("compressor_count", 6, DataType::kUInt16, false, "", "Compressors on this unit");
    if (all) {
      for (uint32_t i = 0; i < options.scale_registers; ++i) {
        auto address = static_cast<uint16_t>(kLoadBase + i);
        for (Table table : {kHR, kIR}) {
          std::string prefix = table == kHR ? "hr" : "ir";
          TagSpec t =
              base("load", prefix + std::to_string(address), table, address, DataType::kUInt16);
          t.primary = false;
          t.description = "Load-test counter";
          tags.push_back(std::move(t));
        }
      }
    }
  }
  return tags;
}

double decodeTag(const TagSpec& tag, std::span<const uint16_t> regs) {
  double raw = 0;
  switch (tag.type) {
    case DataType::kBool:
    case DataType::kUInt16:
      raw = regs[0];
      break;
    case DataType::kInt16:
      raw = static_cast<int16_t>(regs[0]);
      break;
    case DataType::kUInt32:
      raw = (uint32_t{regs[0]} << 16) | regs[1];
      break;
    case DataType::kFloat32:
      raw = std::bit_cast<float>(static_cast<uint32_t>((uint32_t{regs[0]} << 16) | regs[1]));
      break;
  }
  return raw * tag.scale;
}

// ---- the plant ---------------------------------------------------------------------------

struct Plant::Unit {
  uint8_t id = 0;
  std::vector<Asset> assets;  // pumps, tanks, compressors
  size_t first[3] = {0, 0, 0};
  std::vector<RunCommand> commands;  // one per asset
  std::vector<uint16_t> scratch_registers = std::vector<uint16_t>(kScratchSize, 0);
  std::vector<uint8_t> scratch_coils = std::vector<uint8_t>(kScratchSize, 0);
  int64_t tick = std::numeric_limits<int64_t>::min();
  std::vector<double> values;  // assets x kMaxSignals, at `tick`
};

core::Result<std::unique_ptr<Plant>> Plant::create(PlantOptions options, const core::Clock* clock) {
  SF_TRY(options.validate());
  return std::unique_ptr<Plant>(new Plant(std::move(options), clock));
}

Plant::Plant(PlantOptions options, const core::Clock* clock)
    : options_(std::move(options)),
      clock_(clock ? clock : &core::SystemClock::instance()),
      start_mono_ns_(clock_->monotonicNanos()),
      unit_index_(256, -1) {
  SignalOptions signal_options = signalOptionsOf(options_);
  for (uint8_t id : options_.units) {
    auto unit = std::make_unique<Unit>();
    unit->id = id;
    for (AssetKind kind : kAssetKinds) {
      unit->first[static_cast<size_t>(kind)] = unit->assets.size();
      for (int i = 0; i < countOf(options_, kind); ++i) {
        unit->assets.emplace_back(kind, assetName(kind, i), assetKey(options_.seed, id, kind, i),
                                  signal_options);
      }
    }
    unit->commands.resize(unit->assets.size());
    unit->values.resize(unit->assets.size() * kMaxSignals);
    unit_index_[id] = static_cast<int16_t>(units_.size());
    units_.push_back(std::move(unit));
  }
}

Plant::~Plant() = default;

double Plant::simTime() const {
  if (options_.frozen_time) return *options_.frozen_time;
  double elapsed = static_cast<double>(clock_->monotonicNanos() - start_mono_ns_) * 1e-9;
  return options_.time_offset + options_.speed * elapsed;
}

int64_t Plant::tickOf(double t) {
  return static_cast<int64_t>(std::floor(t * kTicksPerSecond + 1e-9));
}

Plant::Unit* Plant::findUnit(uint8_t unit) {
  int16_t i = unit_index_[unit];
  return i < 0 ? nullptr : units_[static_cast<size_t>(i)].get();
}
const Plant::Unit* Plant::findUnit(uint8_t unit) const {
  int16_t i = unit_index_[unit];
  return i < 0 ? nullptr : units_[static_cast<size_t>(i)].get();
}

bool Plant::hasUnit(uint8_t unit) const { return unit_index_[unit] >= 0; }

const std::vector<Asset>* Plant::assetsOf(uint8_t unit) const {
  const Unit* u = findUnit(unit);
  return u ? &u->assets : nullptr;
}

void Plant::refresh(Unit& unit, int64_t tick) {
  if (unit.tick == tick) return;
  double t = timeOfTick(tick);
  for (size_t i = 0; i < unit.assets.size(); ++i) {
    const Asset& a = unit.assets[i];
    a.sample(t, unit.commands[i],
             std::span<double>(unit.values.data() + i * kMaxSignals, a.signals().size()));
  }
  unit.tick = tick;
}

bool Plant::registerAt(Unit& unit, Table table, uint16_t address, int64_t tick, uint16_t& out) {
  out = 0;
  if (address < kPlantBlockBase) {
    auto kind = static_cast<AssetKind>(address / 1000);
    int index = (address % 1000) / kAssetStride;
    if (index >= countOf(options_, kind)) return false;
    size_t asset = unit.first[static_cast<size_t>(kind)] + static_cast<size_t>(index);
    Slot slot = layoutOf(kind, table)[address % kAssetStride];
    if (slot.point < 0) return true;  // reserved inside the block
    const PointDef& p = pointsOf(kind)[static_cast<size_t>(slot.point)];
    const double* values = unit.values.data() + asset * kMaxSignals;
    if (p.signal == kStatusWord) {
      auto bits = statusBitsOf(kind);
      for (size_t b = 0; b < bits.size(); ++b) {
        if (values[bits[b]] != 0) out |= static_cast<uint16_t>(1u << b);
      }
      return true;
    }
    double v = values[p.signal];
    switch (p.type) {
      case DataType::kFloat32: {
        auto bits = std::bit_cast<uint32_t>(static_cast<float>(v));
        out = static_cast<uint16_t>(slot.word == 0 ? bits >> 16 : bits & 0xFFFF);
        return true;
      }
      case DataType::kInt16:
        out = toInt16Raw(v, p.scale);
        return true;
      default:
        out = toUInt16Raw(v);
        return true;
    }
  }
  if (table == kHR && address < kPlantBlockBase + kPlantBlockSize) {
    auto seconds = static_cast<uint32_t>(std::max<int64_t>(0, tick / 10));
    switch (address - kPlantBlockBase) {
      case 0:
        out = static_cast<uint16_t>(seconds >> 16);
        break;
      case 1:
        out = static_cast<uint16_t>(seconds & 0xFFFF);
        break;
      case 2:
        out = static_cast<uint16_t>(static_cast<uint64_t>(tick) & 0xFFFF);
        break;
      case 3:
        out = unit.id;
        break;
      case 4:
        out = static_cast<uint16_t>(options_.pumps);
        break;
      case 5:
        out = static_cast<uint16_t>(options_.tanks);
        break;
      case 6:
        out = static_cast<uint16_t>(options_.compressors);
        break;
      default:
        break;
    }
    return true;
  }
  if (table == kHR && address >= kScratchBase && address < kScratchBase + kScratchSize) {
    out = unit.scratch_registers[address - kScratchBase];
    return true;
  }
  if ((table == kHR || table == kIR) && address >= kLoadBase &&
      uint32_t{address} - kLoadBase < options_.scale_registers) {
    // A counter per register that moves once per simulated second: a load-test client can
    // check that one read is consistent (all values share the same second).
    auto seconds = static_cast<uint64_t>(std::max<int64_t>(0, tick / 10));
    uint64_t offset = address - kLoadBase;
    out = static_cast<uint16_t>(table == kHR ? (offset + seconds) : (0xFFFF - offset - seconds));
    return true;
  }
  return false;
}

bool Plant::bitAt(Unit& unit, Table table, uint16_t address, uint8_t& out) {
  out = 0;
  if (address < kPlantBlockBase) {
    auto kind = static_cast<AssetKind>(address / 1000);
    int index = (address % 1000) / kAssetStride;
    if (index >= countOf(options_, kind)) return false;
    size_t asset = unit.first[static_cast<size_t>(kind)] + static_cast<size_t>(index);
    Slot slot = layoutOf(kind, table)[address % kAssetStride];
    if (slot.point < 0) return true;
    const PointDef& p = pointsOf(kind)[static_cast<size_t>(slot.point)];
    if (p.signal == kRunEnable) {
      out = unit.commands[asset].enabled ? 1 : 0;
    } else {
      out = unit.values[asset * kMaxSignals + p.signal] != 0 ? 1 : 0;
    }
    return true;
  }
  if (table == kCO && address >= kScratchBase && address < kScratchBase + kScratchSize) {
    out = unit.scratch_coils[address - kScratchBase];
    return true;
  }
  return false;
}

ModbusException Plant::readBitsAt(uint8_t unit_id, Table table, uint16_t address, uint16_t count,
                                  double t, std::vector<uint8_t>& out) {
  if (table != kCO && table != kDI) return ModbusException::kIllegalFunction;
  std::lock_guard lock(mu_);
  Unit* unit = findUnit(unit_id);
  if (!unit) return ModbusException::kGatewayTargetFailed;
  refresh(*unit, tickOf(t));
  out.clear();
  out.reserve(count);
  for (uint32_t a = address; a < uint32_t{address} + count; ++a) {
    if (a > 0xFFFF) return ModbusException::kIllegalDataAddress;
    uint8_t bit = 0;
    if (!bitAt(*unit, table, static_cast<uint16_t>(a), bit)) {
      return ModbusException::kIllegalDataAddress;
    }
    out.push_back(bit);
  }
  return ModbusException::kNone;
}

ModbusException Plant::readRegistersAt(uint8_t unit_id, Table table, uint16_t address,
                                       uint16_t count, double t, std::vector<uint16_t>& out) {
  if (table != kHR && table != kIR) return ModbusException::kIllegalFunction;
  std::lock_guard lock(mu_);
  Unit* unit = findUnit(unit_id);
  if (!unit) return ModbusException::kGatewayTargetFailed;
  int64_t tick = tickOf(t);
  refresh(*unit, tick);
  out.clear();
  out.reserve(count);
  for (uint32_t a = address; a < uint32_t{address} + count; ++a) {
    if (a > 0xFFFF) return ModbusException::kIllegalDataAddress;
    uint16_t v = 0;
    if (!registerAt(*unit, table, static_cast<uint16_t>(a), tick, v)) {
      return ModbusException::kIllegalDataAddress;
    }
    out.push_back(v);
  }
  return ModbusException::kNone;
}

ModbusException Plant::readBits(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                std::vector<uint8_t>& out) {
  return readBitsAt(unit, table, address, count, simTime(), out);
}

ModbusException Plant::readRegisters(uint8_t unit, Table table, uint16_t address, uint16_t count,
                                     std::vector<uint16_t>& out) {
  return readRegistersAt(unit, table, address, count, simTime(), out);
}

ModbusException Plant::writeCoils(uint8_t unit_id, uint16_t address,
                                  std::span<const uint8_t> values) {
  double now = simTime();
  std::lock_guard lock(mu_);
  Unit* unit = findUnit(unit_id);
  if (!unit) return ModbusException::kGatewayTargetFailed;
  // All-or-nothing: resolve every address first.
  std::vector<std::pair<uint8_t*, size_t>> targets;  // scratch bit, or asset index
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t a = address + static_cast<uint32_t>(i);
    if (a >= kScratchBase && a < kScratchBase + kScratchSize) {
      targets.emplace_back(&unit->scratch_coils[a - kScratchBase], 0);
      continue;
    }
    if (a >= kPlantBlockBase) return ModbusException::kIllegalDataAddress;
    auto kind = static_cast<AssetKind>(a / 1000);
    int index = static_cast<int>(a % 1000) / kAssetStride;
    if (index >= countOf(options_, kind)) return ModbusException::kIllegalDataAddress;
    Slot slot = layoutOf(kind, kCO)[a % kAssetStride];
    if (slot.point < 0) return ModbusException::kIllegalDataAddress;
    targets.emplace_back(nullptr,
                         unit->first[static_cast<size_t>(kind)] + static_cast<size_t>(index));
  }
  // A command takes effect at the current tick, so a read in the same tick already shows it.
  double changed_at = timeOfTick(tickOf(now));
  for (size_t i = 0; i < values.size(); ++i) {
    bool on = values[i] != 0;
    if (targets[i].first) {
      *targets[i].first = on ? 1 : 0;
      continue;
    }
    RunCommand& c = unit->commands[targets[i].second];
    if (c.enabled == on) continue;
    c.enabled_before = c.enabledAt(changed_at - 1e-6);
    c.enabled = on;
    c.changed_at = changed_at;
  }
  unit->tick = std::numeric_limits<int64_t>::min();  // recompute with the new commands
  return ModbusException::kNone;
}

ModbusException Plant::writeRegisters(uint8_t unit_id, uint16_t address,
                                      std::span<const uint16_t> values) {
  std::lock_guard lock(mu_);
  Unit* unit = findUnit(unit_id);
  if (!unit) return ModbusException::kGatewayTargetFailed;
  if (address < kScratchBase || uint32_t{address} + values.size() > kScratchBase + kScratchSize) {
    return ModbusException::kIllegalDataAddress;
  }
  std::copy(values.begin(), values.end(),
            unit->scratch_registers.begin() + (address - kScratchBase));
  return ModbusException::kNone;
}

std::vector<double> Plant::tagValues(const std::vector<TagSpec>& tags, double t) {
  std::vector<double> out;
  out.reserve(tags.size());
  std::vector<uint16_t> regs;
  std::vector<uint8_t> bits;
  for (const auto& tag : tags) {
    ModbusException ex;
    if (tag.type == DataType::kBool) {
      ex = readBitsAt(tag.unit_id, tag.table, tag.address, 1, t, bits);
      if (ex == ModbusException::kNone) regs.assign(1, bits[0]);
    } else {
      ex = readRegistersAt(tag.unit_id, tag.table, tag.address, registerCount(tag.type), t, regs);
    }
    out.push_back(ex == ModbusException::kNone ? decodeTag(tag, regs)
                                               : std::numeric_limits<double>::quiet_NaN());
  }
  return out;
}

// ---- rendering ---------------------------------------------------------------------------

namespace {

std::string limitsText(const TagSpec& t) {
  if (t.alarm_when_true) return "alarm when 1";
  std::string s;
  auto add = [&](const char* name, const std::optional<double>& v) {
    if (!v) return;
    if (!s.empty()) s += ' ';
    s += name;
    s += '=';
    s += number(*v);
  };
  add("LL", t.limits.lo_lo);
  add("L", t.limits.lo);
  add("H", t.limits.hi);
  add("HH", t.limits.hi_hi);
  return s;
}

}  // namespace

std::string renderMapTable(const std::vector<TagSpec>& tags, const std::vector<double>* values) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-8s %-4s %-34s %-16s %5s %-7s %-4s %-6s %-6s %-3s %s%s\n",
                "device", "unit", "tag", "table", "addr", "type", "ord", "scale", "eng", "rw",
                values ? "value        " : "", "alarms");
  out += line;
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& t = tags[i];
    char value[24] = "";
    if (values) std::snprintf(value, sizeof value, "%-12s ", number((*values)[i]).c_str());
    std::snprintf(line, sizeof line, "%-8s %-4u %-34s %-16s %5u %-7s %-4s %-6s %-6s %-3s %s%s\n",
                  t.device.c_str(), unsigned{t.unit_id}, t.tag.c_str(),
                  std::string(tableName(t.table)).c_str(), unsigned{t.address},
                  std::string(dataTypeName(t.type)).c_str(),
                  t.word_order.empty() ? "-" : t.word_order.c_str(), number(t.scale).c_str(),
                  t.unit.empty() ? "-" : t.unit.c_str(), t.writable ? "rw" : "r", value,
                  limitsText(t).c_str());
    out += line;
  }
  return out;
}

std::string renderMapJson(const PlantOptions& options, const std::vector<TagSpec>& tags,
                          const std::vector<double>* values, std::optional<double> at_time) {
  using nlohmann::json;
  json sim = {
      {"seed", options.seed},
      {"units", options.units},
      {"pumps", options.pumps},
      {"tanks", options.tanks},
      {"compressors", options.compressors},
      {"scale_registers", options.scale_registers},
      {"fault_period_s", options.signal.fault_period_s},
      {"fault_probability", options.signal.fault_probability},
  };
  if (at_time) sim["time"] = *at_time;
  json list = json::array();
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& t = tags[i];
    json j = {
        {"device", t.device},
        {"unit_id", t.unit_id},
        {"tag", t.tag},
        {"asset", t.asset},
        {"signal", t.signal},
        {"table", tableName(t.table)},
        {"function", readFunctionOf(t.table)},
        {"address", t.address},
        {"count", std::max<uint16_t>(1, registerCount(t.type))},
        {"type", dataTypeName(t.type)},
        {"scale", t.scale},
        {"unit", t.unit},
        {"writable", t.writable},
        {"primary", t.primary},
        {"description", t.description},
    };
    if (!t.word_order.empty()) j["word_order"] = t.word_order;
    json alarm = json::object();
    if (t.limits.lo_lo) alarm["lo_lo"] = *t.limits.lo_lo;
    if (t.limits.lo) alarm["lo"] = *t.limits.lo;
    if (t.limits.hi) alarm["hi"] = *t.limits.hi;
    if (t.limits.hi_hi) alarm["hi_hi"] = *t.limits.hi_hi;
    if (t.alarm_when_true) alarm["when"] = true;
    if (!alarm.empty()) j["alarm"] = alarm;
    if (values) j["value"] = (*values)[i];
    list.push_back(std::move(j));
  }
  return json{{"simulator", sim}, {"tags", list}}.dump(2) + "\n";
}

}  // namespace sf::sim
