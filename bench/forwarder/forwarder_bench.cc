// forwarder_bench: records/s and MB/s from a real local log to Kafka through the forwarder,
// and, in the same run, librdkafka's raw producer sending the same messages (same topic
// layout, keys, headers and JSON values, same producer configuration) from memory: the peer
// limit the forwarder can at best reach. With --rdkafka-performance, also librdkafka's own
// benchmark tool producing as many messages of the JSON value's size with the same producer
// configuration, as a child process (bench/forwarder/rdkafka-performance.sh builds it).
// A benchmark prints its figures; nothing asserts them.
//
// Usage: forwarder_bench [--brokers HOST:PORT] [--records N] [--sizes 100,1024]
//                        [--partitions P] [--dir DIR] [--compression C] [--linger-ms L]
//                        [--rdkafka-performance PATH]
// --brokers defaults to $SF_KAFKA_BOOTSTRAP, --rdkafka-performance to $SF_RDKAFKA_PERFORMANCE;
// --records is per size (default 500000 for sizes up to 256 bytes, 200000 above). A record's
// size is its encoded size in the local log; the Kafka message (canonical JSON) is larger and
// both are printed.
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/log.h"
#include "dataplane/kafka/forwarder.h"
#include "dataplane/kafka/producer.h"
#include "dataplane/log/log.h"
#include "harness/process.h"
#include "kafka_bench_util.h"
#include "model/record_codec.h"
#include "model/record_json.h"

using namespace sf;
using Clock = std::chrono::steady_clock;

namespace {

struct Args : bench::KafkaBenchArgs {
  uint64_t records = 0;
  std::vector<size_t> sizes{100, 1024};
  std::string rdkafka_performance;  // path of librdkafka's rdkafka_performance, or empty
};

Args parseArgs(int argc, char** argv) {
  Args a;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
  if (const char* t = std::getenv("SF_RDKAFKA_PERFORMANCE")) a.rdkafka_performance = t;
  bench::Flags flags("forwarder_bench");
  a.addTo(flags);
  flags.add("records", a.records)
      .add("sizes",
           [&](const std::string& v) {
             a.sizes.clear();
             std::stringstream ss(v);
             for (std::string part; std::getline(ss, part, ',');) {
               a.sizes.push_back(std::stoul(part));
             }
           })
      .add("rdkafka-performance", a.rdkafka_performance);
  flags.parse(argc, argv);
  a.check(flags);
  if (!a.rdkafka_performance.empty() && ::access(a.rdkafka_performance.c_str(), X_OK) != 0) {
    flags.fail("cannot run " + a.rdkafka_performance);
  }
  return a;
}

void printSetup(const Args& a) {
  std::cout << a.describe() << "\n";
  if (a.rdkafka_performance.empty()) {
    std::cout << "rdkafka_performance row skipped: no --rdkafka-performance PATH or "
                 "SF_RDKAFKA_PERFORMANCE (build the tool with "
                 "bench/forwarder/rdkafka-performance.sh)\n";
  } else {
    std::cout << "rdkafka_performance: " << a.rdkafka_performance
              << "\n  same producer configuration, message count, JSON value size and headers;"
                 " but every payload is the same JSON value and there is no key, so its"
                 " batches compress better than ours (compare with --compression none too) and"
                 " its MB/s counts values only\n";
  }
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
    model::Record r = bench::makeRecord(i, size, site);
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

// librdkafka's own producer benchmark run as a child process (no shell): `n` messages of
// `value`'s size (its payload repeats `value`), no key, the four headers of ours with fixed
// values, every producer property of the forwarder as -X. Figures from its final summary line:
// "% N messages produced (B bytes), D delivered (offset O, F failed) in T ms: R msgs/s and
// M MB/s, ..." (time from the first produce to the last delivery report, like the raw row).
// Its MB/s counts values only: it sends no key.
std::optional<Figures> rdkafkaPerformance(const Args& a, const kafka::KafkaOutputOptions& opts,
                                          const std::string& topic, uint64_t n,
                                          const std::string& value,
                                          const std::vector<std::string>& headers) {
  std::vector<std::string> argv{a.rdkafka_performance, "-P", "-t", topic, "-b", a.brokers, "-s",
                                std::to_string(value.size()), "-c", std::to_string(n),
                                // -z, not -X: the summary line names the codec from -z.
                                "-z", opts.compression};
  // The arguments of one exec are bounded (MAX_ARG_STRLEN): the tool's own pattern above that.
  if (value.size() < 64 * 1024) argv.insert(argv.end(), {"-m", value});
  // rdkafka_performance's own defaults that differ from librdkafka's (and so the forwarder's).
  argv.insert(argv.end(), {"-X", "message.send.max.retries=" + std::to_string(INT_MAX), "-X",
                           "retry.backoff.ms=100"});
  for (const auto& p : kafka::producerProperties(opts, "bench-rdkafka-performance")) {
    if (p.key == "bootstrap.servers" || p.key == "compression.codec") continue;
    argv.insert(argv.end(), {"-X", p.key + "=" + p.value});
  }
  for (const auto& h : headers) argv.insert(argv.end(), {"-H", h});

  std::string text;
  const int status = sf::testing::runProcess(argv, &text);
  static const std::regex kSummary(
      R"(% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) )"
      R"(in (\d+)ms: (\d+) msgs/s and ([0-9.]+) MB/s[^\n]*)");
  std::smatch last;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kSummary);
       it != std::sregex_iterator(); ++it) {
    last = *it;
  }
  if (status != 0 || last.empty()) {
    std::cerr << "rdkafka_performance failed (exit " << status << "):\n" << text << "\n";
    return std::nullopt;
  }
  const uint64_t delivered = std::stoull(last[3]), failed = std::stoull(last[4]);
  const double ms = std::stod(last[5]);
  if (failed) std::cerr << "rdkafka_performance: " << failed << " failed deliveries\n";
  std::cout << "  rdkafka_performance says: " << last.str() << "\n";
  Figures f;
  f.seconds = ms / 1e3;
  f.records = delivered;
  f.bytes = delivered * value.size();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parseArgs(argc, argv);
  core::Logger::instance().setLevel(core::LogLevel::kWarn);
  bench::printHeader(argc, argv);
  printSetup(a);
  std::string base = a.dir;
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
    std::string json_value;
    std::vector<std::string> headers;  // name=value, as rdkafka_performance -H takes them
    {
      model::Record r = bench::makeRecord(0, size, site);
      r.offset = 0;
      std::string enc;
      model::encodeBinary(r, enc);
      json_value = model::toJson(r);
      headers = {"sf-class=" + std::string(model::recordClassName(r.recordClass())),
                 "sf-record-id=" + model::formatRecordId(id.gateway, id.stream, 0),
                 "sf-schema=" + std::string(model::kRecordSchema), "content-type=application/json"};
      std::cout << "\n--- " << size << " B records (encoded " << enc.size() << " B, JSON "
                << json_value.size() << " B), " << n << " records per run\n";
    }

