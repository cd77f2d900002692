#include "dataplane/runtime/supervisor.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace sf::runtime {
namespace {

using namespace std::chrono_literals;

class CollectingEmitter : public RecordEmitter {
 public:
  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable) override {
    std::lock_guard lock(mu);
    for (auto& r : records) this->records.push_back(std::move(r));
    if (durable) durable(core::ok());
  }
  std::mutex mu;
  std::vector<model::Record> records;
};

// Fails connect() `fail_first` times, then runs until cancelled (or until it "loses" the
// connection after `run_ticks` ticks, if set).
class ScriptedAdapter : public Adapter {
 public:
  explicit ScriptedAdapter(int fail_first, int run_ticks = -1, bool hang_in_connect = false)
      : fail_first_(fail_first), run_ticks_(run_ticks), hang_(hang_in_connect) {}

  asio::awaitable<core::Status> connect() override {
    ++connect_calls;
    if (hang_) {
      // A device that never answers: only cancellation gets us out.
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
      asio::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return core::fail(core::Errc::kCancelled, "cancelled");
    }
    if (connect_calls <= fail_first_) co_return core::fail(core::Errc::kUnavailable, "refused");
    co_return core::ok();
  }
  asio::awaitable<core::Status> run() override {
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (int i = 0; run_ticks_ < 0 || i < run_ticks_; ++i) {
      t.expires_after(1ms);
      asio::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return core::fail(core::Errc::kCancelled, "stopped");
      ++ticks;
    }
    co_return core::fail(core::Errc::kUnavailable, "connection reset");
  }
  asio::awaitable<void> close() override {
    ++close_calls;
    co_return;
  }

  std::atomic<int> connect_calls{0};
  std::atomic<int> close_calls{0};
  std::atomic<int> ticks{0};

 private:
  int fail_first_;
  int run_ticks_;
  bool hang_;
};

template <class Pred>
bool eventually(Pred p) {
  for (int i = 0; i < 5000; ++i) {
    if (p()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return p();
}

struct Harness {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  core::MetricsRegistry metrics;
  CollectingEmitter emitter;
  ~Harness() {
    work.reset();
    io.stop();
    thread.join();
  }
  AdapterContext context(const std::string& name) {
    AdapterContext c{name, "scripted", "site1", "gw1", asio::make_strand(io), &emitter};
    c.metrics = &metrics;
    return c;
  }
};

BackoffPolicy fastBackoff() { return {1ms, 5ms, 2.0, 0.2}; }

TEST(Supervisor, RetriesConnectWithBackoffThenRuns) {
  Harness h;
  auto adapter = std::make_unique<ScriptedAdapter>(3);
  auto* a = adapter.get();
  Supervisor s(h.context("dev1"), std::move(adapter), fastBackoff());
  s.start();
  ASSERT_TRUE(eventually([&] { return s.state() == DeviceState::kConnected && a->ticks > 5; }));
  EXPECT_EQ(a->connect_calls, 4);
  EXPECT_EQ(
      h.metrics.valueOf("sf_adapter_failures_total", {{"type", "scripted"}, {"instance", "dev1"}}),
      3);
  s.stopAndWait();
  EXPECT_EQ(s.state(), DeviceState::kStopped);
  EXPECT_GE(a->close_calls, 1);
  std::lock_guard lock(h.emitter.mu);
  ASSERT_FALSE(h.emitter.records.empty());
  // Connection changes are `log` records.
  bool saw_connected = false;
  for (const auto& r : h.emitter.records) {
    ASSERT_NE(r.log(), nullptr);
    if (r.log()->message == "connected") saw_connected = true;
  }
  EXPECT_TRUE(saw_connected);
}

TEST(Supervisor, ReconnectsAfterLostConnection) {
  Harness h;
  auto adapter = std::make_unique<ScriptedAdapter>(0, 3);
  auto* a = adapter.get();
  Supervisor s(h.context("dev2"), std::move(adapter), fastBackoff());
  s.start();
  ASSERT_TRUE(eventually([&] { return s.connects() >= 3; }));
  EXPECT_GE(a->close_calls, 2);
  EXPECT_NE(s.lastError().find("connection reset"), std::string::npos);
  s.stopAndWait();
}

TEST(Supervisor, HungDeviceDoesNotSlowAnotherAndStopsPromptly) {
  Harness h;
  auto hung = std::make_unique<ScriptedAdapter>(0, -1, /*hang_in_connect=*/true);
  auto healthy = std::make_unique<ScriptedAdapter>(0);
  auto* healthy_ptr = healthy.get();
  Supervisor s1(h.context("hung"), std::move(hung), fastBackoff());
  Supervisor s2(h.context("healthy"), std::move(healthy), fastBackoff());
  s1.start();
  s2.start();
  ASSERT_TRUE(eventually([&] { return healthy_ptr->ticks > 20; }));
  EXPECT_EQ(s1.state(), DeviceState::kConnecting);
  EXPECT_EQ(s2.state(), DeviceState::kConnected);
  s1.stopAndWait();  // cancellation reaches the hung connect
  EXPECT_EQ(s1.state(), DeviceState::kStopped);
  s2.stopAndWait();
}

// An adapter whose run() only awaits timers that expire at once: its operation is nearly always
// completing, the moment in which a cancellation used to be lost.
class BusyAdapter : public Adapter {
 public:
  asio::awaitable<core::Status> connect() override { co_return core::ok(); }
  asio::awaitable<core::Status> run() override {
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (;;) {
      t.expires_after(0ms);
      asio::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return core::fail(core::Errc::kCancelled, "stopped");
      ++ticks;
    }
  }
  asio::awaitable<void> close() override { co_return; }
  std::atomic<int> ticks{0};
};

TEST(Supervisor, AStopIsNotLostWhileTheAdaptersOperationCompletes) {
  // Without the repeated cancellation one of these stops hangs (ctest's timeout fails it).
  Harness h;
  for (int i = 0; i < 200; ++i) {
    auto adapter = std::make_unique<BusyAdapter>();
    auto* a = adapter.get();
    Supervisor s(h.context("busy"), std::move(adapter), fastBackoff());
    s.start();
    ASSERT_TRUE(eventually([&] { return a->ticks > 0; }));
    s.stopAndWait();
    EXPECT_EQ(s.state(), DeviceState::kStopped);
  }
}

TEST(Backoff, GrowsAndIsCapped) {
  BackoffPolicy p{100ms, 1000ms, 2.0, 0.0};
  std::mt19937_64 rng(1);
  EXPECT_EQ(p.delay(1, rng), 100ms);
  EXPECT_EQ(p.delay(2, rng), 200ms);
  EXPECT_EQ(p.delay(4, rng), 800ms);
  EXPECT_EQ(p.delay(10, rng), 1000ms);
  BackoffPolicy j{100ms, 1000ms, 2.0, 0.2};
  for (int i = 0; i < 100; ++i) {
    auto d = j.delay(1, rng);
    EXPECT_GE(d, 80ms);
    EXPECT_LE(d, 120ms);
  }
}

}  // namespace
}  // namespace sf::runtime
