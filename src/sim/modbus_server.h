#pragma once
// ModbusServer: a Modbus TCP server on Asio C++20 coroutines over a ModbusBackend (the plant).
// It owns one io_context and one thread: every connection, the backend calls and the fault
// hook run on that thread, one request at a time per connection (responses in request order;
// pipelined requests are fine). Input is bounded (one ADU, at most 260 bytes, per read) and
// never trusted: a bad protocol id skips the frame, an impossible length closes the connection,
// bad PDUs get Modbus exceptions. Unit ids the backend does not serve get exception 0x0B or
// silence. Test hooks: an artificial response delay and a per-request fault hook (drop the
// response, wrong transaction id, garbage, close).
// Thread-safety: start()/stop() from one owner thread; setResponseDelay(), setFaultHook() and
// stats() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/metrics.h"
#include "core/result.h"
#include "sim/modbus_pdu.h"

namespace sf::sim {

enum class UnknownUnitPolicy {
  kGatewayTargetFailed,  // exception 0x0B, as a Modbus gateway answers for a silent device
  kSilence,              // no response at all: the client times out
};

// What to do to one response (tests of the client side: timeouts, resync, reconnects).
enum class InjectedFault {
  kNone,
  kDropResponse,        // process the request, send nothing
  kWrongTransactionId,  // answer with transaction id + 1
  kGarbage,             // answer with bytes that are not a Modbus frame
  kCloseConnection,     // close the connection instead of answering
};

struct RequestInfo {
  uint64_t connection = 0;  // 1, 2, ... in accept order
  uint16_t transaction_id = 0;
  uint8_t unit = 0;
  uint8_t function = 0;  // 0 for an empty PDU
};

// Called on the server thread for every well-formed request; must not block.
using FaultHook = std::function<InjectedFault(const RequestInfo&)>;

// A hook that injects each fault with its probability, from a seeded generator.
struct FaultRates {
  double drop = 0;
  double wrong_transaction_id = 0;
  double garbage = 0;
  double close = 0;
  bool any() const { return drop > 0 || wrong_transaction_id > 0 || garbage > 0 || close > 0; }
};
FaultHook randomFaults(uint64_t seed, FaultRates rates);
// Parses "drop=0.01,wrong-tid=0.01,garbage=0.01,close=0.001".
core::Result<FaultRates> parseFaultRates(const std::string& text);

struct ModbusServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5020;  // 0 picks a free port
  std::chrono::milliseconds response_delay{0};
  UnknownUnitPolicy unknown_unit = UnknownUnitPolicy::kGatewayTargetFailed;
  size_t max_connections = 1024;              // more are accepted and closed at once
  std::chrono::milliseconds idle_timeout{0};  // 0: connections may idle forever
  std::string metrics_instance;               // label; defaults to "host:port"
};

struct ModbusServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;
  uint64_t exceptions = 0;
  uint64_t malformed_frames = 0;
  uint64_t faults_injected = 0;
};

class ModbusServer {
 public:
  // `backend` must outlive the server; it is called on the server thread only.
  // `registry` (may be null) receives sf_sim_modbus_* series while the server runs.
  explicit ModbusServer(ModbusBackend& backend,
                        core::MetricsRegistry* registry = &core::MetricsRegistry::global());
  ~ModbusServer();
  ModbusServer(const ModbusServer&) = delete;
  ModbusServer& operator=(const ModbusServer&) = delete;

  // Binds and serves on a background thread. Fails if already running or the bind fails.
  core::Status start(const ModbusServerOptions& options);
  // Closes every connection and joins the thread. Idempotent; start() may follow.
  void stop();
  bool running() const { return running_; }
  uint16_t port() const { return port_; }

  void setResponseDelay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  void setFaultHook(FaultHook hook);
  ModbusServerStats stats() const;

 private:
  struct Impl;
  struct Counters;
  FaultHook faultHook() const;

  ModbusBackend& backend_;
  core::MetricsRegistry* registry_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Counters> counters_;
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> running_{false};
  mutable std::mutex hook_mu_;
  FaultHook hook_;
};

}  // namespace sf::sim
