#pragma once
// Supervisor: drives one adapter through connect -> run -> close, retrying with exponential
// backoff and jitter, and isolates its failures: it runs on the adapter's own strand, so a
// hung or failing device never slows another adapter. Reports state, last error and counters
// as metrics, and announces connection changes as `log` records through the emitter.
// Thread-safe: start()/stopAndWait() from any non-io thread; state accessors from anywhere.

#include <asio/cancellation_signal.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "dataplane/runtime/adapter.h"

namespace sf::runtime {

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;
  double jitter = 0.2;  // +-20 %
  // The delay before retry number `attempt` (1-based), with jitter drawn from `rng`.
  std::chrono::milliseconds delay(int attempt, std::mt19937_64& rng) const;
};

class Supervisor {
 public:
  Supervisor(AdapterContext ctx, std::unique_ptr<Adapter> adapter, BackoffPolicy backoff = {});
  ~Supervisor();

  void start();
  // Cancels the adapter, awaits its close(), and returns when it has stopped. Bounded by the
  // adapter's close(). Must not be called from the io_context's threads.
  void stopAndWait();

  DeviceState state() const { return state_.load(); }
  uint64_t connects() const { return connects_.load(); }
  std::string lastError() const;
  const AdapterContext& context() const { return ctx_; }
  Adapter& adapter() { return *adapter_; }

 private:
  asio::awaitable<void> loop();
  // Awaits an adapter step (connect, run) so that a stop cannot be lost: see supervisor.cc.
  asio::awaitable<core::Status> cancellable(asio::awaitable<core::Status> step);
  void setState(DeviceState s);
  void setError(const std::string& e);
  void announce(model::LogLevel level, std::string message, std::string from, std::string to);

  AdapterContext ctx_;
  std::unique_ptr<Adapter> adapter_;
  BackoffPolicy backoff_;
  std::mt19937_64 rng_;
  // Shared with the posted emits, which may run after this object is gone.
  std::shared_ptr<asio::cancellation_signal> cancel_ =
      std::make_shared<asio::cancellation_signal>();
  std::atomic<bool> stopping_{false};
  std::atomic<DeviceState> state_{DeviceState::kStopped};
  std::atomic<uint64_t> connects_{0};
  mutable std::mutex mu_;
  std::string last_error_;
  std::promise<void> stopped_;
  std::future<void> stopped_future_;
  bool started_ = false;

  core::Gauge* state_gauge_;
  core::Counter* connects_total_;
  core::Counter* failures_total_;
};

}  // namespace sf::runtime
