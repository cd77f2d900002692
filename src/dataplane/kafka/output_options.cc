#include "dataplane/kafka/output_options.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "config/parse.h"
#include "dataplane/kafka/topic_template.h"

namespace sf::kafka {
namespace {

using namespace std::chrono_literals;
using Properties = std::vector<Property>;

// librdkafka names several properties twice (alias = canonical name): both are reserved.
const std::vector<std::string_view> kReserved = {
    "bootstrap.servers",
    "metadata.broker.list",
    "enable.idempotence",
    "acks",
    "request.required.acks",
    "compression.codec",
    "compression.type",
    "linger.ms",
    "queue.buffering.max.ms",
    "batch.num.messages",
    "batch.size",
    "message.timeout.ms",
    "delivery.timeout.ms",
    "queue.buffering.max.messages",
    "transactional.id",
    "enable.gapless.guarantee",
};

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};

bool validName(const std::string& name) {
  // Output names become cursor file names in the log (1-100 of [A-Za-z0-9._-], no leading '.').
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// The rules the option declarations cannot express; pure (librdkafka's configuration parser
// opens no file and makes no connection).
void crossCheck(const KafkaOutputOptions& o, config::Checker& k) {
  if (!o.name.empty() && !validName(o.name)) {
    k.error("name", "'" + o.name + "' must be 1-100 of A-Z a-z 0-9 . _ - and not start with '.'");
  }
  if (auto t = TopicTemplate::parse(o.topic_template); !t) {
    k.error("topic_template", t.error().message);
  }
  if (o.rebuild_backoff_max < o.rebuild_backoff_initial) {
    k.error("rebuild_backoff_max", "must not be below rebuild_backoff_initial");
  }
  bool clean = true;
  for (const auto* map : {&o.kafka, &o.kafka_secrets}) {
    const std::string option = map == &o.kafka ? "kafka" : "kafka_secrets";
    for (const auto& [key, value] : *map) {
      const std::string where = option + "/" + config::appendPointer("", key).substr(1);
      if (std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end()) {
        k.error(where,
                "set by the forwarder (idempotent, acks=all; use the output's own "
                "options for brokers, compression, linger, batch and timeout)");
        clean = false;
      } else if (map == &o.kafka && isSecretProperty(key)) {
        k.error(where, "a secret: put it under kafka_secrets, which is never shown");
        clean = false;
      } else if (map == &o.kafka_secrets && o.kafka.count(key)) {
        k.error(where, "also set under kafka");
        clean = false;
      }
    }
  }
  if (!clean) return;
  std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& p : producerProperties(o, "streamforge")) {
    errstr[0] = '\0';
    if (rd_kafka_conf_set(conf.get(), p.key.c_str(), p.value.c_str(), errstr, sizeof errstr) ==
        RD_KAFKA_CONF_OK) {
      continue;
    }
    std::string option = o.kafka_secrets.count(p.key) ? "kafka_secrets" : "kafka";
    std::string reason = errstr;
    if (p.secret) reason = redact(reason, p.value);
    k.error(option + "/" + config::appendPointer("", p.key).substr(1), "librdkafka: " + reason);
  }
}

}  // namespace

