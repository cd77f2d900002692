// forwarder_latency_bench: latency from append to durable (local log) and from append to Kafka
// acknowledgement at half the forwarder's peak rate, with live traffic, and the process's
// memory at idle and at peak. Nothing is asserted; the figures are printed.
//
// Usage: forwarder_latency_bench [--brokers HOST:PORT] [--size B] [--seconds S] [--rate R]
//                                [--partitions P] [--dir DIR] [--compression C] [--linger-ms L]
//                                [--in-flight-records N] [--in-flight-mib M]
//
// 1. peak: a source appends as fast as the forwarder keeps up (lag kept under 200k records);
//    the peak is the records/s Kafka acknowledged in the last S seconds.
// 2. half the peak (or --rate): a paced source appends a batch every millisecond; every
//    record's append time is kept. Append -> durable is the append's callback; append -> Kafka
//    ack is the moment the forwarder's contiguous acknowledged cursor passed the record (polled
//    every 100 µs), beside the forwarder's own histogram (sf_forwarder_delivery_latency_seconds,
//    per delivery report, bucket-interpolated).
// Memory: RssAnon (heap and stacks: the log, the forwarder with librdkafka's queues, the
// source) once the producer is connected and idle, and its maximum during the peak run; the
// page cache of the log's files is not part of it.
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
#include "kafka_bench_util.h"
#include "paced_appender.h"

using namespace sf;
using Clock = std::chrono::steady_clock;

