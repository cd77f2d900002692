// The forwarder against the 3-broker cluster (RF 3, min.insync.replicas 2): a partition
// leader is killed (SIGKILL) mid-stream; the idempotent producer fails over to the new leader;
// nothing is lost and nothing is duplicated.
#include <gtest/gtest.h>

#include "appender.h"
#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

TEST(ForwarderCluster3Test, LeaderCrashLosesAndDuplicatesNothing) {
  SF_REQUIRE_SERVICES(sf::testing::kKafka3BootstrapVar, sf::testing::kServicesDirVar);
  const std::string bootstrap = sf::testing::kafka3Bootstrap();
  const std::string site = sf::testing::uniqueTopic("c3");
  const std::string topic = "sf." + site + ".telemetry";
  ASSERT_TRUE(sf::testing::createTopic(bootstrap, topic, 6, 3, {{"min.insync.replicas", "2"}}));
  std::string dir = makeTempDir("sf-fwd-c3");
  auto log = openTestLog(dir);
  ASSERT_TRUE(log) << log.error().toString();

  core::MetricsRegistry metrics;
  auto f = Forwarder::create(testOutput("central", bootstrap), **log, {kGateway, kStream}, metrics);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->start());
  Appender appender(**log, site, 10, 10ms);  // ~1000 records/s
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().acked >= 2'000; }, 60s));

  int leader = sf::testing::partitionLeader(bootstrap, topic, 0);
  ASSERT_GE(leader, 1);
  ASSERT_TRUE(sf::testing::stopBroker("cluster3", leader, /*crash=*/true));
  struct Restart {
    int node;
    ~Restart() { (void)sf::testing::startBroker("cluster3", node); }
  } restart{leader};

  // Progress on the two remaining brokers (acks=all is satisfied by min.insync.replicas 2).
  const uint64_t acked_at_kill = (*f)->stats().acked;
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().acked >= acked_at_kill + 5'000; }, 120s));
  appender.stop();
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().cursor == (**log).endOffset(); }, 120s));
  (*f)->stop();

  auto s = (*f)->stats();
  std::set<uint64_t> expected = appender.acknowledged();
  std::cout << "cluster3: killed node " << leader << "; " << expected.size() << " records, "
            << s.rebuilds << " rebuilds, " << s.resent << " re-sent, " << s.delivery_errors
            << " delivery errors\n";
  auto v = verify(sf::testing::consumeAll(bootstrap, topic, expected.size(), 120s));
  EXPECT_TRUE(nothingLost(v, expected));
  EXPECT_EQ(v.duplicates, 0u);
  EXPECT_EQ(s.rebuilds, 0u) << "a leader failover is absorbed by the idempotent producer";
  EXPECT_EQ(v.bad, 0u);
  (**log).close();
  removeTree(dir);
}

}  // namespace
}  // namespace sf::kafka::it
