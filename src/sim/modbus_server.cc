#include "sim/modbus_server.h"

#include <array>
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <charconv>
#include <thread>
#include <vector>

#include "core/log.h"
#include "sim/signal.h"

namespace sf::sim {
namespace {

using asio::ip::tcp;
constexpr auto kTupleAwaitable = asio::experimental::as_tuple(asio::use_awaitable);

// Reads exactly buf.size() bytes; false on error, EOF or idle timeout.
asio::awaitable<bool> readExact(tcp::socket& sock, asio::mutable_buffer buf,
                                std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  if (timeout.count() <= 0) {
    auto [ec, n] = co_await asio::async_read(sock, buf, kTupleAwaitable);
    co_return !ec;
  }
  asio::steady_timer timer(sock.get_executor(), timeout);
  auto result =
      co_await (asio::async_read(sock, buf, kTupleAwaitable) || timer.async_wait(kTupleAwaitable));
  if (result.index() != 0) co_return false;  // timed out
  co_return !std::get<0>(std::get<0>(result));
}

}  // namespace

struct ModbusServer::Counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> exceptions{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> faults{0};
  // Registry series (null without a registry).
  core::Labels labels;
  core::Counter* m_requests = nullptr;
  core::Counter* m_exceptions = nullptr;
  core::Counter* m_malformed = nullptr;
  core::Counter* m_faults = nullptr;
  core::Gauge* m_connections = nullptr;

  void inc(std::atomic<uint64_t>& a, core::Counter* m) {
    a.fetch_add(1, std::memory_order_relaxed);
    if (m) m->inc();
  }
  void setOpen(int64_t delta) {
    uint64_t now = open.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed) +
                   static_cast<uint64_t>(delta);
    if (m_connections) m_connections->set(static_cast<double>(now));
  }
};

struct ModbusServer::Impl {
  ModbusServer& server;
  ModbusServerOptions options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  uint64_t next_connection = 0;