namespace {

struct Args : bench::KafkaBenchArgs {
  uint64_t size = 100;
  double seconds = 20;
  double rate = 0;                 // 0: half the measured peak
  uint64_t in_flight_records = 0;  // 0: the output's default
  uint64_t in_flight_mib = 0;
};

Args parseArgs(int argc, char** argv) {
  Args a;
  bench::Flags flags("forwarder_latency_bench");
  a.addTo(flags);
  flags.add("size", a.size)
      .add("seconds", a.seconds)
      .add("rate", a.rate)
      .add("in-flight-records", a.in_flight_records)
      .add("in-flight-mib", a.in_flight_mib);
  flags.parse(argc, argv);
  a.check(flags);
  return a;
}

int64_t monoNs() { return Clock::now().time_since_epoch() / std::chrono::nanoseconds(1); }

double mib(uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

// Samples the forwarder's contiguous acknowledged cursor every 100 µs (only changes are kept)
// and the process's anonymous memory every 100 ms (its maximum).
class Sampler {
 public:
  explicit Sampler(const kafka::Forwarder& f) : f_(f) {
    thread_ = std::thread([this] {
      int64_t next_mem = 0;
      while (!stop_.load()) {
        int64_t now = monoNs();
        uint64_t c = f_.stats().cursor;
        if (c != last_) {
          if (keep_.load()) samples_.emplace_back(now, c);
          last_ = c;
        }
        if (now >= next_mem) {
          max_anon_kib_ = std::max(max_anon_kib_.load(), bench::memoryOf().rss_anon_kib);
          next_mem = now + 100'000'000;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
  }
  ~Sampler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void keepCursorSamples() { keep_ = true; }
  void resetMaxMemory() { max_anon_kib_ = 0; }
  uint64_t maxAnonKib() const { return max_anon_kib_.load(); }
  // (time, cursor) pairs; read after stop().
  const std::vector<std::pair<int64_t, uint64_t>>& samples() const { return samples_; }

 private:
  const kafka::Forwarder& f_;
  std::thread thread_;
  std::atomic<bool> stop_{false}, keep_{false};
  std::atomic<uint64_t> max_anon_kib_{0};
  uint64_t last_ = UINT64_MAX;
  std::vector<std::pair<int64_t, uint64_t>> samples_;
};

std::vector<uint64_t> cumulative(const core::Histogram& h) {
  std::vector<uint64_t> c;
  for (size_t i = 0; i < h.bounds().size(); ++i) c.push_back(h.cumulative(i));
  c.push_back(h.count());
  return c;
}

// The q-quantile of the observations made between two snapshots of cumulative bucket counts,
// interpolated linearly within its bucket (as Prometheus' histogram_quantile does).
double quantileBetween(const core::Histogram& h, const std::vector<uint64_t>& before,
                       const std::vector<uint64_t>& after, double q) {
  const auto& bounds = h.bounds();
  double total = static_cast<double>(after.back() - before.back());
  if (total == 0) return 0;
  double rank = q * total;
  for (size_t i = 0; i < bounds.size(); ++i) {
    double c = static_cast<double>(after[i] - before[i]);
    if (c >= rank) {
      double lo = i == 0 ? 0 : bounds[i - 1];
      double prev = i == 0 ? 0 : static_cast<double>(after[i - 1] - before[i - 1]);
      double in = c - prev;
      return in > 0 ? lo + (bounds[i] - lo) * (rank - prev) / in : bounds[i];
    }
  }
  return bounds.back();
}

void waitDrained(const log::Log& log, const kafka::Forwarder& f) {
  while (f.stats().cursor < log.endOffset()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void printLatency(const char* what, std::vector<double> ms) {
  std::printf("  %-42s p50 %8.2f ms   p99 %8.2f ms   p99.9 %8.2f ms   max %8.2f ms  (%zu)\n", what,
              bench::percentile(ms, 0.5), bench::percentile(ms, 0.99), bench::percentile(ms, 0.999),
              bench::percentile(ms, 1.0), ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parseArgs(argc, argv);
  core::Logger::instance().setLevel(core::LogLevel::kWarn);
  bench::printHeader(argc, argv);
  std::printf("setup:    %s; %llu-byte records; log fsync: batch\n", a.describe().c_str(),
              static_cast<unsigned long long>(a.size));
  const std::string run = std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
  const std::string site = "latency-" + run;
  if (!bench::createTopic(a.brokers, "sf." + site + ".telemetry", a.partitions)) {
    std::cerr << "cannot create the topic\n";
    return 1;
  }
  auto opts = a.outputOptions();
  if (a.in_flight_records) {
    opts.max_in_flight_records = static_cast<uint32_t>(a.in_flight_records);
  }
  if (a.in_flight_mib) opts.max_in_flight_bytes = config::ByteSize::mib(a.in_flight_mib);
  auto live = bench::startLiveForwarder(a.dir + "/sf-fwd-latency-" + run, opts);
  if (!live) return 1;
  auto& f = *live->forwarder;
  auto& l = *live->log;
  auto& metrics = live->metrics;
  std::printf("          in-flight window %u records / %.0f MiB\n\n",
              f.options().max_in_flight_records,
              static_cast<double>(f.options().max_in_flight_bytes.bytes) / (1 << 20));
  while (f.state() != kafka::ProducerState::kConnecting && f.state() != kafka::ProducerState::kUp) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  bench::Memory idle = bench::memoryOf();
  Sampler sampler(f);

  // 1. Peak: as fast as the forwarder keeps up.
  {
    bench::PacedAppender::Options po;
    po.rate = 0;
    po.record_bytes = a.size;
    po.site = site;
    po.may_append = [&] { return l.endOffset() - f.stats().cursor < 200'000; };
    bench::PacedAppender src(l, po);
    sampler.resetMaxMemory();
    src.start();
    std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up
    uint64_t acked0 = f.stats().acked;
    auto t0 = Clock::now();
    double cpu0 = bench::processCpuSeconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = bench::processCpuSeconds() - cpu0;
    double peak = static_cast<double>(f.stats().acked - acked0) / secs;
    src.stop();
    waitDrained(l, f);
    std::printf(
        "1. peak, live (source -> log -> Kafka): %.0f records/s acknowledged by Kafka, %.0f %% of "
        "a CPU for the whole process\n",
        peak, 100 * cpu / secs);
    if (a.rate <= 0) a.rate = peak / 2;
  }
  uint64_t peak_anon = sampler.maxAnonKib();
  uint64_t peak_hwm = bench::memoryOf().hwm_kib;  // before 2. adds this bench's own arrays

  // 2. Half the peak: per-record latency.
  bench::PacedAppender::Options po;
  po.rate = a.rate;
  po.record_bytes = a.size;
  po.site = site;
  po.measure_latency = true;
  bench::PacedAppender src(l, po);
  auto& hist =
      metrics.histogram("sf_forwarder_delivery_latency_seconds", "", {{"output", "bench"}});
  std::vector<uint64_t> hist_before = cumulative(hist);
  sampler.keepCursorSamples();
  src.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  src.stop();
  waitDrained(l, f);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sampler.stop();

  const auto& times = src.appendTimesNs();
  const auto& samples = sampler.samples();
  std::vector<double> kafka_ms;
  kafka_ms.reserve(times.size());
  auto it = samples.begin();
  for (size_t i = 0; i < times.size(); ++i) {
    uint64_t offset = src.firstOffset() + i;
    while (it != samples.end() && it->second <= offset) ++it;
    if (it == samples.end() || times[i] == 0) continue;
    kafka_ms.push_back(static_cast<double>(it->first - times[i]) / 1e6);
  }
  std::vector<double> durable_ms = src.durableLatenciesUs();
  for (auto& v : durable_ms) v /= 1000;
  std::vector<uint64_t> hist_after = cumulative(hist);
  std::printf("\n2. at %.0f records/s (%s), a batch every 1 ms, %.0f s; late ticks %llu\n", a.rate,
              a.rate > 0 ? "half the peak unless --rate" : "", a.seconds,
              static_cast<unsigned long long>(src.lateTicks()));
  printLatency("append -> durable in the log (per append)", durable_ms);
  printLatency("append -> Kafka ack (cursor passed it)", kafka_ms);
  std::printf(
      "  forwarder histogram, append -> delivery report: p50 %.2f ms, p99 %.2f ms (%llu "
      "reports in this phase, bucket-interpolated)\n",
      quantileBetween(hist, hist_before, hist_after, 0.5) * 1000,
      quantileBetween(hist, hist_before, hist_after, 0.99) * 1000,
      static_cast<unsigned long long>(hist_after.back() - hist_before.back()));
  std::printf("  resent %llu, rebuilds %llu\n", static_cast<unsigned long long>(f.stats().resent),
              static_cast<unsigned long long>(f.stats().rebuilds));

  bench::Memory end = bench::memoryOf();
  std::printf(
      "\nmemory of this process (log + forwarder + source): RssAnon idle %.1f MiB, peak during 1. "
      "%.1f MiB; RssFile %.1f MiB (binary and libraries); VmHWM (peak RSS) after 1. %.1f MiB\n",
      mib(idle.rss_anon_kib), mib(peak_anon), mib(end.rss_file_kib), mib(peak_hwm));
  return 0;
}
