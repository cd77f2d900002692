// Round trips through the single-node KRaft broker with Debian's librdkafka: an idempotent,
// acks=all producer under each compression codec, read back exactly (count, order, headers).
// Kafka 4 removed old protocol versions (KIP-896); these tests are the proof that the client
// the gateway ships with still talks to the broker it is tested against.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "harness/services.h"
#include "integration/kafka/test_producer.h"

namespace sf::testing {
namespace {

// A compressible payload of ~200 bytes with the sequence number in front.
std::string valueFor(int i) {
  std::string value = "seq=" + std::to_string(i) + "|";
  while (value.size() < 200) value += "temperature=21.5;pressure=1013;quality=good;";
  return value;
}

std::string seqHeader(const Message& m) {
  for (const auto& [name, value] : m.headers) {
    if (name == "seq") return value;
  }
  return "<none>";
}

class KafkaSingleCompressionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { SF_REQUIRE_SERVICES(kKafkaBootstrapVar); }
};

TEST_P(KafkaSingleCompressionTest, ProducesAndConsumesExactlyInOrder) {
  constexpr int kCount = 3000;
  const std::string bootstrap = kafkaBootstrap();
  const std::string topic = uniqueTopic("sf-it-single-" + GetParam());
  ASSERT_TRUE(createTopic(bootstrap, topic, 1, 1));

  {
    TestProducer producer(bootstrap, {{"compression.type", GetParam()}});
    ASSERT_EQ(producer.createError(), "");
    for (int i = 0; i < kCount; ++i) {
      ASSERT_TRUE(
          producer.produce(topic, "tag-" + std::to_string(i % 7), valueFor(i), std::to_string(i)));
      producer.poll();
    }
    ASSERT_TRUE(producer.flush(std::chrono::seconds(60)));
    EXPECT_EQ(producer.failed(), 0) << producer.firstError();
    EXPECT_EQ(producer.delivered(), kCount);
  }

  const auto messages = consumeAll(bootstrap, topic, kCount);
  ASSERT_EQ(messages.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const Message& m = messages[i];
    ASSERT_EQ(m.partition, 0);
    ASSERT_EQ(m.offset, i) << "offsets of an idempotent, non-transactional producer are dense";
    ASSERT_EQ(m.value, valueFor(i)) << "at offset " << i;
    ASSERT_EQ(m.key, "tag-" + std::to_string(i % 7));
    ASSERT_EQ(seqHeader(m), std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, KafkaSingleCompressionTest,
                         ::testing::Values("zstd", "lz4", "gzip", "snappy", "none"),
                         [](const auto& info) { return info.param; });

class KafkaSingleTest : public ::testing::Test {
 protected:
  void SetUp() override { SF_REQUIRE_SERVICES(kKafkaBootstrapVar); }
};

// Keyed messages over several partitions: every key stays in one partition, in order, once.
TEST_F(KafkaSingleTest, KeyedMessagesKeepPerKeyOrder) {
  constexpr int kCount = 4000;
  constexpr int kKeys = 16;
  const std::string bootstrap = kafkaBootstrap();
  const std::string topic = uniqueTopic("sf-it-single-keyed");
  ASSERT_TRUE(createTopic(bootstrap, topic, 4, 1));

  std::map<int32_t, int64_t> ends;
  {
    TestProducer producer(bootstrap, {{"compression.type", "zstd"}});
    for (int i = 0; i < kCount; ++i) {
      ASSERT_TRUE(producer.produce(topic, "tag-" + std::to_string(i % kKeys), valueFor(i),
                                   std::to_string(i)));
      producer.poll();
    }
    ASSERT_TRUE(producer.flush(std::chrono::seconds(60)));
    ASSERT_EQ(producer.failed(), 0) << producer.firstError();
    ends = producer.deliveredEnds();
  }

  const auto messages = consumeAll(bootstrap, topic, kCount);
  ASSERT_EQ(messages.size(), static_cast<size_t>(kCount));
  std::map<std::string, int> last_seq;          // key -> last sequence number seen
  std::map<std::string, int32_t> partition_of;  // key -> its partition
  for (const Message& m : messages) {
    ASSERT_TRUE(m.key.has_value());
    const int seq = std::stoi(seqHeader(m));
    ASSERT_EQ(m.value, valueFor(seq));
    auto [it, first] = partition_of.emplace(*m.key, m.partition);
    ASSERT_EQ(it->second, m.partition) << "key " << *m.key << " moved partition";
    if (auto prev = last_seq.find(*m.key); prev != last_seq.end()) {
      ASSERT_EQ(seq, prev->second + kKeys) << "key " << *m.key << ": gap, duplicate or reorder";
    } else {
      ASSERT_LT(seq, kKeys) << "key " << *m.key << " starts late";
    }
    last_seq[*m.key] = seq;
  }
  ASSERT_EQ(last_seq.size(), static_cast<size_t>(kKeys));
  // What the consumer read ends exactly where the producer's acknowledgements ended.
  std::map<int32_t, int64_t> read_ends;
  for (const Message& m : messages) read_ends[m.partition] = m.offset + 1;
  EXPECT_EQ(read_ends, ends);
}

// Consumer groups as the sinks use them: subscribe, read, commit synchronously, close; a new
// member of the same group resumes after the committed offset. Kafka 4 removed the oldest
// JoinGroup/OffsetCommit/OffsetFetch versions (KIP-896), so this checks the negotiation too.
class GroupConsumer {
 public:
  GroupConsumer(const std::string& bootstrap, const std::string& group, const std::string& topic) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 512> err{};
    for (const auto& [key, value] :
         std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                            {"group.id", group},
                                            {"enable.auto.commit", "false"},
                                            {"auto.offset.reset", "earliest"}}) {
      rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size());
    }
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err.data(), err.size());
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return;
    }
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    subscribe_error_ = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
  }
  ~GroupConsumer() {
    if (rk_ != nullptr) {
      rd_kafka_consumer_close(rk_);
      rd_kafka_destroy(rk_);
    }
  }
  bool ok() const { return rk_ != nullptr && subscribe_error_ == RD_KAFKA_RESP_ERR_NO_ERROR; }

  // Sequence numbers (the "seq" header) of up to `count` messages, within `timeout`.
  std::vector<int> read(size_t count, std::chrono::seconds timeout) {
    std::vector<int> seqs;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (seqs.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string value(static_cast<const char*>(m->payload), m->len);
        seqs.push_back(std::stoi(value.substr(4, value.find('|') - 4)));
      }
      rd_kafka_message_destroy(m);
    }
    return seqs;
  }

  rd_kafka_resp_err_t commit() { return rd_kafka_commit(rk_, nullptr, 0); }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_resp_err_t subscribe_error_ = RD_KAFKA_RESP_ERR__STATE;
};

