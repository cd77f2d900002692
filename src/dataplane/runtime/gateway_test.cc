// The Gateway end to end in one process: a scripted source adapter -> pipeline -> local log, live
// reconfiguration by diff, rejection that leaves the running configuration untouched, the
// applied-config cache and the alarm state across a restart. Real local log on a temp dir; the
// only stand-in is the source adapter (the protocol adapters have their own tests against real
// peers).

#include "dataplane/runtime/gateway.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "config/parse.h"
#include "dataplane/pipeline/tag_spec.h"
#include "model/record_codec.h"

namespace sf::runtime {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// --- a scripted source adapter --------------------------------------------------------------

struct SourceTag : pipeline::TagPipelineConfig {};
struct SourceConfig {
  std::string name;
  std::vector<SourceTag> tags;
  uint32_t burst = 0;  // > 0: emit this many numbered readings of `line/seq` every 2 ms
};

const config::Spec<SourceTag>& sourceTagSpec() {
  static const config::Spec<SourceTag> spec = [] {
    config::Spec<SourceTag> s("source_tag", "A tag of the scripted source.");
    using B = pipeline::TagPipelineConfig;
    s.option("device", static_cast<std::string SourceTag::*>(&B::device)).required();
    s.option("tag", static_cast<std::string SourceTag::*>(&B::tag)).required();
    pipeline::declareTagPipelineOptions(s);
    return s;
  }();
  return spec;
}

const config::Spec<SourceConfig>& sourceSpec() {
  static const config::Spec<SourceConfig> spec = [] {
    config::Spec<SourceConfig> s("test_source", "Emits what the test pushes.");
    s.option("name", &SourceConfig::name).required();
    s.option("tags", &SourceConfig::tags, sourceTagSpec());
    s.option("burst", &SourceConfig::burst);
    return s;
  }();
  return spec;
}

// Where the test reaches the running source instances, by adapter name.
struct Hub {
  struct Instance {
    Executor executor;
    RecordEmitter* emitter;
    std::string adapter;
    int id;
  };
  std::mutex mu;
  std::map<std::string, Instance> live;  // connected instances
  std::atomic<int> created{0};
  std::atomic<bool> paused{false};   // bursting sources stop emitting
  std::atomic<uint64_t> emitted{0};  // numbered readings emitted by bursting sources

  int instanceId(const std::string& name) {
    std::lock_guard lock(mu);
    auto it = live.find(name);
    return it == live.end() ? -1 : it->second.id;
  }
  bool push(const std::string& name, const std::string& device, const std::string& tag,
            double value) {
    std::unique_lock lock(mu);
    auto it = live.find(name);
    if (it == live.end()) return false;
    Instance inst = it->second;
    lock.unlock();
    asio::post(inst.executor, [inst, device, tag, value] {
      model::Record r;
      r.adapter = inst.adapter;
      r.device = device;
      r.tag = tag;
      r.source_ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      r.value = model::Value::ofDouble(value);
      std::vector<model::Record> batch;
      batch.push_back(std::move(r));
      inst.emitter->emit(std::move(batch));
    });
    return true;
  }
};
Hub hub;

class SourceAdapter final : public Adapter {
 public:
  SourceAdapter(AdapterContext ctx, int id, uint32_t burst)
      : ctx_(std::move(ctx)), id_(id), burst_(burst) {}
  ~SourceAdapter() override {
    std::lock_guard lock(hub.mu);
    auto it = hub.live.find(ctx_.name);
    if (it != hub.live.end() && it->second.id == id_) hub.live.erase(it);
  }
  asio::awaitable<core::Status> connect() override {
    std::lock_guard lock(hub.mu);
    hub.live.insert_or_assign(ctx_.name,
                              Hub::Instance{ctx_.executor, ctx_.emitter, ctx_.name, id_});
    co_return core::ok();
  }
  asio::awaitable<core::Status> run() override {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(24));
    std::error_code ec;
    if (burst_ == 0) {
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return core::fail(core::Errc::kCancelled, "cancelled");
    }
    for (;;) {
      t.expires_after(2ms);
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return core::fail(core::Errc::kCancelled, "cancelled");
      if (hub.paused || (ctx_.overloaded && ctx_.overloaded())) continue;
      std::vector<model::Record> batch(burst_);
      for (auto& r : batch) {
        r.adapter = ctx_.name;
        r.device = "line";
        r.tag = "seq";
        r.source_ts_ns = 1;
        r.value = model::Value::ofDouble(static_cast<double>(seq_++));
      }
      hub.emitted = seq_;
      ctx_.emitter->emit(std::move(batch));
    }
  }
  asio::awaitable<void> close() override {
    std::lock_guard lock(hub.mu);
    auto it = hub.live.find(ctx_.name);
    if (it != hub.live.end() && it->second.id == id_) hub.live.erase(it);
    co_return;
  }

