#include "dataplane/pipeline/tag_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/pipeline_test_util.h"

namespace sf::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::limitRule;
using testing::pipelineConfig;
using testing::tagConfig;

std::string problems(const PipelineConfig& c) {
  auto s = validate(c);
  return s ? std::string() : s.error().message;
}

TEST(TagConfig, AValidConfigPasses) {
  auto t = tagConfig("boiler1", "temp");
  t.scale = 0.1;
  t.clamp_min = 0;
  t.clamp_max = 200;
  t.deadband_mode = DeadbandMode::kPercent;
  t.deadband = 0.5;
  t.alarms = {limitRule(model::AlarmCondition::kHi, 90, 2),
              limitRule(model::AlarmCondition::kHiHi, 110)};
  EXPECT_EQ(problems(pipelineConfig({t})), "");
}

TEST(TagConfig, EachProblemNamesItsPointer) {
  auto t = tagConfig("boiler/1", "");
  t.scale = 0;
  t.clamp_min = 10;
  t.clamp_max = 5;
  t.deadband_mode = DeadbandMode::kPercent;
  t.deadband = 150;
  auto hi = limitRule(model::AlarmCondition::kHi, 90);
  hi.severity = 0;
  auto hihi = limitRule(model::AlarmCondition::kHiHi, 80);
  auto dup = limitRule(model::AlarmCondition::kHi, 95);
  AlarmRuleConfig discrete;
  discrete.condition = model::AlarmCondition::kDiscrete;
  AlarmRuleConfig roc;
  roc.condition = model::AlarmCondition::kRateOfChange;
  roc.limit = 0;
  t.alarms = {hi, hihi, dup, discrete, roc};
  std::string p = problems(pipelineConfig({t}));
  EXPECT_THAT(p, HasSubstr("/tags/0/device: must not contain '/'"));
  EXPECT_THAT(p, HasSubstr("/tags/0/tag: must not be empty"));
  EXPECT_THAT(p, HasSubstr("/tags/0/scale: must be finite and not 0"));
  EXPECT_THAT(p, HasSubstr("/tags/0/clamp_min: is above clamp_max"));
  EXPECT_THAT(p, HasSubstr("/tags/0/deadband: a percent deadband must be <= 100"));
  EXPECT_THAT(p, HasSubstr("/tags/0/alarms/0/severity: must be 1..1000"));
  EXPECT_THAT(p, HasSubstr("/tags/0/alarms/2/name: alarm id"));
  EXPECT_THAT(p, HasSubstr("/tags/0/alarms/3/values: a discrete alarm needs at least one"));
  EXPECT_THAT(p, HasSubstr("/tags/0/alarms/4/limit: a rate-of-change limit must be > 0"));
  EXPECT_THAT(p, HasSubstr("/tags/0/alarms: the hihi limit is below the hi limit"));
}

TEST(TagConfig, PercentDeadbandNeedsARange) {
  auto t = tagConfig("b", "t");
  t.deadband_mode = DeadbandMode::kPercent;
  t.deadband = 1;
  EXPECT_THAT(problems(pipelineConfig({t})), HasSubstr("percent needs an engineering range"));
  t.range_low = 0;
  t.range_high = 100;
  EXPECT_EQ(problems(pipelineConfig({t})), "");
}

TEST(TagConfig, DuplicateTagsAndDanglingSuppressionAreRejected) {
  auto a = tagConfig("b", "t");
  auto b = tagConfig("b", "t");
  b.suppress_when = SuppressWhen{"b", "maint", {"true"}};
  std::string p = problems(pipelineConfig({a, b}));
  EXPECT_THAT(p, HasSubstr("/tags/1: device/tag 'b/t' repeats /tags/0"));
  EXPECT_THAT(p, HasSubstr("/tags/1/suppress_when: tag 'b/maint' is not in this pipeline"));
}

