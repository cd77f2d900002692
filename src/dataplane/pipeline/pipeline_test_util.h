#pragma once
// Test helpers for the pipeline: readings, configs and a harness with a ManualClock.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "dataplane/pipeline/pipeline.h"
#include "model/record.h"

namespace sf::pipeline::testing {

using namespace std::chrono_literals;
using model::AlarmState;
using model::AlarmTransition;
using model::Quality;
using model::Record;
using model::Value;

inline model::Record reading(std::string device, std::string tag, Value v, int64_t ts,
                             Quality q = Quality::good()) {
  Record r;
  r.site = "plant1";
  r.gateway = "gw1";
  r.adapter = "plc1";
  r.device = std::move(device);
  r.tag = std::move(tag);
  r.source_ts_ns = ts;
  r.gateway_ts_ns = ts;
  r.value = std::move(v);
  r.quality = std::move(q);
  return r;
}

inline TagPipelineConfig tagConfig(std::string device, std::string tag) {
  TagPipelineConfig t;
  t.adapter = "plc1";
  t.device = std::move(device);
  t.tag = std::move(tag);
  return t;
}

inline AlarmRuleConfig limitRule(model::AlarmCondition c, double limit, double deadband = 0) {
  AlarmRuleConfig a;
  a.condition = c;
  a.limit = limit;
  a.deadband = deadband;
  a.severity = 700;
  a.message = "limit";
  return a;
}

inline PipelineConfig pipelineConfig(std::vector<TagPipelineConfig> tags) {
  PipelineConfig c;
  c.site = "plant1";
  c.gateway = "gw1";
  c.tags = std::move(tags);
  return c;
}

inline std::shared_ptr<const Pipeline> compileOrDie(PipelineConfig c) {
  auto p = Pipeline::compile(std::move(c));
  if (!p) ADD_FAILURE() << p.error().toString();
  return p ? *p : nullptr;
}

// Copies (as optionals, so `a->field` reads well), because `out` is often a temporary.
inline std::vector<std::optional<model::AlarmInfo>> alarmsIn(const std::vector<Record>& out) {
  std::vector<std::optional<model::AlarmInfo>> v;
  for (const auto& r : out) {
    if (r.alarm()) v.emplace_back(*r.alarm());
  }
  return v;
}

inline std::vector<const Record*> ofClass(const std::vector<Record>& out, model::RecordClass c) {
  std::vector<const Record*> v;
  for (const auto& r : out) {
    if (r.recordClass() == c) v.push_back(&r);
  }
  return v;
}

// One PipelineState driven by a ManualClock; every call returns the records it produced.
class Harness {
 public:
  explicit Harness(PipelineConfig config) : state(compileOrDie(std::move(config))) {}

  int64_t now() const { return clock.nowUnixNanos(); }
  void setNow(int64_t t) { clock.advance(std::chrono::nanoseconds(t - now())); }

  std::vector<Record> feed(const std::string& device, const std::string& tag, Value v,
                           Quality q = Quality::good()) {
    std::vector<Record> out;
    state.process(reading(device, tag, std::move(v), now(), std::move(q)), now(), out);
    all.insert(all.end(), out.begin(), out.end());
    return out;
  }
  std::vector<Record> feed(double v, Quality q = Quality::good()) {
    return feed("boiler1", "temp", Value::ofDouble(v), std::move(q));
  }
  std::vector<Record> advance(std::chrono::nanoseconds d) {
    clock.advance(d);
    std::vector<Record> out;
    state.tick(now(), out);
    all.insert(all.end(), out.begin(), out.end());
    return out;
  }
  template <class F>
  std::vector<Record> act(F f) {
    std::vector<Record> out;
    f(state, now(), out);
    all.insert(all.end(), out.begin(), out.end());
    return out;
  }
  AlarmStatus alarm(const std::string& id) const {
    auto s = state.alarm(id);
    EXPECT_TRUE(s.has_value()) << id;
    return s.value_or(AlarmStatus{});
  }

  core::ManualClock clock;
  PipelineState state;
  std::vector<Record> all;  // everything produced so far, in order
};

}  // namespace sf::pipeline::testing
