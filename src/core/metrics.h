#pragma once
// Metrics registry: counters, gauges and histograms with labels, rendered as Prometheus text.
// Thread-safe: registration takes a mutex; updates on returned handles are lock-free atomics.
// Handles stay valid for the registry's lifetime (families never move their series).
// Names follow sf_<kind>_<what>_<unit|total> with {type, instance} labels (STYLE.md).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sf::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i].
  uint64_t cumulative(size_t i) const;
  // Estimated quantile (linear within the bucket), for status views and benchmarks.
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Default buckets in seconds, from 50 µs to 60 s.
std::vector<double> latencyBuckets();

class MetricsRegistry {
 public:
  static MetricsRegistry& global();

  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, Labels labels = {},
                       std::vector<double> bounds = latencyBuckets());

  // Removes one series (e.g. when an adapter is removed by a reconfiguration).
  void remove(std::string_view name, const Labels& labels);

  // Value of a counter or gauge series, or -1 if absent (tests, status view).
  double valueOf(std::string_view name, const Labels& labels = {}) const;

  std::string renderPrometheus() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::map<Labels, Series> series;
  };
  Family& family(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace sf::core
