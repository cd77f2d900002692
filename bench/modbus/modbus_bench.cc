// modbus_bench: the Modbus adapter's throughput, CPU cost and timing, printed (nothing asserted).
//
//   1. contiguous   N uint16 tags over the simulator's load block (`streamforge sim
//                   --scale-registers`), polled back to back: registers/s decoded, requests/s,
//                   CPU-seconds of the adapter's thread per 100k tags; coalescing on vs off;
//                   max_in_flight 1 and 4.
//   2. pymodbus     the same against a pymodbus TCP server (needs $SF_PYTHON with pymodbus and
//                   $SF_REPO_DIR): coalescing on vs off.
//   3. jitter       100 devices (one connection each, one unit id each on the simulator) x 100
//                   float32 tags at 100 ms: p50/p99 poll-start lateness, overruns.
//   4. rtu          RTU reads of 125 registers through a serial line emulated at 115200 and
//                   9600 baud (a pty pair, a relay that paces bytes at the line rate, half duplex,
//                   and libmodbus as the device): achieved transactions/s against the line-rate
//                   limit (request + response + two 3.5-character gaps).
//
// Usage: modbus_bench [--seconds S] [--only contiguous|pymodbus|jitter|rtu]

#include <fcntl.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/log.h"
#include "dataplane/adapters/modbus/test_util.h"
#include "integration/modbus/peer.h"
#include "sim/simulator.h"

using namespace sf;
using namespace sf::modbus;
using namespace sf::modbus::testing;
using Clock = std::chrono::steady_clock;

namespace {

double g_seconds = 5;

// Counts records and drops them (the adapter's cost without the pipeline's).
class CountingEmitter : public runtime::RecordEmitter {
 public:
  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable) override {
    for (const auto& r : records) {
      if (r.quality.level == model::QualityLevel::kGood) {
        ++good;
      } else {
        ++bad;
      }
    }
    if (durable) durable(core::ok());
  }
  std::atomic<uint64_t> good{0}, bad{0};
};

