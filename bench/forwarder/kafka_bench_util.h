#pragma once
// What the forwarder benchmarks share: topics created with librdkafka's Admin API, records of a
// given encoded size, and the sum of a topic's high watermarks (messages Kafka holds).

#include <cstdint>
#include <memory>
#include <string>

#include "bench_util.h"
#include "core/metrics.h"
#include "dataplane/kafka/forwarder.h"
#include "dataplane/log/log.h"
#include "model/record.h"

namespace sf::bench {

// The options every forwarder benchmark takes.
struct KafkaBenchArgs {
  std::string brokers;  // --brokers, default $SF_KAFKA_BOOTSTRAP (required)
  int partitions = 3;
  std::string dir = "/var/tmp";  // where the local logs go: a disk (/tmp may be tmpfs)
  std::string compression = "zstd";
  int linger_ms = 10;

  // Adds --brokers, --partitions, --dir, --compression and --linger-ms.
  void addTo(Flags& flags);
  // After parsing: stops the program when no broker is known.
  void check(const Flags& flags) const;
  // The output "bench" to these brokers with this compression and linger; the rest default.
  kafka::KafkaOutputOptions outputOptions() const;
  // "librdkafka V; brokers B; P partitions; compression C; linger.ms L; acks=all, idempotent".
  std::string describe() const;
};

// A fresh local log in `dir` (stream "main", fsync: batch), or nullptr after printing why.
std::unique_ptr<log::Log> openBenchLog(const std::string& dir);

// The system under test of the live benchmarks: a local log and a started forwarder reading it,
// as a gateway runs them. The destructor stops the forwarder, closes the log and removes it.
struct LiveForwarder {
  std::string dir;
  std::unique_ptr<log::Log> log;
  core::MetricsRegistry metrics;
  std::unique_ptr<kafka::Forwarder> forwarder;
  ~LiveForwarder();
};
// Opens a log in `dir` and starts a forwarder with `options`; nullptr after printing why.
std::unique_ptr<LiveForwarder> startLiveForwarder(const std::string& dir,
                                                  const kafka::KafkaOutputOptions& options);

// Creates `topic` (replication 1) or accepts an existing one; waits briefly for leaders.
bool createTopic(const std::string& brokers, const std::string& topic, int partitions);

// A telemetry record whose binary encoding (model::encodeBinary) is about `size` bytes: a
// string value pads it. Devices cycle over 16 names and tags over 256.
model::Record makeRecord(uint64_t i, size_t size, const std::string& site);

// Messages in `topic` (sum over partitions of high watermark - low watermark), or -1.
int64_t topicMessageCount(const std::string& brokers, const std::string& topic);

}  // namespace sf::bench
