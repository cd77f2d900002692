// forwarder_bench: records/s and MB/s from a real local log to Kafka through the forwarder,
// and, in the same run, librdkafka's raw producer sending the same messages (same topic
// layout, keys, headers and JSON values, same producer configuration) from memory: the peer
// limit the forwarder can at best reach. A benchmark prints its figures; nothing asserts them.
//
// Usage: forwarder_bench [--brokers HOST:PORT] [--records N] [--sizes 100,1024]
//                        [--partitions P] [--dir DIR] [--compression C] [--linger-ms L]
// --brokers defaults to $SF_KAFKA_BOOTSTRAP; --records is per size (default 500000 for sizes
// up to 256 bytes, 200000 above). A record's size is its encoded size in the local log; the
// Kafka message (canonical JSON) is larger and both are printed.
#include <librdkafka/rdkafka.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "dataplane/kafka/forwarder.h"
#include "dataplane/kafka/producer.h"
#include "dataplane/log/log.h"
#include "model/record_codec.h"
#include "model/record_json.h"

using namespace sf;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string brokers;
  uint64_t records = 0;
  std::vector<size_t> sizes{100, 1024};
  int partitions = 3;
  std::string dir;
  std::string compression = "zstd";
  int linger_ms = 10;
};

[[noreturn]] void usage(const char* why) {
  std::cerr << "forwarder_bench: " << why
            << "\nusage: forwarder_bench [--brokers HOST:PORT] [--records N] [--sizes 100,1024]"
               " [--partitions P] [--dir DIR] [--compression C] [--linger-ms L]\n";
  std::exit(2);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
  if (const char* b = std::getenv("SF_KAFKA_BOOTSTRAP")) a.brokers = b;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    std::string v = argv[++i];
    if (k == "--brokers") {
      a.brokers = v;
    } else if (k == "--records") {
      a.records = std::stoull(v);
    } else if (k == "--sizes") {
      a.sizes.clear();
      std::stringstream ss(v);
      for (std::string part; std::getline(ss, part, ',');) a.sizes.push_back(std::stoul(part));
    } else if (k == "--partitions") {
      a.partitions = std::stoi(v);
    } else if (k == "--dir") {
      a.dir = v;
    } else if (k == "--compression") {
      a.compression = v;
    } else if (k == "--linger-ms") {
      a.linger_ms = std::stoi(v);
    } else {
      usage(("unknown option " + k).c_str());
    }
  }
  if (a.brokers.empty()) usage("no brokers (--brokers or SF_KAFKA_BOOTSTRAP)");
  return a;
}

std::string firstLine(const std::string& file, const std::string& prefix) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) return line;
      auto value = line.find_first_not_of(" \t", colon + 1);
      return value == std::string::npos ? std::string() : line.substr(value);
    }
  }
  return "?";
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

void printMachine(int argc, char** argv, const Args& a) {
  utsname u{};
  uname(&u);
  std::cout << "command:   ";
  for (int i = 0; i < argc; ++i) std::cout << (i ? " " : "") << argv[i];
  std::cout << "\nmachine:   " << u.sysname << " " << u.release << " " << u.machine << ", "
            << firstLine("/proc/cpuinfo", "model name") << ", "
            << std::thread::hardware_concurrency() << " CPUs, "
            << firstLine("/proc/meminfo", "MemTotal") << ", load average " << loadAverage() << "\n"
            << "librdkafka " << rd_kafka_version_str() << "; brokers " << a.brokers
            << "; partitions " << a.partitions << "; compression " << a.compression
            << "; linger.ms " << a.linger_ms << "; acks=all, idempotent\n";
}

