#include "paced_appender.h"

#include "kafka_bench_util.h"
#include "model/record_codec.h"

namespace sf::bench {
namespace {
using Clock = std::chrono::steady_clock;
int64_t nowNs() { return Clock::now().time_since_epoch() / std::chrono::nanoseconds(1); }
}  // namespace

PacedAppender::PacedAppender(log::Log& log, Options options) : log_(log), opt_(std::move(options)) {
  for (uint64_t i = 0; i < 4096; ++i) {
    std::string enc;
    model::encodeBinary(makeRecord(i, opt_.record_bytes, opt_.site), enc);
    payloads_.push_back(std::move(enc));
  }
}

PacedAppender::~PacedAppender() { stop(); }

void PacedAppender::start() {
  thread_ = std::thread([this] { run(); });
}

void PacedAppender::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<double> PacedAppender::durableLatenciesUs() const {
  std::lock_guard lock(mu_);
  return durable_us_;
}

void PacedAppender::run() {
  const bool paced = opt_.rate > 0;
  const double per_tick = paced ? opt_.rate * std::chrono::duration<double>(opt_.tick).count() : 0;
  const size_t unpaced_batch = 1000;
  const int max_in_flight = 16;  // appends; bounds memory when the disk stalls
  double owed = 0;
  uint64_t n = 0;
  auto next = Clock::now();
  while (!stop_.load()) {
    size_t count;
    if (paced) {
      std::this_thread::sleep_until(next);
      next += opt_.tick;
      owed += per_tick;
      count = static_cast<size_t>(owed);
      owed -= static_cast<double>(count);
      if (count == 0) continue;
    } else {
      if ((opt_.may_append && !opt_.may_append()) || in_flight_.load() >= max_in_flight) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      count = unpaced_batch;
    }
    if (in_flight_.load() >= max_in_flight) {  // the disk is behind: append later, count it
      if (paced) owed += static_cast<double>(count);
      late_ticks_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    std::vector<log::Entry> batch(count);
    int64_t t0 = nowNs();
    int64_t wall = core::SystemClock::instance().nowUnixNanos();
    for (auto& e : batch) {
      e.ts_ns = wall;
      e.payload = payloads_[n++ % payloads_.size()];
    }
    in_flight_.fetch_add(1);
    log_.append(std::move(batch), [this, t0, count](core::Result<log::AppendResult> r) {
      if (opt_.measure_latency) {
        int64_t t1 = nowNs();
        std::lock_guard lock(mu_);
        durable_us_.push_back(static_cast<double>(t1 - t0) / 1e3);
        if (r) {
          if (first_offset_ == UINT64_MAX) first_offset_ = r->first_offset;
          size_t at = r->first_offset - first_offset_;
          if (append_ns_.size() < at + r->count) append_ns_.resize(at + r->count, 0);
          for (uint32_t i = 0; i < r->count; ++i) append_ns_[at + i] = t0;
        }
      }
      (r ? appended_ : failed_).fetch_add(r ? r->count : count);
      in_flight_.fetch_sub(1);
    });
  }
  while (in_flight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace sf::bench