 private:
  AdapterContext ctx_;
  int id_;
  uint32_t burst_;
  uint64_t seq_ = 0;
};

const Components& testComponents() {
  static const Components components = [] {
    Components c;
    AdapterFactory f;
    f.info = config::ComponentInfo{config::ComponentKind::kAdapter, "test_source",
                                   "Emits what the test pushes.", sourceSpec().shared()};
    f.name = [](const config::ComponentConfig& cc) { return cc.as<SourceConfig>()->name; };
    f.tags = [](const config::ComponentConfig& cc) {
      const auto* sc = cc.as<SourceConfig>();
      std::vector<pipeline::TagPipelineConfig> tags;
      for (const auto& t : sc->tags) {
        tags.push_back(t);
        tags.back().adapter = sc->name;
      }
      return tags;
    };
    f.create = [](const config::ComponentConfig& cc,
                  const AdapterContext& ctx) -> core::Result<std::unique_ptr<Adapter>> {
      return std::unique_ptr<Adapter>(
          new SourceAdapter(ctx, ++hub.created, cc.as<SourceConfig>()->burst));
    };
    if (!c.addAdapter(std::move(f))) std::abort();
    return c;
  }();
  return components;
}

// --- fixture ----------------------------------------------------------------------------------

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sf-gateway-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    if (gw_) gw_->stop();
    gw_.reset();
    fs::remove_all(dir_);
    hub.paused = false;  // bursting sources of the next test start unpaused
  }

  // `log_options`: more flow-mapping entries for the `log` section, e.g. ", quota: 64KiB".
  GatewayConfig parse(const std::string& adapters_yaml, const std::string& log_options = "") {
    std::string text =
        "gateway: {id: gw1, site: plant1}\n"
        "log: {dir: " +
        (dir_ / "log").string() + log_options +
        "}\n"
        "state_dir: " +
        (dir_ / "state").string() + "\nadapters:\n" + adapters_yaml;
    config::ParseOptions po;
    po.file = "test.yaml";
    po.registry = &testComponents().registry();
    auto cfg = config::parseYaml(text, gatewayConfigSpec(), po);
    EXPECT_TRUE(cfg) << (cfg ? "" : config::formatErrors(cfg.errors()));
    return cfg ? std::move(cfg).value() : GatewayConfig{};
  }

  void start(GatewayConfig cfg) {
    GatewayOptions o;
    o.serve_http = false;
    o.metrics = &metrics_;
    auto gw = Gateway::start(std::move(cfg), testComponents(), o);
    ASSERT_TRUE(gw) << gw.error().toString();
    gw_ = std::move(gw).value();
  }

  // Waits until the named adapter instance is connected.
  int waitConnected(const std::string& name, int not_id = -1) {
    for (int i = 0; i < 1000; ++i) {
      int id = hub.instanceId(name);
      if (id >= 0 && id != not_id) return id;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << name << " never connected";
    return -1;
  }

  // Every record in the local log, once it holds telemetry of each of `tags` (or after ~10 s).
  std::vector<model::Record> logged(const std::vector<std::string>& tags) {
    std::vector<model::Record> out;
    for (int i = 0; i < 1000; ++i) {
      out.clear();
      auto& log = gw_->localLog();
      for (uint64_t from = log.startOffset(); from < log.endOffset();) {
        auto entries = log.read(from, 10000, 16 << 20);
        EXPECT_TRUE(entries);
        if (!entries || entries->empty()) break;
        for (const auto& e : *entries) {
          auto r = model::decodeBinary(e.payload);
          EXPECT_TRUE(r);
          if (r) out.push_back(std::move(*r));
        }
        from = entries->back().offset + 1;
      }
      bool all = true;
      for (const auto& t : tags) all = all && !valuesOf(out, t).empty();
      if (all) break;
      std::this_thread::sleep_for(10ms);
    }
    return out;
  }

  static std::vector<double> valuesOf(const std::vector<model::Record>& rs,
                                      const std::string& tag) {
    std::vector<double> v;
    for (const auto& r : rs) {
      if (r.tag == tag && r.recordClass() == model::RecordClass::kTelemetry) {
        if (auto d = r.value.get<double>()) v.push_back(*d);
      }
    }
    return v;
  }

  fs::path dir_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<Gateway> gw_;
};

