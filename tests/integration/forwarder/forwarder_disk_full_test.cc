// The forwarder on a log whose disk is full (a real tmpfs in the test's own mount namespace,
// tests/harness/tmpfs.h), against the real single broker: everything stored is still read and
// delivered; the cursor commits fail (counted, logged) without stopping delivery and catch up
// once space returns; then live appends flow again. Nothing is lost or duplicated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <set>
#include <string>

#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"
#include "harness/tmpfs.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

class ForwarderDiskFullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { (void)sf::testing::privateMountNamespaceError(); }
  void SetUp() override {
    SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar);
    const auto& why = sf::testing::privateMountNamespaceError();
    ASSERT_TRUE(why.empty()) << "a disk-full test needs a mount namespace of its own: " << why;
    bootstrap_ = sf::testing::kafkaBootstrap();
    parent_ = makeTempDir("sf-fwd-full");
    ASSERT_FALSE(parent_.empty());
  }
  void TearDown() override { removeTree(parent_); }

  std::string bootstrap_, parent_;
  core::MetricsRegistry metrics_;
};

TEST_F(ForwarderDiskFullTest, DeliversFromAFullDiskAndCommitsItsCursorWhenSpaceReturns) {
  auto disk = std::make_unique<sf::testing::Tmpfs>(parent_, 16u << 20);
  ASSERT_TRUE(disk->ok()) << disk->error();
  auto opened = openTestLog(disk->path() + "/log");
  ASSERT_TRUE(opened) << opened.error().toString();
  auto& log = **opened;
  std::string site = sf::testing::uniqueTopic("full");
  std::string topic = "sf." + site + ".telemetry";
  ASSERT_TRUE(sf::testing::createTopic(bootstrap_, topic, 3, 1));

  std::set<uint64_t> expected;
  auto append = [&](int from, int to) {
    std::vector<log::Entry> batch;
    for (int i = from; i < to; ++i) batch.push_back(numberedEntry(i, 16, site));
    for (uint64_t o : appendSync(log, std::move(batch))) expected.insert(o);
  };
  append(0, 5000);
  ASSERT_EQ(expected.size(), 5000u);

  // The disk fills up: the log refuses appends (after what still fits in the last page of the
  // segment file, which a filled tmpfs has no more pages for).
  ASSERT_GE(disk->fill("filler"), 0);
  bool refused = false;
  for (int i = 5000; i < 5100 && !refused; ++i) {
    std::vector<log::Entry> one;
    one.push_back(numberedEntry(i, 16, site));
    std::promise<core::Result<log::AppendResult>> done;
    log.append(std::move(one), [&](core::Result<log::AppendResult> r) { done.set_value(r); });
    auto r = done.get_future().get();
    if (r) {
      expected.insert(r->first_offset);
    } else {
      EXPECT_EQ(r.error().code, core::Errc::kResourceExhausted) << r.error().toString();
      refused = true;
    }
  }
  ASSERT_TRUE(refused) << "the disk is full";
  size_t stored = expected.size();

  auto f = Forwarder::create(testOutput("central", bootstrap_), log, {kGateway, kStream}, metrics_);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_TRUE((*f)->start());
  ASSERT_TRUE(waitUntil([&] { return (*f)->stats().cursor == log.endOffset(); }, 120s))
      << "delivered up to " << (*f)->stats().cursor << " of " << log.endOffset();
  // Delivered, but the cursor cannot be written: it stays behind, and the failures show.
  ASSERT_TRUE(waitUntil(
      [&] {
        return metrics_.valueOf("sf_forwarder_errors_total",
                                {{"output", "central"}, {"kind", "commit"}}) > 0;
      },
      30s));
  EXPECT_LT(log.cursor("central").value_or(0), log.endOffset());

  // Space returns: the cursor catches up, and live appends are forwarded again.
  ASSERT_EQ(::unlink((disk->path() + "/filler").c_str()), 0);
  ASSERT_TRUE(waitUntil([&] { return log.cursor("central").value_or(0) == log.endOffset(); }, 60s))
      << "cursor " << log.cursor("central").value_or(0) << " of " << log.endOffset();
  append(10'000, 11'000);
  ASSERT_EQ(expected.size(), stored + 1000);
  ASSERT_TRUE(waitUntil([&] { return log.cursor("central").value_or(0) == log.endOffset(); }, 60s));
  (*f)->stop();
  EXPECT_EQ((*f)->stats().resent, 0u);

  expectExactlyOnce(bootstrap_, topic, expected);
  log.close();
}

}  // namespace
}  // namespace sf::kafka::it
