// Alarm state survives a restart: from a snapshot (JSON) or by replaying the records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/pipeline_test_util.h"
#include "dataplane/pipeline/snapshot.h"
#include "model/record_codec.h"

namespace sf::pipeline {
namespace {

using namespace testing;  // NOLINT
using model::AlarmCondition;
using S = AlarmState;
using T = AlarmTransition;

PipelineConfig plantConfig() {
  auto temp = tagConfig("boiler1", "temp");
  temp.alarms = {limitRule(AlarmCondition::kHi, 50, 2), limitRule(AlarmCondition::kHiHi, 100)};
  auto pressure = tagConfig("boiler1", "pressure");
  pressure.alarms = {limitRule(AlarmCondition::kHi, 10)};
  auto temp2 = tagConfig("boiler2", "temp");
  temp2.alarms = {limitRule(AlarmCondition::kHi, 50)};
  auto state = tagConfig("pump1", "state");
  state.cls = TagClass::kEvent;
  state.states = {{"0", "stopped"}, {"1", "running"}, {"2", "fault"}};
  AlarmRuleConfig fault;
  fault.condition = AlarmCondition::kDiscrete;
  fault.values = {"fault"};
  state.alarms = {fault};
  auto flow = tagConfig("pump1", "flow");
  flow.alarms = {limitRule(AlarmCondition::kLo, 5)};
  flow.suppress_when = SuppressWhen{"pump1", "running", {"false"}};
  auto running = tagConfig("pump1", "running");
  return pipelineConfig({temp, pressure, temp2, state, flow, running});
}

// Drives `h` through a history that touches every kind of durable state.
void runHistory(Harness& h) {
  auto ok = [](core::Status s) { ASSERT_TRUE(s) << s.error().message; };
  h.feed(60);  // hi active
  h.clock.advance(1s);
  h.act([&](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.acknowledge("boiler1/temp/hi", "ana", "seen", now, out).value_or(false));
  });
  h.clock.advance(1s);
  h.feed(120);  // hihi active
  h.clock.advance(1s);
  h.feed(40);  // hi -> normal, hihi -> rtn_unacked
  h.clock.advance(1s);
  h.feed("pump1", "state", Value::ofInt64(2));  // event + discrete alarm
  h.feed("boiler2", "temp", Value::ofDouble(70));
  h.act([&](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ok(s.shelve("pump1/state/discrete", 1h, "bob", "known fault", now, out));
    ok(s.setDeviceSuppressed("boiler2", true, "carl", "maintenance", now, out));
    ok(s.setTagSuppressed("boiler1", "pressure", true, "dana", "sensor out", now, out));
  });
  h.feed("pump1", "running", Value::ofBool(false));  // flow alarms suppressed by design
  h.feed("pump1", "flow", Value::ofDouble(0));
  h.clock.advance(1s);
}

struct Durable {
  std::string id;
  AlarmState state;
  bool shelved;
  int64_t shelved_until_ns;
  uint8_t suppressed_by;
  int64_t last_change_ns;
  bool operator==(const Durable&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Durable& d) {
  return os << d.id << " " << model::alarmStateName(d.state) << " shelved=" << d.shelved << "@"
            << d.shelved_until_ns << " suppressed_by=" << int(d.suppressed_by)
            << " changed=" << d.last_change_ns;
}

std::vector<Durable> durable(const PipelineState& s) {
  std::vector<Durable> v;
  for (const auto& a : s.alarms()) {
    v.push_back({a.id, a.state, a.shelved, a.shelved_until_ns, a.suppressed_by, a.last_change_ns});
  }
  return v;
}

TEST(Persistence, TheHistoryLeavesEveryKindOfState) {
  Harness h(plantConfig());
  runHistory(h);
  EXPECT_EQ(h.alarm("boiler1/temp/hi").state, S::kNormal);
  EXPECT_EQ(h.alarm("boiler1/temp/hihi").state, S::kRtnUnacked);
  EXPECT_EQ(h.alarm("pump1/state/discrete").state, S::kActiveUnacked);
  EXPECT_TRUE(h.alarm("pump1/state/discrete").shelved);
  EXPECT_EQ(h.alarm("boiler2/temp/hi").suppressed_by, kSuppressedByDevice);
  EXPECT_EQ(h.alarm("boiler1/pressure/hi").suppressed_by, kSuppressedByTag);
  EXPECT_EQ(h.alarm("pump1/flow/lo").suppressed_by, kSuppressedByCondition);
  EXPECT_EQ(h.alarm("pump1/flow/lo").state, S::kActiveUnacked);
}

TEST(Persistence, SnapshotRoundTripsThroughJson) {
  Harness h(plantConfig());
  runHistory(h);
  StateSnapshot snap = h.state.snapshot(h.now());
  EXPECT_EQ(snap.taken_at_ns, h.now());
  EXPECT_EQ(snap.suppressions.size(), 2u);
  ASSERT_EQ(snap.events.size(), 1u);
  EXPECT_EQ(snap.events[0], (EventStateSnapshot{"pump1", "state", "fault"}));
  std::string json = snapshotToJson(snap);
  auto back = parseSnapshot(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, snap);
}

TEST(Persistence, RestoreFromSnapshotRebuildsTheState) {
  Harness before(plantConfig());
  runHistory(before);
  auto snap = parseSnapshot(snapshotToJson(before.state.snapshot(before.now())));
  ASSERT_TRUE(snap);

  Harness after(plantConfig());  // a restarted gateway
  after.setNow(before.now());
  RestoreReport rep = after.state.restore(*snap);
  EXPECT_EQ(rep.alarms_unknown, 0u);
  EXPECT_EQ(rep.events_applied, 1u);
  EXPECT_EQ(durable(after.state), durable(before.state));

  // Nothing is re-announced or flipped by the first tick: the sources agree with the state.
  EXPECT_TRUE(after.advance(0s).empty());
  // The event state survived: the same value makes no event.
  EXPECT_TRUE(after.feed("pump1", "state", Value::ofInt64(2)).empty());
  // The device suppression survived: boiler2's alarm records stay flagged.
  auto rtn = alarmsIn(after.feed("boiler2", "temp", Value::ofDouble(0)));
  ASSERT_EQ(rtn.size(), 1u);
  EXPECT_TRUE(rtn[0]->suppressed);
  // The shelving expires at its original time.
  auto expiry = alarmsIn(after.advance(1h));
  ASSERT_EQ(expiry.size(), 1u);
  EXPECT_EQ(expiry[0]->alarm_id, "pump1/state/discrete");
  EXPECT_EQ(expiry[0]->transition, T::kUnshelve);
  // The restored states go on from where they were: hi (normal) and hihi (rtn_unacked) both
  // activate.
  auto on = alarmsIn(after.feed(120));
  ASSERT_EQ(on.size(), 2u);
  EXPECT_EQ(on[1]->alarm_id, "boiler1/temp/hihi");
  EXPECT_EQ(on[1]->transition, T::kActivate);
  // Suppression by design holds until the source is seen again.
  EXPECT_EQ(after.alarm("pump1/flow/lo").suppressed_by, kSuppressedByCondition);
  auto unsup = alarmsIn(after.feed("pump1", "running", Value::ofBool(true)));
  ASSERT_EQ(unsup.size(), 1u);
  EXPECT_EQ(unsup[0]->transition, T::kUnsuppress);
}

TEST(Persistence, ReplayingTheRecordsRebuildsTheSameState) {
  Harness before(plantConfig());
  runHistory(before);
  ASSERT_GT(before.all.size(), 10u);

  Harness after(plantConfig());
  after.setNow(before.now());
  size_t applied = 0;
  for (const Record& r : before.all) {
    // As the log gives them back: through the binary codec.
    std::string bytes;
    model::encodeBinary(r, bytes);
    auto decoded = model::decodeBinary(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    applied += after.state.replay(*decoded) ? 1 : 0;
  }
  EXPECT_GT(applied, 0u);
  EXPECT_EQ(durable(after.state), durable(before.state));
  EXPECT_EQ(after.state.snapshot(after.now()), before.state.snapshot(before.now()));
  EXPECT_TRUE(after.advance(0s).empty());
  EXPECT_TRUE(after.feed("pump1", "state", Value::ofInt64(2)).empty());
  auto expiry = alarmsIn(after.advance(1h));
  ASSERT_EQ(expiry.size(), 1u);
  EXPECT_EQ(expiry[0]->transition, T::kUnshelve);
}

TEST(Persistence, ReplayFollowsUnsuppressionToo) {
  Harness before(plantConfig());
  runHistory(before);
  before.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.setDeviceSuppressed("boiler2", false, "carl", "done", now, out));
    ASSERT_TRUE(s.unshelve("pump1/state/discrete", "bob", "fixed", now, out).value_or(false));
  });
  Harness after(plantConfig());
  for (const Record& r : before.all) after.state.replay(r);
  EXPECT_EQ(durable(after.state), durable(before.state));
  EXPECT_EQ(after.state.snapshot(0).suppressions.size(), 1u);  // only the tag's is left
}

