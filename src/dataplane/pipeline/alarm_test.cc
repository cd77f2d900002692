// The alarm engine: the ISA-18.2 state diagram, hysteresis, delays, shelving, suppression,
// rate of change, discrete alarms and bad quality.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>

#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/pipeline_test_util.h"

namespace sf::pipeline {
namespace {

using namespace testing;  // NOLINT
using model::AlarmCondition;

constexpr const char* kHiId = "boiler1/temp/hi";

PipelineConfig hiConfig(AlarmRuleConfig rule) {
  auto t = tagConfig("boiler1", "temp");
  t.unit = "degC";
  t.alarms = {std::move(rule)};
  return pipelineConfig({t});
}

// --- the ISA-18.2 state diagram, every state x every input -------------------------------------

enum class Input { kAbove, kBelow, kAck, kShelve, kUnshelve, kSuppress, kUnsuppress };

const char* inputName(Input i) {
  switch (i) {
    case Input::kAbove:
      return "above";
    case Input::kBelow:
      return "below";
    case Input::kAck:
      return "ack";
    case Input::kShelve:
      return "shelve";
    case Input::kUnshelve:
      return "unshelve";
    case Input::kSuppress:
      return "suppress";
    case Input::kUnsuppress:
      return "unsuppress";
  }
  return "?";
}

struct Row {
  AlarmState from;
  Input input;
  AlarmState to;
  std::optional<AlarmTransition> record;  // the one transition record expected, if any
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << model::alarmStateName(r.from) << " --" << inputName(r.input) << "--> "
            << model::alarmStateName(r.to);
}

class IsaDiagram : public ::testing::TestWithParam<Row> {};

// Drives a fresh hi alarm (limit 50) into `s` by process inputs and acknowledgement only.
void driveTo(Harness& h, AlarmState s) {
  auto ack = [&] {
    h.act([](PipelineState& st, int64_t now, std::vector<Record>& out) {
      ASSERT_TRUE(st.acknowledge(kHiId, "op", "", now, out).value_or(false));
    });
  };
  switch (s) {
    case AlarmState::kNormal:
      break;
    case AlarmState::kActiveUnacked:
      h.feed(60);
      break;
    case AlarmState::kActiveAcked:
      h.feed(60);
      ack();
      break;
    case AlarmState::kRtnUnacked:
      h.feed(60);
      h.feed(40);
      break;
  }
  ASSERT_EQ(h.alarm(kHiId).state, s);
}

TEST_P(IsaDiagram, Transition) {
  const Row& row = GetParam();
  Harness h(hiConfig(limitRule(AlarmCondition::kHi, 50)));
  driveTo(h, row.from);
  // Flag inputs that undo a flag start from the flagged alarm.
  if (row.input == Input::kUnshelve) {
    h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
      ASSERT_TRUE(s.shelve(kHiId, 1h, "op", "", now, out));
    });
  }
  if (row.input == Input::kUnsuppress) {
    h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
      ASSERT_TRUE(s.setTagSuppressed("boiler1", "temp", true, "op", "", now, out));
    });
  }
  h.clock.advance(1s);

  std::vector<Record> out;
  switch (row.input) {
    case Input::kAbove:
      out = h.feed(60);
      break;
    case Input::kBelow:
      out = h.feed(40);
      break;
    case Input::kAck:
      out = h.act([&](PipelineState& s, int64_t now, std::vector<Record>& o) {
        auto r = s.acknowledge(kHiId, "ana", "checked the burner", now, o);
        ASSERT_TRUE(r);
        EXPECT_EQ(*r, row.record.has_value());
      });
      break;
    case Input::kShelve:
      out = h.act([](PipelineState& s, int64_t now, std::vector<Record>& o) {
        ASSERT_TRUE(s.shelve(kHiId, 1h, "ana", "sensor under repair", now, o));
      });
      break;
    case Input::kUnshelve:
      out = h.act([](PipelineState& s, int64_t now, std::vector<Record>& o) {
        ASSERT_TRUE(s.unshelve(kHiId, "ana", "repaired", now, o).value_or(false));
      });
      break;
    case Input::kSuppress:
      out = h.act([](PipelineState& s, int64_t now, std::vector<Record>& o) {
        ASSERT_TRUE(s.setTagSuppressed("boiler1", "temp", true, "ana", "maintenance", now, o));
      });
      break;
    case Input::kUnsuppress:
      out = h.act([](PipelineState& s, int64_t now, std::vector<Record>& o) {
        ASSERT_TRUE(s.setTagSuppressed("boiler1", "temp", false, "ana", "done", now, o));
      });
      break;
  }

  auto alarms = alarmsIn(out);
  if (!row.record) {
    EXPECT_TRUE(alarms.empty()) << "unexpected "
                                << model::alarmTransitionName(alarms[0]->transition);
  } else {
    ASSERT_EQ(alarms.size(), 1u);
    const model::AlarmInfo& a = *alarms[0];
    EXPECT_EQ(a.transition, *row.record);
    EXPECT_EQ(a.state, row.to);
    EXPECT_EQ(a.alarm_id, kHiId);
    EXPECT_EQ(a.condition, AlarmCondition::kHi);
    EXPECT_EQ(a.severity, 700);
    ASSERT_TRUE(a.limit.has_value());
    EXPECT_EQ(*a.limit, 50);
    EXPECT_EQ(a.shelved, row.input == Input::kShelve);
    EXPECT_EQ(a.suppressed, row.input == Input::kSuppress);
    const bool operator_action = row.input != Input::kAbove && row.input != Input::kBelow;
    EXPECT_EQ(a.actor, operator_action ? "ana" : "");
    const Record* rec = nullptr;
    for (const auto& r : out) {
      if (r.alarm()) rec = &r;
    }
    EXPECT_EQ(rec->gateway_ts_ns, h.now());
    EXPECT_EQ(rec->device, "boiler1");
    EXPECT_EQ(rec->unit, "degC");
    EXPECT_EQ(rec->attributes.find(kAttrReason) != nullptr, operator_action);
    // The state machine of the model agrees with the engine.
    EXPECT_EQ(model::nextAlarmState(row.from, a.transition), row.to);
  }
  EXPECT_EQ(h.alarm(kHiId).state, row.to);
}