const char* kTwoSources = R"(
  - type: test_source
    name: src1
    tags: [{device: boiler, tag: temp, scale: 0.1, unit: degC}]
  - type: test_source
    name: src2
    tags: [{device: pump, tag: flow}]
)";

TEST_F(GatewayTest, ReadingsGoThroughThePipelineIntoTheLocalLog) {
  start(parse(kTwoSources));
  waitConnected("src1");
  waitConnected("src2");
  ASSERT_TRUE(hub.push("src1", "boiler", "temp", 1234));
  ASSERT_TRUE(hub.push("src2", "pump", "flow", 7));
  auto rs = logged({"temp", "flow"});
  auto temp = valuesOf(rs, "temp");
  ASSERT_EQ(temp.size(), 1u);
  EXPECT_DOUBLE_EQ(temp[0], 123.4);  // scaled by the tag's pipeline options
  EXPECT_EQ(valuesOf(rs, "flow"), std::vector<double>{7});
  for (const auto& r : rs) {
    EXPECT_EQ(r.gateway, "gw1");
    EXPECT_EQ(r.site, "plant1");
    if (r.tag == "temp") {
      EXPECT_EQ(r.unit, "degC");
    }
  }
}

TEST_F(GatewayTest, AppliesANewConfigurationByDiff) {
  start(parse(kTwoSources));
  int src1 = waitConnected("src1");
  int src2 = waitConnected("src2");

  // src1 unchanged, src2's tag rescaled, src3 added.
  auto next = parse(R"(
  - type: test_source
    name: src1
    tags: [{device: boiler, tag: temp, scale: 0.1, unit: degC}]
  - type: test_source
    name: src2
    tags: [{device: pump, tag: flow, scale: 2}]
  - type: test_source
    name: src3
    tags: [{device: tank, tag: level}]
)");
  auto dry = gw_->apply(next, /*dry_run=*/true);
  EXPECT_FALSE(dry.applied);
  EXPECT_TRUE(dry.error.empty()) << dry.error;
  EXPECT_EQ(dry.adapters_changed, std::vector<std::string>{"src2"});
  EXPECT_EQ(hub.instanceId("src3"), -1) << "a dry run starts nothing";
  EXPECT_EQ(gw_->config().adapters.size(), 2u);

  auto report = gw_->apply(next);
  ASSERT_TRUE(report.applied) << report.error;
  EXPECT_EQ(report.adapters_kept, std::vector<std::string>{"src1"});
  EXPECT_EQ(report.adapters_changed, std::vector<std::string>{"src2"});
  EXPECT_EQ(report.adapters_added, std::vector<std::string>{"src3"});
  EXPECT_TRUE(report.adapters_removed.empty());
  EXPECT_EQ(report.tags.kept, 1u);
  EXPECT_EQ(report.tags.changed, 1u);
  EXPECT_EQ(report.tags.added, 1u);

  EXPECT_EQ(hub.instanceId("src1"), src1) << "an unchanged adapter keeps its connection";
  int src2b = waitConnected("src2", src2);
  EXPECT_NE(src2b, src2) << "a changed adapter is started anew";
  waitConnected("src3");

  ASSERT_TRUE(hub.push("src2", "pump", "flow", 7));
  ASSERT_TRUE(hub.push("src3", "tank", "level", 3));
  auto rs = logged({"flow", "level"});
  EXPECT_EQ(valuesOf(rs, "flow"), std::vector<double>{14});  // the new scale
  EXPECT_EQ(valuesOf(rs, "level"), std::vector<double>{3});

  // Removing src3 stops it.
  auto removed = gw_->apply(parse(kTwoSources));
  ASSERT_TRUE(removed.applied) << removed.error;
  EXPECT_EQ(removed.adapters_removed, std::vector<std::string>{"src3"});
  EXPECT_EQ(hub.instanceId("src3"), -1);
  EXPECT_EQ(hub.instanceId("src1"), src1);
}