double threadCpuSeconds(pthread_t t) {
  clockid_t cid;
  if (pthread_getcpuclockid(t, &cid) != 0) return 0;
  timespec ts{};
  clock_gettime(cid, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// Polls `config` back to back for g_seconds on a dedicated io thread.
struct Throughput {
  double seconds = 0, tags_per_s = 0, regs_per_s = 0, requests_per_s = 0, cpu = 0, cpu_per_100k = 0;
  uint64_t bad = 0;
};

Throughput pollFlat(ModbusTcpConfig cfg, uint64_t registers_per_round) {
  IoThread io;
  CountingEmitter emitter;
  core::MetricsRegistry metrics;
  auto strand = asio::make_strand(io.io);
  runtime::AdapterContext ctx{"bench", "modbus_tcp", "site", "gw", strand, &emitter};
  ctx.metrics = &metrics;
  cfg.name = "bench";
  auto c = cfg;
  ModbusAdapter a(ctx, static_cast<const ModbusCommonConfig&>(cfg),
                  [c](Executor ex, Counters& k) { return makeTcpTransport(c, ex, k); });
  auto st = io.await<core::Status>(strand, [&] { return a.connect(); });
  if (!st) {
    std::printf("  connect failed: %s\n", st.error().toString().c_str());
    return {};
  }
  io.awaitVoid(strand, [&] { return a.pollOnce(); });  // warm up (plan, learning)
  emitter.good = 0;
  const double req0 = static_cast<double>(a.counters().requests->value());
  const double cpu0 = threadCpuSeconds(io.thread.native_handle());
  const auto t0 = Clock::now();
  uint64_t rounds = 0;
  const auto end = t0 + std::chrono::duration<double>(g_seconds);
  io.awaitVoid(strand, [&]() -> asio::awaitable<void> {
    while (Clock::now() < end) {
      co_await a.pollOnce();
      ++rounds;
    }
  });
  Throughput t;
  t.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  t.cpu = threadCpuSeconds(io.thread.native_handle()) - cpu0;
  t.tags_per_s = static_cast<double>(emitter.good) / t.seconds;
  t.regs_per_s = static_cast<double>(rounds * registers_per_round) / t.seconds;
  t.requests_per_s = (static_cast<double>(a.counters().requests->value()) - req0) / t.seconds;
  t.cpu_per_100k = emitter.good ? t.cpu * 100000.0 / static_cast<double>(emitter.good) : 0;
  t.bad = emitter.bad;
  io.awaitVoid(strand, [&] { return a.close(); });
  return t;
}

void printThroughput(const char* label, const Throughput& t) {
  std::printf(
      "  %-34s %10.0f tags/s %11.0f regs/s %8.0f req/s  cpu %5.2f s (%4.0f%% of a core)"
      "  %.3f cpu-s/100k tags%s\n",
      label, t.tags_per_s, t.regs_per_s, t.requests_per_s, t.cpu,
      t.seconds > 0 ? 100 * t.cpu / t.seconds : 0, t.cpu_per_100k,
      t.bad ? "  (bad readings!)" : "");
}

std::string flatYaml(int tags, int base, bool coalesce, int in_flight) {
  std::string y =
      "name: bench\nhost: x\ntimeout: 2s\nmax_in_flight: " + std::to_string(in_flight) +
      "\ndevices:\n  - name: d\n    unit_id: 1\n    coalesce: " + (coalesce ? "true" : "false") +
      "\n    tags:\n";
  for (int i = 0; i < tags; ++i) {
    y += "      - {name: r" + std::to_string(i) + ", address: " + std::to_string(base + i) + "}\n";
  }
  return y;
}

void benchContiguous() {
  std::printf("1. contiguous registers, simulator (in process, its own thread), uint16 tags\n");
  sim::Simulator s;
  sim::SimulatorOptions o;
  o.plant.pumps = 0;
  o.plant.tanks = 0;
  o.plant.compressors = 1;
  o.plant.scale_registers = 20000;
  o.plant.signal.fault_probability = 0;
  o.server.port = 0;
  core::MetricsRegistry sim_metrics;
  if (auto st = s.start(o); !st) {
    std::printf("  simulator: %s\n", st.error().toString().c_str());
    return;
  }
  const int n = 10000;
  printThroughput("10000 tags, coalesced, in-flight 1",
                  pollFlat(tcpConfig(flatYaml(n, 10000, true, 1), s.port()), n));
  printThroughput("10000 tags, coalesced, in-flight 4",
                  pollFlat(tcpConfig(flatYaml(n, 10000, true, 4), s.port()), n));
  printThroughput("10000 tags, one request per tag",
                  pollFlat(tcpConfig(flatYaml(n, 10000, false, 1), s.port()), n));
  printThroughput("10000 tags, per tag, in-flight 4",
                  pollFlat(tcpConfig(flatYaml(n, 10000, false, 4), s.port()), n));
  s.stop();
  std::printf("\n");
}

void benchPymodbus() {
  std::printf("2. pymodbus TCP server (Python, its own process)\n");
  if (!itest::missingPrerequisite().empty()) {
    std::printf("  skipped: %s\n\n", itest::missingPrerequisite().c_str());
    return;
  }
  std::string map = R"({"units": {"1": {"holding": {"0": [)";
  for (int i = 0; i < 2000; ++i) map += (i ? "," : "") + std::to_string(i);
  map += "]}}}}";
  itest::PymodbusPeer peer(map, {"tcp"});
  const int n = 2000;
  printThroughput("2000 tags, coalesced",
                  pollFlat(tcpConfig(flatYaml(n, 0, true, 1), peer.port()), n));
  printThroughput("2000 tags, one request per tag",
                  pollFlat(tcpConfig(flatYaml(n, 0, false, 1), peer.port()), n));
  std::printf("\n");
}

// Lateness quantile over every instance's sf_modbus_poll_lateness_seconds histogram.
double latenessQuantile(const std::vector<const core::Histogram*>& hs, double q) {
  if (hs.empty()) return 0;
  const auto& bounds = hs[0]->bounds();
  std::vector<uint64_t> cum(bounds.size(), 0);
  uint64_t total = 0;
  for (const auto* h : hs) {
    for (size_t i = 0; i < bounds.size(); ++i) cum[i] += h->cumulative(i);
    total += h->count();
  }
  const double rank = q * static_cast<double>(total);
  double lo = 0;
  uint64_t below = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (static_cast<double>(cum[i]) >= rank) {
      const double in_bucket = static_cast<double>(cum[i] - below);
      const double frac = in_bucket > 0 ? (rank - static_cast<double>(below)) / in_bucket : 0;
      return lo + frac * (bounds[i] - lo);
    }
    lo = bounds[i];
    below = cum[i];
  }
  return bounds.back();
}

void benchJitter() {
  std::printf("3. 100 devices x 100 float32 tags at 100 ms (100 connections, one io thread)\n");
  sim::Simulator s;
  sim::SimulatorOptions o;
  o.plant.pumps = 0;
  o.plant.tanks = 0;
  o.plant.compressors = 1;
  o.plant.scale_registers = 200;
  o.plant.units.clear();
  for (int u = 1; u <= 100; ++u) o.plant.units.push_back(static_cast<uint8_t>(u));
  o.server.port = 0;
  if (auto st = s.start(o); !st) {
    std::printf("  simulator: %s\n", st.error().toString().c_str());
    return;
  }
  IoThread io;
  CountingEmitter emitter;
  core::MetricsRegistry metrics;
  std::vector<std::unique_ptr<ModbusAdapter>> adapters;
  std::vector<asio::strand<asio::io_context::executor_type>> strands;
  std::vector<asio::cancellation_signal> cancels(100);
  std::atomic<int> stopped{0};
  for (int u = 1; u <= 100; ++u) {
    std::string y = "name: d" + std::to_string(u) +
                    "\nhost: x\ntimeout: 1s\npoll_interval: 100ms\ndevices:\n  - name: dev" +
                    std::to_string(u) + "\n    unit_id: " + std::to_string(u) + "\n    tags:\n";
    for (int i = 0; i < 100; ++i) {
      y += "      - {name: t" + std::to_string(i) + ", address: " + std::to_string(10000 + 2 * i) +
           ", type: float32}\n";
    }
    auto cfg = tcpConfig(y, s.port());
    strands.push_back(asio::make_strand(io.io));
    runtime::AdapterContext ctx{cfg.name, "modbus_tcp", "site", "gw", strands.back(), &emitter};
    ctx.metrics = &metrics;
    auto c = cfg;
    adapters.push_back(std::make_unique<ModbusAdapter>(
        ctx, static_cast<const ModbusCommonConfig&>(cfg),
        [c](Executor ex, Counters& k) { return makeTcpTransport(c, ex, k); }));
  }
  for (size_t i = 0; i < adapters.size(); ++i) {
    auto* a = adapters[i].get();
    auto st = io.await<core::Status>(strands[i], [a] { return a->connect(); });
    if (!st) {
      std::printf("  connect: %s\n", st.error().toString().c_str());
      return;
    }
  }
  const double cpu0 = threadCpuSeconds(io.thread.native_handle());
  const auto t0 = Clock::now();
  for (size_t i = 0; i < adapters.size(); ++i) {
    auto* a = adapters[i].get();
    asio::co_spawn(
        strands[i],
        [a]() -> asio::awaitable<void> {
          co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
          co_await asio::this_coro::throw_if_cancelled(false);
          (void)co_await a->run();
          co_await a->close();
        },
        asio::bind_cancellation_slot(cancels[i].slot(),
                                     [&stopped](std::exception_ptr) { ++stopped; }));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(std::max(g_seconds, 5.0)));
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = threadCpuSeconds(io.thread.native_handle()) - cpu0;
  for (size_t i = 0; i < adapters.size(); ++i) {
    asio::post(strands[i], [&cancels, i] { cancels[i].emit(asio::cancellation_type::terminal); });
  }
  while (stopped < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<const core::Histogram*> hs;
  uint64_t overruns = 0, polls = 0;
  for (const auto& a : adapters) {
    hs.push_back(a->counters().lateness_seconds);
    overruns += a->counters().overruns->value();
    polls += a->counters().polls->value();
  }
  std::printf("  %.0f tags/s good (%.0f bad), %.0f polls/s, overruns %llu\n",
              static_cast<double>(emitter.good) / secs, static_cast<double>(emitter.bad),
              static_cast<double>(polls) / secs, static_cast<unsigned long long>(overruns));
  std::printf(
      "  poll-start lateness: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; adapter thread "
      "cpu %.0f%% of a core\n",
      1e3 * latenessQuantile(hs, 0.5), 1e3 * latenessQuantile(hs, 0.99),
      1e3 * latenessQuantile(hs, 0.999), 100 * cpu / secs);
  s.stop();
  std::printf("\n");
}

// A serial line between two fds at `baud`: bytes are delivered when they would have finished
// arriving on a half-duplex line (one direction at a time), `bits` bits per character.
class LineEmulator {
 public:
  LineEmulator(int a, int b, uint32_t baud, int bits)
      : a_(a), b_(b), char_ns_(static_cast<int64_t>(1e9 * bits / baud)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~LineEmulator() {
    stop_ = true;
    thread_.join();
  }

 private:
  struct Chunk {
    Clock::time_point at;
    int to;
    std::vector<uint8_t> bytes;
  };
  void loop() {
    std::deque<Chunk> q;
    Clock::time_point busy = Clock::now();
    while (!stop_) {
      pollfd p[2] = {{a_, POLLIN, 0}, {b_, POLLIN, 0}};
      int wait_ms = 1;
      ::poll(p, 2, wait_ms);
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & POLLIN)) continue;
        uint8_t buf[512];
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) continue;
        const auto now = Clock::now();
        const auto start = std::max(now, busy);
        busy = start + std::chrono::nanoseconds(char_ns_ * n);
        q.push_back({busy, i == 0 ? b_ : a_, std::vector<uint8_t>(buf, buf + n)});
      }
      const auto now = Clock::now();
      while (!q.empty() && q.front().at <= now) {
        if (::write(q.front().to, q.front().bytes.data(), q.front().bytes.size()) < 0) break;
        q.pop_front();
      }
      if (!q.empty()) {
        const auto d = q.front().at - Clock::now();
        if (d > std::chrono::microseconds(50))
          std::this_thread::sleep_for(std::min<Clock::duration>(d, std::chrono::microseconds(500)));
      }
    }
  }
  int a_, b_;
  int64_t char_ns_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void benchRtu(uint32_t baud) {
  int master = -1, slave = -1;
  char name[128];
  if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) return;
  termios t{};
  ::tcgetattr(master, &t);
  ::cfmakeraw(&t);
  ::tcsetattr(master, TCSANOW, &t);
  int sp[2];
  ::socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  const int bits = 11;  // start, 8 data, even parity, stop
  LineEmulator line(master, sp[0], baud, bits);
  modbus_t* dev = modbus_new_rtu("/dev/null", static_cast<int>(baud), 'E', 8, 1);
  modbus_set_socket(dev, sp[1]);
  modbus_set_slave(dev, 1);
  modbus_set_indication_timeout(dev, 0, 100000);
  modbus_mapping_t* map = modbus_mapping_new(0, 0, 1000, 0);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    uint8_t q[MODBUS_RTU_MAX_ADU_LENGTH];
    while (!stop) {
      int rc = modbus_receive(dev, q);
      if (rc > 0) modbus_reply(dev, q, rc, map);
    }
  });
  ModbusRtuConfig cfg;
  cfg.name = "rtu";
  cfg.serial_port = name;
  cfg.baud_rate = baud;
  cfg.timeout = std::chrono::milliseconds(1000);
  ModbusDeviceConfig d;
  d.name = "d";
  d.unit_id = 1;
  for (int i = 0; i < 125; ++i) {
    ModbusTagConfig tag;
    tag.tag = "r" + std::to_string(i);
    tag.address = static_cast<uint16_t>(i);
    d.tags.push_back(tag);
  }
  cfg.devices.push_back(d);
  IoThread io;
  CountingEmitter emitter;
  core::MetricsRegistry metrics;
  auto strand = asio::make_strand(io.io);
  runtime::AdapterContext ctx{"rtu", "modbus_rtu", "site", "gw", strand, &emitter};
  ctx.metrics = &metrics;
  ModbusAdapter a(ctx, static_cast<const ModbusCommonConfig&>(cfg),
                  [cfg](Executor ex, Counters& k) { return makeSerialTransport(cfg, ex, k); });
  auto st = io.await<core::Status>(strand, [&] { return a.connect(); });
  if (st) {
    io.awaitVoid(strand, [&] { return a.pollOnce(); });
    emitter.good = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(baud < 19200 ? 2 * g_seconds : g_seconds);
    uint64_t n = 0;
    io.awaitVoid(strand, [&]() -> asio::awaitable<void> {
      while (Clock::now() < end) {
        co_await a.pollOnce();
        ++n;
      }
    });
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double char_s = static_cast<double>(bits) / baud;
    const double gap = static_cast<double>(rtuFrameGapNanos(baud, bits)) / 1e9;
    const double cycle = (8 + 255) * char_s + 2 * gap;  // request, response, two frame gaps
    const double tps = static_cast<double>(n) / secs;
    std::printf(
        "  %6u baud: %6.2f transactions/s of 125 registers (%7.0f regs/s); line-rate "
        "limit %6.2f/s -> %.1f%% of the line rate (%llu bad readings)\n",
        baud, tps, tps * 125, 1 / cycle, 100 * tps * cycle,
        static_cast<unsigned long long>(emitter.bad.load()));
    io.awaitVoid(strand, [&] { return a.close(); });
  } else {
    std::printf("  %u baud: %s\n", baud, st.error().toString().c_str());
  }
  stop = true;
  server.join();
  modbus_mapping_free(map);
  modbus_set_socket(dev, -1);
  modbus_free(dev);
  ::close(sp[0]);
  ::close(sp[1]);
  ::close(master);
  ::close(slave);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--seconds" && i + 1 < argc) {
      g_seconds = std::atof(argv[++i]);
    } else if (k == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: modbus_bench [--seconds S] [--only contiguous|pymodbus|jitter|rtu]\n");
      return 2;
    }
  }
  core::Logger::instance().setLevel(core::LogLevel::kError);
  bench::printHeader(argc, argv);
  std::printf("\n");
  if (only.empty() || only == "contiguous") benchContiguous();
  if (only.empty() || only == "pymodbus") benchPymodbus();
  if (only.empty() || only == "jitter") benchJitter();
  if (only.empty() || only == "rtu") {
    std::printf("4. RTU, 125-register reads through an emulated serial line (libmodbus device)\n");
    benchRtu(115200);
    benchRtu(9600);
  }
  return 0;
}