using S = AlarmState;
using T = AlarmTransition;
INSTANTIATE_TEST_SUITE_P(
    AllStatesAllInputs, IsaDiagram,
    ::testing::Values(Row{S::kNormal, Input::kAbove, S::kActiveUnacked, T::kActivate},
                      Row{S::kNormal, Input::kBelow, S::kNormal, std::nullopt},
                      Row{S::kNormal, Input::kAck, S::kNormal, std::nullopt},
                      Row{S::kNormal, Input::kShelve, S::kNormal, T::kShelve},
                      Row{S::kNormal, Input::kUnshelve, S::kNormal, T::kUnshelve},
                      Row{S::kNormal, Input::kSuppress, S::kNormal, T::kSuppress},
                      Row{S::kNormal, Input::kUnsuppress, S::kNormal, T::kUnsuppress},
                      Row{S::kActiveUnacked, Input::kAbove, S::kActiveUnacked, std::nullopt},
                      Row{S::kActiveUnacked, Input::kBelow, S::kRtnUnacked, T::kReturnToNormal},
                      Row{S::kActiveUnacked, Input::kAck, S::kActiveAcked, T::kAcknowledge},
                      Row{S::kActiveUnacked, Input::kShelve, S::kActiveUnacked, T::kShelve},
                      Row{S::kActiveUnacked, Input::kUnshelve, S::kActiveUnacked, T::kUnshelve},
                      Row{S::kActiveUnacked, Input::kSuppress, S::kActiveUnacked, T::kSuppress},
                      Row{S::kActiveUnacked, Input::kUnsuppress, S::kActiveUnacked, T::kUnsuppress},
                      Row{S::kActiveAcked, Input::kAbove, S::kActiveAcked, std::nullopt},
                      Row{S::kActiveAcked, Input::kBelow, S::kNormal, T::kReturnToNormal},
                      Row{S::kActiveAcked, Input::kAck, S::kActiveAcked, std::nullopt},
                      Row{S::kActiveAcked, Input::kShelve, S::kActiveAcked, T::kShelve},
                      Row{S::kActiveAcked, Input::kUnshelve, S::kActiveAcked, T::kUnshelve},
                      Row{S::kActiveAcked, Input::kSuppress, S::kActiveAcked, T::kSuppress},
                      Row{S::kActiveAcked, Input::kUnsuppress, S::kActiveAcked, T::kUnsuppress},
                      Row{S::kRtnUnacked, Input::kAbove, S::kActiveUnacked, T::kActivate},
                      Row{S::kRtnUnacked, Input::kBelow, S::kRtnUnacked, std::nullopt},
                      Row{S::kRtnUnacked, Input::kAck, S::kNormal, T::kAcknowledge},
                      Row{S::kRtnUnacked, Input::kShelve, S::kRtnUnacked, T::kShelve},
                      Row{S::kRtnUnacked, Input::kUnshelve, S::kRtnUnacked, T::kUnshelve},
                      Row{S::kRtnUnacked, Input::kSuppress, S::kRtnUnacked, T::kSuppress},
                      Row{S::kRtnUnacked, Input::kUnsuppress, S::kRtnUnacked, T::kUnsuppress}));