bool createTopic(const std::string& brokers, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) return false;
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  bool ok = false;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  if (ev) {
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    ok = n == 1 && (rd_kafka_topic_result_error(res[0]) == RD_KAFKA_RESP_ERR_NO_ERROR ||
                    rd_kafka_topic_result_error(res[0]) == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // leaders elected
  return ok;
}

// A telemetry record whose binary encoding is about `size` bytes (a string value pads it).
model::Record makeRecord(uint64_t i, size_t size, const std::string& site) {
  model::Record r;
  r.site = site;
  r.gateway = "gw-bench";
  r.stream = "main";
  r.adapter = "sim";
  r.device = "dev" + std::to_string(i % 16);
  r.tag = "tag" + std::to_string(i % 256);
  r.source_ts_ns = 1'700'000'000'000'000'000LL + static_cast<int64_t>(i);
  r.gateway_ts_ns = r.source_ts_ns;
  std::string probe;
  model::encodeBinary(r, probe);
  size_t pad = size > probe.size() + 2 ? size - probe.size() - 2 : 0;
  r.value = model::Value::ofString(std::string(pad, static_cast<char>('a' + i % 26)));
  return r;
}

struct Figures {
  double seconds = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;  // key + value
};

void printRow(const std::string& what, size_t size, const Figures& f) {
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %6zu B %10llu rec %8.2f s %12.0f rec/s %9.2f MB/s",
                what.c_str(), size, static_cast<unsigned long long>(f.records), f.seconds,
                f.records / f.seconds, f.bytes / f.seconds / 1e6);
  std::cout << line << std::endl;
}

