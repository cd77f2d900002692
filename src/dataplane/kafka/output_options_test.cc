#include "dataplane/kafka/output_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/parse.h"
#include "config/reference.h"

namespace sf::kafka {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

KafkaOutputOptions valid() {
  KafkaOutputOptions o;
  o.name = "central";
  o.brokers = "127.0.0.1:9092";
  return o;
}

// "path: reason" lines, for matching.
std::string joined(const std::vector<config::ConfigError>& errors) {
  std::string s;
  for (const auto& e : errors) s += e.path + ": " + e.reason + "\n";
  return s;
}

TEST(OutputOptionsTest, DefaultsAreValid) {
  auto errors = validateOptions(valid());
  EXPECT_TRUE(errors.empty()) << joined(errors);
  EXPECT_TRUE(validate(valid()));
  KafkaOutputOptions o;
  EXPECT_EQ(o.topic_template, "sf.{site}.{class}");
  EXPECT_EQ(o.compression, "zstd");
}

TEST(OutputOptionsTest, SpecIsCleanAndRegistersTheKafkaOutputType) {
  EXPECT_THAT(config::lintSpec(kafkaOutputSpec().object()), ::testing::IsEmpty());
  config::Registry registry;
  ASSERT_TRUE(registerKafkaOutput(registry));
  const auto* info = registry.find(config::ComponentKind::kOutput, "kafka");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->spec.get(), kafkaOutputSpec().shared().get());
  EXPECT_THAT(config::checkComponent(*info, registry), ::testing::IsEmpty());
}

TEST(OutputOptionsTest, ParsesAConfigurationWithUnitsAndDefaults) {
  auto parsed = config::parseYaml(R"(
name: edge
brokers: kafka1:9092,kafka2:9092
compression: lz4
linger: 5ms
message_timeout: 2m
max_in_flight_bytes: 16MiB
kafka:
  security.protocol: SASL_SSL
  sasl.mechanism: SCRAM-SHA-512
  sasl.username: gw7
kafka_secrets:
  sasl.password: hunter2
)",
                                  kafkaOutputSpec());
  ASSERT_TRUE(parsed) << parsed.errorText();
  EXPECT_EQ(parsed->name, "edge");
  EXPECT_EQ(parsed->linger, 5ms);
  EXPECT_EQ(parsed->message_timeout, 120s);
  EXPECT_EQ(parsed->max_in_flight_bytes, config::ByteSize::mib(16));
  EXPECT_EQ(parsed->topic_template, "sf.{site}.{class}");
  EXPECT_EQ(parsed->kafka_secrets.at("sasl.password"), "hunter2");
  EXPECT_TRUE(validate(*parsed));
  // Rendering never shows the secrets.
  std::string shown = config::render(kafkaOutputSpec(), *parsed).dump();
  EXPECT_THAT(shown, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(shown, HasSubstr("SCRAM-SHA-512"));
}

TEST(OutputOptionsTest, EveryProblemIsReportedWithItsOption) {
  auto parsed = config::parseYaml(R"(
name: bad name
compression: brotli
topic_template: sf.{nope}
message_timeout: 0s
max_in_flight_records: 0
unknown_option: 1
)",
                                  kafkaOutputSpec());
  ASSERT_FALSE(parsed);
  std::string all = joined(parsed.errors());
  for (const char* path : {"/brokers", "/compression", "/message_timeout", "/max_in_flight_records",
                           "/unknown_option"}) {
    EXPECT_THAT(all, HasSubstr(path)) << path;
  }
  // Cross-field checks run once the options themselves are right.
  auto o = valid();
  o.name = "bad name";
  o.topic_template = "sf.{nope}";
  o.rebuild_backoff_max = 1ms;
  all = joined(validateOptions(o));
  EXPECT_THAT(all, HasSubstr("/name: 'bad name'"));
  EXPECT_THAT(all, HasSubstr("/topic_template: 'sf.{nope}': unknown placeholder {nope}"));
  EXPECT_THAT(all, HasSubstr("/rebuild_backoff_max"));
  auto st = validate(o);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kInvalidConfig);
}

TEST(OutputOptionsTest, SafetyPropertiesCannotBeOverridden) {
  for (const char* key : {"acks", "enable.idempotence", "message.timeout.ms", "bootstrap.servers",
                          "compression.codec", "transactional.id", "linger.ms"}) {
    auto o = valid();
    o.kafka[key] = "0";
    auto errors = validateOptions(o);
    ASSERT_EQ(errors.size(), 1u) << key;
    EXPECT_EQ(errors[0].path, std::string("/kafka/") + key);
    EXPECT_THAT(errors[0].reason, HasSubstr("set by the forwarder"));
  }
}