// --- limits, hysteresis, delays --------------------------------------------------------------

TEST(Alarms, HiHysteresisNeedsTheValueBelowLimitMinusDeadband) {
  Harness h(hiConfig(limitRule(AlarmCondition::kHi, 50, 5)));
  EXPECT_TRUE(alarmsIn(h.feed(50)).empty());  // at the limit: not above it
  ASSERT_EQ(alarmsIn(h.feed(50.1)).size(), 1u);
  EXPECT_TRUE(alarmsIn(h.feed(48)).empty());  // inside the deadband: stays active
  EXPECT_TRUE(alarmsIn(h.feed(45)).empty());  // at limit - deadband: still active
  EXPECT_EQ(h.alarm(kHiId).state, S::kActiveUnacked);
  auto rtn = alarmsIn(h.feed(44.9));
  ASSERT_EQ(rtn.size(), 1u);
  EXPECT_EQ(rtn[0]->transition, T::kReturnToNormal);
  EXPECT_TRUE(alarmsIn(h.feed(49)).empty());  // back inside the band: needs > 50 again
  EXPECT_EQ(alarmsIn(h.feed(51)).size(), 1u);
}

TEST(Alarms, LoAndLoLoWithHysteresis) {
  auto t = tagConfig("tank1", "level");
  t.alarms = {limitRule(AlarmCondition::kLo, 20, 2), limitRule(AlarmCondition::kLoLo, 10, 1)};
  Harness h(pipelineConfig({t}));
  auto feed = [&](double v) { return alarmsIn(h.feed("tank1", "level", Value::ofDouble(v))); };
  EXPECT_TRUE(feed(25).empty());
  auto lo = feed(15);
  ASSERT_EQ(lo.size(), 1u);
  EXPECT_EQ(lo[0]->alarm_id, "tank1/level/lo");
  auto lolo = feed(5);
  ASSERT_EQ(lolo.size(), 1u);
  EXPECT_EQ(lolo[0]->alarm_id, "tank1/level/lolo");
  EXPECT_EQ(lolo[0]->transition, T::kActivate);
  EXPECT_TRUE(feed(10.5).empty());  // lolo holds until above 11
  auto clear_lolo = feed(11.5);
  ASSERT_EQ(clear_lolo.size(), 1u);
  EXPECT_EQ(clear_lolo[0]->alarm_id, "tank1/level/lolo");
  EXPECT_TRUE(feed(21.9).empty());  // lo holds until above 22
  auto clear_lo = feed(22.5);
  ASSERT_EQ(clear_lo.size(), 1u);
  EXPECT_EQ(clear_lo[0]->alarm_id, "tank1/level/lo");
  EXPECT_EQ(clear_lo[0]->state, S::kRtnUnacked);
}

