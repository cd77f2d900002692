// The forwarder against the real single-node Kafka of scripts/services/up.sh, reading a real
// local log (sf_log): every record arrives once, in order per key, with its headers and as
// canonical JSON; several outputs keep independent cursors.
#include <gtest/gtest.h>

#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

class ForwarderSingleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar);
    bootstrap_ = sf::testing::kafkaBootstrap();
    dir_ = makeTempDir("sf-fwd-it");
    ASSERT_FALSE(dir_.empty());
    auto log = openTestLog(dir_);
    ASSERT_TRUE(log) << log.error().toString();
    log_ = std::move(*log);
    site_ = sf::testing::uniqueTopic("it");
  }
  void TearDown() override {
    if (log_) log_->close();
    removeTree(dir_);
  }
  std::string topic(const std::string& cls, const std::string& prefix = "sf") const {
    return prefix + "." + site_ + "." + cls;
  }

  std::string bootstrap_, dir_, site_;
  std::unique_ptr<log::Log> log_;
  core::MetricsRegistry metrics_;
};

TEST_F(ForwarderSingleTest, EveryRecordArrivesOnceInOrderWithHeadersAndJson) {
  constexpr int kRecords = 20'000;
  for (const char* cls : {"telemetry", "alarm", "log"}) {
    ASSERT_TRUE(sf::testing::createTopic(bootstrap_, topic(cls), 3, 1));
  }
  std::set<uint64_t> telemetry, alarms, logs;
  // Half before the forwarder starts (a backlog), half while it runs (live).
  auto append = [&](int from, int to) {
    std::vector<log::Entry> batch;
    std::vector<log::EntryClass> classes;
    for (int i = from; i < to; ++i) {
      auto cls = i % 100 == 7   ? log::EntryClass::kAlarm
                 : i % 100 == 8 ? log::EntryClass::kLog
                                : log::EntryClass::kTelemetry;
      batch.push_back(numberedEntry(i, 32, site_, cls));
      classes.push_back(cls);
      if (batch.size() == 500 || i + 1 == to) {
        auto offsets = appendSync(*log_, std::move(batch));
        ASSERT_EQ(offsets.size(), classes.size());
        for (size_t j = 0; j < offsets.size(); ++j) {
          (classes[j] == log::EntryClass::kAlarm ? alarms
           : classes[j] == log::EntryClass::kLog ? logs
                                                 : telemetry)
              .insert(offsets[j]);
        }
        batch.clear();
        classes.clear();
      }
    }
  };
  append(0, kRecords / 2);
  auto f =
      Forwarder::create(testOutput("central", bootstrap_), *log_, {kGateway, kStream}, metrics_);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_TRUE((*f)->start());
  append(kRecords / 2, kRecords);
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().cursor == log_->endOffset(); }, 120s))
      << "cursor " << (*f)->stats().cursor << " of " << log_->endOffset();
  (*f)->stop();

  auto s = (*f)->stats();
  EXPECT_EQ(s.acked, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(s.resent, 0u);
  EXPECT_EQ(s.rebuilds, 0u);
  EXPECT_EQ(log_->cursor("central").value_or(0), log_->endOffset());

  // Each class on its topic exactly once, valid against what schemas/ publishes to consumers.
  expectExactlyOnce(bootstrap_, topic("telemetry"), telemetry);
  expectExactlyOnce(bootstrap_, topic("alarm"), alarms);
  expectExactlyOnce(bootstrap_, topic("log"), logs);
  EXPECT_EQ(metrics_.valueOf("sf_forwarder_lag_records", {{"output", "central"}}), 0);
}

TEST_F(ForwarderSingleTest, TwoOutputsKeepIndependentCursors) {
  ASSERT_TRUE(sf::testing::createTopic(bootstrap_, topic("telemetry"), 2, 1));
  ASSERT_TRUE(sf::testing::createTopic(bootstrap_, topic("telemetry", "edge"), 2, 1));
  std::vector<log::Entry> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(numberedEntry(i, 8, site_));
  auto first = appendSync(*log_, std::move(batch));
  std::set<uint64_t> expected(first.begin(), first.end());

  auto central =
      Forwarder::create(testOutput("central", bootstrap_), *log_, {kGateway, kStream}, metrics_);
  auto edge_opts = testOutput("edge", bootstrap_);
  edge_opts.topic_template = "edge.{site}.{class}";
  edge_opts.compression = "lz4";
  auto edge = Forwarder::create(edge_opts, *log_, {kGateway, kStream}, metrics_);
  ASSERT_TRUE(central && edge);
  ASSERT_TRUE((*central)->start());
  ASSERT_TRUE(waitUntil([&] { return (*central)->stats().cursor == 1000; }, 60s));
  (*central)->stop();
  // The edge output starts later: its own cursor, from the log's start.
  ASSERT_TRUE((*edge)->start());
  ASSERT_TRUE(waitUntil([&] { return (*edge)->stats().cursor == 1000; }, 60s));
  (*edge)->stop();
  EXPECT_EQ(log_->cursor("central").value_or(0), 1000u);
  EXPECT_EQ(log_->cursor("edge").value_or(0), 1000u);

  auto vc = verify(sf::testing::consumeAll(bootstrap_, topic("telemetry"), 1000));
  auto ve = verify(sf::testing::consumeAll(bootstrap_, topic("telemetry", "edge"), 1000));
  EXPECT_TRUE(nothingLost(vc, expected));
  EXPECT_TRUE(nothingLost(ve, expected));
  EXPECT_EQ(vc.duplicates + ve.duplicates, 0u);
}

// A producer made fatal mid-stream (what librdkafka 2.0.2 does on an idempotence
// desynchronisation) is rebuilt against the real broker; nothing is lost, every duplicate is a
// counted re-send.
TEST_F(ForwarderSingleTest, FatalProducerErrorIsSurvivedAgainstRealKafka) {
  ASSERT_TRUE(sf::testing::createTopic(bootstrap_, topic("telemetry"), 3, 1));
  auto f =
      Forwarder::create(testOutput("central", bootstrap_), *log_, {kGateway, kStream}, metrics_);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->start());
  std::set<uint64_t> expected;
  for (int round = 0; round < 10; ++round) {
    std::vector<log::Entry> batch;
    for (int i = 0; i < 500; ++i) batch.push_back(numberedEntry(round * 500 + i, 16, site_));
    for (uint64_t o : appendSync(*log_, std::move(batch))) expected.insert(o);
    if (round == 3 || round == 7) (*f)->injectFatalErrorForTest();
  }
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().cursor == log_->endOffset(); }, 120s));
  (*f)->stop();
  auto s = (*f)->stats();
  EXPECT_GE(s.rebuilds, 1u);
  auto v = verify(sf::testing::consumeAll(bootstrap_, topic("telemetry"), expected.size()));
  EXPECT_TRUE(nothingLost(v, expected));
  EXPECT_LE(v.duplicates, s.resent);
  EXPECT_EQ(v.bad, 0u);
}

}  // namespace
}  // namespace sf::kafka::it
