// The per-tag pipeline without alarms: scaling, clamping, deadband, heartbeat, classes.
#include "dataplane/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include "dataplane/pipeline/pipeline_test_util.h"

namespace sf::pipeline {
namespace {

using namespace testing;  // NOLINT
using model::RecordClass;

double valueOf(const Record& r) {
  auto d = r.value.asDouble();
  EXPECT_TRUE(d.has_value());
  return d.value_or(-1e300);
}

TEST(Pipeline, ScalesClampsAndSetsTheUnit) {
  auto t = tagConfig("boiler1", "temp");
  t.scale = 0.1;
  t.offset = -40;
  t.clamp_min = -40;
  t.clamp_max = 150;
  t.unit = "degC";
  Harness h(pipelineConfig({t}));
  auto out = h.feed("boiler1", "temp", Value::ofInt64(1234));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].recordClass(), RecordClass::kTelemetry);
  EXPECT_DOUBLE_EQ(valueOf(out[0]), 1234 * 0.1 - 40);
  EXPECT_EQ(out[0].unit, "degC");
  EXPECT_EQ(out[0].device, "boiler1");
  EXPECT_EQ(out[0].source_ts_ns, h.now());
  EXPECT_EQ(valueOf(h.feed("boiler1", "temp", Value::ofInt64(60000))[0]), 150);
  EXPECT_EQ(valueOf(h.feed("boiler1", "temp", Value::ofInt64(-100))[0]), -40);
}

TEST(Pipeline, UnconfiguredTagsAndOtherClassesPassThrough) {
  Harness h(pipelineConfig({tagConfig("boiler1", "temp")}));
  auto r = reading("other", "x", Value::ofInt64(5), h.now());
  std::vector<Record> out;
  h.state.process(r, h.now(), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], r);
  Record log = r;
  log.detail = model::LogInfo{model::LogLevel::kWarning, "hello", "adapter"};
  h.state.process(log, h.now(), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], log);
  EXPECT_EQ(h.state.stats().passthrough, 2u);
}

TEST(Pipeline, WithoutDeadbandEveryReadingIsReported) {
  Harness h(pipelineConfig({tagConfig("boiler1", "temp")}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.feed(20.0).size(), 1u);
}

TEST(Pipeline, AbsoluteDeadbandReportsByException) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 0.5;
  Harness h(pipelineConfig({t}));
  EXPECT_EQ(h.feed(20.0).size(), 1u);  // the first reading is always reported
  EXPECT_EQ(h.feed(20.4).size(), 0u);
  EXPECT_EQ(h.feed(19.5).size(), 0u);  // |19.5 - 20.0| == 0.5 is not beyond the band
  // The band is around the last *reported* value: creeping does not move it.
  EXPECT_EQ(h.feed(20.45).size(), 0u);
  auto out = h.feed(20.6);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(valueOf(out[0]), 20.6);
  EXPECT_EQ(h.feed(20.2).size(), 0u);  // within 0.5 of 20.6
  EXPECT_EQ(h.feed(20.0).size(), 1u);
  EXPECT_EQ(h.state.stats().deadband_dropped, 4u);
}

TEST(Pipeline, PercentDeadbandIsAShareOfTheRange) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kPercent;
  t.deadband = 1;  // 1 % of 0..200 = 2.0
  t.range_low = 0;
  t.range_high = 200;
  Harness h(pipelineConfig({t}));
  EXPECT_EQ(h.feed(100.0).size(), 1u);
  EXPECT_EQ(h.feed(101.9).size(), 0u);
  EXPECT_EQ(h.feed(98.0).size(), 0u);
  EXPECT_EQ(h.feed(102.1).size(), 1u);

  // Without range_low/high the clamp limits are the range: 10 % of 0..50 = 5.0.
  auto c = tagConfig("boiler1", "temp");
  c.deadband_mode = DeadbandMode::kPercent;
  c.deadband = 10;
  c.clamp_min = 0;
  c.clamp_max = 50;
  Harness g(pipelineConfig({c}));
  EXPECT_EQ(g.feed(20.0).size(), 1u);
  EXPECT_EQ(g.feed(24.9).size(), 0u);
  EXPECT_EQ(g.feed(25.1).size(), 1u);
}