TEST(Alarms, OnDelayNeedsTheConditionToHold) {
  auto rule = limitRule(AlarmCondition::kHi, 50);
  rule.on_delay = 10s;
  Harness h(hiConfig(rule));
  EXPECT_TRUE(alarmsIn(h.feed(60)).empty());
  EXPECT_EQ(h.state.nextDeadline(), h.now() + 10'000'000'000);
  EXPECT_TRUE(alarmsIn(h.advance(5s)).empty());
  h.feed(40);  // dropped back: the delay is cancelled
  EXPECT_EQ(h.state.nextDeadline(), kNever);
  EXPECT_TRUE(alarmsIn(h.advance(10s)).empty());
  h.feed(60);
  EXPECT_TRUE(alarmsIn(h.advance(9s)).empty());
  h.feed(61);  // still above: the delay keeps running from the first reading
  auto on = alarmsIn(h.advance(1s));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0]->transition, T::kActivate);
  EXPECT_EQ(h.alarm(kHiId).value, Value::ofDouble(61));
}

TEST(Alarms, OnDelayCanRunOutAtAReading) {
  auto rule = limitRule(AlarmCondition::kHi, 50);
  rule.on_delay = 10s;
  Harness h(hiConfig(rule));
  h.feed(60);
  h.clock.advance(10s);  // no tick in between
  auto on = alarmsIn(h.feed(62));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0]->transition, T::kActivate);
}

TEST(Alarms, OffDelayNeedsTheValueToStayBack) {
  auto rule = limitRule(AlarmCondition::kHi, 50, 2);
  rule.off_delay = 30s;
  Harness h(hiConfig(rule));
  ASSERT_EQ(alarmsIn(h.feed(60)).size(), 1u);
  EXPECT_TRUE(alarmsIn(h.feed(40)).empty());
  EXPECT_TRUE(alarmsIn(h.advance(20s)).empty());
  h.feed(49);  // inside the deadband: the clear is cancelled
  EXPECT_TRUE(alarmsIn(h.advance(30s)).empty());
  EXPECT_EQ(h.alarm(kHiId).state, S::kActiveUnacked);
  h.feed(40);
  EXPECT_TRUE(alarmsIn(h.advance(29s)).empty());
  auto off = alarmsIn(h.advance(1s));
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0]->transition, T::kReturnToNormal);
  EXPECT_EQ(off[0]->state, S::kRtnUnacked);
}

TEST(Alarms, BadQualityHoldsTheAlarm) {
  auto rule = limitRule(AlarmCondition::kHi, 50);
  rule.on_delay = 10s;
  Harness h(hiConfig(rule));
  h.feed(60);
  h.clock.advance(5s);
  EXPECT_TRUE(alarmsIn(h.feed(99, Quality::bad())).empty());
  EXPECT_TRUE(alarmsIn(h.advance(10s)).empty());  // the pending delay was cancelled
  EXPECT_EQ(h.alarm(kHiId).state, S::kNormal);
  ASSERT_EQ(alarmsIn(h.advance(0s)).size(), 0u);

  Harness g(hiConfig(limitRule(AlarmCondition::kHi, 50)));
  g.feed(60);
  EXPECT_TRUE(alarmsIn(g.feed(0, Quality::bad())).empty());  // no return to normal on bad
  EXPECT_EQ(g.alarm(kHiId).state, S::kActiveUnacked);
  EXPECT_EQ(alarmsIn(g.feed(0)).size(), 1u);  // good again: evaluated
  // Uncertain readings are evaluated.
  EXPECT_EQ(alarmsIn(g.feed(70, Quality::uncertain())).size(), 1u);
}

TEST(Alarms, TheRecordCarriesTheProcessValueAtTheTransition) {
  auto t = tagConfig("boiler1", "temp");
  t.scale = 0.5;
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t}));
  auto out = h.feed("boiler1", "temp", Value::ofInt64(120));  // 60 after scaling
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].recordClass(), model::RecordClass::kTelemetry);  // the reading comes first
  EXPECT_EQ(out[1].value, Value::ofDouble(60));
  EXPECT_EQ(out[1].source_ts_ns, h.now());
}

