// The 3-node KRaft cluster: a topic with replication factor 3 and min.insync.replicas=2 takes
// an idempotent acks=all stream and gives it back exactly, also when the leader of a partition
// is stopped (controlled shutdown) or killed (crash) mid-stream. This is the broker-side half of
// "nothing acknowledged is ever lost".

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "harness/services.h"
#include "integration/kafka/test_producer.h"

namespace sf::testing {
namespace {

constexpr int kKeys = 12;
const std::map<std::string, std::string> kTopicConfig = {{"min.insync.replicas", "2"}};

std::string valueFor(int i) {
  return "seq=" + std::to_string(i) + "|reading=" + std::to_string(i * 3);
}

int seqOf(const Message& m) {
  for (const auto& [name, value] : m.headers) {
    if (name == "seq") return std::stoi(value);
  }
  return -1;
}

// Every sequence number 0..count-1 exactly once, per key in production order.
void expectExactlyOnceInOrder(const std::vector<Message>& messages, int count) {
  ASSERT_EQ(messages.size(), static_cast<size_t>(count));
  std::map<std::string, int> last_seq;
  std::vector<bool> seen(count, false);
  for (const Message& m : messages) {
    const int seq = seqOf(m);
    ASSERT_GE(seq, 0);
    ASSERT_LT(seq, count);
    ASSERT_FALSE(seen[seq]) << "duplicate seq " << seq;
    seen[seq] = true;
    ASSERT_EQ(m.value, valueFor(seq));
    ASSERT_TRUE(m.key.has_value());
    if (auto prev = last_seq.find(*m.key); prev != last_seq.end()) {
      ASSERT_EQ(seq, prev->second + kKeys) << "key " << *m.key << ": gap or reorder";
    }
    last_seq[*m.key] = seq;
  }
}

class KafkaCluster3Test : public ::testing::Test {
 protected:
  void SetUp() override { SF_REQUIRE_SERVICES(kKafka3BootstrapVar, kServicesDirVar); }
};

TEST_F(KafkaCluster3Test, ReplicatedTopicRoundTrip) {
  constexpr int kCount = 3000;
  const std::string bootstrap = kafka3Bootstrap();
  ASSERT_EQ(kafka3Brokers().size(), 3u);
  const std::string topic = uniqueTopic("sf-it-cluster3");
  ASSERT_TRUE(createTopic(bootstrap, topic, 3, 3, kTopicConfig));

  {
    TestProducer producer(bootstrap, {{"compression.type", "zstd"}});
    for (int i = 0; i < kCount; ++i) {
      ASSERT_TRUE(producer.produce(topic, "tag-" + std::to_string(i % kKeys), valueFor(i),
                                   std::to_string(i)));
      producer.poll();
    }
    ASSERT_TRUE(producer.flush(std::chrono::seconds(60)));
    ASSERT_EQ(producer.failed(), 0) << producer.firstError();
    ASSERT_EQ(producer.delivered(), kCount);
  }
  expectExactlyOnceInOrder(consumeAll(bootstrap, topic, kCount), kCount);
}

// Stops the leader of partition 0 while a paced producer is streaming, keeps streaming with one
// node down, then checks every acknowledged message is there once. The node is restarted in
// TearDown whatever happened, so later tests find three nodes.
class KafkaCluster3OutageTest : public ::testing::TestWithParam<bool /*crash*/> {
 protected:
  void SetUp() override {
    SF_REQUIRE_SERVICES(kKafka3BootstrapVar, kServicesDirVar);
    // Start from three healthy nodes even if an earlier run was killed mid-outage (a no-op
    // that only waits for full in-sync replicas when all nodes already run).
    ASSERT_TRUE(startBroker("cluster3", 0));
  }
  void TearDown() override {
    if (stopped_node_ > 0) {
      EXPECT_TRUE(startBroker("cluster3", stopped_node_));
    }
  }
  int stopped_node_ = 0;
};

TEST_P(KafkaCluster3OutageTest, NothingLostWhenALeaderGoesDown) {
  const bool crash = GetParam();
  const std::string bootstrap = kafka3Bootstrap();
  const std::string topic = uniqueTopic(crash ? "sf-it-crash" : "sf-it-stop");
  ASSERT_TRUE(createTopic(bootstrap, topic, 3, 3, kTopicConfig));
  const int32_t leader = partitionLeader(bootstrap, topic, 0);
  ASSERT_GE(leader, 1);
  ASSERT_LE(leader, 3);

  // Generous: a failed delivery, not time, decides the outcome; the deadlines only bound a hang.
  TestProducer producer(bootstrap,
                        {{"compression.type", "lz4"}, {"delivery.timeout.ms", "120000"}});
  ASSERT_EQ(producer.createError(), "");
  std::atomic<bool> stop_producing{false};
  std::atomic<int> produced{0};
  std::string produce_error;
  // Bursts of 20 messages with a short pause: a steady stream, so the node goes down while
  // batches are in flight rather than before or after all of them.
  std::thread streamer([&] {
    for (int i = 0; !stop_producing.load(); ++i) {
      auto ok = producer.produce(topic, "tag-" + std::to_string(i % kKeys), valueFor(i),
                                 std::to_string(i));
      if (!ok) {
        produce_error = ok.message();
        break;
      }
      produced = i + 1;
      producer.poll();
      if (i % 20 == 19) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  auto waitDelivered = [&](int64_t target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (producer.delivered() < target && producer.failed() == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return producer.delivered() >= target;
  };

  const bool streaming = waitDelivered(1000);
  bool down = false;
  if (streaming) {
    down = static_cast<bool>(stopBroker("cluster3", leader, crash));
    if (down) stopped_node_ = leader;
  }
  // Keep streaming with the node down until a clear number more are acknowledged.
  const bool continued = down && waitDelivered(producer.delivered() + 2000);
  stop_producing = true;
  streamer.join();

  ASSERT_TRUE(streaming) << "the stream did not start: " << producer.firstError();
  ASSERT_TRUE(down) << "could not stop node " << leader;
  ASSERT_EQ(produce_error, "");
  ASSERT_TRUE(continued) << "no progress with node " << leader << " down; " << producer.delivered()
                         << " delivered, " << producer.failed()
                         << " failed: " << producer.firstError();
  ASSERT_TRUE(producer.flush(std::chrono::seconds(120)));
  ASSERT_EQ(producer.failed(), 0) << producer.firstError();
  const int count = produced.load();
  ASSERT_EQ(producer.delivered(), count);
  RecordProperty("messages", count);
  RecordProperty("stopped_node", leader);
  EXPECT_NE(partitionLeader(bootstrap, topic, 0), leader) << "leadership should have moved";

  expectExactlyOnceInOrder(consumeAll(bootstrap, topic, count, std::chrono::seconds(120)), count);
}

INSTANTIATE_TEST_SUITE_P(Modes, KafkaCluster3OutageTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return std::string(info.param ? "Crash" : "ControlledShutdown");
                         });

}  // namespace
}  // namespace sf::testing
