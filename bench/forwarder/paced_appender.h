#pragma once
// A live source for the forwarder benchmarks: a thread that appends records of one size to a
// local log at a steady rate (a batch every tick, as an adapter's poll would), or as fast as
// the log takes them while a lag bound holds. Each record's timestamp is its append time, so
// the forwarder's sf_forwarder_delivery_latency_seconds measures append -> Kafka ack.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/log/log.h"

namespace sf::bench {

class PacedAppender {
 public:
  struct Options {
    double rate = 10'000;                  // records/s; 0: as fast as `may_append` allows
    std::chrono::microseconds tick{1000};  // one batch per tick at a fixed rate
    size_t record_bytes = 100;             // encoded record size (bench::makeRecord)
    std::string site = "bench";            // the records' site (topic sf.<site>.telemetry)
    std::function<bool()> may_append;      // unpaced: appends while it returns true
    bool measure_latency = false;          // keep each append's durable latency and append times
  };

  PacedAppender(log::Log& log, Options options);
  ~PacedAppender();  // stop()
  PacedAppender(const PacedAppender&) = delete;
  PacedAppender& operator=(const PacedAppender&) = delete;

  void start();
  // Stops appending and waits until every append made has completed.
  void stop();

  uint64_t appended() const { return appended_.load(); }  // durable records
  uint64_t failed() const { return failed_.load(); }
  // Ticks whose batch waited because 16 appends were still in flight (the log fell behind the
  // rate; the records were appended later).
  uint64_t lateTicks() const { return late_ticks_.load(); }
  // Append -> durable latency of every append, in microseconds (measure_latency, after stop()).
  std::vector<double> durableLatenciesUs() const;
  // Steady-clock time (ns) each offset was appended, indexed by offset - first offset (with
  // measure_latency, after stop()); and the first offset appended.
  const std::vector<int64_t>& appendTimesNs() const { return append_ns_; }
  uint64_t firstOffset() const { return first_offset_; }

 private:
  void run();

  log::Log& log_;
  const Options opt_;
  std::vector<std::string> payloads_;  // encoded records, cycled
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> appended_{0}, failed_{0}, late_ticks_{0};
  std::atomic<int> in_flight_{0};
  mutable std::mutex mu_;
  std::vector<double> durable_us_;  // under mu_
  std::vector<int64_t> append_ns_;  // under mu_ until stop()
  uint64_t first_offset_ = UINT64_MAX;
};

}  // namespace sf::bench
