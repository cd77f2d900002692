#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace sf::core {
namespace {

void appendDouble(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out += buf;
}

void appendLabels(std::string& out, const Labels& labels, std::string_view extra_key = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return;
  out += '{';
  bool first = true;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (!extra_key.empty()) add(extra_key, extra_value);
  out += '}';
}

Labels sorted(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

void Gauge::add(double d) {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t j = 0; j <= i && j <= bounds_.size(); ++j) total += buckets_[j].load();
  return total;
}

double Histogram::quantile(double q) const {
  uint64_t n = count();
  if (n == 0) return 0;
  double rank = q * static_cast<double>(n);
  uint64_t seen = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    uint64_t in_bucket = buckets_[i].load();
    if (static_cast<double>(seen + in_bucket) >= rank && in_bucket > 0) {
      double lo = i == 0 ? 0 : bounds_[i - 1];
      double hi = i < bounds_.size() ? bounds_[i] : lo;
      double frac = (rank - static_cast<double>(seen)) / static_cast<double>(in_bucket);
      return lo + (hi - lo) * std::clamp(frac, 0.0, 1.0);
    }
    seen += in_bucket;
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

std::vector<double> latencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,     0.25,   0.5,     1,      2.5,   5,      10,    30,   60};
}

MetricsRegistry& MetricsRegistry::global() {
  static MetricsRegistry registry;
  return registry;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}}).first;
  }
  return it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, Kind::kCounter);
  auto& s = f.series[sorted(std::move(labels))];
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, Kind::kGauge);
  auto& s = f.series[sorted(std::move(labels))];
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help, Labels labels,
                                      std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, Kind::kHistogram);
  auto& s = f.series[sorted(std::move(labels))];
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void MetricsRegistry::remove(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.erase(sorted(labels));
}

double MetricsRegistry::valueOf(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return -1;
  auto s = it->second.series.find(sorted(labels));
  if (s == it->second.series.end()) return -1;
  if (s->second.counter) return static_cast<double>(s->second.counter->value());
  if (s->second.gauge) return s->second.gauge->value();
  if (s->second.histogram) return static_cast<double>(s->second.histogram->count());
  return -1;
}

std::string MetricsRegistry::renderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, f] : families_) {
    if (f.series.empty()) continue;
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " ";
    out += f.kind == Kind::kCounter ? "counter" : f.kind == Kind::kGauge ? "gauge" : "histogram";
    out += '\n';
    for (const auto& [labels, s] : f.series) {
      if (s.counter) {
        out += name;
        appendLabels(out, labels);
        out += ' ' + std::to_string(s.counter->value()) + '\n';
      } else if (s.gauge) {
        out += name;
        appendLabels(out, labels);
        out += ' ';
        appendDouble(out, s.gauge->value());
        out += '\n';
      } else if (s.histogram) {
        const auto& h = *s.histogram;
        for (size_t i = 0; i <= h.bounds().size(); ++i) {
          std::string le;
          if (i < h.bounds().size()) {
            appendDouble(le, h.bounds()[i]);
          } else {
            le = "+Inf";
          }
          out += name + "_bucket";
          appendLabels(out, labels, "le", le);
          out += ' ' + std::to_string(h.cumulative(i)) + '\n';
        }
        out += name + "_sum";
        appendLabels(out, labels);
        out += ' ';
        appendDouble(out, h.sum());
        out += '\n';
        out += name + "_count";
        appendLabels(out, labels);
        out += ' ' + std::to_string(h.count()) + '\n';
      }
    }
  }
  return out;
}

}  // namespace sf::core
