// forwarder_drain_bench: how fast the forwarder drains the backlog a Kafka outage left in the
// local log while live traffic keeps flowing, and the process's memory while it does.
//
// Usage: forwarder_drain_bench [--brokers HOST:PORT] [--outage-seconds S] [--rate R] [--size B]
//                              [--partitions P] [--dir DIR] [--broker-script PATH]
//
// Runs against the single broker of scripts/services/up.sh, which it stops and starts with
// scripts/services/kafka-broker.sh (default: $SF_SERVICES_SCRIPTS/kafka-broker.sh):
//   1. a paced source appends R records/s; 10 s with the broker up;
//   2. `kafka-broker.sh stop single`; the source goes on for S seconds (default 600);
//   3. `kafka-broker.sh start single`; the time until the forwarder is back to live (lag under
//      0.1 s of traffic) and the rate at which Kafka acknowledged records meanwhile;
//   4. the source stops; the topic's message count is compared with the log's records.
// Nothing is asserted; the figures are printed. Do not run it while tests use the broker.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/log.h"
#include "dataplane/kafka/forwarder.h"
#include "dataplane/log/log.h"
#include "harness/process.h"
#include "kafka_bench_util.h"
#include "paced_appender.h"

using namespace sf;
using Clock = std::chrono::steady_clock;

