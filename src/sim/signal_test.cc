#include "sim/signal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace sf::sim {
namespace {

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

Asset makeAsset(AssetKind kind, uint32_t index, uint64_t seed = 7, SignalOptions options = {}) {
  options.seed = seed;
  return Asset(kind, std::string(assetKindName(kind)) + std::to_string(index + 1),
               assetKey(seed, 1, kind, index), options);
}

// Signals whose limits a fault kind must cross (the alarm the fault exists for).
struct Expectation {
  AssetKind kind;
  size_t signal;
  bool high;  // past hi_hi (true) or lo_lo (false)
};
const std::map<FaultKind, Expectation> kFaultAlarms = {
    {FaultKind::kPumpOverloadTrip, {AssetKind::kPump, pump::kMotorCurrent, true}},
    {FaultKind::kPumpBlockedDischarge, {AssetKind::kPump, pump::kDischargePressure, true}},
    {FaultKind::kTankHighLevel, {AssetKind::kTank, tank::kLevel, true}},
    {FaultKind::kTankLeak, {AssetKind::kTank, tank::kLevel, false}},
    {FaultKind::kCompressorOverheat, {AssetKind::kCompressor, compressor::kDischargeTemp, true}},
    {FaultKind::kCompressorBearingWear, {AssetKind::kCompressor, compressor::kVibration, true}},
    {FaultKind::kCompressorUnloaderFault,
     {AssetKind::kCompressor, compressor::kDischargePressure, true}},
};

TEST(SignalModel, HashesAreStable) {
  // Golden values: the map's contents are a function of these, and gateway golden tests of the
  // simulator depend on them not changing.
  EXPECT_EQ(mix64(0), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(mix64(1), 0x910A2DEC89025CC1ULL);
  Rng a(42);
  Rng b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(1).next(), Rng(2).next());
  double sum = 0;
  double sq = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    double g = gaussianOf(mix64(i));
    sum += g;
    sq += g * g;
  }
  EXPECT_NEAR(sum / 20000, 0, 0.05);
  EXPECT_NEAR(sq / 20000, 1, 0.05);
}

TEST(SignalModel, DeterministicFromSeedAndIndependentOfEvaluationOrder) {
  for (AssetKind kind : kAssetKinds) {
    Asset a = makeAsset(kind, 0);
    Asset b = makeAsset(kind, 0);
    std::vector<std::vector<double>> forward;
    for (double t = 0; t < 2000; t += 13.7) forward.push_back(a.sample(t));
    size_t i = forward.size();
    // Backwards, with another instance: identical bits.
    std::vector<double> times;
    for (double t = 0; t < 2000; t += 13.7) times.push_back(t);
    for (auto it = times.rbegin(); it != times.rend(); ++it) {
      auto v = b.sample(*it);
      const auto& f = forward[--i];
      ASSERT_EQ(v.size(), f.size());
      for (size_t s = 0; s < v.size(); ++s) {
        EXPECT_TRUE(sameBits(v[s], f[s])) << assetKindName(kind) << " t=" << *it << " s=" << s;
      }
    }
    // Another seed, another unit or another index: another asset.
    Asset other_seed = makeAsset(kind, 0, 8);
    Asset other_index = makeAsset(kind, 1);
    int differs_seed = 0;
    int differs_index = 0;
    for (double t = 0; t < 600; t += 10) {
      differs_seed += a.sample(t) != other_seed.sample(t);
      differs_index += a.sample(t) != other_index.sample(t);
    }
    EXPECT_GT(differs_seed, 50) << assetKindName(kind);
    EXPECT_GT(differs_index, 50) << assetKindName(kind);
    EXPECT_NE(assetKey(7, 1, kind, 0), assetKey(7, 2, kind, 0));
  }
}

TEST(SignalModel, ValuesStayInPhysicalRanges) {
  for (AssetKind kind : kAssetKinds) {
    for (uint32_t index = 0; index < 4; ++index) {
      Asset a = makeAsset(kind, index, 11);
      auto signals = a.signals();
      for (double t = 0; t < 4 * 3600; t += 2.3) {
        auto v = a.sample(t);
        for (size_t s = 0; s < v.size(); ++s) {
          ASSERT_TRUE(std::isfinite(v[s])) << signals[s].name;
          ASSERT_GE(v[s], 0) << signals[s].name << " t=" << t;  // nothing here goes negative
          if (signals[s].type == SignalType::kBool) {
            ASSERT_TRUE(v[s] == 0 || v[s] == 1);
          }
          if (signals[s].type == SignalType::kCode) {
            ASSERT_LE(v[s], 7);
          }
        }
        if (kind == AssetKind::kTank) {
          ASSERT_LE(v[tank::kLevel], 100);
        }
        if (kind == AssetKind::kPump) {
          ASSERT_LT(v[pump::kFlow], 1.4 * a.params().rated_flow);
        }
        if (kind == AssetKind::kCompressor) {
          ASSERT_LT(v[compressor::kDischargePressure], 10.5);
        }
      }
    }
  }
}

