#pragma once
// Test helpers for the Modbus adapter's unit tests: an io thread with a strand to run the
// adapter on, an emitter that collects records, a register-map backend served by the
// simulator's Modbus TCP server (an in-process peer whose map, exceptions and delays a test
// scripts), and a raw scripted TCP peer for the faults no well-behaved server shows (malformed
// MBAP headers, wrong byte counts, partial frames, foreign units, late answers).

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "config/parse.h"
#include "config/registry.h"
#include "dataplane/adapters/modbus/adapter.h"
#include "dataplane/adapters/modbus/factory.h"
#include "sim/modbus_server.h"

namespace sf::modbus::testing {

using namespace std::chrono_literals;

class CollectingEmitter : public runtime::RecordEmitter {
 public:
  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable) override {
    std::lock_guard lock(mu_);
    for (auto& r : records) records_.push_back(std::move(r));
    ++batches_;
    if (durable) durable(core::ok());
  }
  std::vector<model::Record> take() {
    std::lock_guard lock(mu_);
    return std::exchange(records_, {});
  }
  std::vector<model::Record> snapshot() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  size_t batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<model::Record> records_;
  size_t batches_ = 0;
};

// One io thread; adapters run on strands of it.
struct IoThread {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    work.reset();
    io.stop();
    thread.join();
  }
  // Runs `fn()` (returning an awaitable) on `ex` and waits for its result.
  template <class T, class Ex>
  T await(Ex ex, std::function<asio::awaitable<T>()> fn) {
    std::promise<T> p;
    auto f = p.get_future();
    asio::co_spawn(ex, fn(), [&p](std::exception_ptr e, T v) {
      if (e) {
        p.set_exception(e);
      } else {
        p.set_value(std::move(v));
      }
    });
    return f.get();
  }
  template <class Ex>
  void awaitVoid(Ex ex, std::function<asio::awaitable<void>()> fn) {
    std::promise<void> p;
    auto f = p.get_future();
    asio::co_spawn(ex, fn(), [&p](std::exception_ptr e) {
      if (e) {
        p.set_exception(e);
      } else {
        p.set_value();
      }
    });
    f.get();
  }
};

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return p();
}

// A register map per unit with exception ranges and a response delay, thread-safe.
class MapBackend : public sim::ModbusBackend {
 public:
  struct Unit {
    std::map<uint16_t, uint16_t> holding, input;
    std::map<uint16_t, bool> coils, discrete;
    bool strict = true;  // unmapped addresses are exception 02 (else they read 0)
    struct Fault {
      sim::Table table;
      uint32_t from, to;  // [from, to)
      sim::ModbusException code;
    };
    std::vector<Fault> faults;
    uint16_t max_registers = 125;  // longer reads: exception 03
  };

  void setUnit(uint8_t id, Unit u) {
    std::lock_guard lock(mu_);
    units_[id] = std::move(u);
  }
  void setRegister(uint8_t unit, uint16_t addr, uint16_t v) {
    std::lock_guard lock(mu_);
    units_[unit].holding[addr] = v;
  }
  void removeUnit(uint8_t id) {
    std::lock_guard lock(mu_);
    units_.erase(id);
  }
  Unit unit(uint8_t id) {
    std::lock_guard lock(mu_);
    return units_[id];
  }
  std::vector<std::tuple<uint8_t, uint16_t, uint16_t>> reads() {
    std::lock_guard lock(mu_);
    return reads_;
  }
  void clearReads() {
    std::lock_guard lock(mu_);
    reads_.clear();
  }