namespace {

struct Args : bench::KafkaBenchArgs {
  double outage_seconds = 600;
  double rate = 10'000;
  uint64_t size = 100;
  std::string broker_script;
};

Args parseArgs(int argc, char** argv) {
  Args a;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
  if (const char* s = std::getenv("SF_SERVICES_SCRIPTS")) {
    a.broker_script = std::string(s) + "/kafka-broker.sh";
  }
  bench::Flags flags("forwarder_drain_bench");
  a.addTo(flags);
  flags.add("outage-seconds", a.outage_seconds)
      .add("rate", a.rate)
      .add("size", a.size)
      .add("broker-script", a.broker_script);
  flags.parse(argc, argv);
  a.check(flags);
  if (a.broker_script.empty()) flags.fail("no --broker-script and no SF_SERVICES_SCRIPTS");
  if (a.rate <= 0) flags.fail("--rate must be positive");
  return a;
}

double mib(uint64_t kib) { return static_cast<double>(kib) / 1024.0; }
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool broker(const Args& a, const char* action) {
  std::string text;
  int status = sf::testing::runProcess({a.broker_script, action, "single"}, &text);
  if (status != 0)
    std::fprintf(stderr, "kafka-broker.sh %s single failed:\n%s", action, text.c_str());
  return status == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parseArgs(argc, argv);
  core::Logger::instance().setLevel(core::LogLevel::kError);
  bench::printHeader(argc, argv);
  std::printf("setup:    %s; %llu-byte records at %.0f records/s; outage %.0f s\n\n",
              a.describe().c_str(), static_cast<unsigned long long>(a.size), a.rate,
              a.outage_seconds);
  std::fflush(stdout);
  const std::string run = std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
  const std::string site = "drain-" + run;
  const std::string topic = "sf." + site + ".telemetry";
  if (!bench::createTopic(a.brokers, topic, a.partitions)) {
    std::cerr << "cannot create the topic\n";
    return 1;
  }
  auto live = bench::startLiveForwarder(a.dir + "/sf-fwd-drain-" + run, a.outputOptions());
  if (!live) return 1;
  auto& f = *live->forwarder;
  auto& l = *live->log;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  bench::Memory idle = bench::memoryOf();

  std::atomic<bool> stop_sampling{false};
  std::atomic<uint64_t> max_anon{0};
  std::thread sampler([&] {
    while (!stop_sampling.load()) {
      max_anon = std::max(max_anon.load(), bench::memoryOf().rss_anon_kib);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto lag = [&] { return l.endOffset() - f.stats().cursor; };
  auto row = [&](const char* phase, double t) {
    auto st = f.stats();
    std::printf(
        "  %-8s t=%6.0f s  log end %10llu  Kafka acked %10llu  lag %9llu  state %-10s "
        "rebuilds %3llu  RssAnon %6.1f MiB\n",
        phase, t, static_cast<unsigned long long>(l.endOffset()),
        static_cast<unsigned long long>(st.acked),
        static_cast<unsigned long long>(l.endOffset() - st.cursor),
        std::string(kafka::producerStateName(f.state())).c_str(),
        static_cast<unsigned long long>(st.rebuilds), mib(bench::memoryOf().rss_anon_kib));
    std::fflush(stdout);
  };

  bench::PacedAppender::Options po;
  po.rate = a.rate;
  po.record_bytes = a.size;
  po.site = site;
  bench::PacedAppender src(l, po);
  src.start();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(10));
  row("live", since(t0));

  if (!broker(a, "stop")) return 1;
  auto t_stop = Clock::now();
  row("stopped", since(t0));
  while (since(t_stop) < a.outage_seconds) {
    double left = a.outage_seconds - since(t_stop);
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(60.0, left)));
    row("outage", since(t0));
  }
  uint64_t backlog = lag();
  uint64_t acked_before = f.stats().acked;
  auto t_start = Clock::now();
  if (!broker(a, "start")) return 1;
  double start_secs = since(t_start);
  auto t_ready = Clock::now();
  uint64_t acked_ready = f.stats().acked;
  row("started", since(t0));
  const auto live_lag = static_cast<uint64_t>(std::max(1000.0, a.rate * 0.1));
  auto next_row = Clock::now() + std::chrono::seconds(10);
  double first_ack_secs = -1;
  uint64_t acked_first = 0;
  auto t_first = Clock::now();
  while (lag() > live_lag) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (first_ack_secs < 0 && f.stats().acked > acked_ready) {
      first_ack_secs = since(t_ready);
      t_first = Clock::now();
      acked_first = f.stats().acked;
    }
    if (Clock::now() >= next_row) {
      row("drain", since(t0));
      next_row += std::chrono::seconds(10);
    }
  }
  double drain_secs = since(t_ready);
  if (first_ack_secs < 0) {  // caught up between two polls
    first_ack_secs = drain_secs;
    t_first = Clock::now();
    acked_first = f.stats().acked;
  }
  double flow_secs = std::max(since(t_first), 1e-3);
  uint64_t drained = f.stats().acked - acked_first;
  row("live", since(t0));
  src.stop();
  while (lag() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop_sampling = true;
  sampler.join();
  auto st = f.stats();
  f.stop();
  int64_t in_kafka = bench::topicMessageCount(a.brokers, topic);

  std::printf("\nbacklog when the broker came back: %llu records (%.0f s of traffic)\n",
              static_cast<unsigned long long>(backlog), static_cast<double>(backlog) / a.rate);
  std::printf("broker start (script, until it answers): %.1f s; acknowledged meanwhile %llu\n",
              start_secs, static_cast<unsigned long long>(acked_ready - acked_before));
  std::printf(
      "drain: first acknowledgement %.1f s after the broker was ready; back to live %.1f s after "
      "it; from the first acknowledgement Kafka acknowledged %.0f records/s while the source "
      "added %.0f/s (net catch-up %.0f records/s)\n",
      first_ack_secs, drain_secs, static_cast<double>(drained) / flow_secs, a.rate,
      static_cast<double>(drained) / flow_secs - a.rate);
  std::printf(
      "records: log %llu (source failures %llu), Kafka acknowledged %llu, topic holds %lld "
      "(%lld more than the log: re-sent after rebuilds), resent %llu, rebuilds %llu\n",
      static_cast<unsigned long long>(l.endOffset()), static_cast<unsigned long long>(src.failed()),
      static_cast<unsigned long long>(st.acked), static_cast<long long>(in_kafka),
      static_cast<long long>(in_kafka - static_cast<int64_t>(l.endOffset())),
      static_cast<unsigned long long>(st.resent), static_cast<unsigned long long>(st.rebuilds));
  bench::Memory end = bench::memoryOf();
  std::printf(
      "memory of this process (log + forwarder + source): RssAnon idle %.1f MiB, peak %.1f MiB; "
      "RssFile %.1f MiB (binary and libraries); VmHWM %.1f MiB\n",
      mib(idle.rss_anon_kib), mib(max_anon.load()), mib(end.rss_file_kib), mib(end.hwm_kib));
  return 0;
}
