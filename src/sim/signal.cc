#include "sim/signal.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sf::sim {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;
// Noise is drawn per 100 ms sample: the servers' refresh rate.
constexpr double kSampleRate = 10;

// Channels keep the random streams of one asset independent of each other.
enum Channel : uint64_t {
  kChFault = 1,
  kChFaultPhase,
  kChSchedule,
  kChSchedulePhase,
  kChSetpoint,
  kChCycle,
  kChCycleLow,
  kChCycleHigh,
  kChCycleLoad,
  kChNoiseA = 100,  // + signal index
  kChDriftA = 200,  // + signal index
};

int64_t floorIndex(double x) { return static_cast<int64_t>(std::floor(x)); }
uint64_t asKey(int64_t i) { return static_cast<uint64_t>(i); }

double smoothstep(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

// Fault overlay strength at t: 0 outside the episode, rising to 1 over [0, rise_end] of its
// duration, holding until fall_start, falling back to 0 at fall_end.
double envelope(const std::optional<FaultEpisode>& ep, FaultKind kind, double t, double rise_end,
                double fall_start, double fall_end) {
  if (!ep || ep->kind != kind) return 0;
  double x = (t - ep->start) / ep->duration();
  if (x < 0 || x >= fall_end) return 0;
  if (x < rise_end) return smoothstep(x / rise_end);
  if (x < fall_start) return 1;
  return smoothstep((fall_end - x) / (fall_end - fall_start));
}

// Mean of f over n samples spaced window/n apart, ending at t (a cheap first-order lag).
template <class F>
double lagged(F&& f, double t, double window, int n) {
  double sum = 0;
  for (int j = 0; j < n; ++j) sum += f(t - window * j / n);
  return sum / n;
}

constexpr SignalInfo kPumpSignals[] = {
    {"flow", "m3/h", SignalType::kAnalog, "Discharge flow"},
    {"discharge_pressure", "bar", SignalType::kAnalog, "Discharge pressure (gauge)"},
    {"motor_current", "A", SignalType::kAnalog, "Motor current"},
    {"winding_temp", "degC", SignalType::kAnalog, "Motor winding temperature"},
    {"running", "", SignalType::kBool, "Pump running"},
    {"tripped", "", SignalType::kBool, "Motor protection tripped", true},
    {"fault_active", "", SignalType::kBool, "A simulated fault episode is active (ground truth)"},
    {"fault_code", "", SignalType::kCode, "Active fault (0 none, see SIMULATOR.md)"},
};
constexpr SignalInfo kTankSignals[] = {
    {"level", "%", SignalType::kAnalog, "Level"},
    {"volume", "m3", SignalType::kAnalog, "Liquid volume"},
    {"inflow", "m3/h", SignalType::kAnalog, "Inlet flow"},
    {"outflow", "m3/h", SignalType::kAnalog, "Outlet flow"},
    {"temperature", "degC", SignalType::kAnalog, "Liquid temperature"},
    {"high_level_switch", "", SignalType::kBool, "High level switch (LSH, 90 %)", true},
    {"low_level_switch", "", SignalType::kBool, "Low level switch (LSL, 8 %)", true},
    {"inlet_valve_open", "", SignalType::kBool, "Inlet valve open"},
    {"fault_active", "", SignalType::kBool, "A simulated fault episode is active (ground truth)"},
    {"fault_code", "", SignalType::kCode, "Active fault (0 none, see SIMULATOR.md)"},
};
constexpr SignalInfo kCompressorSignals[] = {
    {"discharge_pressure", "bar", SignalType::kAnalog, "Discharge pressure (gauge)"},
    {"discharge_temp", "degC", SignalType::kAnalog, "Discharge air temperature"},
    {"vibration", "mm/s", SignalType::kAnalog, "Vibration velocity (RMS)"},
    {"motor_current", "A", SignalType::kAnalog, "Motor current"},
    {"running", "", SignalType::kBool, "Compressor running"},
    {"loaded", "", SignalType::kBool, "Compressor loaded (producing air)"},
    {"tripped", "", SignalType::kBool, "Compressor tripped by its protection", true},
    {"fault_active", "", SignalType::kBool, "A simulated fault episode is active (ground truth)"},
    {"fault_code", "", SignalType::kCode, "Active fault (0 none, see SIMULATOR.md)"},
};
static_assert(std::size(kPumpSignals) == pump::kCount);
static_assert(std::size(kTankSignals) == tank::kCount);
static_assert(std::size(kCompressorSignals) == compressor::kCount);
static_assert(tank::kCount <= kMaxSignals);

constexpr FaultKind kPumpFaults[] = {FaultKind::kPumpOverloadTrip,
                                     FaultKind::kPumpBlockedDischarge};
constexpr FaultKind kTankFaults[] = {FaultKind::kTankHighLevel, FaultKind::kTankLeak};
constexpr FaultKind kCompressorFaults[] = {FaultKind::kCompressorOverheat,
                                           FaultKind::kCompressorBearingWear,
                                           FaultKind::kCompressorUnloaderFault};

// Pump set points: the operator moves between these (step changes).
constexpr double kPumpSetpoints[] = {0.8, 0.9, 1.0, 1.05};
constexpr double kPumpSlot = 600;        // s, schedule slot
constexpr double kPumpStopShare = 0.12;  // planned stops per slot
constexpr double kCompressorSlot = 900;
constexpr double kCompressorStopShare = 0.06;
constexpr double kSetpointSlot = 180;

// Pump trip point in an overload episode, as a share of its duration.
constexpr double kPumpTripAt = 0.35;
constexpr double kOverheatTripAt = 0.5;
constexpr double kBearingTripAt = 0.6;

}  // namespace