TEST_F(GatewayTest, ARejectedConfigurationLeavesTheRunningOneUntouched) {
  start(parse(kTwoSources));
  int src1 = waitConnected("src1");
  int src2 = waitConnected("src2");
  // Valid per adapter, invalid as a whole: two adapters claim the same device/tag.
  auto report = gw_->apply(parse(R"(
  - type: test_source
    name: src1
    tags: [{device: boiler, tag: temp}]
  - type: test_source
    name: src2
    tags: [{device: boiler, tag: temp}]
)"));
  EXPECT_FALSE(report.applied);
  EXPECT_NE(report.error.find("boiler/temp"), std::string::npos) << report.error;
  EXPECT_EQ(hub.instanceId("src1"), src1);
  EXPECT_EQ(hub.instanceId("src2"), src2);
  auto status = gw_->status();
  EXPECT_EQ(status["last_apply"]["applied"], false) << status.dump();
  // The running pipeline still scales as before, and the rejection is a `log` record.
  ASSERT_TRUE(hub.push("src1", "boiler", "temp", 1000));
  auto rs = logged({"temp"});
  EXPECT_EQ(valuesOf(rs, "temp"), std::vector<double>{100});
  bool announced = false;
  for (const auto& r : rs) {
    if (r.log() && r.log()->message.find("configuration rejected") != std::string::npos) {
      announced = true;
    }
  }
  EXPECT_TRUE(announced);
}

TEST_F(GatewayTest, TheAppliedConfigurationIsCachedForTheNextStart) {
  start(parse(kTwoSources));
  waitConnected("src1");
  auto cached = Gateway::loadCachedConfig((dir_ / "state").string(), testComponents());
  ASSERT_TRUE(cached) << cached.error().toString();
  ASSERT_EQ(cached->adapters.size(), 2u);
  EXPECT_EQ(cached->gateway.id, "gw1");
  for (const auto& e : fs::directory_iterator(dir_ / "state")) {
    if (e.path().filename().string().find("config") != std::string::npos) {
      auto p = fs::status(e.path()).permissions();
      EXPECT_EQ(p & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
          << e.path() << " may hold secrets: owner-only";
    }
  }
}

const char* kAlarmed = R"(
  - type: test_source
    name: src1
    tags:
      - device: boiler
        tag: temp
        alarms: [{condition: hi, limit: 90, severity: 700, message: boiler hot}]
)";

TEST_F(GatewayTest, AlarmStateSurvivesARestartAndOperatorActionsWork) {
  start(parse(kAlarmed));
  waitConnected("src1");
  ASSERT_TRUE(hub.push("src1", "boiler", "temp", 95));
  std::optional<pipeline::AlarmStatus> alarm;
  for (int i = 0; i < 500 && !(alarm && model::isActive(alarm->state)); ++i) {
    std::this_thread::sleep_for(10ms);
    alarm = gw_->stage().withState([](pipeline::PipelineState& s, std::vector<model::Record>&) {
      return s.alarm("boiler/temp/hi");
    });
  }
  ASSERT_TRUE(alarm);
  EXPECT_EQ(alarm->state, model::AlarmState::kActiveUnacked);
  gw_->stop();
  gw_.reset();

  // A new process: the alarm is still active and unacknowledged, and can be acknowledged.
  start(parse(kAlarmed));
  auto again = gw_->stage().withState([](pipeline::PipelineState& s, std::vector<model::Record>&) {
    return s.alarm("boiler/temp/hi");
  });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, model::AlarmState::kActiveUnacked);
  auto acked =
      gw_->stage().withState([](pipeline::PipelineState& s, std::vector<model::Record>& out) {
        return s.acknowledge("boiler/temp/hi", "alice", "seen", 1, out);
      });
  ASSERT_TRUE(acked) << acked.error().toString();
  auto after = gw_->stage().withState([](pipeline::PipelineState& s, std::vector<model::Record>&) {
    return s.alarm("boiler/temp/hi");
  });
  EXPECT_EQ(after->state, model::AlarmState::kActiveAcked);
}

