// Reconfiguration: swapping the compiled pipeline keeps the state of unchanged tags and carries
// over what still means the same for changed ones.
#include <gtest/gtest.h>

#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/pipeline_test_util.h"

namespace sf::pipeline {
namespace {

using namespace testing;  // NOLINT
using model::AlarmCondition;
using S = AlarmState;
using T = AlarmTransition;

TagPipelineConfig tempTag() {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 1;
  auto hi = limitRule(AlarmCondition::kHi, 50);
  hi.on_delay = 10s;
  t.alarms = {hi};
  return t;
}

TagPipelineConfig levelTag() {
  auto t = tagConfig("tank1", "level");
  t.alarms = {limitRule(AlarmCondition::kLo, 10)};
  return t;
}

std::vector<Record> swapTo(Harness& h, PipelineConfig c, SwapReport* rep = nullptr) {
  std::vector<Record> out;
  SwapReport r = h.state.swap(compileOrDie(std::move(c)), h.now(), out);
  if (rep) *rep = r;
  h.all.insert(h.all.end(), out.begin(), out.end());
  return out;
}

TEST(Swap, UnchangedTagsKeepTheirState) {
  Harness h(pipelineConfig({tempTag(), levelTag()}));
  h.feed(60);                                    // reported; hi on-delay pending
  h.feed("tank1", "level", Value::ofDouble(5));  // lo active
  h.clock.advance(5s);

  auto level = levelTag();
  level.alarms[0].severity = 100;  // tank1/level changes, boiler1/temp does not
  auto added = tagConfig("tank2", "level");
  SwapReport rep;
  auto out = swapTo(h, pipelineConfig({tempTag(), level, added}), &rep);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(rep.kept, 1u);
  EXPECT_EQ(rep.changed, 1u);
  EXPECT_EQ(rep.added, 1u);
  EXPECT_EQ(rep.removed, 0u);

  EXPECT_TRUE(h.feed(60.5).empty());  // the deadband still remembers 60
  auto on = alarmsIn(h.advance(5s));  // the on-delay kept running through the swap
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0]->alarm_id, "boiler1/temp/hi");
  // The changed tag carried its alarm state over, with the new severity.
  EXPECT_EQ(h.alarm("tank1/level/lo").state, S::kActiveUnacked);
  auto rtn = alarmsIn(h.feed("tank1", "level", Value::ofDouble(50)));
  ASSERT_EQ(rtn.size(), 1u);
  EXPECT_EQ(rtn[0]->transition, T::kReturnToNormal);
  EXPECT_EQ(rtn[0]->severity, 100);
  EXPECT_EQ(h.feed("tank2", "level", Value::ofDouble(1)).size(), 1u);
}

TEST(Swap, AnUnchangedRuleOfAChangedTagKeepsItsPendingDelay) {
  Harness h(pipelineConfig({tempTag()}));
  h.feed(60);  // hi on-delay (10 s) pending
  h.clock.advance(5s);
  auto changed = tempTag();
  changed.deadband = 3;  // the tag changes, its alarm rule does not
  changed.unit = "degC";
  SwapReport rep;
  EXPECT_TRUE(swapTo(h, pipelineConfig({changed}), &rep).empty());
  EXPECT_EQ(rep.changed, 1u);
  auto on = alarmsIn(h.advance(5s));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0]->transition, T::kActivate);
}

TEST(Swap, ANewTransformStartsReportingAfresh) {
  Harness h(pipelineConfig({tempTag()}));
  h.feed(20);
  EXPECT_TRUE(h.feed(20.5).empty());
  auto scaled = tempTag();
  scaled.scale = 1.8;
  scaled.offset = 32;  // now in degF: the last reported value means something else
  swapTo(h, pipelineConfig({scaled}));
  auto out = h.feed(20);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].value.asDouble().has_value());
  EXPECT_DOUBLE_EQ(*out[0].value.asDouble(), 68);
}

TEST(Swap, ANewDeadbandKeepsTheLastReportedValue) {
  Harness h(pipelineConfig({tempTag()}));
  h.feed(20);
  auto wider = tempTag();
  wider.deadband = 5;
  swapTo(h, pipelineConfig({wider}));
  EXPECT_TRUE(h.feed(23).empty());
  EXPECT_EQ(h.feed(25.5).size(), 1u);
}