TEST(Alarms, AcknowledgeNeedsWhoAndAKnownAlarm) {
  Harness h(hiConfig(limitRule(AlarmCondition::kHi, 50)));
  h.feed(60);
  std::vector<Record> out;
  auto no_who = h.state.acknowledge(kHiId, "", "why", h.now(), out);
  ASSERT_FALSE(no_who);
  EXPECT_EQ(no_who.error().code, core::Errc::kInvalidData);
  auto unknown = h.state.acknowledge("boiler1/temp/lolo", "ana", "", h.now(), out);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, core::Errc::kNotFound);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(h.state.acknowledge(kHiId, "ana", "seen it", h.now(), out).value_or(false));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alarm()->actor, "ana");
  EXPECT_EQ(*out[0].attributes.find(kAttrReason), "seen it");
  EXPECT_FALSE(h.state.acknowledge(kHiId, "bob", "", h.now(), out).value_or(true));
  EXPECT_EQ(out.size(), 1u);  // the second acknowledgement is no transition
}

// --- shelving ------------------------------------------------------------------------------------

TEST(Alarms, ShelvingExpires) {
  Harness h(hiConfig(limitRule(AlarmCondition::kHi, 50)));
  auto shelve = h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.shelve(kHiId, 10min, "ana", "sensor swap", now, out));
  });
  ASSERT_EQ(shelve.size(), 1u);
  const int64_t until = h.now() + 600'000'000'000;
  EXPECT_EQ(*shelve[0].attributes.find(kAttrShelvedUntil), std::to_string(until));
  EXPECT_EQ(h.state.nextDeadline(), until);
  // A shelved alarm still tracks the process; its records are flagged.
  auto on = alarmsIn(h.feed(60));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_TRUE(on[0]->shelved);
  EXPECT_EQ(on[0]->state, S::kActiveUnacked);
  EXPECT_TRUE(alarmsIn(h.advance(9min)).empty());
  auto expiry = alarmsIn(h.advance(1min));
  ASSERT_EQ(expiry.size(), 1u);
  EXPECT_EQ(expiry[0]->transition, T::kUnshelve);
  EXPECT_FALSE(expiry[0]->shelved);
  EXPECT_EQ(expiry[0]->actor, "");
  EXPECT_EQ(expiry[0]->state, S::kActiveUnacked);  // the console sees it active on unshelve
  EXPECT_FALSE(h.alarm(kHiId).shelved);
}

TEST(Alarms, ShelveDurationIsBounded) {
  auto c = hiConfig(limitRule(AlarmCondition::kHi, 50));
  c.max_shelve = 1h;
  Harness h(c);
  std::vector<Record> out;
  EXPECT_EQ(h.state.shelve(kHiId, 2h, "ana", "", h.now(), out).error().code,
            core::Errc::kInvalidData);
  EXPECT_EQ(h.state.shelve(kHiId, 0s, "ana", "", h.now(), out).error().code,
            core::Errc::kInvalidData);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(h.state.shelve(kHiId, 1h, "ana", "", h.now(), out));
  // Shelving again sets a new expiry and is recorded again.
  h.clock.advance(30min);
  EXPECT_TRUE(h.state.shelve(kHiId, 1h, "ana", "longer", h.now(), out));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(h.alarm(kHiId).shelved_until_ns, h.now() + 3'600'000'000'000);
  EXPECT_TRUE(h.state.unshelve(kHiId, "ana", "", h.now(), out).value_or(false));
  EXPECT_FALSE(h.state.unshelve(kHiId, "ana", "", h.now(), out).value_or(true));
  EXPECT_EQ(out.size(), 3u);
}

// --- suppression ---------------------------------------------------------------------------------