double gaussianOf(uint64_t h) {
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += (static_cast<double>((h >> (16 * i)) & 0xFFFF) + 0.5) / 65536;
  return (sum - 2) * 1.7320508075688772;  // variance of the sum is 4/12
}

double valueNoise(uint64_t key, uint64_t channel, double t, double period) {
  double x = t / period;
  int64_t k = floorIndex(x);
  double a = 2 * unitInterval(hashOf(key, channel, asKey(k))) - 1;
  double b = 2 * unitInterval(hashOf(key, channel, asKey(k + 1))) - 1;
  return a + (b - a) * smoothstep(x - static_cast<double>(k));
}

std::string_view assetKindName(AssetKind kind) {
  switch (kind) {
    case AssetKind::kPump:
      return "pump";
    case AssetKind::kTank:
      return "tank";
    case AssetKind::kCompressor:
      return "compressor";
  }
  return "unknown";
}

std::string_view faultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kPumpOverloadTrip:
      return "pump_overload_trip";
    case FaultKind::kPumpBlockedDischarge:
      return "pump_blocked_discharge";
    case FaultKind::kTankHighLevel:
      return "tank_high_level";
    case FaultKind::kTankLeak:
      return "tank_leak";
    case FaultKind::kCompressorOverheat:
      return "compressor_overheat";
    case FaultKind::kCompressorBearingWear:
      return "compressor_bearing_wear";
    case FaultKind::kCompressorUnloaderFault:
      return "compressor_unloader_fault";
  }
  return "unknown";
}

std::span<const SignalInfo> signalsOf(AssetKind kind) {
  switch (kind) {
    case AssetKind::kPump:
      return kPumpSignals;
    case AssetKind::kTank:
      return kTankSignals;
    case AssetKind::kCompressor:
      return kCompressorSignals;
  }
  return {};
}

core::Status SignalOptions::validate() const {
  if (!(fault_period_s >= 10 && fault_period_s <= 86400)) {
    return core::fail(core::Errc::kInvalidConfig, "fault period must be 10..86400 s");
  }
  if (!(fault_probability >= 0 && fault_probability <= 1)) {
    return core::fail(core::Errc::kInvalidConfig, "fault probability must be 0..1");
  }
  return core::ok();
}

uint64_t assetKey(uint64_t seed, uint32_t group, AssetKind kind, uint32_t index) {
  uint64_t id = (static_cast<uint64_t>(kind) << 32) | index;
  return hashOf(mix64(seed), group, id);
}