  bool hasUnit(uint8_t unit) const override {
    std::lock_guard lock(mu_);
    return units_.count(unit) != 0;
  }
  sim::ModbusException readBits(uint8_t unit, sim::Table table, uint16_t address, uint16_t count,
                                std::vector<uint8_t>& out) override {
    std::lock_guard lock(mu_);
    reads_.emplace_back(unit, address, count);
    auto& u = units_[unit];
    if (auto e = fault(u, table, address, count); e != sim::ModbusException::kNone) return e;
    auto& m = table == sim::Table::kCoil ? u.coils : u.discrete;
    out.clear();
    for (uint32_t a = address; a < uint32_t{address} + count; ++a) {
      auto it = m.find(static_cast<uint16_t>(a));
      if (it == m.end() && u.strict) return sim::ModbusException::kIllegalDataAddress;
      out.push_back(it == m.end() ? 0 : it->second);
    }
    return sim::ModbusException::kNone;
  }
  sim::ModbusException readRegisters(uint8_t unit, sim::Table table, uint16_t address,
                                     uint16_t count, std::vector<uint16_t>& out) override {
    std::lock_guard lock(mu_);
    reads_.emplace_back(unit, address, count);
    auto& u = units_[unit];
    if (count > u.max_registers) return sim::ModbusException::kIllegalDataValue;
    if (auto e = fault(u, table, address, count); e != sim::ModbusException::kNone) return e;
    auto& m = table == sim::Table::kHoldingRegister ? u.holding : u.input;
    out.clear();
    for (uint32_t a = address; a < uint32_t{address} + count; ++a) {
      auto it = m.find(static_cast<uint16_t>(a));
      if (it == m.end() && u.strict) return sim::ModbusException::kIllegalDataAddress;
      out.push_back(it == m.end() ? 0 : it->second);
    }
    return sim::ModbusException::kNone;
  }
  sim::ModbusException writeCoils(uint8_t unit, uint16_t address,
                                  std::span<const uint8_t> values) override {
    std::lock_guard lock(mu_);
    auto& u = units_[unit];
    if (auto e = fault(u, sim::Table::kCoil, address, static_cast<uint16_t>(values.size()));
        e != sim::ModbusException::kNone) {
      return e;
    }
    for (size_t i = 0; i < values.size(); ++i)
      u.coils[static_cast<uint16_t>(address + i)] = values[i];
    return sim::ModbusException::kNone;
  }
  sim::ModbusException writeRegisters(uint8_t unit, uint16_t address,
                                      std::span<const uint16_t> values) override {
    std::lock_guard lock(mu_);
    auto& u = units_[unit];
    if (auto e =
            fault(u, sim::Table::kHoldingRegister, address, static_cast<uint16_t>(values.size()));
        e != sim::ModbusException::kNone) {
      return e;
    }
    for (size_t i = 0; i < values.size(); ++i) {
      u.holding[static_cast<uint16_t>(address + i)] = values[i];
    }
    return sim::ModbusException::kNone;
  }

  // Loads {"units": {"1": {"strict": true, "holding": {"100": [1, 2]}, "input": {...},
  // "coils": {"0": [1, 0]}, "discrete_inputs": {...}, "faults": [{"table": "holding",
  // "from": 5, "to": 6, "code": 2}], "max_registers": 125}}}.
  void load(const nlohmann::json& j) {
    for (const auto& [id, spec] : j.at("units").items()) {
      Unit u;
      u.strict = spec.value("strict", true);
      u.max_registers = spec.value("max_registers", 125);
      auto regs = [&](const char* key, std::map<uint16_t, uint16_t>& m) {
        if (!spec.contains(key)) return;
        for (const auto& [addr, values] : spec.at(key).items()) {
          uint16_t a = static_cast<uint16_t>(std::stoi(addr));
          for (const auto& v : values) m[a++] = v.get<uint16_t>();
        }
      };
      auto bits = [&](const char* key, std::map<uint16_t, bool>& m) {
        if (!spec.contains(key)) return;
        for (const auto& [addr, values] : spec.at(key).items()) {
          uint16_t a = static_cast<uint16_t>(std::stoi(addr));
          for (const auto& v : values) m[a++] = v.get<int>() != 0;
        }
      };
      regs("holding", u.holding);
      regs("input", u.input);
      bits("coils", u.coils);
      bits("discrete_inputs", u.discrete);
      if (spec.contains("faults")) {
        for (const auto& f : spec.at("faults")) {
          static const std::map<std::string, sim::Table> kTables = {
              {"holding", sim::Table::kHoldingRegister},
              {"input", sim::Table::kInputRegister},
              {"coil", sim::Table::kCoil},
              {"discrete_input", sim::Table::kDiscreteInput}};
          u.faults.push_back({kTables.at(f.at("table").get<std::string>()),
                              f.at("from").get<uint32_t>(), f.at("to").get<uint32_t>(),
                              static_cast<sim::ModbusException>(f.at("code").get<int>())});
        }
      }
      setUnit(static_cast<uint8_t>(std::stoi(id)), std::move(u));
    }
  }

 private:
  static sim::ModbusException fault(const Unit& u, sim::Table t, uint16_t address, uint16_t n) {
    for (const auto& f : u.faults) {
      if (f.table == t && address < f.to && uint32_t{address} + n > f.from) return f.code;
    }
    return sim::ModbusException::kNone;
  }
  mutable std::mutex mu_;
  std::map<uint8_t, Unit> units_;
  std::vector<std::tuple<uint8_t, uint16_t, uint16_t>> reads_;
};

