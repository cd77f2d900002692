#pragma once
// The adapter interface (STYLE.md "Components"): connect() -> run() -> close(), optional
// write(). One adapter instance serves one connection (a Modbus TCP endpoint, an MQTT broker
// session, ...) and runs on its own strand: its code never runs in parallel with itself and
// needs no locks. The Supervisor (supervisor.h) drives it, retries connect() with backoff and
// jitter, and reports its state. Adapters emit records through AdapterContext::emit().

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "model/record.h"

namespace sf::runtime {

using Executor = asio::strand<asio::io_context::executor_type>;

// Per-device health the status view, metrics and API show.
enum class DeviceState { kConnecting, kConnected, kDegraded, kFailing, kStopped };
std::string_view deviceStateName(DeviceState s);

// Where an adapter's records go: the pipeline (scale, deadband, alarms) then the local log.
// emit() is called on the adapter's strand. `durable` (optional) runs when every record of
// the batch is durable in the local log, or with the error that kept it out; adapters that
// acknowledge their source (MQTT PUBACK) do so only from there.
class RecordEmitter {
 public:
  virtual ~RecordEmitter() = default;
  virtual void emit(std::vector<model::Record> records,
                    std::function<void(core::Status)> durable = nullptr) = 0;
};

struct AdapterContext {
  std::string name;  // instance name from the config (unique per gateway)
  std::string type;  // component type, e.g. "modbus_tcp"
  std::string site;
  std::string gateway;
  Executor executor;  // the adapter's strand
  RecordEmitter* emitter = nullptr;
  const core::Clock* clock = &core::SystemClock::instance();
  core::MetricsRegistry* metrics = &core::MetricsRegistry::global();
  // True while the ingest behind `emitter` holds more records in flight than it should: a
  // polling adapter counts an overrun and skips the slot instead of queueing (optional).
  std::function<bool()> overloaded = nullptr;

  // Metric labels {type, instance} (STYLE.md naming).
  core::Labels labels() const { return {{"type", type}, {"instance", name}}; }
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Establishes the connection. An error is retried by the supervisor with backoff.
  virtual asio::awaitable<core::Status> connect() = 0;
  // Polls or subscribes until the connection is lost (error) or cancelled (stop).
  // A stop cancels connect() and run(): the awaited operation ends with operation_aborted, or,
  // when the stop comes as it completes, the next co_await of an operation throws
  // asio::system_error(operation_aborted). Let that propagate (the Supervisor catches it).
  virtual asio::awaitable<core::Status> run() = 0;
  // Releases the connection. Idempotent and bounded in time.
  virtual asio::awaitable<void> close() = 0;
  // Optional write-back of one tag. Default: unsupported.
  virtual asio::awaitable<core::Status> write(const std::string& device, const std::string& tag,
                                              const model::Value& value);
  // Per-device states for the status view (device name -> state, last error).
  struct DeviceStatus {
    std::string device;
    DeviceState state = DeviceState::kConnecting;
    std::string last_error;
    int64_t last_good_read_ns = 0;
  };
  virtual std::vector<DeviceStatus> devices() const { return {}; }
};

}  // namespace sf::runtime
