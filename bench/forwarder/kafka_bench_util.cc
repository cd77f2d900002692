#include "kafka_bench_util.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "model/record_codec.h"

namespace sf::bench {

void KafkaBenchArgs::addTo(Flags& flags) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
  if (const char* b = std::getenv("SF_KAFKA_BOOTSTRAP")) brokers = b;
  flags.add("brokers", brokers)
      .add("partitions", partitions)
      .add("dir", dir)
      .add("compression", compression)
      .add("linger-ms", linger_ms);
}

void KafkaBenchArgs::check(const Flags& flags) const {
  if (brokers.empty()) flags.fail("no brokers (--brokers or SF_KAFKA_BOOTSTRAP)");
}

kafka::KafkaOutputOptions KafkaBenchArgs::outputOptions() const {
  kafka::KafkaOutputOptions o;
  o.name = "bench";
  o.brokers = brokers;
  o.compression = compression;
  o.linger = std::chrono::milliseconds(linger_ms);
  return o;
}

std::string KafkaBenchArgs::describe() const {
  return std::string("librdkafka ") + rd_kafka_version_str() + "; brokers " + brokers + "; " +
         std::to_string(partitions) + " partitions; compression " + compression + "; linger.ms " +
         std::to_string(linger_ms) + "; acks=all, idempotent";
}

std::unique_ptr<log::Log> openBenchLog(const std::string& dir) {
  log::LogOptions lo;
  lo.dir = dir;
  lo.stream = "main";
  auto opened = log::openLog(lo);
  if (!opened) {
    std::fprintf(stderr, "open log: %s\n", opened.error().toString().c_str());
    return nullptr;
  }
  return std::move(*opened);
}

LiveForwarder::~LiveForwarder() {
  if (forwarder) forwarder->stop();
  if (log) log->close();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<LiveForwarder> startLiveForwarder(const std::string& dir,
                                                  const kafka::KafkaOutputOptions& options) {
  auto live = std::make_unique<LiveForwarder>();
  live->dir = dir;
  live->log = openBenchLog(dir);
  if (!live->log) return nullptr;
  auto f = kafka::Forwarder::create(options, *live->log, {"gw-bench", "main"}, live->metrics);
  if (!f) {
    std::fprintf(stderr, "forwarder: %s\n", f.error().message.c_str());
    return nullptr;
  }
  live->forwarder = std::move(*f);
  if (auto st = live->forwarder->start(); !st) {
    std::fprintf(stderr, "forwarder: %s\n", st.error().message.c_str());
    return nullptr;
  }
  return live;
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

int64_t topicMessageCount(const std::string& brokers, const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) return -1;
  int64_t total = -1;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, t, &md, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
    total = 0;
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      int64_t lo = 0, hi = 0;
      if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), md->topics[0].partitions[p].id, &lo,
                                           &hi, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        total = -1;
        break;
      }
      total += hi - lo;
    }
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return total;
}

}  // namespace sf::bench