const config::Spec<KafkaOutputOptions>& kafkaOutputSpec() {
  using O = KafkaOutputOptions;
  static const config::Spec<O> spec = [] {
    config::Spec<O> s("kafka",
                      "Forwards the local log to a Kafka cluster: idempotent producer, acks=all, "
                      "a topic per site and class, keyed by tag. See docs/FORWARDER.md.");
    s.option("name", &O::name)
        .required()
        .nonEmpty()
        .doc(
            "Name of the output: its cursor in the local log, its metrics label "
            "(output=...) and part of its Kafka client.id. Renaming it starts a new cursor.")
        .example("central");
    s.option("brokers", &O::brokers)
        .required()
        .nonEmpty()
        .doc("Bootstrap brokers, host:port separated by commas (bootstrap.servers).")
        .example("kafka1:9092,kafka2:9092,kafka3:9092");
    s.option("topic_template", &O::topic_template)
        .nonEmpty()
        .doc(
            "Topic of each record. Placeholders {site}, {class} (telemetry, event, alarm, "
            "log), {gateway}, {stream}; characters a topic cannot hold become '_'.")
        .example("sf.{site}.{class}");
    s.option("compression", &O::compression)
        .oneOf({"none", "gzip", "snappy", "lz4", "zstd"})
        .doc("Batch compression (compression.codec).");
    s.option("linger", &O::linger)
        .range(0ms, 900'000ms)
        .doc("How long the producer waits to fill a batch (linger.ms).")
        .example("10ms");
    s.option("batch_records", &O::batch_records)
        .range(1, 1'000'000)
        .advanced()
        .doc("Most records in one batch (batch.num.messages).");
    s.option("batch_bytes", &O::batch_bytes)
        .range(config::ByteSize{1}, config::ByteSize{2'147'483'647})
        .advanced()
        .doc("Largest batch (batch.size). Must not exceed the topic's max.message.bytes.");
    s.option("message_timeout", &O::message_timeout)
        .range(1'000ms, 86'400'000ms)
        .doc(
            "A record not acknowledged within this time fails the producer: the forwarder "
            "rebuilds it and re-sends from its cursor. The forwarder enforces it for the whole "
            "producer at once (librdkafka's own message.timeout.ms stays infinite, so a timeout "
            "never reorders a partition).")
        .example("60s");
    s.option("max_in_flight_records", &O::max_in_flight_records)
        .range(1, 10'000'000)
        .advanced()
        .doc(
            "Most records handed to the producer and not yet acknowledged (bounds memory "
            "during an outage and re-sends after a failure). The default keeps a nearby broker "
            "at full speed; a distant cluster needs about rate x round-trip time.");
    s.option("max_in_flight_bytes", &O::max_in_flight_bytes)
        .min(config::ByteSize::kib(1))
        .advanced()
        .doc("Most message bytes handed to the producer and not yet acknowledged.");
    s.option("commit_interval", &O::commit_interval)
        .min(10ms)
        .advanced()
        .doc(
            "How often the acknowledged cursor is written to the log (also on stop, before a "
            "producer rebuild and after half a window). A crash re-sends what was acknowledged "
            "since.");
    s.option("stop_timeout", &O::stop_timeout)
        .max(3'600'000ms)
        .advanced()
        .doc("How long stopping waits for in-flight records to be acknowledged.");
    s.option("rebuild_backoff_initial", &O::rebuild_backoff_initial)
        .range(1ms, 3'600'000ms)
        .advanced()
        .doc("Delay before the first producer rebuild after a failure; doubles per failure.");
    s.option("rebuild_backoff_max", &O::rebuild_backoff_max)
        .range(1ms, 3'600'000ms)
        .advanced()
        .doc("Longest delay between producer rebuilds.");
    s.option("kafka", &O::kafka)
        .doc(
            "librdkafka producer properties, passed through as they are: security.protocol, "
            "sasl.mechanism, ssl.ca.location and any other of librdkafka's CONFIGURATION.md. "
            "The forwarder's own (acks, enable.idempotence, ...) are refused; secrets belong in "
            "kafka_secrets. The forwarder's defaults client.id, partitioner (murmur2_random), "
            "queue.buffering.max.kbytes and reconnect.backoff.max.ms (2000) may be changed "
            "here.")
        .example(config::Json{{"security.protocol", "SASL_SSL"},
                              {"sasl.mechanism", "SCRAM-SHA-512"},
                              {"sasl.username", "gateway-7"}});
    s.option("kafka_secrets", &O::kafka_secrets)
        .secret()
        .doc(
            "librdkafka properties whose values are secrets (sasl.password, "
            "ssl.key.password, ...): passed through like `kafka`, never logged or shown.")
        .example(config::Json{{"sasl.password", "${KAFKA_PASSWORD}"}});
    s.check(crossCheck);
    return s;
  }();
  return spec;
}

core::Status registerKafkaOutput(config::Registry& registry) {
  return registry.add(config::ComponentKind::kOutput, std::string(kKafkaOutputType),
                      "Forwards the local log to Kafka (idempotent, acks=all).", kafkaOutputSpec());
}

bool isSecretProperty(std::string_view name) {
  // Passwords, private keys and tokens of every security mechanism librdkafka knows, and any
  // property a plugin adds with such a name.
  for (std::string_view word : {"password", "secret", "token"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return name == "ssl.key.pem" || name == "sasl.oauthbearer.config";
}

const std::vector<std::string_view>& reservedProperties() { return kReserved; }

Properties producerProperties(const KafkaOutputOptions& options, std::string_view client_id) {
  Properties props;
  auto add = [&props](std::string key, std::string value, bool secret = false) {
    secret = secret || isSecretProperty(key);
    props.push_back(Property{std::move(key), std::move(value), secret});
  };
  // Defaults the passthrough map may change.
  add("client.id", std::string(client_id));
  // Java-compatible key hashing: a tag lands on the partition a Java producer would pick.
  add("partitioner", "murmur2_random");
  // Our window bounds what is queued; librdkafka's queue must never be the smaller bound.
  add("queue.buffering.max.kbytes",
      std::to_string(std::max<uint64_t>(options.max_in_flight_bytes.bytes / 1024 * 2, 64 * 1024)));
  // After an outage the producer retries a broker at most every 2 s (librdkafka: 10 s), so the
  // backlog starts to drain within ~2 s of the broker being back (bench/forwarder drain).
  add("reconnect.backoff.max.ms", "2000");
  for (const auto& [k, v] : options.kafka) add(k, v);
  for (const auto& [k, v] : options.kafka_secrets) add(k, v, true);
  // The forwarder's own: delivery safety and batching (reserved, refused in the maps).
  add("bootstrap.servers", options.brokers);
  add("enable.idempotence", "true");
  add("acks", "all");
  add("compression.codec", options.compression);
  add("linger.ms", std::to_string(options.linger.count()));
  add("batch.num.messages", std::to_string(options.batch_records));
  add("batch.size", std::to_string(options.batch_bytes.bytes));
  // librdkafka never gives up on a record by itself (0 = no timeout): a timed-out record at the
  // head of a partition queue would let the next one through and break per-key order after the
  // re-send. message_timeout is enforced by the forwarder instead, which then fails the whole
  // producer at once (docs/FORWARDER.md, "Failures and the rebuild policy").
  add("message.timeout.ms", "0");
  // Any error that could leave a gap in a partition's sequence is fatal instead of skipped, so
  // no later record of a partition is stored after one that failed.
  add("enable.gapless.guarantee", "true");
  add("queue.buffering.max.messages",
      std::to_string(static_cast<uint64_t>(options.max_in_flight_records) + 1024));
  return props;
}

core::Status applyProperties(rd_kafka_conf_t* conf, const Properties& properties) {
  char errstr[512];
  for (const auto& p : properties) {
    errstr[0] = '\0';
    if (rd_kafka_conf_set(conf, p.key.c_str(), p.value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      std::string reason = errstr;
      if (p.secret) reason = redact(std::move(reason), p.value);
      return core::fail(core::Errc::kInvalidConfig, "kafka." + p.key + ": " + reason);
    }
  }
  return core::ok();
}

std::string describeProperties(const Properties& properties) {
  std::string out;
  for (const auto& p : properties) {
    if (!out.empty()) out += ", ";
    out += p.key;
    out += '=';
    out += p.secret ? std::string("***") : p.value;
  }
  return out;
}

std::vector<config::ConfigError> validateOptions(const KafkaOutputOptions& options) {
  // Through the spec: render (unredacted) and parse back, which applies every declared range
  // and the checks above. One declaration, one validation, for files, the API and code.
  const auto& spec = kafkaOutputSpec();
  config::Json json = config::render(spec, options, config::RenderOptions{false});
  auto parsed = config::parseJson(json, spec);
  if (parsed) return {};
  return parsed.errors();
}

core::Status validate(const KafkaOutputOptions& options) {
  auto errors = validateOptions(options);
  if (errors.empty()) return core::ok();
  std::string message;
  for (const auto& e : errors) {
    if (!message.empty()) message += "; ";
    message += e.toString();
  }
  return core::fail(core::Errc::kInvalidConfig, "kafka output '" + options.name + "': " + message);
}

std::string librdkafkaWarning(const KafkaOutputOptions& options, int librdkafka_version) {
  constexpr int kScramFixed = 0x020601ff;  // 2.6.1
  std::string mechanism;
  for (const char* key : {"sasl.mechanism", "sasl.mechanisms"}) {
    if (auto it = options.kafka.find(key); it != options.kafka.end()) mechanism = it->second;
  }
  if (mechanism.rfind("SCRAM-", 0) == 0 && librdkafka_version < kScramFixed) {
    char version[32];
    std::snprintf(version, sizeof version, "%d.%d.%d", (librdkafka_version >> 24) & 0xff,
                  (librdkafka_version >> 16) & 0xff, (librdkafka_version >> 8) & 0xff);
    return "librdkafka " + std::string(version) + " fails " + mechanism +
           " against Kafka 4 brokers (invalid credentials; fixed in librdkafka 2.6.1, "
           "confluentinc/librdkafka#4895): use PLAIN over SASL_SSL, TLS client certificates, or "
           "brokers before 4.0";
  }
  return {};
}

}  // namespace sf::kafka
