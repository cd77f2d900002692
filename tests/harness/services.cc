#include "harness/services.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace sf::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

std::string requiredVar(const char* name) {
  auto value = env(name);
  if (!value) {
    ADD_FAILURE() << missingServicesMessage({name});
    return "";
  }
  return *value;
}

// Builds a client; on failure returns null and puts the reason in `error`.
KafkaPtr newClient(rd_kafka_type_t type, const std::map<std::string, std::string>& settings,
                   std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> err{};
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      error = err.data();
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err.data(), err.size());  // owns conf on success
  if (rk == nullptr) {
    error = err.data();
    rd_kafka_conf_destroy(conf);
  }
  return KafkaPtr(rk);
}

// Metadata of all topics; null on failure (the error goes to `error`).
MetadataPtr allMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout, std::string& error) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = rd_kafka_err2str(err);
    return nullptr;
  }
  return MetadataPtr(md);
}

const rd_kafka_metadata_topic_t* findTopic(const rd_kafka_metadata_t* md, const std::string& name) {
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (name == md->topics[i].topic) return &md->topics[i];
  }
  return nullptr;
}

// Partition count of `topic`, waiting until metadata knows it; -1 on timeout.
int partitionCount(rd_kafka_t* rk, const std::string& topic, Clock::time_point deadline) {
  std::string error;
  while (Clock::now() < deadline) {
    if (auto md = allMetadata(rk, std::chrono::seconds(5), error)) {
      const auto* t = findTopic(md.get(), topic);
      if (t != nullptr && t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0) {
        return t->partition_cnt;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

std::string scriptsDir() {
  if (auto dir = env("SF_SERVICES_SCRIPTS")) return *dir;
  return std::string(SF_SOURCE_DIR) + "/scripts/services";
}

::testing::AssertionResult runBrokerScript(const std::string& action, const std::string& cluster,
                                           int node) {
  if (auto missing = missingServicesMessage({kServicesDirVar}); !missing.empty()) {
    return ::testing::AssertionFailure() << missing;
  }
  std::string command = "'" + scriptsDir() + "/kafka-broker.sh' " + action + " " + cluster + " " +
                        (node == 0 ? std::string("all") : std::to_string(node)) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "cannot run " << command;
  std::string output;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = pclose(pipe);
  std::cerr << "[harness] " << command << "\n" << output;
  if (status != 0) {
    return ::testing::AssertionFailure() << command << " failed (status " << status << "):\n"
                                         << output;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool skipAllowed() { return env("SF_ALLOW_SKIP").value_or("") == "1"; }

std::string missingServicesMessage(std::initializer_list<const char*> vars) {
  std::string missing;
  for (const char* var : vars) {
    if (!env(var)) missing += (missing.empty() ? "" : ", ") + std::string(var);
  }
  if (missing.empty()) return missing;
  return "test services not configured (" + missing +
         " unset): run through `make test` or scripts/services/up.sh ENVFILE and export it "
         "(set -a; . ENVFILE); SF_ALLOW_SKIP=1 skips instead of failing";
}

std::string kafkaBootstrap() { return requiredVar(kKafkaBootstrapVar); }
std::string kafka3Bootstrap() { return requiredVar(kKafka3BootstrapVar); }

std::vector<std::string> kafka3Brokers() {
  std::vector<std::string> brokers;
  std::istringstream in(requiredVar(kKafka3BrokersVar));
  for (std::string broker; in >> broker;) brokers.push_back(broker);
  return brokers;
}

std::string mqttHost() { return requiredVar(kMqttHostVar); }

int mqttPort() {
  std::string port = requiredVar(kMqttPortVar);
  return port.empty() ? 0 : std::atoi(port.c_str());
}

std::string pgDsn() { return requiredVar(kPgDsnVar); }

std::string uniqueTopic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device{}();
  std::array<char, 16> random{};
  std::snprintf(random.data(), random.size(), "%08x", salt);
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         random.data();
}

::testing::AssertionResult createTopic(const std::string& bootstrap, const std::string& name,
                                       int partitions, int replication,
                                       const std::map<std::string, std::string>& configs,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string error;
  KafkaPtr rk = newClient(
      RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"client.id", "sf-test-admin"}}, error);
  if (!rk) return ::testing::AssertionFailure() << "admin client: " << error;

  std::array<char, 512> err{};
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, replication, err.data(), err.size());
  if (topic == nullptr) return ::testing::AssertionFailure() << "NewTopic: " << err.data();
  for (const auto& [key, value] : configs) {
    rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  }
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int timeout_ms = static_cast<int>(timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, err.data(), err.size());
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err.data(), err.size());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());

  rd_kafka_CreateTopics(rk.get(), &topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 5000);
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  if (event == nullptr) {
    result = ::testing::AssertionFailure() << "CreateTopics " << name << ": no answer";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result = ::testing::AssertionFailure()
             << "CreateTopics " << name << ": " << rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = ::testing::AssertionFailure()
                 << "CreateTopics " << name << ": "
                 << rd_kafka_err2name(rd_kafka_topic_result_error(results[i])) << " "
                 << (rd_kafka_topic_result_error_string(results[i])
                         ? rd_kafka_topic_result_error_string(results[i])
                         : "");
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(topic);
  if (!result) return result;

  // The controller has created the topic; wait until every broker-side leader is known so a
  // producer started right after does not race the metadata propagation.
  std::string last = "no metadata yet";
  while (Clock::now() < deadline) {
    if (auto md = allMetadata(rk.get(), std::chrono::seconds(5), last)) {
      const auto* t = findTopic(md.get(), name);
      if (t == nullptr || t->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        last = t == nullptr ? "topic not in metadata" : rd_kafka_err2str(t->err);
      } else if (t->partition_cnt != partitions) {
        last = std::to_string(t->partition_cnt) + " partitions in metadata";
      } else if (std::all_of(t->partitions, t->partitions + t->partition_cnt,
                             [&](const rd_kafka_metadata_partition_t& p) {
                               return p.leader >= 0 && p.replica_cnt == replication;
                             })) {
        return ::testing::AssertionSuccess();
      } else {
        last = "a partition has no leader yet";
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ::testing::AssertionFailure() << "topic " << name << " not ready: " << last;
}

int32_t partitionLeader(const std::string& bootstrap, const std::string& topic, int32_t partition) {
  std::string error;
  KafkaPtr rk = newClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}}, error);
  if (!rk) return -1;
  auto md = allMetadata(rk.get(), std::chrono::seconds(10), error);
  const auto* t = md ? findTopic(md.get(), topic) : nullptr;
  if (t == nullptr) return -1;
  for (int i = 0; i < t->partition_cnt; ++i) {
    if (t->partitions[i].id == partition) return t->partitions[i].leader;
  }
  return -1;
}

std::vector<Message> consumeAll(const std::string& bootstrap, const std::string& topic,
                                size_t expected_count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<Message> messages;
  std::string error;
  // Partitions are assigned, not subscribed: no rebalance to wait for, nothing committed. The
  // group id is required by librdkafka's consumer API but never joined.
  KafkaPtr rk = newClient(RD_KAFKA_CONSUMER,
                          {{"bootstrap.servers", bootstrap},
                           {"group.id", uniqueTopic("sf-test-reader")},
                           {"enable.auto.commit", "false"},
                           {"enable.partition.eof", "true"},
                           {"auto.offset.reset", "earliest"}},
                          error);
  if (!rk) {
    ADD_FAILURE() << "consumer: " << error;
    return messages;
  }
  const int partitions = partitionCount(rk.get(), topic, deadline);
  if (partitions <= 0) {
    ADD_FAILURE() << "topic " << topic << " not found in metadata";
    return messages;
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "assign: " << rd_kafka_err2str(err);
    return messages;
  }

  // A partition is "at end" after an EOF event with no message since: together with the count,
  // this makes the read stop only once nothing more (e.g. a duplicate) is in the log.
  std::set<int32_t> at_end;
  while (Clock::now() < deadline) {
    if (messages.size() >= expected_count && static_cast<int>(at_end.size()) == partitions) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "[harness] consume " << topic << ": " << rd_kafka_message_errstr(m) << "\n";
    } else {
      at_end.erase(m->partition);
      Message msg;
      if (m->key != nullptr) msg.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) msg.value.assign(static_cast<const char*>(m->payload), m->len);
      msg.partition = m->partition;
      msg.offset = m->offset;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          msg.headers.emplace_back(
              name, value ? std::string(static_cast<const char*>(value), size) : std::string());
        }
      }
      messages.push_back(std::move(msg));
    }
    rd_kafka_message_destroy(m);
  }
  if (messages.size() < expected_count) {
    std::cerr << "[harness] consumeAll " << topic << ": timed out with " << messages.size()
              << " of " << expected_count << " messages\n";
  }
  rd_kafka_consumer_close(rk.get());
  std::stable_sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  return messages;
}

::testing::AssertionResult stopBroker(const std::string& cluster, int node, bool crash) {
  return runBrokerScript(crash ? "kill" : "stop", cluster, node);
}

::testing::AssertionResult startBroker(const std::string& cluster, int node) {
  return runBrokerScript("start", cluster, node);
}

}  // namespace sf::testing