TEST(Alarms, DeviceSuppressionFlagsButTracks) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  auto p = tagConfig("boiler1", "pressure");
  p.alarms = {limitRule(AlarmCondition::kHi, 10)};
  auto other = tagConfig("boiler2", "temp");
  other.alarms = {limitRule(AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t, p, other}));
  auto sup = h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.setDeviceSuppressed("boiler1", true, "ana", "maintenance", now, out));
  });
  ASSERT_EQ(sup.size(), 2u);  // both alarms of boiler1, none of boiler2
  for (const auto& r : sup) {
    EXPECT_EQ(r.alarm()->transition, T::kSuppress);
    EXPECT_TRUE(r.alarm()->suppressed);
    EXPECT_EQ(*r.attributes.find(kAttrSuppressedBy), "device");
    EXPECT_EQ(r.alarm()->actor, "ana");
  }
  auto on = alarmsIn(h.feed(60));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_TRUE(on[0]->suppressed);
  EXPECT_EQ(on[0]->state, S::kActiveUnacked);
  auto other_on = alarmsIn(h.feed("boiler2", "temp", Value::ofDouble(60)));
  ASSERT_EQ(other_on.size(), 1u);
  EXPECT_FALSE(other_on[0]->suppressed);
  auto unsup = h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.setDeviceSuppressed("boiler1", false, "ana", "done", now, out));
  });
  ASSERT_EQ(unsup.size(), 2u);
  EXPECT_EQ(unsup[0].alarm()->transition, T::kUnsuppress);
  EXPECT_EQ(h.alarm(kHiId).state, S::kActiveUnacked);
  EXPECT_FALSE(h.alarm(kHiId).suppressed());
}

TEST(Alarms, SuppressedByDesignWhileAnotherTagSaysSo) {
  auto flow = tagConfig("pump1", "flow");
  flow.alarms = {limitRule(AlarmCondition::kLo, 5)};
  flow.suppress_when = SuppressWhen{"pump1", "running", {"stopped"}};
  auto running = tagConfig("pump1", "running");
  running.cls = TagClass::kEvent;
  running.states = {{"false", "stopped"}, {"true", "running"}};
  Harness h(pipelineConfig({flow, running}));
  auto stop = h.feed("pump1", "running", Value::ofBool(false));
  auto sup = alarmsIn(stop);
  ASSERT_EQ(sup.size(), 1u);
  EXPECT_EQ(sup[0]->transition, T::kSuppress);
  EXPECT_EQ(*stop[1].attributes.find(kAttrSuppressedBy), "condition");
  auto low = alarmsIn(h.feed("pump1", "flow", Value::ofDouble(0)));
  ASSERT_EQ(low.size(), 1u);
  EXPECT_TRUE(low[0]->suppressed);
  auto start = alarmsIn(h.feed("pump1", "running", Value::ofBool(true)));
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0]->transition, T::kUnsuppress);
  EXPECT_EQ(start[0]->state, S::kActiveUnacked);
  // Bad quality of the source holds the suppression where it is.
  EXPECT_TRUE(alarmsIn(h.feed("pump1", "running", Value::ofBool(false), Quality::bad())).empty());
}

TEST(Alarms, OutOfServiceByConfig) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  t.suppressed = true;
  Harness h(pipelineConfig({t}));
  auto on = alarmsIn(h.feed(60));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_TRUE(on[0]->suppressed);
  EXPECT_EQ(h.alarm(kHiId).suppressed_by, kSuppressedByConfig);
}

// --- discrete and rate of change ------------------------------------------------------------

TEST(Alarms, DiscreteAlarmOnValueOrStateName) {
  auto t = tagConfig("pump1", "state");
  t.cls = TagClass::kEvent;
  t.states = {{"0", "stopped"}, {"1", "running"}, {"2", "fault"}};
  AlarmRuleConfig fault;
  fault.condition = AlarmCondition::kDiscrete;
  fault.values = {"fault", "9"};
  fault.severity = 900;
  t.alarms = {fault};
  Harness h(pipelineConfig({t}));
  auto feed = [&](int64_t v) { return h.feed("pump1", "state", Value::ofInt64(v)); };
  EXPECT_TRUE(alarmsIn(feed(1)).empty());
  auto out = feed(2);
  ASSERT_EQ(out.size(), 2u);  // the event, then the alarm
  EXPECT_NE(out[0].event(), nullptr);
  ASSERT_NE(out[1].alarm(), nullptr);
  EXPECT_EQ(out[1].alarm()->alarm_id, "pump1/state/discrete");
  EXPECT_EQ(out[1].alarm()->severity, 900);
  EXPECT_FALSE(out[1].alarm()->limit.has_value());
  auto rtn = alarmsIn(feed(0));
  ASSERT_EQ(rtn.size(), 1u);
  EXPECT_EQ(rtn[0]->transition, T::kReturnToNormal);
  EXPECT_EQ(alarmsIn(feed(9)).size(), 1u);  // the raw text matches too
}