// The raw producer: the forwarder's own producer configuration and messages, from memory.
Figures rawProducer(const Args& a, const kafka::KafkaOutputOptions& opts, uint64_t n, size_t size,
                    const std::string& site, const kafka::ForwarderIdentity& id,
                    const kafka::TopicTemplate& tmpl) {
  struct Msg {
    std::string topic, key, value, record_id;
    std::string_view cls;
  };
  std::vector<Msg> msgs;
  msgs.reserve(n);
  Figures f;
  for (uint64_t i = 0; i < n; ++i) {
    model::Record r = makeRecord(i, size, site);
    r.offset = i;
    Msg m;
    m.topic = tmpl.render(r, id);
    m.key = r.device + "/" + r.tag;
    m.value = model::toJson(r);
    m.record_id = model::formatRecordId(id.gateway, id.stream, i);
    m.cls = model::recordClassName(r.recordClass());
    f.bytes += m.key.size() + m.value.size();
    msgs.push_back(std::move(m));
  }
  auto p = kafka::Producer::create(opts, "bench-raw");
  if (!p) {
    std::cerr << p.error().message << "\n";
    std::exit(1);
  }
  std::vector<kafka::DeliveryReport> reports;
  std::vector<kafka::ProducerEvent> events;
  uint64_t acked = 0, failed = 0;
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const auto& m = msgs[i];
    const kafka::Header headers[] = {{"sf-class", m.cls},
                                     {"sf-record-id", m.record_id},
                                     {"sf-schema", model::kRecordSchema},
                                     {"content-type", "application/json"}};
    for (;;) {
      auto r = (*p)->produce(m.topic, m.key, m.value, headers, 4, i);
      if (r.error == kafka::Producer::ProduceError::kNone) break;
      if (r.error != kafka::Producer::ProduceError::kQueueFull) {
        std::cerr << "raw produce: " << r.message << "\n";
        std::exit(1);
      }
      (*p)->poll(1, reports, events);
    }
    (*p)->poll(0, reports, events);
  }
  while (acked + failed < n) {
    (*p)->poll(10, reports, events);
    for (auto& r : reports) (r.err ? failed : acked)++;
    reports.clear();
    events.clear();
    reports.shrink_to_fit();
  }
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  f.records = acked;
  if (failed) std::cerr << "raw producer: " << failed << " failed deliveries\n";
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parseArgs(argc, argv);
  core::Logger::instance().setLevel(core::LogLevel::kWarn);
  printMachine(argc, argv, a);
  std::string base = a.dir.empty() ? std::filesystem::temp_directory_path().string() : a.dir;
  const std::string run =
      std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch() / std::chrono::seconds(1));
  std::cout << "record size = encoded size in the local log; MB/s counts Kafka message bytes "
               "(key + canonical JSON value), encoded bytes for the log append row\n";

  for (size_t size : a.sizes) {
    uint64_t n = a.records ? a.records : (size <= 256 ? 500'000 : 200'000);
    const std::string site = "bench-" + run + "-" + std::to_string(size);
    const kafka::ForwarderIdentity id{"gw-bench", "main"};
    kafka::KafkaOutputOptions opts;
    opts.name = "bench";
    opts.brokers = a.brokers;
    opts.compression = a.compression;
    opts.linger = std::chrono::milliseconds(a.linger_ms);
    auto tmpl = kafka::TopicTemplate::parse(opts.topic_template);
    std::string json_size;
    {
      model::Record r = makeRecord(0, size, site);
      r.offset = 0;
      std::string enc;
      model::encodeBinary(r, enc);
      json_size = std::to_string(model::toJson(r).size());
      std::cout << "\n--- " << size << " B records (encoded " << enc.size() << " B, JSON "
                << json_size << " B), " << n << " records per run\n";
    }

    // 1. The peer limit: librdkafka alone, from memory, to its own topic.
    const std::string raw_site = site + "-raw";
    if (!createTopic(a.brokers, "sf." + raw_site + ".telemetry", a.partitions)) {
      std::cerr << "cannot create topic\n";
      return 1;
    }
    Figures raw = rawProducer(a, opts, n, size, raw_site, id, *tmpl);

    // 2. The forwarder: fill a real log (fsync per group commit), then forward it all.
    if (!createTopic(a.brokers, "sf." + site + ".telemetry", a.partitions)) return 1;
    std::string dir = base + "/sf-fwd-bench-" + run + "-" + std::to_string(size);
    log::LogOptions lo;
    lo.dir = dir;
    lo.stream = "main";
    auto log = log::openLog(lo);
    if (!log) {
      std::cerr << "open log: " << log.error().toString() << "\n";
      return 1;
    }
    auto t_fill = Clock::now();
    uint64_t log_bytes = 0;
    for (uint64_t i = 0; i < n;) {
      std::vector<log::Entry> batch;
      for (; i < n && batch.size() < 1000; ++i) {
        log::Entry e;
        e.ts_ns = core::SystemClock::instance().nowUnixNanos();
        model::encodeBinary(makeRecord(i, size, site), e.payload);
        log_bytes += e.payload.size();
        batch.push_back(std::move(e));
      }
      std::promise<void> done;
      (*log)->append(std::move(batch), [&](core::Result<log::AppendResult> r) {
        if (!r) std::cerr << "append: " << r.error().toString() << "\n";
        done.set_value();
      });
      done.get_future().wait();
    }
    Figures fill{std::chrono::duration<double>(Clock::now() - t_fill).count(), n, log_bytes};

    core::MetricsRegistry metrics;
    auto f = kafka::Forwarder::create(opts, **log, id, metrics);
    if (!f) {
      std::cerr << f.error().message << "\n";
      return 1;
    }
    auto t0 = Clock::now();
    if (!(*f)->start()) return 1;
    while ((*f)->stats().cursor < (*log)->endOffset()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Figures fwd;
    fwd.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    (*f)->stop();
    fwd.records = (*f)->stats().acked;
    fwd.bytes = static_cast<uint64_t>(
        metrics.valueOf("sf_forwarder_acked_bytes_total", {{"output", "bench"}}));
    auto& hist =
        metrics.histogram("sf_forwarder_delivery_latency_seconds", "", {{"output", "bench"}});

    printRow("log append (batch fsync)", size, fill);
    printRow("librdkafka raw producer", size, raw);
    printRow("forwarder log -> Kafka", size, fwd);
    std::printf("forwarder / raw: %.0f %%   (rebuilds %llu, re-sent %llu)\n",
                100.0 * (fwd.records / fwd.seconds) / (raw.records / raw.seconds),
                static_cast<unsigned long long>((*f)->stats().rebuilds),
                static_cast<unsigned long long>((*f)->stats().resent));
    (void)hist;
    (*log)->close();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