// The simulator's Modbus TCP server over a MapBackend, on a free loopback port.
struct MapServer {
  MapBackend backend;
  core::MetricsRegistry metrics;
  sim::ModbusServer server{backend, &metrics};
  explicit MapServer(
      sim::UnknownUnitPolicy unknown = sim::UnknownUnitPolicy::kGatewayTargetFailed) {
    sim::ModbusServerOptions o;
    o.port = 0;
    o.unknown_unit = unknown;
    auto st = server.start(o);
    if (!st) throw std::runtime_error(st.error().toString());
  }
  ~MapServer() { server.stop(); }
  uint16_t port() const { return server.port(); }
};

// A raw TCP peer: for each MBAP request it receives, `reply(frame)` returns the bytes to send
// back (possibly none, garbage, several frames). `close_after` closes after that many requests.
class ScriptedServer {
 public:
  using Reply = std::function<std::vector<uint8_t>(const std::vector<uint8_t>& request_frame)>;
  explicit ScriptedServer(Reply reply)
      : reply_(std::move(reply)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedServer() {
    asio::post(io_, [this] {
      asio::error_code ec;
      acceptor_.close(ec);
      for (auto& s : sockets_) s->close(ec);
    });
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  std::atomic<bool> byte_by_byte{false};

 private:
  asio::awaitable<void> accept() {
    while (true) {
      asio::error_code ec;
      auto s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      auto sp = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      sockets_.push_back(sp);
      asio::co_spawn(io_, serve(sp), asio::detached);
    }
  }
  asio::awaitable<void> serve(std::shared_ptr<asio::ip::tcp::socket> s) {
    while (true) {
      asio::error_code ec;
      std::vector<uint8_t> head(7);
      co_await asio::async_read(*s, asio::buffer(head),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const size_t len = (head[4] << 8) | head[5];
      std::vector<uint8_t> body(len > 1 ? len - 1 : 0);
      co_await asio::async_read(*s, asio::buffer(body),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      head.insert(head.end(), body.begin(), body.end());
      ++requests_;
      auto out = reply_(head);
      if (out.size() == 1 && out[0] == 0xEE) {  // sentinel: close the connection
        s->close(ec);
        co_return;
      }
      if (!out.empty() && byte_by_byte) {
        // Partial frames: one byte per TCP segment, a millisecond apart.
        s->set_option(asio::ip::tcp::no_delay(true), ec);
        asio::steady_timer t(io_);
        for (uint8_t b : out) {
          co_await asio::async_write(*s, asio::buffer(&b, 1),
                                     asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
          t.expires_after(1ms);
          co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
      } else if (!out.empty()) {
        co_await asio::async_write(*s, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
      }
    }
  }

  Reply reply_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> sockets_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
};

// A normal response frame to a read request frame (MBAP), with registers value = address.
inline std::vector<uint8_t> echoAddressResponse(const std::vector<uint8_t>& req) {
  const uint8_t fn = req[7];
  const uint16_t addr = static_cast<uint16_t>((req[8] << 8) | req[9]);
  const uint16_t count = static_cast<uint16_t>((req[10] << 8) | req[11]);
  std::vector<uint8_t> pdu{fn, static_cast<uint8_t>(count * 2)};
  for (uint16_t i = 0; i < count; ++i) {
    pdu.push_back(static_cast<uint8_t>((addr + i) >> 8));
    pdu.push_back(static_cast<uint8_t>((addr + i) & 0xFF));
  }
  std::vector<uint8_t> out;
  const uint16_t tid = static_cast<uint16_t>((req[0] << 8) | req[1]);
  appendMbapFrame(out, tid, req[6], pdu);
  return out;
}

inline config::Registry modbusRegistry() {
  config::Registry r;
  (void)r.add(modbusTcpFactory().info);
  (void)r.add(modbusRtuFactory().info);
  return r;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A modbus_tcp config from YAML (without `type`), with host/port pointed at a test server.
inline ModbusTcpConfig tcpConfig(const std::string& yaml, uint16_t port) {
  auto r = config::parseYaml(yaml, tcpSpec());
  if (!r) throw std::runtime_error(r.errorText());
  ModbusTcpConfig c = *r;
  c.host = "127.0.0.1";
  c.port = port;
  return c;
}

// An adapter on a strand of `io` over a TCP config.
struct AdapterUnderTest {
  AdapterUnderTest(IoThread& io, ModbusTcpConfig config, const std::string& name = "mb1")
      : io_(io), strand(asio::make_strand(io.io)), config_(std::move(config)) {
    runtime::AdapterContext ctx{name, "modbus_tcp", "site1", "gw1", strand, &emitter};
    ctx.metrics = &metrics;
    config_.name = name;
    auto cfg = config_;
    adapter = std::make_unique<ModbusAdapter>(
        ctx, static_cast<const ModbusCommonConfig&>(config_),
        [cfg](Executor ex, Counters& c) { return makeTcpTransport(cfg, ex, c); });
  }
  // Any transport (RTU tests): `type` labels the metrics.
  AdapterUnderTest(IoThread& io, ModbusCommonConfig common, TransportFactory factory,
                   const std::string& type)
      : io_(io), strand(asio::make_strand(io.io)), type_(type) {
    static_cast<ModbusCommonConfig&>(config_) = common;
    runtime::AdapterContext ctx{common.name, type, "site1", "gw1", strand, &emitter};
    ctx.metrics = &metrics;
    adapter = std::make_unique<ModbusAdapter>(ctx, std::move(common), std::move(factory));
  }
  ~AdapterUnderTest() {
    stop();
    // The transport's loops refer to it: close on the strand before destroying.
    io_.awaitVoid(strand, [this] { return adapter->close(); });
  }

  core::Status connect() {
    return io_.await<core::Status>(strand, [this] { return adapter->connect(); });
  }
  void pollOnce() {
    io_.awaitVoid(strand, [this] { return adapter->pollOnce(); });
  }
  core::Status write(const std::string& dev, const std::string& tag, model::Value v) {
    return io_.await<core::Status>(strand, [&, v]() { return adapter->write(dev, tag, v); });
  }
  // run() in the background; stop() cancels it and closes.
  void start() {
    running_ = true;
    asio::co_spawn(
        strand, runAndClose(),
        asio::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr, core::Status st) {
          std::lock_guard lock(mu_);
          run_result_ = std::move(st);
          done_.set_value();
        }));
  }
  void stop() {
    if (!running_) {
      return;
    }
    running_ = false;
    asio::post(strand, [this] { cancel_.emit(asio::cancellation_type::terminal); });
    done_.get_future().wait();
  }
  std::optional<core::Status> runResult() {
    std::lock_guard lock(mu_);
    return run_result_;
  }
  double metric(const std::string& name) {
    return metrics.valueOf(name, {{"type", type_}, {"instance", adapter_name()}});
  }
  std::string adapter_name() const { return config_.name; }

  IoThread& io_;
  asio::strand<asio::io_context::executor_type> strand;
  ModbusTcpConfig config_;
  std::string type_ = "modbus_tcp";
  CollectingEmitter emitter;
  core::MetricsRegistry metrics;
  std::unique_ptr<ModbusAdapter> adapter;

 private:
  asio::awaitable<core::Status> runAndClose() {
    co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
    co_await asio::this_coro::throw_if_cancelled(false);
    auto st = co_await adapter->run();
    co_await adapter->close();
    co_return st;
  }
  bool running_ = false;
  asio::cancellation_signal cancel_;
  std::promise<void> done_;
  std::mutex mu_;
  std::optional<core::Status> run_result_;
};

// The telemetry records of `rs` (tag readings), without the device-state `log` records.
inline std::vector<model::Record> telemetry(const std::vector<model::Record>& rs) {
  std::vector<model::Record> out;
  for (const auto& r : rs) {
    if (r.recordClass() == model::RecordClass::kTelemetry) out.push_back(r);
  }
  return out;
}

// The device-state changes in `rs` ("_device" log records) as "device:to", in order.
inline std::vector<std::string> stateChanges(const std::vector<model::Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) {
    if (r.log() == nullptr || r.tag != "_device") continue;
    const auto* to = r.attributes.find("to");
    out.push_back(r.device + ":" + (to ? *to : std::string("?")));
  }
  return out;
}

inline const model::Record* findRecord(const std::vector<model::Record>& rs,
                                       const std::string& tag) {
  const model::Record* last = nullptr;
  for (const auto& r : rs) {
    if (r.tag == tag) last = &r;
  }
  return last;
}

}  // namespace sf::modbus::testing