TEST(TagConfig, ParsesTheYamlForm) {
  auto c = parsePipelineConfig(R"(
site: plant1
gateway: gw1
max_shelve: 8h
tags:
  - adapter: plc1
    device: boiler1
    tag: temp
    unit: degC
    scale: 0.1
    offset: -40
    clamp_min: -40
    clamp_max: 200
    deadband_mode: absolute
    deadband: 0.5
    max_silence: 60s
    alarms:
      - {condition: hi, limit: 90, deadband: 2, on_delay: 5s, severity: 700,
         message: Boiler 1 hot}
      - {condition: rate_of_change, limit: 2, window: 10s, direction: rising}
  - device: pump1
    tag: state
    class: event
    event_type: run_state
    states: {0: stopped, 1: running, 2: fault}
    alarms:
      - {condition: discrete, values: [fault, 3], severity: 900}
    suppress_when: {device: pump1, tag: maint, values: [true]}
  - {device: pump1, tag: maint}
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->max_shelve, std::chrono::hours(8));
  ASSERT_EQ(c->tags.size(), 3u);
  const auto& temp = c->tags[0];
  EXPECT_EQ(temp.scale, 0.1);
  EXPECT_EQ(temp.clamp_min, -40);
  EXPECT_EQ(temp.max_silence, std::chrono::seconds(60));
  ASSERT_EQ(temp.alarms.size(), 2u);
  EXPECT_EQ(temp.alarms[0].on_delay, std::chrono::seconds(5));
  EXPECT_EQ(temp.alarms[0].severity, 700);
  EXPECT_EQ(temp.alarms[1].window, std::chrono::seconds(10));
  EXPECT_EQ(temp.alarms[1].direction, RateDirection::kRising);
  const auto& state = c->tags[1];
  EXPECT_EQ(state.cls, TagClass::kEvent);
  EXPECT_EQ(state.states.size(), 3u);
  EXPECT_EQ(state.states.at("2"), "fault");
  EXPECT_EQ(state.alarms[0].values, (std::vector<std::string>{"fault", "3"}));
  ASSERT_TRUE(state.suppress_when.has_value());
  EXPECT_EQ(state.suppress_when->values, std::vector<std::string>{"true"});

  // Rendering writes every option and reads back to the same config.
  auto again = pipelineConfigFromJson(renderPipelineConfig(*c));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *c);
  // A compiled pipeline accepts it.
  EXPECT_TRUE(Pipeline::compile(*c));
}

TEST(TagConfig, ParsingRejectsUnknownKeysWrongTypesAndBrokenRules) {
  auto c = parsePipelineConfig(R"({"gateway": "gw1", "tags": [
      {"device": "b", "tag": "t", "scael": 2, "deadband": "big",
       "alarms": [{"condition": "hi", "limit": 1, "on_delay": "5 parsecs", "colour": 1}]},
      {"device": "b", "tag": "u", "class": "alarm"},
      {"device": "b", "tag": "v", "alarms": [{"condition": "hi", "limit": 9, "severity": 0}]},
      {"device": "b", "tag": "w", "clamp_min": 5, "clamp_max": 1,
       "suppress_when": {"device": "b", "tag": "nope", "values": ["1"]}}]})");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, core::Errc::kInvalidConfig);
  const std::string& m = c.error().message;
  EXPECT_THAT(m, HasSubstr("/tags/0/scael"));
  EXPECT_THAT(m, HasSubstr("/tags/0/deadband"));
  EXPECT_THAT(m, HasSubstr("/tags/0/alarms/0/on_delay"));
  EXPECT_THAT(m, HasSubstr("/tags/0/alarms/0/colour"));
  EXPECT_THAT(m, HasSubstr("/tags/1/class"));
  EXPECT_THAT(m, HasSubstr("/tags/2/alarms/0/severity"));
  EXPECT_THAT(m, HasSubstr("/tags/3/clamp_min: is above clamp_max"));
  EXPECT_FALSE(parsePipelineConfig("{nope"));
  // The rules across tags run once the tags are clean.
  auto dangling = parsePipelineConfig(R"({"tags": [
      {"device": "b", "tag": "w", "suppress_when": {"device": "b", "tag": "nope", "values": ["1"]}},
      {"device": "b", "tag": "w"}]})");
  ASSERT_FALSE(dangling);
  EXPECT_THAT(dangling.error().message, HasSubstr("/tags/0/suppress_when: tag 'b/nope' is not"));
  EXPECT_THAT(dangling.error().message, HasSubstr("/tags/1: device/tag 'b/w' repeats /tags/0"));
}

TEST(TagConfig, TheSpecsAreDocumented) {
  for (const auto& problem : config::lintSpec(pipelineConfigSpec().object())) {
    ADD_FAILURE() << problem;
  }
}

}  // namespace
}  // namespace sf::pipeline
