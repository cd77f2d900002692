#include "dataplane/runtime/supervisor.h"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cmath>
#include <system_error>

#include "core/log.h"

namespace sf::runtime {

std::chrono::milliseconds BackoffPolicy::delay(int attempt, std::mt19937_64& rng) const {
  double base =
      static_cast<double>(initial.count()) * std::pow(multiplier, std::max(0, attempt - 1));
  base = std::min(base, static_cast<double>(max.count()));
  std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
  return std::chrono::milliseconds(static_cast<int64_t>(base * dist(rng)));
}

Supervisor::Supervisor(AdapterContext ctx, std::unique_ptr<Adapter> adapter, BackoffPolicy backoff)
    : ctx_(std::move(ctx)),
      adapter_(std::move(adapter)),
      backoff_(backoff),
      rng_(std::hash<std::string>{}(ctx_.name)),
      stopped_future_(stopped_.get_future()) {
  auto labels = ctx_.labels();
  state_gauge_ = &ctx_.metrics->gauge(
      "sf_adapter_state",
      "Adapter state: 0 connecting, 1 connected, 2 degraded, 3 failing, 4 stopped.", labels);
  connects_total_ = &ctx_.metrics->counter(
      "sf_adapter_connects_total", "Successful connects (the first one and reconnects).", labels);
  failures_total_ = &ctx_.metrics->counter("sf_adapter_failures_total",
                                           "Failed connects and lost connections.", labels);
  state_gauge_->set(static_cast<double>(DeviceState::kStopped));
}

Supervisor::~Supervisor() {
  if (started_) stopAndWait();
}

void Supervisor::start() {
  started_ = true;
  asio::co_spawn(ctx_.executor, loop(),
                 asio::bind_cancellation_slot(cancel_->slot(), [this](std::exception_ptr e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       SF_LOG_ERROR("supervisor", "adapter loop threw",
                                    {{"adapter", ctx_.name}, {"error", ex.what()}});
                     } catch (...) {
                     }
                   }
                   stopped_.set_value();
                 }));
}

void Supervisor::stopAndWait() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  asio::post(ctx_.executor,
             [signal = cancel_] { signal->emit(asio::cancellation_type::terminal); });
  stopped_future_.wait();
}

asio::awaitable<core::Status> Supervisor::cancellable(asio::awaitable<core::Status> step) {
  // A cancellation reaches the operation awaited when it is emitted; one that arrives while that
  // operation is completing is only recorded in the coroutine's cancellation state, and the
  // adapter would run (or wait in connect) forever. With throw_if_cancelled the adapter's next
  // co_await of an operation throws operation_aborted instead: no stop is lost.
  co_await asio::this_coro::throw_if_cancelled(true);
  core::Status st;
  try {
    st = co_await std::move(step);
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
    st = core::fail(core::Errc::kCancelled, "stopped");
  }
  // close() must still run its awaits after a stop: cancellation as error codes from here.
  co_await asio::this_coro::throw_if_cancelled(false);
  co_return st;
}

std::string Supervisor::lastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void Supervisor::setState(DeviceState s) {
  state_ = s;
  state_gauge_->set(static_cast<double>(s));
}

void Supervisor::setError(const std::string& e) {
  std::lock_guard lock(mu_);
  last_error_ = e;
}

void Supervisor::announce(model::LogLevel level, std::string message, std::string from,
                          std::string to) {
  if (!ctx_.emitter) return;
  model::Record r;
  r.site = ctx_.site;
  r.gateway = ctx_.gateway;
  r.adapter = ctx_.name;
  r.tag = "_connection";
  r.source_ts_ns = r.gateway_ts_ns = ctx_.clock->nowUnixNanos();
  r.detail = model::LogInfo{level, std::move(message), "dataplane.runtime.supervisor"};
  r.attributes.set("from", std::move(from));
  r.attributes.set("to", std::move(to));
  std::vector<model::Record> batch;
  batch.push_back(std::move(r));
  ctx_.emitter->emit(std::move(batch));
}

asio::awaitable<void> Supervisor::loop() {
  int attempt = 0;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // Cancellation reaches awaited operations inside the adapter (sockets, timers) as
  // operation_aborted; we also check the flag between steps.
  co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
  // After a stop, close() must still run its awaits: report cancellation as error codes.
  co_await asio::this_coro::throw_if_cancelled(false);
  while (!stopping_) {
    setState(DeviceState::kConnecting);
    auto st = co_await cancellable(adapter_->connect());
    if (st && !stopping_) {
      attempt = 0;
      connects_total_->inc();
      ++connects_;
      setState(DeviceState::kConnected);
      SF_LOG_INFO("supervisor", "connected", {{"adapter", ctx_.name}});
      announce(model::LogLevel::kInfo, "connected", "connecting", "connected");
      st = co_await cancellable(adapter_->run());
      if (!stopping_) {
        setError(st ? "run ended" : st.error().toString());
        announce(model::LogLevel::kWarning,
                 "connection lost: " + (st ? std::string("run ended") : st.error().message),
                 "connected", "connecting");
        SF_LOG_WARN("supervisor", "connection lost",
                    {{"adapter", ctx_.name}, {"error", st ? "run ended" : st.error().toString()}});
      }
    } else if (!st) {
      setError(st.error().toString());
      if (attempt == 0) {
        announce(model::LogLevel::kWarning, "connect failed: " + st.error().message, "connecting",
                 "failing");
      }
      SF_LOG_WARN("supervisor", "connect failed",
                  {{"adapter", ctx_.name}, {"error", st.error().toString()}});
    }
    co_await adapter_->close();
    if (stopping_) break;
    failures_total_->inc();
    ++attempt;
    setState(DeviceState::kFailing);
    timer.expires_after(backoff_.delay(attempt, rng_));
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // A cancelled wait with stopping_ set ends the loop; spurious wakeups just retry.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
  }
  co_await adapter_->close();
  setState(DeviceState::kStopped);
}

}  // namespace sf::runtime
