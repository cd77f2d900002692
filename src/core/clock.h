#pragma once
// Clock: the one source of time for components, so tests can control it.
// SystemClock is thread-safe and stateless; ManualClock is thread-safe (atomic).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sf::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time since the Unix epoch in nanoseconds (record timestamps).
  virtual int64_t nowUnixNanos() const = 0;
  // Monotonic time in nanoseconds (intervals, timeouts, scheduling).
  virtual int64_t monotonicNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowUnixNanos() const override;
  int64_t monotonicNanos() const override;
  // The process-wide instance.
  static const SystemClock& instance();
};

// A clock that moves only when told: for alarm delays, shelving expiry, retention by age.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_nanos = 1'700'000'000'000'000'000LL)
      : unix_(unix_nanos), mono_(0) {}
  int64_t nowUnixNanos() const override { return unix_.load(); }
  int64_t monotonicNanos() const override { return mono_.load(); }
  void advance(std::chrono::nanoseconds d) {
    unix_ += d.count();
    mono_ += d.count();
  }

 private:
  std::atomic<int64_t> unix_;
  std::atomic<int64_t> mono_;
};

}  // namespace sf::core
