#pragma once

// Test access to the real services started by scripts/services/up.sh (see docs/SERVICES.md).
// Addresses come from the environment (`make test` exports the env file up.sh wrote). Kafka
// helpers use librdkafka directly so a test does not depend on the code under test.
//
// Not thread-safe across calls that stop/start brokers; the other functions may be called from
// any thread. Each Kafka helper creates and destroys its own client.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sf::testing {

// Names of the variables written by scripts/services/up.sh.
inline constexpr const char* kKafkaBootstrapVar = "SF_KAFKA_BOOTSTRAP";
inline constexpr const char* kKafka3BootstrapVar = "SF_KAFKA3_BOOTSTRAP";
inline constexpr const char* kKafka3BrokersVar = "SF_KAFKA3_BROKERS";
inline constexpr const char* kMqttHostVar = "SF_MQTT_HOST";
inline constexpr const char* kMqttPortVar = "SF_MQTT_PORT";
inline constexpr const char* kPgDsnVar = "SF_PG_DSN";
inline constexpr const char* kServicesDirVar = "SF_SERVICES_DIR";

// Empty when every named variable is set; otherwise a message naming the missing ones and how
// to start the services.
std::string missingServicesMessage(std::initializer_list<const char*> vars);

// True when SF_ALLOW_SKIP=1: missing services skip the test instead of failing it.
bool skipAllowed();

// The value of a variable, or std::nullopt when it is unset or empty.
std::optional<std::string> env(const char* name);

// Accessors: the value, or "" (and a non-fatal test failure) when unset. Call
// SF_REQUIRE_SERVICES first so a missing service stops the test with a clear message.
std::string kafkaBootstrap();              // single-node cluster, "host:port"
std::string kafka3Bootstrap();             // 3-node cluster, "host:port,host:port,host:port"
std::vector<std::string> kafka3Brokers();  // the 3 nodes' "host:port", node ids 1, 2, 3
std::string mqttHost();
int mqttPort();
std::string pgDsn();  // libpq URI of a database owned by a password-protected test user

// A topic name unique across processes and calls: "<prefix>-<pid>-<counter>-<random>".
std::string uniqueTopic(const std::string& prefix);

// Creates a topic with librdkafka's Admin API and waits until every partition has a leader.
// `configs` are topic configs, e.g. {{"min.insync.replicas", "2"}}.
::testing::AssertionResult createTopic(
    const std::string& bootstrap, const std::string& name, int partitions, int replication,
    const std::map<std::string, std::string>& configs = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The leader's node id of a partition, or -1 when it has none or metadata fails.
int32_t partitionLeader(const std::string& bootstrap, const std::string& topic, int32_t partition);

struct Message {
  std::optional<std::string> key;  // nullopt for a null key
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int32_t partition = -1;
  int64_t offset = -1;
};

// Reads `topic` from the beginning of every partition (no consumer group) until at least
// `expected_count` messages arrived and every partition is read up to its high watermark, so
// duplicates beyond the expected count are returned too; or until `timeout`. Messages come
// grouped by partition, in offset order within a partition.
std::vector<Message> consumeAll(const std::string& bootstrap, const std::string& topic,
                                size_t expected_count,
                                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Stops / starts Kafka nodes through scripts/services/kafka-broker.sh. `cluster` is "single"
// or "cluster3"; `node` is 1..3, or 0 for every node of the cluster. stopBroker() sends SIGTERM
// (controlled shutdown), or SIGKILL when `crash` is true; both wait for the process to exit.
// startBroker() waits until the node serves metadata and its partitions are back in sync.
::testing::AssertionResult stopBroker(const std::string& cluster, int node, bool crash = false);
::testing::AssertionResult startBroker(const std::string& cluster, int node);

}  // namespace sf::testing

// In a test body or SetUp(): when one of the named variables is unset, fails the test (or skips
// it with SF_ALLOW_SKIP=1) and returns. Example:
//   SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar);
#define SF_REQUIRE_SERVICES(...)                                                          \
  do {                                                                                    \
    const std::string sf_missing_ = ::sf::testing::missingServicesMessage({__VA_ARGS__}); \
    if (!sf_missing_.empty()) {                                                           \
      if (::sf::testing::skipAllowed()) {                                                 \
        GTEST_SKIP() << sf_missing_;                                                      \
      }                                                                                   \
      GTEST_FAIL() << sf_missing_;                                                        \
    }                                                                                     \
  } while (0)
