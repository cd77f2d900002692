// mqtt_bench: MQTT -> durable local log, against mosquitto_sub reading the same stream to
// /dev/null (the subscriber's limit on this machine), with Mosquitto on loopback.
//
// For QoS 0 and 1 it publishes N messages with a fast publisher of its own (our packet encoder
// on a blocking socket, pipelined) and measures
//   - mosquitto_sub -C N -q Q > /dev/null: start of publishing -> exit
//   - the gateway (mqtt adapter + Ingest + local log, fsync per group): start -> N records durable
// and prints both rates and their ratio. Then it publishes at a fixed rate with the publish time
// in the payload and reports the publish -> durable latency (p50/p99/max), and the process's
// peak RSS and CPU time. Formats: `value` (plain number) and `json` (two fields per message).
//
// Usage: mqtt_bench [--messages N] [--rate R] [--seconds S] [--payload value|json]
// Needs mosquitto and mosquitto_sub on PATH. Prints figures; asserts nothing about time.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

#include "bench_util.h"
#include "core/log.h"
#include "dataplane/adapters/mqtt/packet.h"
#include "mqtt_it.h"

using namespace sf;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int64_t realtimeNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A publisher on a blocking socket: CONNECT, then PUBLISH packets written in large chunks; at QoS
// 1 a reader thread counts PUBACKs (the broker's receive maximum paces us).
class FastPublisher {
 public:
  explicit FastPublisher(uint16_t port, const std::string& id) : sock_(io_) {
    sock_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sock_.set_option(asio::ip::tcp::no_delay(true));
    mqtt::ConnectOptions o;
    o.version = mqtt::Version::kV311;
    o.client_id = id;
    o.clean_start = true;
    o.keep_alive_s = 60;
    std::string p;
    (void)mqtt::encodeConnect(o, p);
    asio::write(sock_, asio::buffer(p));
    char connack[4];
    asio::read(sock_, asio::buffer(connack));
  }
  // Publishes `count` messages made by `payload(i)`; `per_second` 0: as fast as possible.
  template <class Payload>
  void publish(const std::string& topic, uint8_t qos, int64_t count, int per_second,
               Payload payload) {
    std::atomic<int64_t> acked{0};
    std::thread reader;
    if (qos == 1) {
      reader = std::thread([&] {
        std::vector<char> buf(1 << 16);
        std::string pending;
        while (acked < count) {
          asio::error_code ec;
          size_t n = sock_.read_some(asio::buffer(buf), ec);
          if (ec) return;
          pending.append(buf.data(), n);
          size_t whole = pending.size() / 4 * 4;  // PUBACKs are 4 bytes
          acked += static_cast<int64_t>(whole / 4);
          pending.erase(0, whole);
        }
      });
    }
    std::string chunk;
    auto start = Clock::now();
    for (int64_t i = 0; i < count; ++i) {
      uint16_t id = qos ? static_cast<uint16_t>(i % 65535 + 1) : 0;
      (void)mqtt::encodePublish(topic, payload(i), qos, false, false, id, mqtt::Version::kV311,
                                chunk);
      if (per_second > 0) {
        asio::write(sock_, asio::buffer(chunk));
        chunk.clear();
        std::this_thread::sleep_until(
            start + std::chrono::nanoseconds((i + 1) * 1'000'000'000LL / per_second));
      } else if (chunk.size() > 64 * 1024) {
        // Keep at most ~30k QoS 1 messages unacknowledged (packet ids wrap at 65535).
        while (qos == 1 && i - acked > 30000) std::this_thread::sleep_for(100us);
        asio::write(sock_, asio::buffer(chunk));
        chunk.clear();
      }
    }
    if (!chunk.empty()) asio::write(sock_, asio::buffer(chunk));
    if (reader.joinable()) reader.join();
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket sock_;
};

// Records when each batch became durable: latency = durable time - publish time in the payload.
class TimingEmitter : public runtime::RecordEmitter {
 public:
  explicit TimingEmitter(runtime::RecordEmitter& inner) : inner_(inner) {}
  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable) override {
    std::vector<int64_t> sent;
    if (measure_) {
      for (const auto& r : records) {
        if (const auto* v = r.value.get<int64_t>()) sent.push_back(*v);
      }
    }
    inner_.emit(std::move(records),
                [this, sent = std::move(sent), durable = std::move(durable)](core::Status s) {
                  if (!sent.empty()) {
                    int64_t now = realtimeNs();
                    std::lock_guard lock(mu_);
                    for (int64_t t : sent) latencies_.push_back(now - t);
                  }
                  if (durable) durable(std::move(s));
                });
  }
  void measure(bool on) { measure_ = on; }
  std::vector<int64_t> take() {
    std::lock_guard lock(mu_);
    return std::move(latencies_);
  }

 private:
  runtime::RecordEmitter& inner_;
  std::atomic<bool> measure_{false};
  std::mutex mu_;
  std::vector<int64_t> latencies_;
};

struct Stack {
  std::string dir;
  core::MetricsRegistry metrics;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<runtime::Ingest> ingest;
  std::unique_ptr<TimingEmitter> timing;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::unique_ptr<runtime::Supervisor> supervisor;
  mqtt::MqttAdapter* adapter = nullptr;

  bool start(uint16_t port, mqtt::PayloadFormat format, uint8_t qos) {
    dir = mqtt::it::makeTempDir("sf-mqtt-bench");
    log::LogOptions lo;
    lo.dir = dir;
    auto l = log::openLog(lo, nullptr, core::SystemClock::instance(), metrics);
    if (!l) return false;
    log = std::move(*l);
    ingest = std::make_unique<runtime::Ingest>(
        *log, runtime::Ingest::Options{"site", "gw", "main", 200'000}, metrics);
    timing = std::make_unique<TimingEmitter>(*ingest);
    auto config = mqtt::it::baseConfig("bench", port, "bench/data", format, qos);
    config.client_id = "sf-bench-" + std::to_string(::getpid());
    config.clean_start = true;
    config.max_inflight = 10000;
    config.subscriptions[0].topic_attribute = false;
    if (format == mqtt::PayloadFormat::kJson) {
      config.subscriptions[0].device = "dev";
      mqtt::JsonFieldConfig t;
      t.tag = "seq";
      t.value = "n";
      mqtt::JsonFieldConfig v;
      v.tag = "temp";
      v.value = "t";
      config.subscriptions[0].fields = {t, v};
    }
    work.emplace(io.get_executor());
    runtime::AdapterContext ctx{"bench",
                                "mqtt",
                                "site",
                                "gw",
                                asio::make_strand(io),
                                timing.get(),
                                &core::SystemClock::instance(),
                                &metrics};
    auto a = mqtt::MqttAdapter::create(config, ctx);
    if (!a) return false;
    adapter = a->get();
    supervisor = std::make_unique<runtime::Supervisor>(ctx, std::move(*a));
    thread = std::thread([this] { io.run(); });
    supervisor->start();
    for (int i = 0; i < 500 && adapter->subscribedCount() == 0; ++i)
      std::this_thread::sleep_for(10ms);
    return adapter->subscribedCount() > 0;
  }
  void stop() {
    supervisor->stopAndWait();
    (void)log->flush();
    work.reset();
    io.stop();
    thread.join();
    log->close();
    mqtt::it::removeAll(dir);
  }
  uint64_t durable() const { return log->endOffset(); }
};

struct Options {
  int64_t messages = 200000;
  int rate = 2000;
  int seconds = 10;
  std::string payload = "value";
};

double subscriberRate(uint16_t port, int qos, int64_t n,
                      const std::function<std::string(int64_t)>& payload) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    std::string p = std::to_string(port), c = std::to_string(n), q = std::to_string(qos);
    ::execlp("mosquitto_sub", "mosquitto_sub", "-h", "127.0.0.1", "-p", p.c_str(), "-t",
             "bench/data", "-q", q.c_str(), "-C", c.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(500ms);  // subscribed
  FastPublisher pub(port, "bench-pub-sub");
  auto start = Clock::now();
  pub.publish("bench/data", static_cast<uint8_t>(qos), n, 0, payload);
  int status = 0;
  ::waitpid(pid, &status, 0);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(n) / secs;
}

double gatewayRate(uint16_t port, int qos, int64_t n, mqtt::PayloadFormat format,
                   const std::function<std::string(int64_t)>& payload) {
  Stack s;
  if (!s.start(port, format, static_cast<uint8_t>(qos))) {
    std::cerr << "gateway did not subscribe\n";
    return 0;
  }
  const uint64_t base = s.durable();
  const uint64_t want =
      base + static_cast<uint64_t>(n) * (format == mqtt::PayloadFormat::kJson ? 2 : 1);
  FastPublisher pub(port, "bench-pub-gw");
  auto start = Clock::now();
  pub.publish("bench/data", static_cast<uint8_t>(qos), n, 0, payload);
  // Until all are durable, or nothing moved for 10 s (a broker that dropped QoS 0 messages).
  uint64_t last = s.durable();
  auto last_change = Clock::now();
  while (s.durable() < want && Clock::now() - last_change < 10s) {
    std::this_thread::sleep_for(1ms);
    if (s.durable() != last) {
      last = s.durable();
      last_change = Clock::now();
    }
  }
  const auto end = s.durable() >= want ? Clock::now() : last_change;
  double secs = std::chrono::duration<double>(end - start).count();
  uint64_t got = s.durable() - base;
  if (s.durable() < want) {
    std::printf("  (gateway: only %llu of %lld messages arrived)\n",
                static_cast<unsigned long long>(got), static_cast<long long>(n));
  }
  s.stop();
  return static_cast<double>(got) / (format == mqtt::PayloadFormat::kJson ? 2 : 1) / secs;
}

void latency(uint16_t port, int qos, int rate, int seconds) {
  Stack s;
  if (!s.start(port, mqtt::PayloadFormat::kValue, static_cast<uint8_t>(qos))) return;
  s.timing->measure(true);
  FastPublisher pub(port, "bench-pub-lat");
  const int64_t n = static_cast<int64_t>(rate) * seconds;
  const uint64_t want = s.durable() + static_cast<uint64_t>(n);
  pub.publish("bench/data", static_cast<uint8_t>(qos), n, rate,
              [](int64_t) { return std::to_string(realtimeNs()); });
  auto deadline = Clock::now() + 30s;
  while (s.durable() < want && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  auto lat = s.timing->take();
  s.stop();
  if (lat.empty()) return;
  std::sort(lat.begin(), lat.end());
  auto q = [&](double p) {
    return static_cast<double>(lat[static_cast<size_t>(p * (lat.size() - 1))]) / 1e6;
  };
  std::printf(
      "latency   QoS %d at %5d msg/s: publish -> durable p50 %.2f ms  p99 %.2f ms  max %.2f ms  "
      "(%zu msgs)\n",
      qos, rate, q(0.5), q(0.99), q(1.0), lat.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--messages") o.messages = std::atoll(v.c_str());
    if (k == "--rate") o.rate = std::atoi(v.c_str());
    if (k == "--seconds") o.seconds = std::atoi(v.c_str());
    if (k == "--payload") o.payload = v;
  }
  core::Logger::instance().setLevel(core::LogLevel::kWarn);
  mqtt::it::Mosquitto broker(
      mqtt::it::Mosquitto::Options{false, {}, "max_inflight_messages 1000\n"});
  if (!broker.start()) {
    std::cerr << "mosquitto did not start\n" << broker.logTail();
    return 1;
  }
  const bool json = o.payload == "json";
  const auto format = json ? mqtt::PayloadFormat::kJson : mqtt::PayloadFormat::kValue;
  std::function<std::string(int64_t)> payload =
      json ? std::function<std::string(int64_t)>(
                 [](int64_t i) { return "{\"n\":" + std::to_string(i) + ",\"t\":21.5}"; })
           : [](int64_t i) { return std::to_string(i); };
  std::printf("mqtt_bench: %lld messages per run, payload %s, Mosquitto on loopback, %u cores\n",
              static_cast<long long>(o.messages), o.payload.c_str(),
              std::thread::hardware_concurrency());
  for (int qos : {0, 1}) {
    double sub = subscriberRate(broker.port(), qos, o.messages, payload);
    double gw = gatewayRate(broker.port(), qos, o.messages, format, payload);
    std::printf(
        "throughput QoS %d: mosquitto_sub > /dev/null %9.0f msg/s   gateway -> durable log %9.0f "
        "msg/s   ratio %.2f\n",
        qos, sub, gw, sub > 0 ? gw / sub : 0);
    std::fflush(stdout);
  }
  latency(broker.port(), 1, o.rate, o.seconds);
  latency(broker.port(), 0, o.rate, o.seconds);
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "process   peak RSS %llu kB   CPU user %.1f s  system %.1f s (bench publisher + gateway in "
      "one process)\n",
      static_cast<unsigned long long>(sf::bench::memoryOf().hwm_kib),
      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
