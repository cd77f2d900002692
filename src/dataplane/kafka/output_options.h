#pragma once
// Options of one Kafka output (an `outputs:` entry of type `kafka`): where records go, how the
// producer batches them, and any librdkafka property passed through unchanged. Several outputs
// may run side by side (an edge cluster and a central one), each with its own cursor in the log.
//
// Every option is declared once, in kafkaOutputSpec() (config/spec.h): parsing, the JSON Schema,
// the reference in docs/reference/ and validate() all come from that declaration.
//
// The forwarder owns the properties that make delivery safe (enable.idempotence, acks, the
// delivery timeout, compression, batching): the `kafka` passthrough map may not set them, so a
// configuration cannot silently weaken principle 1 (docs/FORWARDER.md, "Options"). Secret
// librdkafka properties (passwords, keys) go in `kafka_secrets`, which is never shown.
//
// Plain values; validate() and the helpers are pure (no I/O, no DNS) and thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.h"
#include "config/registry.h"
#include "config/spec.h"
#include "config/units.h"
#include "core/result.h"

typedef struct rd_kafka_conf_s rd_kafka_conf_t;

namespace sf::kafka {

struct KafkaOutputOptions {
  // The output's name: its cursor in the log, its metric label, its client.id suffix.
  std::string name;
  // bootstrap.servers: "host:port[,host:port...]".
  std::string brokers;
  // Topic per record; placeholders {site}, {class}, {gateway}, {stream} (topic_template.h).
  std::string topic_template = "sf.{site}.{class}";
  // none, gzip, snappy, lz4 or zstd.
  std::string compression = "zstd";
  // How long librdkafka waits to fill a batch (linger.ms).
  std::chrono::milliseconds linger{10};
  // Upper bounds of one batch (batch.num.messages, batch.size).
  uint32_t batch_records = 10'000;
  config::ByteSize batch_bytes{1'000'000};
  // A record not acknowledged within this time fails the producer, which is rebuilt. Enforced
  // by the forwarder; librdkafka's message.timeout.ms is infinite (see producerProperties).
  std::chrono::milliseconds message_timeout{60'000};
  // The in-flight window: records read from the log and handed to librdkafka, not yet
  // acknowledged. Bounds memory during an outage and the duplicates after a rebuild or crash.
  // 10k records keep a local broker at full speed (bench/forwarder: the same peak from 5k to
  // 50k) with the whole process under 64 MiB; a far cluster may want more (rate x round trip).
  uint32_t max_in_flight_records = 10'000;
  config::ByteSize max_in_flight_bytes = config::ByteSize::mib(16);
  // How often the acknowledged cursor is persisted (also on stop, before every rebuild, and
  // whenever it moved by half the window).
  std::chrono::milliseconds commit_interval{1'000};
  // Upper bound of stop(): the time given to in-flight records to be acknowledged.
  std::chrono::milliseconds stop_timeout{10'000};
  // Delay before building a new producer after a failure, doubling up to the maximum.
  std::chrono::milliseconds rebuild_backoff_initial{250};
  std::chrono::milliseconds rebuild_backoff_max{30'000};
  // Any librdkafka producer property (CONFIGURATION.md), e.g. security.protocol,
  // sasl.mechanism, sasl.username, ssl.ca.location, client.id, partitioner.
  std::map<std::string, std::string> kafka;
  // librdkafka properties whose values are secrets (sasl.password, ssl.key.password, ...):
  // passed through like `kafka`, never logged or rendered.
  std::map<std::string, std::string> kafka_secrets;
};

// Who writes the records: part of every record id "<gateway>/<stream>/<offset>".
struct ForwarderIdentity {
  std::string gateway;
  std::string stream;
};

// The one declaration of every option (type, default, range, doc, example, secret, advanced).
const config::Spec<KafkaOutputOptions>& kafkaOutputSpec();

// The component type of outputs: `type: kafka`.
inline constexpr std::string_view kKafkaOutputType = "kafka";
// Adds the `kafka` output type to the application's registry.
core::Status registerKafkaOutput(config::Registry& registry);

// Every problem of `options`, each with the JSON Pointer of its option ("/kafka/acks") and a
// reason (librdkafka's own for passthrough properties). Empty when valid. Runs exactly what
// parsing a configuration runs: the spec's ranges and its checks.
std::vector<config::ConfigError> validateOptions(const KafkaOutputOptions& options);
// The same, as one Status (kInvalidConfig, the problems joined with "; ").
core::Status validate(const KafkaOutputOptions& options);

// True for librdkafka properties whose value is a secret (passwords, keys, tokens): they
// belong in kafka_secrets; never logged, and redacted from error messages.
bool isSecretProperty(std::string_view name);

// Properties the forwarder sets itself; the passthrough maps may not set them.
const std::vector<std::string_view>& reservedProperties();

// One librdkafka property; `secret` when its value must never be shown (a secret-named
// property, or anything under kafka_secrets).
struct Property {
  std::string key;
  std::string value;
  bool secret = false;
};

// The complete librdkafka configuration of the producer, in the order it is applied: the
// forwarder's defaults, then the passthrough maps, then the forwarder's safety properties.
// `client_id` is used unless the passthrough map sets client.id.
std::vector<Property> producerProperties(const KafkaOutputOptions& options,
                                         std::string_view client_id);

// Applies the properties to `conf`; the error names the property ("kafka.<name>: ...") and
// carries rd_kafka_conf_set's reason, with a secret's value replaced by "***".
core::Status applyProperties(rd_kafka_conf_t* conf, const std::vector<Property>& properties);

// The properties as "k=v" joined with ", ", secrets shown as "***" (for logs).
std::string describeProperties(const std::vector<Property>& properties);

// Known incompatibilities of the linked librdkafka (rd_kafka_version(), 0xMMmmrrxx) with these
// options, as a warning for the log; empty when none. Today: SCRAM against Kafka 4 brokers needs
// librdkafka 2.6.1 or later (confluentinc/librdkafka#4895).
std::string librdkafkaWarning(const KafkaOutputOptions& options, int librdkafka_version);

}  // namespace sf::kafka
