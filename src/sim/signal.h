#pragma once
// The plant's signal model, independent of any protocol: pumps, tanks and compressors whose
// signals (flow, pressure, level, temperature, vibration, run states, trips) are pure functions
// of (seed, asset key, simulated time t in seconds). Nothing is integrated step by step, so a
// value can be evaluated at any t in any order, from any thread, and is identical for the same
// seed on every run: tests use a fixed t, the servers evaluate at "now".
//
// Ingredients of every analog signal: white noise (per 100 ms sample), slow drift (smooth value
// noise), a periodic load (sinusoid with a per-asset period), step changes (setpoint slots) and,
// in scheduled fault episodes, an overlay that pushes the signal past its suggested alarm limits
// (pump overload trip, blocked discharge, tank overfill or leak, compressor overheat, bearing
// wear, unloader failure). Discrete run states follow a per-asset duty schedule and trips.
//
// Thread-safety: all types here are immutable after construction; evaluating is thread-safe.
// Modbus, OPC UA, MQTT simulators reuse this model and only map it onto their address spaces.

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sf::sim {

// ---- deterministic randomness ------------------------------------------------------------

// splitmix64's finaliser: a strong 64-bit mix, the basis of every random draw here.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
// Hash of a key and a sequence of integers (order matters).
constexpr uint64_t hashOf(uint64_t key, uint64_t a) { return mix64(key ^ mix64(a)); }
constexpr uint64_t hashOf(uint64_t key, uint64_t a, uint64_t b) {
  return hashOf(hashOf(key, a), b);
}
// Uniform in [0, 1) from the top 53 bits of a hash.
constexpr double unitInterval(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// A seeded sequence (splitmix64): per-asset parameters are drawn from one of these.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_++ * 0x9E3779B97F4A7C15ULL); }
  double uniform() { return unitInterval(next()); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

 private:
  uint64_t state_;
};

// Approximately standard normal (Irwin-Hall of four uniforms), a pure function of a hash.
double gaussianOf(uint64_t h);

// ---- assets and their signals ------------------------------------------------------------

enum class AssetKind : uint8_t { kPump = 0, kTank = 1, kCompressor = 2 };
inline constexpr AssetKind kAssetKinds[] = {AssetKind::kPump, AssetKind::kTank,
                                            AssetKind::kCompressor};
std::string_view assetKindName(AssetKind kind);  // "pump", "tank", "compressor"

// The fault code a device reports. Numbers are part of the register map: append only.
enum class FaultKind : uint16_t {
  kNone = 0,
  kPumpOverloadTrip = 1,         // motor current past hi-hi, then the pump trips
  kPumpBlockedDischarge = 2,     // valve closed downstream: pressure past hi-hi, flow collapses
  kTankHighLevel = 3,            // inlet valve stuck open: level past hi-hi, high switch on
  kTankLeak = 4,                 // outlet stuck open / leak: level past lo-lo, low switch on
  kCompressorOverheat = 5,       // fouled cooler: discharge temperature past hi-hi, then trip
  kCompressorBearingWear = 6,    // vibration past hi-hi (ISO 10816 zone D), then trip
  kCompressorUnloaderFault = 7,  // unloader stuck: discharge pressure past hi-hi
};
std::string_view faultKindName(FaultKind kind);  // "pump_overload_trip", ...

enum class SignalType : uint8_t {
  kAnalog,  // engineering value (double)
  kBool,    // 0 or 1
  kCode,    // small unsigned enumeration (a FaultKind)
};

struct SignalInfo {
  std::string_view name;  // "flow"
  std::string_view unit;  // "m3/h"; empty for bool and code
  SignalType type = SignalType::kAnalog;
  std::string_view description;
  bool alarm_when_true = false;  // a bool whose true state is an alarm (trips, switches)
};

// Suggested alarm limits for one signal of one asset (absent: no such limit).
struct AlarmLimits {
  std::optional<double> lo_lo;
  std::optional<double> lo;
  std::optional<double> hi;
  std::optional<double> hi_hi;
  bool any() const { return lo_lo || lo || hi || hi_hi; }
};

// Signal indices, the order of signalsOf(kind) and of sampled values.
namespace pump {
enum : uint8_t {
  kFlow,
  kDischargePressure,
  kMotorCurrent,
  kWindingTemp,
  kRunning,
  kTripped,
  kFaultActive,
  kFaultCode,
  kCount
};
}
namespace tank {
enum : uint8_t {
  kLevel,
  kVolume,
  kInflow,
  kOutflow,
  kTemperature,
  kHighLevelSwitch,
  kLowLevelSwitch,
  kInletValveOpen,
  kFaultActive,
  kFaultCode,
  kCount
};
}
namespace compressor {
enum : uint8_t {
  kDischargePressure,
  kDischargeTemp,
  kVibration,
  kMotorCurrent,
  kRunning,
  kLoaded,
  kTripped,
  kFaultActive,
  kFaultCode,
  kCount
};
}
inline constexpr size_t kMaxSignals = 10;

std::span<const SignalInfo> signalsOf(AssetKind kind);

// ---- options, commands, faults -----------------------------------------------------------

struct SignalOptions {
  uint64_t seed = 1;
  // Time is cut into windows of this length (per-asset phase); each window holds at most one
  // fault episode, with this probability. 0 disables faults.
  double fault_period_s = 300;
  double fault_probability = 0.3;

  core::Status validate() const;
};

// An operator command that overrides the schedule (a Modbus "run enable" coil, for instance).
// enabled(t') is `enabled` from `changed_at` on and `enabled_before` earlier, so the model's
// soft start/stop still works when a command lands.
struct RunCommand {
  bool enabled = true;
  bool enabled_before = true;
  double changed_at = -std::numeric_limits<double>::infinity();
  bool enabledAt(double t) const { return t >= changed_at ? enabled : enabled_before; }
};

// One scheduled fault: [start, end) in simulated seconds, severity in [0.8, 1.2).
struct FaultEpisode {
  FaultKind kind = FaultKind::kNone;
  double start = 0;
  double end = 0;
  double severity = 1;
  double duration() const { return end - start; }
};

// Key of one asset: the same (seed, unit, kind, index) always gives the same asset.
uint64_t assetKey(uint64_t seed, uint32_t group, AssetKind kind, uint32_t index);

// ---- the asset ---------------------------------------------------------------------------

// Per-asset parameters drawn from the key (ratings, periods, set points). Public so a protocol
// mapping can document them and tests can check ranges against them.
struct AssetParams {
  // pump
  double rated_flow = 0;      // m3/h at the rated point
  double rated_pressure = 0;  // bar at the rated point
  double rated_current = 0;   // A at the rated point
  // tank
  double capacity = 0;       // m3
  double cycle_period = 0;   // s, one fill + drain cycle
  double fill_fraction = 0;  // share of the cycle spent filling
  // compressor
  double load_pressure = 0;    // bar: cut-in (loads below)
  double unload_pressure = 0;  // bar: cut-out (unloads above)
  double vibration_base = 0;   // mm/s running unloaded
  // common
  double load_period = 0;  // s, the periodic load (demand) cycle
  double load_phase = 0;   // rad
  double ambient = 0;      // degC, mean ambient temperature
};

// One simulated asset. A small value type; evaluating it is const and thread-safe.
class Asset {
 public:
  Asset(AssetKind kind, std::string name, uint64_t key, const SignalOptions& options);

  AssetKind kind() const { return kind_; }
  const std::string& name() const { return name_; }  // "pump1"
  uint64_t key() const { return key_; }
  const AssetParams& params() const { return params_; }
  std::span<const SignalInfo> signals() const { return signalsOf(kind_); }

  // Suggested alarm limits for signal `index` of this asset (depends on its ratings).
  AlarmLimits limits(size_t index) const;

  // Values of signals() at simulated time t (seconds); `out` must hold signals().size().
  void sample(double t, const RunCommand& command, std::span<double> out) const;
  std::vector<double> sample(double t, const RunCommand& command = {}) const;

  // The fault episode covering t, if any.
  std::optional<FaultEpisode> faultAt(double t) const;

 private:
  struct PumpCore;
  struct CompressorCore;
  PumpCore pumpCore(double t, const RunCommand& command) const;
  CompressorCore compressorCore(double t, const RunCommand& command) const;
  void samplePump(double t, const RunCommand& command, std::span<double> out) const;
  void sampleTank(double t, std::span<double> out) const;
  void sampleCompressor(double t, const RunCommand& command, std::span<double> out) const;
  bool scheduledRunning(double t) const;
  double noise(uint64_t channel, double t) const;
  double drift(uint64_t channel, double t) const;
  double demand(double t) const;

  AssetKind kind_;
  std::string name_;
  uint64_t key_;
  SignalOptions options_;
  AssetParams params_;
  double fault_phase_ = 0;
};

// Smooth value noise in [-1, 1]: knots every `period` seconds, smoothstep in between.
double valueNoise(uint64_t key, uint64_t channel, double t, double period);

}  // namespace sf::sim
