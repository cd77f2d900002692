// pipeline_bench: records/s on one core through the per-tag pipeline (scaling, clamp, deadband,
// alarms) over N tags, beside a loop that only copies (or moves) the same records into the
// output vector: the limit any per-record stage can reach. Also the resident memory the
// compiled pipeline and its state take per 10k tags. A benchmark prints its figures; nothing
// asserts them.
//
// Usage: pipeline_bench [--tags N] [--records M] [--passes P]
//   --tags     tags in the pipeline (default 10000)
//   --records  distinct pre-generated readings, cycled over the tags (default 500000)
//   --passes   how often the readings are run through each scenario (default 4)
// Readings are a random walk of raw int16-like counts per tag, one reading per tag per
// simulated second; tick() runs once per simulated second as a runtime would.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dataplane/pipeline/pipeline.h"

using namespace sf;
using Steady = std::chrono::steady_clock;

namespace {

struct Args {
  size_t tags = 10000;
  size_t records = 500000;
  int passes = 4;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "pipeline_bench: " << why
            << "\nusage: pipeline_bench [--tags N] [--records M] [--passes P]\n";
  std::exit(2);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage("missing value for " + k);
    std::string v = argv[++i];
    if (k == "--tags") {
      a.tags = std::stoul(v);
    } else if (k == "--records") {
      a.records = std::stoul(v);
    } else if (k == "--passes") {
      a.passes = std::stoi(v);
    } else {
      usage("unknown option " + k);
    }
  }
  if (a.tags == 0 || a.records == 0 || a.passes <= 0) usage("values must be positive");
  return a;
}

long rssKiB() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  f >> pages_total >> pages_resident;
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

std::string deviceName(size_t i) { return "dev" + std::to_string(i / 10); }
std::string tagName(size_t i) { return "t" + std::to_string(i % 10); }

// Every tag: scale 0.1 with offset, clamp, absolute deadband, hi/hihi/lo alarms with
// hysteresis; every tenth tag also a rate-of-change alarm with an on-delay.
pipeline::PipelineConfig benchConfig(size_t tags, bool deadband, bool alarms) {
  pipeline::PipelineConfig c;
  c.site = "bench";
  c.gateway = "gw1";
  c.tags.reserve(tags);
  for (size_t i = 0; i < tags; ++i) {
    pipeline::TagPipelineConfig t;
    t.adapter = "sim";
    t.device = deviceName(i);
    t.tag = tagName(i);
    t.unit = "degC";
    t.scale = 0.1;
    t.offset = -20;
    t.clamp_min = -20;
    t.clamp_max = 300;
    if (deadband) {
      t.deadband_mode = pipeline::DeadbandMode::kAbsolute;
      t.deadband = 0.5;
      t.max_silence = std::chrono::seconds(60);
    }
    if (alarms) {
      auto rule = [](model::AlarmCondition c, double limit, double db) {
        pipeline::AlarmRuleConfig a;
        a.condition = c;
        a.limit = limit;
        a.deadband = db;
        a.severity = 600;
        a.message = "bench";
        return a;
      };
      t.alarms = {rule(model::AlarmCondition::kHi, 150, 2),
                  rule(model::AlarmCondition::kHiHi, 200, 2),
                  rule(model::AlarmCondition::kLo, 10, 2)};
      if (i % 10 == 0) {
        auto roc = rule(model::AlarmCondition::kRateOfChange, 5, 1);
        roc.window = std::chrono::seconds(10);
        roc.on_delay = std::chrono::seconds(2);
        t.alarms.push_back(roc);
      }
    }
    c.tags.push_back(std::move(t));
  }
  return c;
}

constexpr int64_t kT0 = 1'700'000'000'000'000'000LL;