  Impl(ModbusServer& s, ModbusServerOptions o) : server(s), options(std::move(o)) {}

  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(kTupleAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      auto& c = *server.counters_;
      if (c.open.load(std::memory_order_relaxed) >= options.max_connections) {
        c.rejected.fetch_add(1, std::memory_order_relaxed);
        asio::error_code ignored;
        sock.close(ignored);
        continue;
      }
      c.accepted.fetch_add(1, std::memory_order_relaxed);
      asio::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(io, session(std::move(sock), ++next_connection), [](std::exception_ptr e) {
        if (e) SF_LOG_ERROR("sim", "modbus session ended by an exception");
      });
    }
  }

  asio::awaitable<void> session(tcp::socket sock, uint64_t connection) {
    auto& c = *server.counters_;
    c.setOpen(1);
    struct Closer {
      Counters& c;
      ~Closer() { c.setOpen(-1); }
    } closer{c};
    std::array<uint8_t, kMaxAduSize> frame{};
    std::vector<uint8_t> pdu_out;
    std::vector<uint8_t> out;
    pdu_out.reserve(kMaxPduSize);
    out.reserve(kMaxAduSize);
    asio::steady_timer delay_timer(io);
    for (;;) {
      if (!co_await readExact(sock, asio::buffer(frame.data(), kMbapHeaderSize),
                              options.idle_timeout)) {
        co_return;
      }
      MbapHeader header = parseMbap(std::span<const uint8_t, kMbapHeaderSize>(frame.data(), 7));
      MbapCheck check = checkMbap(header);
      if (check == MbapCheck::kBadLength) {
        c.inc(c.malformed, c.m_malformed);
        SF_LOG_DEBUG("sim", "closing connection: bad MBAP length",
                     {{"connection", std::to_string(connection)},
                      {"length", std::to_string(header.length)}});
        co_return;
      }
      size_t pdu_size = header.length - 1u;
      if (!co_await readExact(sock, asio::buffer(frame.data() + kMbapHeaderSize, pdu_size),
                              options.idle_timeout)) {
        co_return;
      }
      if (check == MbapCheck::kBadProtocol) {
        c.inc(c.malformed, c.m_malformed);
        continue;  // not Modbus: skip the frame, keep the connection
      }
      std::span<const uint8_t> pdu(frame.data() + kMbapHeaderSize, pdu_size);
      c.inc(c.requests, c.m_requests);
      RequestInfo info{connection, header.transaction_id, header.unit_id, pdu[0]};
      InjectedFault fault = InjectedFault::kNone;
      if (auto hook = server.faultHook()) fault = hook(info);

      bool respond = true;
      if (!server.backend_.hasUnit(header.unit_id)) {
        if (options.unknown_unit == UnknownUnitPolicy::kSilence) {
          respond = false;
        } else {
          exceptionResponse(pdu[0], ModbusException::kGatewayTargetFailed, pdu_out);
          c.inc(c.exceptions, c.m_exceptions);
        }
      } else if (processRequest(server.backend_, header.unit_id, pdu, pdu_out) !=
                 ModbusException::kNone) {
        c.inc(c.exceptions, c.m_exceptions);
      }

      if (int64_t ms = server.delay_ms_.load(std::memory_order_relaxed); ms > 0) {
        delay_timer.expires_after(std::chrono::milliseconds(ms));
        co_await delay_timer.async_wait(kTupleAwaitable);
      }
      if (fault != InjectedFault::kNone) c.inc(c.faults, c.m_faults);
      if (fault == InjectedFault::kCloseConnection) co_return;
      if (!respond || fault == InjectedFault::kDropResponse) continue;

      out.clear();
      if (fault == InjectedFault::kGarbage) {
        // Not a Modbus frame: protocol id 0xBEEF and a length that does not match.
        out = {0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x03, header.unit_id, 0x5A, 0xA5};
      } else {
        uint16_t tid = header.transaction_id;
        if (fault == InjectedFault::kWrongTransactionId) tid = static_cast<uint16_t>(tid + 1);
        appendMbap(out, tid, header.unit_id, pdu_out.size());
        out.insert(out.end(), pdu_out.begin(), pdu_out.end());
      }
      auto [wec, n] = co_await asio::async_write(sock, asio::buffer(out), kTupleAwaitable);
      if (wec) co_return;
    }
  }
};

ModbusServer::ModbusServer(ModbusBackend& backend, core::MetricsRegistry* registry)
    : backend_(backend), registry_(registry), counters_(std::make_unique<Counters>()) {}

ModbusServer::~ModbusServer() { stop(); }

void ModbusServer::setFaultHook(FaultHook hook) {
  std::lock_guard lock(hook_mu_);
  hook_ = std::move(hook);
}

FaultHook ModbusServer::faultHook() const {
  std::lock_guard lock(hook_mu_);
  return hook_;
}

ModbusServerStats ModbusServer::stats() const {
  const auto& c = *counters_;
  ModbusServerStats s;
  s.connections_accepted = c.accepted.load();
  s.connections_rejected = c.rejected.load();
  s.connections_open = c.open.load();
  s.requests = c.requests.load();
  s.exceptions = c.exceptions.load();
  s.malformed_frames = c.malformed.load();
  s.faults_injected = c.faults.load();
  return s;
}