TEST_F(KafkaSingleTest, ConsumerGroupCommitsAndResumes) {
  constexpr int kCount = 200;
  const std::string bootstrap = kafkaBootstrap();
  const std::string topic = uniqueTopic("sf-it-single-group");
  const std::string group = uniqueTopic("sf-it-group");
  ASSERT_TRUE(createTopic(bootstrap, topic, 1, 1));
  {
    TestProducer producer(bootstrap, {});
    for (int i = 0; i < kCount; ++i) {
      ASSERT_TRUE(producer.produce(topic, "k", valueFor(i), std::to_string(i)));
    }
    ASSERT_TRUE(producer.flush(std::chrono::seconds(60)));
    ASSERT_EQ(producer.failed(), 0) << producer.firstError();
  }

  std::vector<int> first;
  {
    GroupConsumer consumer(bootstrap, group, topic);
    ASSERT_TRUE(consumer.ok());
    first = consumer.read(kCount / 2, std::chrono::seconds(60));
    ASSERT_EQ(first.size(), static_cast<size_t>(kCount / 2));
    ASSERT_EQ(consumer.commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  GroupConsumer consumer(bootstrap, group, topic);
  ASSERT_TRUE(consumer.ok());
  const std::vector<int> rest = consumer.read(kCount / 2, std::chrono::seconds(60));
  ASSERT_EQ(rest.size(), static_cast<size_t>(kCount / 2));
  for (int i = 0; i < kCount / 2; ++i) {
    ASSERT_EQ(first[i], i);
    ASSERT_EQ(rest[i], kCount / 2 + i) << "the second member resumes after the commit";
  }
}

}  // namespace
}  // namespace sf::testing