TEST(Pipeline, AQualityChangeIsAlwaysReported) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 10;
  Harness h(pipelineConfig({t}));
  EXPECT_EQ(h.feed(20.0).size(), 1u);
  EXPECT_EQ(h.feed(20.0, Quality::bad(0x80000000, "comm")).size(), 1u);
  EXPECT_EQ(h.feed(20.0, Quality::bad(0x80000000, "comm")).size(), 0u);
  EXPECT_EQ(h.feed(20.0).size(), 1u);
  EXPECT_EQ(h.state.stats().bad_quality, 2u);
}

TEST(Pipeline, MaxSilenceReportsAReadingInsideTheDeadband) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 1;
  t.max_silence = 60s;
  Harness h(pipelineConfig({t}));
  EXPECT_EQ(h.feed(20.0).size(), 1u);
  h.clock.advance(30s);
  EXPECT_EQ(h.feed(20.1).size(), 0u);
  h.clock.advance(30s);
  auto out = h.feed(20.2);  // 60 s silent: this reading goes out though inside the band
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(valueOf(out[0]), 20.2);
  EXPECT_EQ(out[0].attributes.find(kAttrHeartbeat), nullptr);
}

TEST(Pipeline, TickSendsAHeartbeatForASilentTag) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 1;
  t.max_silence = 60s;
  Harness h(pipelineConfig({t, tagConfig("boiler1", "other")}));
  EXPECT_EQ(h.state.nextDeadline(), kNever);  // nothing reported yet: no heartbeat due
  h.feed(20.0);
  const int64_t reported_at = h.now();
  EXPECT_EQ(h.state.nextDeadline(), reported_at + 60'000'000'000);
  EXPECT_TRUE(h.advance(59s).empty());
  h.feed(20.3);  // inside the band: only its time is remembered
  const int64_t latest_reading = h.now();
  auto out = h.advance(1s);
  ASSERT_EQ(out.size(), 1u);
  const Record& hb = out[0];
  EXPECT_DOUBLE_EQ(valueOf(hb), 20.0);  // the reported value, within the band of the latest
  EXPECT_EQ(hb.source_ts_ns, latest_reading);
  EXPECT_EQ(hb.gateway_ts_ns, h.now());
  ASSERT_NE(hb.attributes.find(kAttrHeartbeat), nullptr);
  EXPECT_EQ(*hb.attributes.find(kAttrHeartbeat), "true");
  EXPECT_TRUE(h.advance(59s).empty());
  EXPECT_EQ(h.advance(1s).size(), 1u);
  EXPECT_EQ(h.state.stats().heartbeats, 2u);
}

TEST(Pipeline, EventTagsMapValuesToStates) {
  auto t = tagConfig("pump1", "state");
  t.cls = TagClass::kEvent;
  t.event_type = "run_state";
  t.states = {{"0", "stopped"}, {"1", "running"}, {"2", "fault"}};
  Harness h(pipelineConfig({t}));
  auto first = h.feed("pump1", "state", Value::ofInt64(0));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_NE(first[0].event(), nullptr);
  EXPECT_EQ(*first[0].event(), (model::EventInfo{"run_state", "", "stopped"}));
  EXPECT_TRUE(h.feed("pump1", "state", Value::ofInt64(0)).empty());
  auto run = h.feed("pump1", "state", Value::ofInt64(1));
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(*run[0].event(), (model::EventInfo{"run_state", "stopped", "running"}));
  EXPECT_EQ(run[0].value, Value::ofInt64(1));
  // A bad reading says nothing about the state.
  EXPECT_TRUE(h.feed("pump1", "state", Value::ofInt64(0), Quality::bad()).empty());
  // An unmapped value's state is its text.
  auto odd = h.feed("pump1", "state", Value::ofInt64(7));
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(*odd[0].event(), (model::EventInfo{"run_state", "running", "7"}));
  EXPECT_EQ(h.state.stats().events_out, 3u);
}