core::Status ModbusServer::start(const ModbusServerOptions& options) {
  if (running_) return core::fail(core::Errc::kInternal, "modbus server already running");
  asio::error_code ec;
  auto address = asio::ip::make_address(options.host.empty() ? "0.0.0.0" : options.host, ec);
  if (ec) {
    return core::fail(core::Errc::kInvalidConfig, "bad listen address '" + options.host + "'");
  }
  auto impl = std::make_unique<Impl>(*this, options);
  tcp::endpoint ep(address, options.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::fail(core::Errc::kUnavailable, "modbus: cannot listen on " + options.host + ":" +
                                                    std::to_string(options.port) + ": " +
                                                    ec.message());
  }
  port_ = impl->acceptor.local_endpoint().port();
  delay_ms_ = options.response_delay.count();

  auto& c = *counters_;
  if (registry_) {
    std::string instance = options.metrics_instance.empty()
                               ? options.host + ":" + std::to_string(port_.load())
                               : options.metrics_instance;
    c.labels = {{"type", "modbus_tcp"}, {"instance", instance}};
    c.m_requests = &registry_->counter("sf_sim_modbus_requests_total",
                                       "Modbus requests received by the simulator.", c.labels);
    c.m_exceptions = &registry_->counter("sf_sim_modbus_exceptions_total",
                                         "Modbus exception responses sent.", c.labels);
    c.m_malformed = &registry_->counter("sf_sim_modbus_malformed_frames_total",
                                        "Frames with a bad MBAP header.", c.labels);
    c.m_faults = &registry_->counter("sf_sim_modbus_injected_faults_total",
                                     "Responses altered by fault injection.", c.labels);
    c.m_connections =
        &registry_->gauge("sf_sim_modbus_connections", "Open Modbus client connections.", c.labels);
  }
  asio::co_spawn(impl->io, impl->acceptLoop(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  impl_ = std::move(impl);
  running_ = true;
  return core::ok();
}

void ModbusServer::stop() {
  if (!impl_) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Destroying the io_context destroys the suspended sessions, which closes their sockets and
  // runs their connection accounting.
  impl_.reset();
  running_ = false;
  auto& c = *counters_;
  if (registry_ && c.m_requests) {
    for (const char* name : {"sf_sim_modbus_requests_total", "sf_sim_modbus_exceptions_total",
                             "sf_sim_modbus_malformed_frames_total",
                             "sf_sim_modbus_injected_faults_total", "sf_sim_modbus_connections"}) {
      registry_->remove(name, c.labels);
    }
    c.m_requests = c.m_exceptions = c.m_malformed = c.m_faults = nullptr;
    c.m_connections = nullptr;
  }
}

FaultHook randomFaults(uint64_t seed, FaultRates rates) {
  auto rng = std::make_shared<Rng>(seed);
  return [rng, rates](const RequestInfo&) {
    double u = rng->uniform();
    if ((u -= rates.drop) < 0) return InjectedFault::kDropResponse;
    if ((u -= rates.wrong_transaction_id) < 0) return InjectedFault::kWrongTransactionId;
    if ((u -= rates.garbage) < 0) return InjectedFault::kGarbage;
    if ((u -= rates.close) < 0) return InjectedFault::kCloseConnection;
    return InjectedFault::kNone;
  };
}

core::Result<FaultRates> parseFaultRates(const std::string& text) {
  FaultRates rates;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return core::fail(core::Errc::kInvalidConfig,
                        "fault injection: expected name=rate, got '" + std::string(item) + "'");
    }
    std::string_view name = item.substr(0, eq);
    std::string value(item.substr(eq + 1));
    char* end = nullptr;
    double rate = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(rate >= 0 && rate <= 1)) {
      return core::fail(core::Errc::kInvalidConfig,
                        "fault injection: rate of '" + std::string(name) + "' must be 0..1");
    }
    if (name == "drop") {
      rates.drop = rate;
    } else if (name == "wrong-tid") {
      rates.wrong_transaction_id = rate;
    } else if (name == "garbage") {
      rates.garbage = rate;
    } else if (name == "close") {
      rates.close = rate;
    } else {
      return core::fail(core::Errc::kInvalidConfig, "fault injection: unknown fault '" +
                                                        std::string(name) +
                                                        "' (drop, wrong-tid, garbage, close)");
    }
  }
  if (rates.drop + rates.wrong_transaction_id + rates.garbage + rates.close > 1) {
    return core::fail(core::Errc::kInvalidConfig, "fault injection: rates add up to more than 1");
  }
  return rates;
}

}  // namespace sf::sim
