// A broker outage of any length loses nothing: the single Kafka broker is stopped mid-stream
// for SF_FORWARDER_OUTAGE_SECONDS (default 60) while records keep being appended; the records
// wait in the log; after the restart the backlog drains while live records keep coming.
// It stops the shared single broker, so ctest runs it alone (RUN_SERIAL).
#include <gtest/gtest.h>

#include <cstdlib>

#include "appender.h"
#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

int outageSeconds() {
  int s = std::atoi(sf::testing::env("SF_FORWARDER_OUTAGE_SECONDS").value_or("60").c_str());
  return s > 0 ? s : 60;
}

TEST(ForwarderOutageTest, BrokerOutageLosesNothingAndTheBacklogDrains) {
  SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar, sf::testing::kServicesDirVar);
  const std::string bootstrap = sf::testing::kafkaBootstrap();
  const std::string site = sf::testing::uniqueTopic("outage");
  const std::string topic = "sf." + site + ".telemetry";
  ASSERT_TRUE(sf::testing::createTopic(bootstrap, topic, 3, 1));
  std::string dir = makeTempDir("sf-fwd-outage");
  auto log = openTestLog(dir);
  ASSERT_TRUE(log) << log.error().toString();

  core::MetricsRegistry metrics;
  auto options = testOutput("central", bootstrap);
  // Shorter than the outage: records time out and the producer is rebuilt during it.
  options.message_timeout = 15s;
  options.max_in_flight_records = 5'000;
  auto f = Forwarder::create(options, **log, {kGateway, kStream}, metrics);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->start());

  Appender appender(**log, site, 20, 10ms);  // ~2000 records/s
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().acked >= 2'000; }, 60s));

  ASSERT_TRUE(sf::testing::stopBroker("single", 1));
  bool broker_down = true;
  struct Restart {
    bool& down;
    ~Restart() {
      if (down) (void)sf::testing::startBroker("single", 1);
    }
  } restart{broker_down};

  const auto outage_end = std::chrono::steady_clock::now() + std::chrono::seconds(outageSeconds());
  uint64_t max_in_flight = 0;
  double max_lag = 0;
  bool saw_not_up = false;
  while (std::chrono::steady_clock::now() < outage_end) {
    auto s = (*f)->stats();
    max_in_flight = std::max(max_in_flight, s.in_flight);
    max_lag =
        std::max(max_lag, metrics.valueOf("sf_forwarder_lag_records", {{"output", "central"}}));
    saw_not_up = saw_not_up || (*f)->state() != ProducerState::kUp;
    std::this_thread::sleep_for(100ms);
  }
  uint64_t committed_in_outage = (*f)->stats().committed;
  ASSERT_TRUE(sf::testing::startBroker("single", 1));
  broker_down = false;

  // Live records keep flowing while the backlog drains.
  const uint64_t acked_at_restart = (*f)->stats().acked;
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().acked >= acked_at_restart + 5'000; }, 180s));
  appender.stop();
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().cursor == (**log).endOffset(); }, 180s))
      << "cursor " << (*f)->stats().cursor << " end " << (**log).endOffset();
  (*f)->stop();

  auto s = (*f)->stats();
  std::set<uint64_t> expected = appender.acknowledged();
  RecordProperty("records", static_cast<int>(expected.size()));
  RecordProperty("rebuilds", static_cast<int>(s.rebuilds));
  RecordProperty("resent", static_cast<int>(s.resent));
  std::cout << "outage " << outageSeconds() << "s: " << expected.size() << " records, "
            << s.rebuilds << " rebuilds, " << s.resent << " re-sent, max in flight "
            << max_in_flight << ", max lag " << max_lag << "\n";
  EXPECT_TRUE(saw_not_up);
  EXPECT_GT(max_lag, 0);
  EXPECT_LE(max_in_flight, options.max_in_flight_records);
  EXPECT_LT(committed_in_outage, (**log).endOffset());
  EXPECT_EQ(s.committed, (**log).endOffset());

  auto v = verify(sf::testing::consumeAll(bootstrap, topic, expected.size(), 120s));
  EXPECT_TRUE(nothingLost(v, expected));
  EXPECT_LE(v.duplicates, s.resent) << "every duplicate is a counted re-send";
  EXPECT_EQ(v.bad, 0u);
  (**log).close();
  removeTree(dir);
}

}  // namespace
}  // namespace sf::kafka::it