TEST(Pipeline, EventTagsCanSkipTheInitialEvent) {
  auto t = tagConfig("valve1", "open");
  t.cls = TagClass::kEvent;
  t.emit_initial_event = false;
  Harness h(pipelineConfig({t}));
  EXPECT_TRUE(h.feed("valve1", "open", Value::ofBool(false)).empty());
  auto out = h.feed("valve1", "open", Value::ofBool(true));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].event(), (model::EventInfo{"state_change", "false", "true"}));
}

TEST(Pipeline, LogTagsMakeLogRecords) {
  auto t = tagConfig("plc1", "diag");
  t.cls = TagClass::kLog;
  t.log_level = model::LogLevel::kWarning;
  Harness h(pipelineConfig({t}));
  auto out = h.feed("plc1", "diag", Value::ofString("fan failure"));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_NE(out[0].log(), nullptr);
  EXPECT_EQ(out[0].log()->message, "fan failure");
  EXPECT_EQ(out[0].log()->level, model::LogLevel::kWarning);
  EXPECT_EQ(h.feed("plc1", "diag", Value::ofString("fan failure")).size(), 1u);

  t.deadband_mode = DeadbandMode::kAbsolute;  // log tags: report only when the text changes
  Harness g(pipelineConfig({t}));
  EXPECT_EQ(g.feed("plc1", "diag", Value::ofString("a")).size(), 1u);
  EXPECT_EQ(g.feed("plc1", "diag", Value::ofString("a")).size(), 0u);
  EXPECT_EQ(g.feed("plc1", "diag", Value::ofString("b")).size(), 1u);
}

TEST(Pipeline, EveryRecordItMakesIsValid) {
  auto t = tagConfig("boiler1", "temp");
  t.unit = "degC";
  t.max_silence = 10s;
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 1;
  t.alarms = {limitRule(model::AlarmCondition::kHi, 50)};
  auto e = tagConfig("pump1", "state");
  e.cls = TagClass::kEvent;
  Harness h(pipelineConfig({t, e}));
  h.feed(60);
  h.feed("pump1", "state", Value::ofInt64(1));
  h.advance(10s);
  h.act([](PipelineState& s, int64_t now, std::vector<Record>& out) {
    ASSERT_TRUE(s.acknowledge("boiler1/temp/hi", "ana", "seen", now, out).value_or(false));
  });
  ASSERT_GE(h.all.size(), 5u);
  for (const auto& r : h.all) {
    auto v = model::validate(r);
    EXPECT_TRUE(v) << v.error().message;
  }
}

TEST(Pipeline, PublishesMetrics) {
  auto t = tagConfig("boiler1", "temp");
  t.deadband_mode = DeadbandMode::kAbsolute;
  t.deadband = 1;
  t.alarms = {limitRule(model::AlarmCondition::kHi, 50)};
  Harness h(pipelineConfig({t}));
  h.feed(10);
  h.feed(10.5);
  h.feed(60);
  core::MetricsRegistry reg;
  h.state.publishMetrics(reg, "main");
  core::Labels base = {{"type", "pipeline"}, {"instance", "main"}};
  EXPECT_EQ(reg.valueOf("sf_pipeline_records_in_total", base), 3);
  EXPECT_EQ(reg.valueOf("sf_pipeline_deadband_dropped_total", base), 1);
  auto alarm_out = base;
  alarm_out.emplace_back("class", "alarm");
  EXPECT_EQ(reg.valueOf("sf_pipeline_records_out_total", alarm_out), 1);
  auto unacked = base;
  unacked.emplace_back("state", "active_unacked");
  EXPECT_EQ(reg.valueOf("sf_pipeline_alarms", unacked), 1);
  h.feed(70);
  h.state.publishMetrics(reg, "main");  // adds the growth only
  EXPECT_EQ(reg.valueOf("sf_pipeline_records_in_total", base), 4);
}

}  // namespace
}  // namespace sf::pipeline