// Reconfiguration while a source streams numbered readings: the unchanged source never
// reconnects, and its numbers arrive in the log complete, in order and once.
TEST_F(GatewayTest, ReconfigurationUnderLoadLosesAndDuplicatesNothing) {
  const std::string streaming = R"(
  - type: test_source
    name: stream
    burst: 50
    tags: [{device: line, tag: seq}]
)";
  hub.paused = false;
  start(parse(streaming + kTwoSources));
  int stream_id = waitConnected("stream");
  const std::vector<std::string> variants = {// modify src2, add src3
                                             streaming + kTwoSources + R"(
  - type: test_source
    name: src3
    tags: [{device: tank, tag: level}]
)",
                                             // rejected: a tag claimed twice
                                             streaming + R"(
  - type: test_source
    name: src1
    tags: [{device: line, tag: seq}]
)",
                                             // remove src1 and src3, rescale src2
                                             streaming + R"(
  - type: test_source
    name: src2
    tags: [{device: pump, tag: flow, scale: 3}]
)",
                                             // back to the start: src1 again, src2 as it was
                                             streaming + kTwoSources};
  auto t0 = std::chrono::steady_clock::now();
  uint64_t e0 = hub.emitted;
  int applied = 0, rejected = 0;
  for (int round = 0; round < 3; ++round) {
    for (const auto& v : variants) {
      std::this_thread::sleep_for(50ms);
      auto report = gw_->apply(parse(v));
      (report.applied ? applied : rejected)++;
      EXPECT_TRUE(std::find(report.adapters_kept.begin(), report.adapters_kept.end(), "stream") !=
                      report.adapters_kept.end() ||
                  !report.applied)
          << report.summary();
    }
  }
  EXPECT_EQ(applied, 9);
  EXPECT_EQ(rejected, 3);
  hub.paused = true;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t emitted = hub.emitted;
  EXPECT_EQ(hub.instanceId("stream"), stream_id) << "the unchanged source was restarted";
  auto s = gw_->status();
  for (const auto& a : s["adapters"]) {
    if (a["name"] == "stream") {
      EXPECT_EQ(a["connects"], 1) << "the unchanged source reconnected";
    }
  }

  // Every number, once, in order.
  std::vector<double> seq;
  for (int i = 0; i < 1000; ++i) {
    seq = valuesOf(logged({"seq"}), "seq");
    if (seq.size() >= emitted) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(seq.size(), emitted);
  size_t out_of_place = 0;
  for (size_t i = 0; i < seq.size(); ++i) out_of_place += seq[i] != static_cast<double>(i);
  EXPECT_EQ(out_of_place, 0u);
  std::printf("[ load     ] %llu numbered readings, %.0f/s during 12 reconfigurations\n",
              static_cast<unsigned long long>(emitted - e0), (emitted - e0) / seconds);
}

