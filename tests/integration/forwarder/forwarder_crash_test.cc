// Crash safety: a child process (forwarder_crash_child) appends to a real log and forwards it;
// it is SIGKILLed at random moments SF_FORWARDER_CRASH_KILLS times (default 10) and restarted
// on the same log. Finally every acknowledged append must be in the log and in Kafka, in order
// per key; duplicates exist only in crash windows and stay within the documented bound
// (2.5 in-flight windows per crash, docs/FORWARDER.md).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "forwarder_it.h"
#include "harness/process.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

pid_t spawn(const std::vector<std::string>& args) { return sf::testing::spawnProcess(args).pid; }

// Waits for `pid` up to `max`; kills it after that. Returns its exit status, or -1.
int waitExit(pid_t pid, std::chrono::milliseconds max) {
  auto deadline = std::chrono::steady_clock::now() + max;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

uint64_t readAcked(const std::string& file) {
  std::ifstream in(file);
  unsigned long long v = 0;
  in >> v;
  return v;
}

TEST(ForwarderCrashTest, SigkillAtRandomMomentsLosesNothing) {
  SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar);
  const std::string kills_env = sf::testing::env("SF_FORWARDER_CRASH_KILLS").value_or("10");
  const int kills = std::atoi(kills_env.c_str()) > 0 ? std::atoi(kills_env.c_str()) : 10;
  const std::string bootstrap = sf::testing::kafkaBootstrap();
  const std::string site = sf::testing::uniqueTopic("crash");
  const std::string topic = "sf." + site + ".telemetry";
  ASSERT_TRUE(sf::testing::createTopic(bootstrap, topic, 4, 1));
  const std::string dir = makeTempDir("sf-fwd-crash");
  const std::string log_dir = dir + "/log";
  const std::string child = SF_FORWARDER_CRASH_CHILD;

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::cout << "seed " << seed << "\n";
  uint64_t max_acked = 0;
  for (int k = 0; k < kills; ++k) {
    std::string acked_file = dir + "/acked-" + std::to_string(k);
    pid_t pid = spawn({child, "append", log_dir, bootstrap, site, acked_file});
    ASSERT_GT(pid, 0);
    // Mostly mid-stream, sometimes right at start-up (recovery, producer creation).
    int delay_ms =
        k % 4 == 3 ? static_cast<int>(rng() % 200) : 300 + static_cast<int>(rng() % 2200);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited early with " << WEXITSTATUS(status);
    uint64_t acked = readAcked(acked_file);
    std::cout << "kill " << k + 1 << " after " << delay_ms << " ms: acknowledged end " << acked
              << "\n";
    max_acked = std::max(max_acked, acked);
  }
  ASSERT_GT(max_acked, 0u) << "the children never appended";
  pid_t drain = spawn({child, "drain", log_dir, bootstrap, site, dir + "/acked-drain"});
  ASSERT_EQ(waitExit(drain, 240s), 0) << "the drain run did not finish";

  auto log = openTestLog(log_dir);
  ASSERT_TRUE(log) << log.error().toString();
  std::set<uint64_t> stored = storedOffsets(**log);
  EXPECT_EQ((**log).cursor("central").value_or(0), (**log).endOffset());
  for (uint64_t o = 0; o < max_acked; ++o) {
    ASSERT_TRUE(stored.count(o)) << "acknowledged offset " << o << " missing from the log";
  }
  auto v = verify(sf::testing::consumeAll(bootstrap, topic, stored.size(), 120s));
  EXPECT_TRUE(nothingLost(v, stored));
  EXPECT_EQ(v.bad, 0u);
  const uint64_t bound = static_cast<uint64_t>(kills) * 5'000;  // 2.5 x 2000 per crash
  std::cout << kills << " crashes: " << stored.size() << " records in the log, " << v.messages
            << " messages in Kafka, " << v.duplicates << " duplicates (bound " << bound << ")\n";
  EXPECT_LE(v.duplicates, bound);
  (**log).close();
  removeTree(dir);
}

}  // namespace
}  // namespace sf::kafka::it