// The alarm limits are suggested so that normal operation never crosses them and every fault
// episode crosses the one its kind is about.
TEST(SignalModel, LimitsAreCrossedOnlyByFaults) {
  std::set<FaultKind> crossed;
  std::set<FaultKind> seen;
  for (AssetKind kind : kAssetKinds) {
    for (uint32_t index = 0; index < 6; ++index) {
      Asset a = makeAsset(kind, index, 3);
      std::map<double, FaultKind> episodes;  // start -> kind, crossed?
      std::map<double, bool> episode_crossed;
      for (double t = 0; t < 6 * 3600; t += 0.5) {
        auto v = a.sample(t);
        auto fault = a.faultAt(t);
        for (size_t s = 0; s < v.size(); ++s) {
          AlarmLimits l = a.limits(s);
          bool past = (l.hi && v[s] > *l.hi) || (l.lo && v[s] < *l.lo);
          if (!fault) {
            ASSERT_FALSE(past) << a.name() << " " << a.signals()[s].name << "=" << v[s]
                               << " t=" << t;
          }
        }
        if (!fault) {
          ASSERT_EQ(v[a.signals().size() - 1], 0);  // fault code
          continue;
        }
        seen.insert(fault->kind);
        episodes[fault->start] = fault->kind;
        EXPECT_EQ(v[a.signals().size() - 1], static_cast<double>(fault->kind));
        const auto& exp = kFaultAlarms.at(fault->kind);
        ASSERT_EQ(exp.kind, kind);
        AlarmLimits l = a.limits(exp.signal);
        double x = v[exp.signal];
        bool past = exp.high ? x > *l.hi_hi : x < *l.lo_lo;
        if (past) {
          episode_crossed[fault->start] = true;
          crossed.insert(fault->kind);
        }
      }
      // Every episode crosses (a pump that was already stopped cannot be overloaded).
      for (auto [start, fk] : episodes) {
        if (fk == FaultKind::kPumpOverloadTrip || fk == FaultKind::kCompressorOverheat ||
            fk == FaultKind::kCompressorBearingWear || fk == FaultKind::kPumpBlockedDischarge ||
            fk == FaultKind::kCompressorUnloaderFault) {
          continue;  // machine faults need the machine running; counted over all below
        }
        EXPECT_TRUE(episode_crossed[start])
            << a.name() << " " << faultKindName(fk) << " at " << start;
      }
    }
  }
  for (const auto& [fk, exp] : kFaultAlarms) {
    EXPECT_TRUE(seen.count(fk)) << faultKindName(fk) << " never occurred";
    EXPECT_TRUE(crossed.count(fk)) << faultKindName(fk) << " never crossed its limit";
  }
}

TEST(SignalModel, FaultsOccurAtTheConfiguredRate) {
  SignalOptions o;
  o.fault_period_s = 120;
  o.fault_probability = 0.5;
  int episodes = 0;
  int windows = 0;
  for (uint32_t i = 0; i < 10; ++i) {
    Asset a = makeAsset(AssetKind::kPump, i, 5, o);
    double last_start = -1;
    for (double t = 0; t < 4 * 3600; t += 1) {
      auto f = a.faultAt(t);
      if (f && f->start != last_start) {
        ++episodes;
        last_start = f->start;
        EXPECT_GE(f->duration(), 0.15 * 120 - 1e-9);
        EXPECT_LE(f->duration(), 0.35 * 120 + 1e-9);
        EXPECT_GE(f->severity, 0.8);
        EXPECT_LT(f->severity, 1.2);
      }
    }
    windows += 4 * 3600 / 120;
  }
  double rate = static_cast<double>(episodes) / windows;
  EXPECT_NEAR(rate, 0.5, 0.08);

  o.fault_probability = 0;
  Asset none = makeAsset(AssetKind::kCompressor, 0, 5, o);
  for (double t = 0; t < 3600; t += 1) ASSERT_FALSE(none.faultAt(t));
}

TEST(SignalModel, TripsStopTheMachine) {
  // Find an overload episode on a running pump and check the trip sequence.
  for (uint32_t i = 0; i < 20; ++i) {
    Asset a = makeAsset(AssetKind::kPump, i, 9);
    for (double t = 0; t < 6 * 3600; t += 1) {
      auto f = a.faultAt(t);
      if (!f || f->kind != FaultKind::kPumpOverloadTrip) continue;
      auto before = a.sample(f->start - 0.5);
      if (before[pump::kRunning] == 0) {
        t = f->end;
        continue;
      }
      auto mid = a.sample(f->start + 0.3 * f->duration());
      EXPECT_GT(mid[pump::kMotorCurrent], *a.limits(pump::kMotorCurrent).hi_hi);
      EXPECT_EQ(mid[pump::kTripped], 0);
      auto after_trip = a.sample(f->start + 0.35 * f->duration() + 5);
      EXPECT_EQ(after_trip[pump::kTripped], 1);
      EXPECT_EQ(after_trip[pump::kRunning], 0);
      EXPECT_EQ(after_trip[pump::kFlow], 0);
      EXPECT_EQ(after_trip[pump::kMotorCurrent], 0);
      auto cleared = a.sample(f->end + 0.1);
      EXPECT_EQ(cleared[pump::kTripped], 0);
      EXPECT_EQ(cleared[pump::kFaultActive], 0);
      return;
    }
  }
  FAIL() << "no overload episode on a running pump";
}