TEST_F(GatewayTest, AQuotaEvictionIsAnnouncedAsALogRecord) {
  start(parse(R"(
  - type: test_source
    name: fast
    burst: 200
    tags: [{device: line, tag: seq}]
)",
              ", quota: 256KiB"));
  waitConnected("fast");
  auto evicted = [&] {
    return metrics_.valueOf("sf_log_evicted_records_total",
                            {{"stream", "main"}, {"class", "telemetry"}});
  };
  for (int i = 0; i < 2000 && evicted() == 0; ++i) std::this_thread::sleep_for(10ms);
  hub.paused = true;
  ASSERT_GT(evicted(), 0) << "the quota never evicted";
  // The announcement is appended after the eviction: wait for it in the log.
  const model::Record* notice = nullptr;
  std::vector<model::Record> rs;
  for (int i = 0; i < 500 && !notice; ++i) {
    rs = logged({});
    for (const auto& r : rs) {
      const auto* cls = r.attributes.find("class");
      if (r.log() && r.log()->origin == "dataplane.log.quota" && cls && *cls == "telemetry") {
        notice = &r;
      }
    }
    if (!notice) std::this_thread::sleep_for(10ms);
  }
  ASSERT_NE(notice, nullptr) << "no quota eviction announced in the log";
  // With the source paused nothing else is appended: the announcement must not evict in turn
  // (an announcement per eviction used to feed an endless eviction loop at the quota).
  auto all_evicted = [&] {
    double sum = 0;
    for (const char* cls : {"telemetry", "event", "alarm", "log"}) {
      sum += metrics_.valueOf("sf_log_evicted_records_total", {{"stream", "main"}, {"class", cls}});
    }
    return sum;
  };
  double settled = all_evicted();
  std::this_thread::sleep_for(2500ms);  // more than the announcements' interval, twice
  EXPECT_EQ(all_evicted(), settled) << "evictions go on with nothing appended";
  EXPECT_EQ(notice->log()->level, model::LogLevel::kWarning);
  EXPECT_NE(notice->log()->message.find("telemetry record(s) dropped"), std::string::npos)
      << notice->log()->message;
  ASSERT_NE(notice->attributes.find("class"), nullptr);
  EXPECT_EQ(*notice->attributes.find("class"), "telemetry");
  ASSERT_NE(notice->attributes.find("first_offset"), nullptr);
  ASSERT_NE(notice->attributes.find("last_offset"), nullptr);
  uint64_t first = std::stoull(*notice->attributes.find("first_offset"));
  uint64_t last = std::stoull(*notice->attributes.find("last_offset"));
  EXPECT_LE(first, last);
  EXPECT_GT(std::stoull(*notice->attributes.find("records")), 0u);
  // The announced range is gone from the log.
  auto& log = gw_->localLog();
  auto read = log.read(first, 1, 1 << 20);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->empty() || read->front().offset > first);
}

TEST_F(GatewayTest, DiffConfigsReportsWithoutARunningGateway) {
  auto cur = parse(kTwoSources);
  auto next = parse(R"(
  - type: test_source
    name: src1
    tags: [{device: boiler, tag: temp, scale: 0.1, unit: degC}]
)");
  next.http.listen = "127.0.0.1:9999";
  auto report = diffConfigs(cur, next, testComponents());
  EXPECT_TRUE(report.error.empty()) << report.error;
  EXPECT_EQ(report.adapters_kept, std::vector<std::string>{"src1"});
  EXPECT_EQ(report.adapters_removed, std::vector<std::string>{"src2"});
  EXPECT_EQ(report.restart_required, std::vector<std::string>{"http"});
}

}  // namespace
}  // namespace sf::runtime