Asset::Asset(AssetKind kind, std::string name, uint64_t key, const SignalOptions& options)
    : kind_(kind), name_(std::move(name)), key_(key), options_(options) {
  Rng rng(key);
  auto& p = params_;
  p.load_period = rng.uniform(300, 900);
  p.load_phase = rng.uniform(0, kTwoPi);
  p.ambient = rng.uniform(15, 30);
  switch (kind) {
    case AssetKind::kPump: {
      p.rated_flow = rng.uniform(60, 180);
      p.rated_pressure = rng.uniform(3.5, 8);
      double efficiency = rng.uniform(0.6, 0.78);
      double electric_w = p.rated_flow / 3600 * p.rated_pressure * 1e5 / efficiency;
      p.rated_current = electric_w / (1.7320508 * 400 * 0.86);  // 400 V, cos phi 0.86
      break;
    }
    case AssetKind::kTank:
      p.capacity = rng.uniform(10, 60);
      p.cycle_period = rng.uniform(900, 1800);
      p.fill_fraction = rng.uniform(0.35, 0.6);
      break;
    case AssetKind::kCompressor:
      p.load_pressure = rng.uniform(6.4, 7.0);
      p.unload_pressure = p.load_pressure + rng.uniform(0.5, 0.8);
      p.cycle_period = rng.uniform(60, 150);
      p.rated_current = rng.uniform(60, 220);
      p.vibration_base = rng.uniform(1.5, 2.5);
      break;
  }
  fault_phase_ = unitInterval(hashOf(key, kChFaultPhase)) * options_.fault_period_s;
}

AlarmLimits Asset::limits(size_t index) const {
  // Limits a person would type into a configuration: 0.01 bar, 0.1 A.
  auto round_to = [](double v, double step) { return std::round(v / step) / (1 / step); };
  AlarmLimits l;
  switch (kind_) {
    case AssetKind::kPump:
      if (index == pump::kDischargePressure) {
        l.hi = round_to(1.30 * params_.rated_pressure, 0.01);
        l.hi_hi = round_to(1.38 * params_.rated_pressure, 0.01);
      } else if (index == pump::kMotorCurrent) {
        l.hi = round_to(1.10 * params_.rated_current, 0.1);
        l.hi_hi = round_to(1.25 * params_.rated_current, 0.1);
      } else if (index == pump::kWindingTemp) {
        l.hi = 100;
        l.hi_hi = 115;
      }
      break;
    case AssetKind::kTank:
      if (index == tank::kLevel) {
        l.lo_lo = 5;
        l.lo = 10;
        l.hi = 85;
        l.hi_hi = 95;
      }
      break;
    case AssetKind::kCompressor:
      if (index == compressor::kDischargePressure) {
        l.hi = round_to(params_.unload_pressure + 0.5, 0.01);
        l.hi_hi = round_to(params_.unload_pressure + 1.0, 0.01);
      } else if (index == compressor::kDischargeTemp) {
        l.hi = 100;
        l.hi_hi = 110;
      } else if (index == compressor::kVibration) {
        l.hi = 7.1;    // ISO 10816-3 zone C
        l.hi_hi = 11;  // zone D
      }
      break;
  }
  return l;
}

std::optional<FaultEpisode> Asset::faultAt(double t) const {
  if (options_.fault_probability <= 0) return std::nullopt;
  double w = options_.fault_period_s;
  int64_t k = floorIndex((t + fault_phase_) / w);
  uint64_t h = hashOf(key_, kChFault, asKey(k));
  if (unitInterval(h) >= options_.fault_probability) return std::nullopt;
  double window_start = static_cast<double>(k) * w - fault_phase_;
  FaultEpisode ep;
  ep.start = window_start + w * (0.1 + 0.35 * unitInterval(mix64(h + 1)));
  ep.end = ep.start + w * (0.15 + 0.2 * unitInterval(mix64(h + 2)));
  ep.severity = 0.8 + 0.4 * unitInterval(mix64(h + 3));
  std::span<const FaultKind> kinds;
  switch (kind_) {
    case AssetKind::kPump:
      kinds = kPumpFaults;
      break;
    case AssetKind::kTank:
      kinds = kTankFaults;
      break;
    case AssetKind::kCompressor:
      kinds = kCompressorFaults;
      break;
  }
  ep.kind = kinds[static_cast<size_t>(unitInterval(mix64(h + 4)) * kinds.size())];
  if (t < ep.start || t >= ep.end) return std::nullopt;
  return ep;
}

double Asset::noise(uint64_t channel, double t) const {
  return gaussianOf(hashOf(key_, kChNoiseA + channel, asKey(floorIndex(t * kSampleRate))));
}

double Asset::drift(uint64_t channel, double t) const {
  return 0.7 * valueNoise(key_, kChDriftA + channel, t, 900) +
         0.3 * valueNoise(key_, kChDriftA + 50 + channel, t, 120);
}