TEST(Persistence, UnknownAlarmsAreCountedAndIgnored) {
  Harness before(plantConfig());
  runHistory(before);
  auto snap = before.state.snapshot(before.now());
  auto smaller = plantConfig();
  smaller.tags.erase(smaller.tags.begin());  // boiler1/temp is gone
  Harness after(smaller);
  RestoreReport rep = after.state.restore(snap);
  EXPECT_EQ(rep.alarms_unknown, 2u);  // boiler1/temp/hi and boiler1/temp/hihi
  EXPECT_FALSE(after.state.alarm("boiler1/temp/hihi").has_value());
  Record stray = before.all.front();
  for (const Record& r : before.all) {
    if (r.alarm() && r.alarm()->alarm_id == "boiler1/temp/hi") stray = r;
  }
  EXPECT_FALSE(after.state.replay(stray));
}

TEST(Persistence, ARestoredSuppressionThatNoLongerAppliesIsLifted) {
  Harness before(plantConfig());
  runHistory(before);
  auto snap = before.state.snapshot(before.now());
  snap.suppressions.clear();  // e.g. the operator list was lost, the flags were not
  Harness after(plantConfig());
  after.state.restore(snap);
  auto out = alarmsIn(after.advance(0s));
  ASSERT_EQ(out.size(), 2u);  // boiler1/pressure/hi and boiler2/temp/hi
  for (const auto& a : out) EXPECT_EQ(a->transition, T::kUnsuppress);
}

TEST(Persistence, ParseSnapshotRejectsMalformedInput) {
  EXPECT_FALSE(parseSnapshot("not json"));
  EXPECT_FALSE(parseSnapshot(R"({"version":2,"taken_at_ns":0,"alarms":[],"events":[],
                                 "suppressions":[]})"));
  auto bad_state = parseSnapshot(
      R"({"version":1,"taken_at_ns":0,"alarms":[{"id":"a/b/hi","state":"angry","shelved":false,
          "shelved_until_ns":0,"suppressed_by":[],"last_change_ns":0}],"events":[],
          "suppressions":[]})");
  ASSERT_FALSE(bad_state);
  EXPECT_EQ(bad_state.error().code, core::Errc::kInvalidData);
  EXPECT_THAT(bad_state.error().message, ::testing::HasSubstr("/alarms/0/state"));
  EXPECT_TRUE(
      parseSnapshot(R"({"version":1,"taken_at_ns":5,"alarms":[],"events":[],"suppressions":[]})"));
}

}  // namespace
}  // namespace sf::pipeline