TEST(SignalModel, NoiseDriftStepsAndStates) {
  Asset p = makeAsset(AssetKind::kPump, 0, 21);
  // Noise: consecutive 100 ms samples differ while running.
  int differ = 0;
  int running = 0;
  int stopped = 0;
  std::set<int> flow_levels;
  for (double t = 0; t < 3 * 3600; t += 0.1) {
    auto a = p.sample(t);
    auto b = p.sample(t + 0.1);
    if (a[pump::kRunning] == 1 && b[pump::kRunning] == 1)
      differ += a[pump::kFlow] != b[pump::kFlow];
    (a[pump::kRunning] == 1 ? running : stopped)++;
    if (a[pump::kRunning] == 1 && !p.faultAt(t)) {
      flow_levels.insert(static_cast<int>(a[pump::kFlow] / p.params().rated_flow * 20));
    }
  }
  EXPECT_GT(differ, running / 2);
  EXPECT_GT(running, stopped);        // mostly running...
  EXPECT_GT(stopped, 0);              // ...with planned stops
  EXPECT_GE(flow_levels.size(), 4u);  // set point steps and periodic load move the flow

  // Tank: the inlet valve opens and closes; the level rises while it is open.
  Asset tk = makeAsset(AssetKind::kTank, 0, 21);
  int rising = 0;
  int open_samples = 0;
  int closed_samples = 0;
  for (double t = 0; t < 2 * 3600; t += 10) {
    if (tk.faultAt(t) || tk.faultAt(t + 10)) continue;
    auto a = tk.sample(t);
    auto b = tk.sample(t + 10);
    if (a[tank::kInletValveOpen] == 1 && b[tank::kInletValveOpen] == 1) {
      ++open_samples;
      rising += b[tank::kLevel] > a[tank::kLevel];
    } else if (a[tank::kInletValveOpen] == 0) {
      ++closed_samples;
      EXPECT_EQ(a[tank::kInflow], 0);
    }
  }
  EXPECT_GT(open_samples, 20);
  EXPECT_GT(closed_samples, 20);
  EXPECT_GT(rising, open_samples * 9 / 10);

  // Compressor: loads and unloads.
  Asset c = makeAsset(AssetKind::kCompressor, 0, 21);
  int loaded = 0;
  int unloaded = 0;
  for (double t = 0; t < 1800; t += 1) {
    auto v = c.sample(t);
    if (v[compressor::kRunning] == 1) (v[compressor::kLoaded] == 1 ? loaded : unloaded)++;
  }
  EXPECT_GT(loaded, 100);
  EXPECT_GT(unloaded, 100);
}

TEST(SignalModel, RunCommandStopsAndRestarts) {
  Asset p = makeAsset(AssetKind::kPump, 0, 1, SignalOptions{1, 300, 0});
  // Find a time when the schedule runs the pump for a while.
  double t0 = 0;
  while (p.sample(t0)[pump::kRunning] == 0 || p.sample(t0 + 30)[pump::kRunning] == 0) t0 += 10;
  RunCommand stop{false, true, t0 + 10};
  EXPECT_EQ(p.sample(t0 + 9.9, stop)[pump::kRunning], 1);
  auto just_after = p.sample(t0 + 10, stop);
  EXPECT_EQ(just_after[pump::kRunning], 0);
  EXPECT_GT(just_after[pump::kFlow], 0);  // still coasting down
  auto later = p.sample(t0 + 15, stop);
  EXPECT_EQ(later[pump::kFlow], 0);
  EXPECT_EQ(later[pump::kMotorCurrent], 0);
  EXPECT_EQ(later[pump::kTripped], 0);
  RunCommand start{true, false, t0 + 20};
  EXPECT_EQ(p.sample(t0 + 19, start)[pump::kFlow], 0);
  EXPECT_GT(p.sample(t0 + 25, start)[pump::kFlow], 0.5 * p.params().rated_flow);
}

TEST(SignalModel, OptionsValidate) {
  EXPECT_TRUE(SignalOptions{}.validate());
  EXPECT_FALSE((SignalOptions{1, 5, 0.3}).validate());
  EXPECT_FALSE((SignalOptions{1, 300, 1.5}).validate());
  EXPECT_FALSE((SignalOptions{1, 300, -0.1}).validate());
}

TEST(SignalModel, SignalCatalogue) {
  for (AssetKind kind : kAssetKinds) {
    auto signals = signalsOf(kind);
    EXPECT_LE(signals.size(), kMaxSignals);
    std::set<std::string_view> names;
    for (const auto& s : signals) {
      EXPECT_TRUE(names.insert(s.name).second) << s.name;
      EXPECT_FALSE(s.description.empty());
      EXPECT_EQ(s.type == SignalType::kAnalog, !s.unit.empty()) << s.name;
    }
  }
  EXPECT_EQ(faultKindName(FaultKind::kTankLeak), "tank_leak");
}

}  // namespace
}  // namespace sf::sim