// Load factor around 1: operator set point steps x periodic demand x slow drift.
double Asset::demand(double t) const {
  int64_t slot = floorIndex(t / kSetpointSlot);
  double u = unitInterval(hashOf(key_, kChSetpoint, asKey(slot)));
  double step = kPumpSetpoints[static_cast<size_t>(u * std::size(kPumpSetpoints))];
  double periodic = 1 + 0.08 * std::sin(kTwoPi * t / params_.load_period + params_.load_phase);
  return step * periodic * (1 + 0.04 * drift(99, t));
}

bool Asset::scheduledRunning(double t) const {
  bool pump = kind_ == AssetKind::kPump;
  double slot_len = pump ? kPumpSlot : kCompressorSlot;
  double phase = unitInterval(hashOf(key_, kChSchedulePhase)) * slot_len;
  int64_t slot = floorIndex((t + phase) / slot_len);
  double u = unitInterval(hashOf(key_, kChSchedule, asKey(slot)));
  return u >= (pump ? kPumpStopShare : kCompressorStopShare);
}

// ---- pump --------------------------------------------------------------------------------

struct Asset::PumpCore {
  double flow = 0;
  double pressure = 0;
  double current = 0;
  bool running = false;
  bool tripped = false;
  std::optional<FaultEpisode> fault;
};

Asset::PumpCore Asset::pumpCore(double t, const RunCommand& command) const {
  auto trippedAt = [](double tt, const std::optional<FaultEpisode>& ep) {
    return ep && ep->kind == FaultKind::kPumpOverloadTrip &&
           tt >= ep->start + kPumpTripAt * ep->duration();
  };
  auto runningAt = [&](double tt) {
    return scheduledRunning(tt) && command.enabledAt(tt) && !trippedAt(tt, faultAt(tt));
  };
  PumpCore c;
  c.fault = faultAt(t);
  c.tripped = trippedAt(t, c.fault);
  c.running = runningAt(t);
  // Soft start / coast down over 4 s.
  double speed = lagged([&](double tt) { return runningAt(tt) ? 1.0 : 0.0; }, t, 4, 8);
  const auto& p = params_;
  double q = demand(t);
  q *= 1 - 0.85 * envelope(c.fault, FaultKind::kPumpBlockedDischarge, t, 0.25, 0.85, 1);
  double shutoff = p.rated_pressure / 0.7;
  double pump_pressure = shutoff * (1 - 0.3 * q * q);
  double static_head = 0.25 * p.rated_pressure;
  c.flow = std::max(0.0, p.rated_flow * speed * (q + 0.008 * noise(pump::kFlow, t)));
  c.pressure = static_head + speed * speed * (pump_pressure - static_head) +
               p.rated_pressure * (0.01 * noise(pump::kDischargePressure, t) +
                                   0.005 * drift(pump::kDischargePressure, t));
  c.pressure = std::max(0.0, c.pressure);
  double overload =
      0.6 * c.fault.value_or(FaultEpisode{}).severity *
      envelope(c.fault, FaultKind::kPumpOverloadTrip, t, 0.2, kPumpTripAt, kPumpTripAt);
  double load = 0.3 + 0.7 * q * pump_pressure / p.rated_pressure;
  c.current = std::max(0.0, p.rated_current * speed *
                                (load * (1 + overload) + 0.01 * noise(pump::kMotorCurrent, t)));
  return c;
}

void Asset::samplePump(double t, const RunCommand& command, std::span<double> out) const {
  PumpCore c = pumpCore(t, command);
  out[pump::kFlow] = c.flow;
  out[pump::kDischargePressure] = c.pressure;
  out[pump::kMotorCurrent] = c.current;
  // Winding temperature follows the mean I^2 of the last minute.
  double heat = lagged(
      [&](double tt) {
        double i = (tt == t ? c.current : pumpCore(tt, command).current) / params_.rated_current;
        return i * i;
      },
      t, 60, 6);
  out[pump::kWindingTemp] = params_.ambient + 2 * drift(pump::kWindingTemp, t) + 55 * heat +
                            0.3 * noise(pump::kWindingTemp, t);
  out[pump::kRunning] = c.running;
  out[pump::kTripped] = c.tripped;
  out[pump::kFaultActive] = c.fault.has_value();
  out[pump::kFaultCode] = static_cast<double>(c.fault ? c.fault->kind : FaultKind::kNone);
}