TEST(OutputOptionsTest, PassthroughErrorsNameThePropertyWithLibrdkafkasReason) {
  auto o = valid();
  o.kafka["no.such.property"] = "1";
  auto errors = validateOptions(o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/kafka/no.such.property");
  EXPECT_THAT(errors[0].reason, HasSubstr("No such configuration property"));

  o = valid();
  o.kafka["security.protocol"] = "carrier_pigeon";
  errors = validateOptions(o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/kafka/security.protocol");
  EXPECT_THAT(errors[0].reason, HasSubstr("carrier_pigeon"));
}

TEST(OutputOptionsTest, SaslAndSslPropertiesPassThrough) {
  auto o = valid();
  o.kafka = {{"security.protocol", "SASL_SSL"},
             {"sasl.mechanism", "SCRAM-SHA-512"},
             {"sasl.username", "gateway"},
             {"ssl.ca.location", "/etc/ssl/certs/ca.pem"},
             {"client.id", "edge-7"}};
  o.kafka_secrets = {{"sasl.password", "s3cret"}, {"ssl.key.password", "k3y"}};
  auto errors = validateOptions(o);
  EXPECT_TRUE(errors.empty()) << joined(errors);
  auto props = producerProperties(o, "default-id");
  auto find = [&](const std::string& k) {
    std::string v;
    for (const auto& p : props) {
      if (p.key == k) v = p.value;  // the last one wins, as in librdkafka
    }
    return v;
  };
  EXPECT_EQ(find("client.id"), "edge-7");
  EXPECT_EQ(find("enable.idempotence"), "true");
  EXPECT_EQ(find("acks"), "all");
  EXPECT_EQ(find("compression.codec"), "zstd");
  EXPECT_EQ(find("sasl.mechanism"), "SCRAM-SHA-512");
  EXPECT_EQ(find("sasl.password"), "s3cret");
}

TEST(OutputOptionsTest, ReconnectBackoffDefaultsToTwoSecondsAndCanBeChanged) {
  auto value = [](const std::vector<Property>& props, const std::string& k) {
    std::string v;
    for (const auto& p : props) {
      if (p.key == k) v = p.value;  // the last one wins, as in librdkafka
    }
    return v;
  };
  auto o = valid();
  EXPECT_EQ(value(producerProperties(o, "id"), "reconnect.backoff.max.ms"), "2000");
  o.kafka["reconnect.backoff.max.ms"] = "10000";
  EXPECT_TRUE(validateOptions(o).empty());
  EXPECT_EQ(value(producerProperties(o, "id"), "reconnect.backoff.max.ms"), "10000");
}

TEST(OutputOptionsTest, SecretsAreNeverShown) {
  EXPECT_TRUE(isSecretProperty("sasl.password"));
  EXPECT_TRUE(isSecretProperty("ssl.key.password"));
  EXPECT_TRUE(isSecretProperty("ssl.keystore.password"));
  EXPECT_TRUE(isSecretProperty("ssl.key.pem"));
  EXPECT_TRUE(isSecretProperty("sasl.oauthbearer.client.secret"));
  EXPECT_TRUE(isSecretProperty("sasl.oauthbearer.config"));
  EXPECT_FALSE(isSecretProperty("sasl.username"));
  EXPECT_FALSE(isSecretProperty("ssl.ca.location"));

  // A secret in the plain map is refused without quoting it.
  auto o = valid();
  o.kafka["sasl.password"] = "hunter2-plain";
  auto errors = validateOptions(o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/kafka/sasl.password");
  EXPECT_THAT(errors[0].reason, HasSubstr("kafka_secrets"));
  EXPECT_THAT(joined(errors), ::testing::Not(HasSubstr("hunter2")));

  // librdkafka quotes bad values; under kafka_secrets they are redacted.
  o = valid();
  o.kafka_secrets["security.protocol"] = "hunter2-secret";
  errors = validateOptions(o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/kafka_secrets/security.protocol");
  EXPECT_THAT(joined(errors), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(errors[0].reason, HasSubstr("***"));

  o = valid();
  o.kafka_secrets = {{"sasl.password", "hunter2-sasl"}, {"ssl.key.password", "hunter2-key"}};
  std::string shown = describeProperties(producerProperties(o, "id"));
  EXPECT_THAT(shown, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(shown, HasSubstr("sasl.password=***"));
}

TEST(KafkaOutputOptions, WarnsOfScramWithALibrdkafkaThatKafka4Rejects) {
  KafkaOutputOptions o;
  o.kafka["sasl.mechanism"] = "SCRAM-SHA-512";
  EXPECT_THAT(librdkafkaWarning(o, 0x020002ff), HasSubstr("librdkafka 2.0.2 fails SCRAM-SHA-512"));
  EXPECT_EQ(librdkafkaWarning(o, 0x020601ff), "");
  o.kafka.erase("sasl.mechanism");
  o.kafka["sasl.mechanisms"] = "SCRAM-SHA-256";  // the alias
  EXPECT_NE(librdkafkaWarning(o, 0x020002ff), "");
  o.kafka["sasl.mechanisms"] = "PLAIN";
  EXPECT_EQ(librdkafkaWarning(o, 0x020002ff), "");
}

}  // namespace
}  // namespace sf::kafka