    // 1. The peer limit: librdkafka alone, from memory, to its own topic.
    const std::string raw_site = site + "-raw";
    if (!bench::createTopic(a.brokers, "sf." + raw_site + ".telemetry", a.partitions)) {
      std::cerr << "cannot create topic\n";
      return 1;
    }
    Figures raw = rawProducer(a, opts, n, size, raw_site, id, *tmpl);

    // 2. The forwarder: fill a real log (fsync per group commit), then forward it all.
    if (!bench::createTopic(a.brokers, "sf." + site + ".telemetry", a.partitions)) return 1;
    std::string dir = base + "/sf-fwd-bench-" + run + "-" + std::to_string(size);
    auto log = bench::openBenchLog(dir);
    if (!log) return 1;
    auto t_fill = Clock::now();
    uint64_t log_bytes = 0;
    for (uint64_t i = 0; i < n;) {
      std::vector<log::Entry> batch;
      for (; i < n && batch.size() < 1000; ++i) {
        log::Entry e;
        e.ts_ns = core::SystemClock::instance().nowUnixNanos();
        model::encodeBinary(bench::makeRecord(i, size, site), e.payload);
        log_bytes += e.payload.size();
        batch.push_back(std::move(e));
      }
      std::promise<void> done;
      log->append(std::move(batch), [&](core::Result<log::AppendResult> r) {
        if (!r) std::cerr << "append: " << r.error().toString() << "\n";
        done.set_value();
      });
      done.get_future().wait();
    }
    Figures fill{std::chrono::duration<double>(Clock::now() - t_fill).count(), n, log_bytes};

    core::MetricsRegistry metrics;
    auto f = kafka::Forwarder::create(opts, *log, id, metrics);
    if (!f) {
      std::cerr << f.error().message << "\n";
      return 1;
    }
    auto t0 = Clock::now();
    if (!(*f)->start()) return 1;
    while ((*f)->stats().cursor < log->endOffset()) {
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

    // 3. librdkafka's own tool, when given: as many messages of the JSON value's size.
    std::optional<Figures> tool;
    if (!a.rdkafka_performance.empty()) {
      const std::string topic = "sf." + site + "-rdkperf.telemetry";
      if (!bench::createTopic(a.brokers, topic, a.partitions)) return 1;
      tool = rdkafkaPerformance(a, opts, topic, n, json_value, headers);
    }

    printRow("log append (batch fsync)", size, fill);
    printRow("librdkafka raw producer", size, raw);
    if (tool) printRow("rdkafka_performance", size, *tool);
    printRow("forwarder log -> Kafka", size, fwd);
    std::printf("forwarder / raw: %.0f %%   (rebuilds %llu, re-sent %llu)\n",
                100.0 * (fwd.records / fwd.seconds) / (raw.records / raw.seconds),
                static_cast<unsigned long long>((*f)->stats().rebuilds),
                static_cast<unsigned long long>((*f)->stats().resent));
    if (tool) {
      std::printf("forwarder / rdkafka_performance: %.0f %%\n",
                  100.0 * (fwd.records / fwd.seconds) / (tool->records / tool->seconds));
    }
    (void)hist;
    log->close();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