// Reading i is for tag i % tags at simulated time t0 + i * (1 s / tags).
std::vector<model::Record> makeReadings(size_t tags, size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> step(0, 6);  // counts; 0.6 degC per step
  std::vector<double> raw(tags);
  for (size_t i = 0; i < tags; ++i) raw[i] = 1000 + static_cast<double>(rng() % 600);
  std::vector<model::Record> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    size_t ti = i % tags;
    raw[ti] = std::clamp(raw[ti] + step(rng), 0.0, 3400.0);
    model::Record r;
    r.site = "bench";
    r.gateway = "gw1";
    r.adapter = "sim";
    r.device = deviceName(ti);
    r.tag = tagName(ti);
    r.source_ts_ns = kT0 + static_cast<int64_t>(i * (1'000'000'000 / tags));
    r.gateway_ts_ns = r.source_ts_ns;
    r.value = model::Value::ofInt64(static_cast<int64_t>(raw[ti]));
    v.push_back(std::move(r));
  }
  return v;
}

struct Result {
  double seconds = 0;
  uint64_t in = 0;
  uint64_t out = 0;
};

// Runs `step` over every reading `passes` times, handing the output vector on every 1024
// records (as a runtime hands a batch to the log writer) and ticking once per simulated second.
Result run(
    const std::vector<model::Record>& readings, size_t tags, int passes,
    const std::function<void(const model::Record&, int64_t, std::vector<model::Record>&)>& step,
    const std::function<void(int64_t, std::vector<model::Record>&)>& tick) {
  std::vector<model::Record> out;
  out.reserve(4096);
  Result r;
  const int64_t per_reading = static_cast<int64_t>(1'000'000'000 / tags);
  const int64_t pass_span = static_cast<int64_t>(readings.size()) * per_reading;
  auto start = Steady::now();
  for (int p = 0; p < passes; ++p) {
    for (size_t i = 0; i < readings.size(); ++i) {
      const int64_t now = readings[i].source_ts_ns + p * pass_span;
      step(readings[i], now, out);
      if (tick && (i + 1) % tags == 0) tick(now, out);
      if (out.size() >= 1024) {
        r.out += out.size();
        out.clear();
      }
    }
  }
  r.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  r.out += out.size();
  r.in = readings.size() * static_cast<uint64_t>(passes);
  return r;
}

void print(const char* name, const Result& r, double limit_rate) {
  double rate = static_cast<double>(r.in) / r.seconds;
  std::printf("%-44s %12.0f rec/s %8.1f ns/rec  out %5.1f%%", name, rate, 1e9 / rate,
              100.0 * static_cast<double>(r.out) / static_cast<double>(r.in));
  if (limit_rate > 0) std::printf("  %5.1f%% of copy limit", 100.0 * rate / limit_rate);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parseArgs(argc, argv);
  std::printf("pipeline_bench\n");
  sf::bench::printHeader(argc, argv);
  std::printf("compiler: g++ %s%s\n", __VERSION__,
#ifdef NDEBUG
              ", NDEBUG"
#else
              ", assertions on"
#endif
  );
  std::printf("setup:    %zu tags, %zu readings x %d passes, one thread\n\n", args.tags,
              args.records, args.passes);

  // Memory: the compiled pipeline and the state with every tag seen once. The warm-up readings
  // exist before the first measurement so that only the pipeline's own allocations count.
  auto warm = makeReadings(args.tags, args.tags);
  std::vector<model::Record> warm_out;
  warm_out.reserve(64);
  auto config = benchConfig(args.tags, true, true);
  long rss0 = rssKiB();
  auto compiled = pipeline::Pipeline::compile(std::move(config));
  if (!compiled) {
    std::cerr << compiled.error().toString() << "\n";
    return 1;
  }
  long rss1 = rssKiB();
  auto state = std::make_unique<pipeline::PipelineState>(*compiled);
  for (auto& r : warm) {
    const int64_t now = r.source_ts_ns;
    state->process(std::move(r), now, warm_out);
    warm_out.clear();
  }
  long rss2 = rssKiB();
  const double per10k = 10000.0 / static_cast<double>(args.tags);
  std::printf(
      "memory (RSS delta, per 10k tags): compiled pipeline %.1f MiB, state %.1f MiB, "
      "total %.1f MiB\n\n",
      static_cast<double>(rss1 - rss0) / 1024 * per10k,
      static_cast<double>(rss2 - rss1) / 1024 * per10k,
      static_cast<double>(rss2 - rss0) / 1024 * per10k);
  state.reset();

  auto readings = makeReadings(args.tags, args.records);

  // The limit: a stage that only copies (or moves) each record into the output.
  Result copy = run(
      readings, args.tags, args.passes,
      [](const model::Record& in, int64_t, std::vector<model::Record>& out) { out.push_back(in); },
      nullptr);
  print("baseline: copy record to output", copy, 0);
  const double limit = static_cast<double>(copy.in) / copy.seconds;

  auto scenario = [&](const char* name, bool deadband, bool alarms, bool move) {
    auto p = pipeline::Pipeline::compile(benchConfig(args.tags, deadband, alarms));
    pipeline::PipelineState s(*p);
    Result r;
    if (move) {
      // The runtime owns its readings and moves them in: the copy is then part of the work.
      r = run(
          readings, args.tags, args.passes,
          [&](const model::Record& in, int64_t now, std::vector<model::Record>& out) {
            model::Record owned = in;
            s.process(std::move(owned), now, out);
          },
          [&](int64_t now, std::vector<model::Record>& out) { s.tick(now, out); });
    } else {
      r = run(
          readings, args.tags, args.passes,
          [&](const model::Record& in, int64_t now, std::vector<model::Record>& out) {
            s.process(in, now, out);
          },
          [&](int64_t now, std::vector<model::Record>& out) { s.tick(now, out); });
    }
    print(name, r, limit);
    const auto& st = s.stats();
    std::printf(
        "    telemetry out %llu, deadband dropped %llu, alarm transitions %llu, "
        "heartbeats %llu\n",
        static_cast<unsigned long long>(st.telemetry_out),
        static_cast<unsigned long long>(st.deadband_dropped),
        static_cast<unsigned long long>(st.alarm_transitions),
        static_cast<unsigned long long>(st.heartbeats));
  };
  scenario("pipeline: scale+clamp", false, false, false);
  scenario("pipeline: scale+clamp+alarms", false, true, false);
  scenario("pipeline: scale+clamp+deadband", true, false, false);
  scenario("pipeline: scale+clamp+deadband+alarms", true, true, false);
  scenario("pipeline: all, copy then move in", true, true, true);
  return 0;
}