// ---- tank --------------------------------------------------------------------------------

void Asset::sampleTank(double t, std::span<double> out) const {
  const auto& p = params_;
  // Level cycles between a low and a high turn point (both jittered per cycle): fill with the
  // inlet valve open, then drain. Closed form, so any t is evaluated directly.
  double cycle = p.cycle_period;
  double phase = unitInterval(hashOf(key_, kChCycle)) * cycle;
  double s = t + phase;
  int64_t k = floorIndex(s / cycle);
  double tau = s - static_cast<double>(k) * cycle;
  auto low = [&](int64_t i) { return 15 + 10 * unitInterval(hashOf(key_, kChCycleLow, asKey(i))); };
  double lo_k = low(k);
  double lo_next = low(k + 1);
  double hi_k = 68 + 12 * unitInterval(hashOf(key_, kChCycleHigh, asKey(k)));
  double fill_time = p.fill_fraction * cycle;
  double drain_time = cycle - fill_time;
  double to_m3h = p.capacity / 100 * 3600;  // %/s -> m3/h
  double outflow = (hi_k - lo_next) / drain_time * to_m3h;
  double level;
  double inflow;
  bool inlet_open = tau < fill_time;
  if (inlet_open) {
    level = lo_k + (hi_k - lo_k) * tau / fill_time;
    inflow = outflow + (hi_k - lo_k) / fill_time * to_m3h;
  } else {
    level = hi_k - (hi_k - lo_next) * (tau - fill_time) / drain_time;
    inflow = 0;
  }
  auto fault = faultAt(t);
  double sev = fault ? fault->severity : 1;
  if (double e = envelope(fault, FaultKind::kTankHighLevel, t, 0.45, 0.8, 1); e > 0) {
    double target = 96.5 + 2.5 * (sev - 0.8) / 0.4;
    level += e * (target - level);
    inlet_open = true;
    inflow = std::max(inflow, outflow + e * 0.05 * to_m3h);
  }
  if (double e = envelope(fault, FaultKind::kTankLeak, t, 0.45, 0.8, 1); e > 0) {
    double target = 2 + 2 * (sev - 0.8) / 0.4;
    level += e * (target - level);
    outflow += e * 0.05 * to_m3h;
  }
  level = std::clamp(level + 0.15 * noise(tank::kLevel, t), 0.0, 100.0);
  out[tank::kLevel] = level;
  out[tank::kVolume] = level / 100 * p.capacity;
  out[tank::kInflow] =
      inlet_open ? std::max(0.0, inflow * (1 + 0.01 * noise(tank::kInflow, t))) : 0;
  out[tank::kOutflow] = std::max(0.0, outflow * (1 + 0.01 * noise(tank::kOutflow, t)));
  out[tank::kTemperature] = p.ambient + 3 * drift(tank::kTemperature, t) +
                            2 * std::sin(kTwoPi * t / 3600 + p.load_phase) +
                            0.1 * noise(tank::kTemperature, t);
  out[tank::kHighLevelSwitch] = level >= 90;
  out[tank::kLowLevelSwitch] = level <= 8;
  out[tank::kInletValveOpen] = inlet_open;
  out[tank::kFaultActive] = fault.has_value();
  out[tank::kFaultCode] = static_cast<double>(fault ? fault->kind : FaultKind::kNone);
}

// ---- compressor --------------------------------------------------------------------------

struct Asset::CompressorCore {
  double pressure = 0;  // from the load/unload cycle, before faults and stops
  bool running = false;
  bool loaded = false;
  bool tripped = false;
  std::optional<FaultEpisode> fault;
};