TEST(Swap, AChangedLimitAppliesToTheCurrentValueAtOnce) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t}));
  h.feed(60);
  ASSERT_EQ(h.alarm("boiler1/temp/hi").state, S::kActiveUnacked);
  t.alarms[0].limit = 70;
  auto out = alarmsIn(swapTo(h, pipelineConfig({t})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->transition, T::kReturnToNormal);
  EXPECT_EQ(out[0]->state, S::kRtnUnacked);  // carried over: still needs an acknowledgement
  EXPECT_EQ(*out[0]->limit, 70);
  t.alarms[0].limit = 55;
  out = alarmsIn(swapTo(h, pipelineConfig({t})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->transition, T::kActivate);
}

TEST(Swap, ANewRuleIsEvaluatedOnTheCurrentValue) {
  auto t = tagConfig("boiler1", "temp");
  Harness h(pipelineConfig({t}));
  h.feed(60);
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  auto out = alarmsIn(swapTo(h, pipelineConfig({t})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->transition, T::kActivate);
}

TEST(Swap, RemovedAlarmsThatAreNotNormalGetALastRecord) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50), limitRule(AlarmCondition::kHiHi, 100)};
  auto other = levelTag();
  Harness h(pipelineConfig({t, other}));
  h.feed(60);  // hi active, hihi normal
  h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.shelve("tank1/level/lo", 1h, "ana", "", now, out));
  });
  t.alarms.pop_back();  // hihi (normal) goes: no record
  t.alarms.pop_back();  // hi (active) goes: a record
  SwapReport rep;
  auto out = swapTo(h, pipelineConfig({t}), &rep);  // tank1/level (shelved) goes: a record
  EXPECT_EQ(rep.removed, 1u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].alarm()->alarm_id, "boiler1/temp/hi");
  EXPECT_EQ(out[0].alarm()->state, S::kActiveUnacked);
  EXPECT_EQ(out[0].alarm()->transition, T::kSuppress);
  EXPECT_TRUE(out[0].alarm()->suppressed);
  EXPECT_EQ(*out[0].attributes.find(kAttrRemoved), "true");
  EXPECT_EQ(out[1].alarm()->alarm_id, "tank1/level/lo");
  EXPECT_FALSE(h.state.alarm("boiler1/temp/hi").has_value());
  EXPECT_EQ(h.state.nextDeadline(), kNever);  // the shelving went with it
}

TEST(Swap, ShelvingAndOperatorSuppressionSurviveAChange) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t}));
  h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.shelve("boiler1/temp/hi", 10min, "ana", "", now, out));
    ASSERT_TRUE(s.setTagSuppressed("boiler1", "temp", true, "ana", "", now, out));
  });
  t.alarms[0].message = "new text";
  EXPECT_TRUE(swapTo(h, pipelineConfig({t})).empty());
  EXPECT_TRUE(h.alarm("boiler1/temp/hi").shelved);
  EXPECT_EQ(h.alarm("boiler1/temp/hi").suppressed_by, kSuppressedByTag);
  auto expiry = alarmsIn(h.advance(10min));
  ASSERT_EQ(expiry.size(), 1u);
  EXPECT_EQ(expiry[0]->transition, T::kUnshelve);
  EXPECT_EQ(expiry[0]->message, "new text");
}

TEST(Swap, TakingATagOutOfServiceIsRecorded) {
  auto t = tagConfig("boiler1", "temp");
  t.alarms = {limitRule(AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t}));
  t.suppressed = true;
  auto out = alarmsIn(swapTo(h, pipelineConfig({t})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->transition, T::kSuppress);
  t.suppressed = false;
  out = alarmsIn(swapTo(h, pipelineConfig({t})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->transition, T::kUnsuppress);
}

TEST(Swap, EventStateIsKeptUnlessTheStateMapChanges) {
  auto t = tagConfig("pump1", "state");
  t.cls = TagClass::kEvent;
  t.states = {{"0", "stopped"}, {"1", "running"}};
  Harness h(pipelineConfig({t}));
  h.feed("pump1", "state", Value::ofInt64(1));
  auto same_map = t;
  same_map.unit = "";
  same_map.adapter = "plc2";  // a change elsewhere
  swapTo(h, pipelineConfig({same_map}));
  EXPECT_TRUE(h.feed("pump1", "state", Value::ofInt64(1)).empty());
  auto new_map = same_map;
  new_map.states = {{"0", "off"}, {"1", "on"}};
  swapTo(h, pipelineConfig({new_map}));
  auto out = h.feed("pump1", "state", Value::ofInt64(1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].event(), (model::EventInfo{"state_change", "", "on"}));
}

}  // namespace
}  // namespace sf::pipeline