TEST(Alarms, RateOfChangeOverAWindow) {
  auto t = tagConfig("boiler1", "temp");
  AlarmRuleConfig roc;
  roc.condition = AlarmCondition::kRateOfChange;
  roc.limit = 2;  // degrees per second
  roc.deadband = 0.5;
  roc.window = 10s;
  t.alarms = {roc};
  Harness h(pipelineConfig({t}));
  const char* id = "boiler1/temp/rate_of_change";
  // 1 degree per second, sampled every second: below the limit.
  for (int i = 0; i <= 12; ++i) {
    EXPECT_TRUE(alarmsIn(h.feed(100 + i)).empty()) << i;
    h.clock.advance(1s);
  }
  // A jump of 30 degrees within the window: 30 / 10 s + ... > 2/s.
  auto on = alarmsIn(h.feed(112 + 30));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0]->alarm_id, id);
  EXPECT_EQ(on[0]->transition, T::kActivate);
  EXPECT_EQ(*on[0]->limit, 2);
  // Flat afterwards: the rate over the window falls and the alarm returns once it is below
  // limit - deadband.
  std::optional<int> cleared_at;
  for (int i = 1; i <= 12 && !cleared_at; ++i) {
    h.clock.advance(1s);
    if (!alarmsIn(h.feed(142)).empty()) cleared_at = i;
  }
  ASSERT_TRUE(cleared_at.has_value());
  // (142 - v0) / 10 s < 1.5 needs the jump out of the window: 10 s after it.
  EXPECT_EQ(*cleared_at, 10);
  EXPECT_EQ(h.alarm(id).state, S::kRtnUnacked);
}

TEST(Alarms, RateOfChangeDirection) {
  auto t = tagConfig("boiler1", "temp");
  AlarmRuleConfig roc;
  roc.condition = AlarmCondition::kRateOfChange;
  roc.limit = 1;
  roc.window = 1s;
  roc.direction = RateDirection::kRising;
  t.alarms = {roc};
  Harness h(pipelineConfig({t}));
  h.feed(100);
  h.clock.advance(1s);
  EXPECT_TRUE(alarmsIn(h.feed(50)).empty());  // falling fast: not watched
  h.clock.advance(1s);
  EXPECT_EQ(alarmsIn(h.feed(60)).size(), 1u);  // rising 10/s
}

TEST(Alarms, IdsAreDeviceTagCondition) {
  auto t = tagConfig("boiler1", "zone/1/temp");
  auto a = limitRule(AlarmCondition::kHi, 50);
  auto b = limitRule(AlarmCondition::kHi, 60);
  b.name = "hi_trip";
  t.alarms = {a, b};
  Harness h(pipelineConfig({t}));
  auto on = alarmsIn(h.feed("boiler1", "zone/1/temp", Value::ofDouble(70)));
  ASSERT_EQ(on.size(), 2u);
  EXPECT_EQ(on[0]->alarm_id, "boiler1/zone/1/temp/hi");
  EXPECT_EQ(on[1]->alarm_id, "boiler1/zone/1/temp/hi_trip");
}

TEST(Alarms, RefreshReannouncesAbnormalAlarms) {
  Harness h(hiConfig(limitRule(AlarmCondition::kHi, 50)));
  std::vector<Record> out;
  h.state.refresh(h.now(), out);
  EXPECT_TRUE(out.empty());
  h.feed(60);
  h.state.refresh(h.now(), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alarm()->transition, T::kRefresh);
  EXPECT_EQ(out[0].alarm()->state, S::kActiveUnacked);
  h.state.refresh(h.now(), out, /*all=*/true);
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace sf::pipeline