Asset::CompressorCore Asset::compressorCore(double t, const RunCommand& command) const {
  const auto& p = params_;
  CompressorCore c;
  c.fault = faultAt(t);
  if (c.fault) {
    double x = (t - c.fault->start) / c.fault->duration();
    c.tripped = (c.fault->kind == FaultKind::kCompressorOverheat && x >= kOverheatTripAt) ||
                (c.fault->kind == FaultKind::kCompressorBearingWear && x >= kBearingTripAt);
  }
  c.running = scheduledRunning(t) && command.enabledAt(t) && !c.tripped;
  // Load/unload cycle: loads from cut-in to cut-out, then unloads while the plant draws air.
  double cycle = p.cycle_period;
  int64_t k = floorIndex(t / cycle);
  double tau = t - static_cast<double>(k) * cycle;
  double jitter = unitInterval(hashOf(key_, kChCycleLoad, asKey(k))) - 0.5;
  double load_share = std::clamp(
      0.25 + 0.5 * (demand(static_cast<double>(k) * cycle) - 0.7) / 0.5 + 0.1 * jitter, 0.2, 0.85);
  double span = p.unload_pressure - p.load_pressure;
  double load_time = load_share * cycle;
  if (tau < load_time) {
    c.pressure = p.load_pressure + span * tau / load_time;
    c.loaded = c.running;
  } else {
    c.pressure = p.unload_pressure - span * (tau - load_time) / (cycle - load_time);
  }
  if (envelope(c.fault, FaultKind::kCompressorUnloaderFault, t, 0.4, 0.75, 1) > 0.5) {
    c.loaded = c.running;  // stuck loaded
  }
  return c;
}

void Asset::sampleCompressor(double t, const RunCommand& command, std::span<double> out) const {
  const auto& p = params_;
  CompressorCore c = compressorCore(t, command);
  double sev = c.fault ? c.fault->severity : 1;
  auto running = [&](double tt) { return compressorCore(tt, command).running ? 1.0 : 0.0; };
  auto loaded = [&](double tt) { return compressorCore(tt, command).loaded ? 1.0 : 0.0; };
  double run_1m = lagged(running, t, 60, 8);
  double loaded_40s = lagged(loaded, t, 40, 8);
  double loaded_2s = lagged(loaded, t, 2, 4);
  double speed = lagged(running, t, 3, 6);

  double pressure = run_1m * c.pressure + (1 - run_1m) * (p.load_pressure - 1.5);
  if (double e = envelope(c.fault, FaultKind::kCompressorUnloaderFault, t, 0.4, 0.75, 1); e > 0) {
    double target = p.unload_pressure + 1.2 + 0.5 * (sev - 0.8) / 0.4;
    pressure += e * (target - pressure);
  }
  out[compressor::kDischargePressure] =
      std::max(0.0, pressure + 0.02 * noise(compressor::kDischargePressure, t));

  double temp = p.ambient + 3 * drift(compressor::kDischargeTemp, t) +
                run_1m * (45 + 15 * loaded_40s) + 0.3 * noise(compressor::kDischargeTemp, t);
  if (double e =
          envelope(c.fault, FaultKind::kCompressorOverheat, t, kOverheatTripAt, kOverheatTripAt, 1);
      e > 0) {
    double target = 112 + 8 * (sev - 0.8) / 0.4;
    temp += e * (target - temp);
  }
  out[compressor::kDischargeTemp] = temp;

  double vib = speed * (p.vibration_base + 0.5 * loaded_2s) +
               0.12 * std::abs(noise(compressor::kVibration, t)) +
               0.2 * drift(compressor::kVibration, t) * speed;
  if (double e = envelope(c.fault, FaultKind::kCompressorBearingWear, t, 0.5, kBearingTripAt,
                          kBearingTripAt + 0.05);
      e > 0) {
    double target = 12 + 3 * (sev - 0.8) / 0.4;
    vib += e * (target - vib);
  }
  out[compressor::kVibration] = std::max(0.0, vib);
  out[compressor::kMotorCurrent] =
      std::max(0.0, p.rated_current * speed *
                        (0.35 + 0.65 * loaded_2s + 0.01 * noise(compressor::kMotorCurrent, t)));
  out[compressor::kRunning] = c.running;
  out[compressor::kLoaded] = c.loaded;
  out[compressor::kTripped] = c.tripped;
  out[compressor::kFaultActive] = c.fault.has_value();
  out[compressor::kFaultCode] = static_cast<double>(c.fault ? c.fault->kind : FaultKind::kNone);
}

void Asset::sample(double t, const RunCommand& command, std::span<double> out) const {
  switch (kind_) {
    case AssetKind::kPump:
      samplePump(t, command, out);
      break;
    case AssetKind::kTank:
      sampleTank(t, out);
      break;
    case AssetKind::kCompressor:
      sampleCompressor(t, command, out);
      break;
  }
}

std::vector<double> Asset::sample(double t, const RunCommand& command) const {
  std::vector<double> out(signals().size());
  sample(t, command, out);
  return out;
}

}  // namespace sf::sim
