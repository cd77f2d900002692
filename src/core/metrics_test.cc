#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace sf::core {
namespace {

TEST(Metrics, CounterGaugeRender) {
  MetricsRegistry reg;
  auto& c =
      reg.counter("sf_test_records_total", "Records.", {{"type", "modbus"}, {"instance", "a"}});
  c.inc();
  c.inc(4);
  reg.gauge("sf_test_lag_records", "Lag.").set(12.5);
  std::string text = reg.renderPrometheus();
  EXPECT_NE(text.find("# TYPE sf_test_records_total counter"), std::string::npos);
  // Labels are sorted so the same series is found whatever order they are given in.
  EXPECT_NE(text.find("sf_test_records_total{instance=\"a\",type=\"modbus\"} 5"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sf_test_lag_records 12.5"), std::string::npos) << text;
  EXPECT_EQ(&c, &reg.counter("sf_test_records_total", "", {{"instance", "a"}, {"type", "modbus"}}));
  EXPECT_EQ(reg.valueOf("sf_test_records_total", {{"type", "modbus"}, {"instance", "a"}}), 5);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry reg;
  auto& h = reg.histogram("sf_test_latency_seconds", "Latency.", {}, {0.1, 1, 10});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  h.observe(50);
  std::string text = reg.renderPrometheus();
  EXPECT_NE(text.find("sf_test_latency_seconds_bucket{le=\"0.10000000000000001\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sf_test_latency_seconds_bucket{le=\"+Inf\"} 4"), std::string::npos);
  EXPECT_NE(text.find("sf_test_latency_seconds_count 4"), std::string::npos);
  EXPECT_GT(h.quantile(0.5), 0.1);
  EXPECT_LE(h.quantile(0.5), 1.0);
}

TEST(Metrics, RemoveSeries) {
  MetricsRegistry reg;
  reg.counter("sf_x_total", "x", {{"instance", "a"}}).inc();
  reg.remove("sf_x_total", {{"instance", "a"}});
  EXPECT_EQ(reg.valueOf("sf_x_total", {{"instance", "a"}}), -1);
  EXPECT_EQ(reg.renderPrometheus().find("sf_x_total"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry reg;
  auto& c = reg.counter("sf_c_total", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
}

}  // namespace
}  // namespace sf::core
