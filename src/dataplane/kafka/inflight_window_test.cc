#include "dataplane/kafka/inflight_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace sf::kafka {
namespace {

TEST(InFlightWindowTest, StartsAtTheCursor) {
  InFlightWindow w(42);
  EXPECT_EQ(w.cursor(), 42u);
  EXPECT_EQ(w.end(), 42u);
  EXPECT_EQ(w.inFlightRecords(), 0u);
  EXPECT_EQ(w.oldest(), nullptr);
}

TEST(InFlightWindowTest, InOrderAcksAdvanceTheCursor) {
  InFlightWindow w(0);
  for (uint64_t o = 0; o < 3; ++o) w.sent(o, 100 + o, 0, 10);
  EXPECT_EQ(w.inFlightRecords(), 3u);
  EXPECT_EQ(w.inFlightBytes(), 30u);
  EXPECT_EQ(w.cursor(), 0u);
  ASSERT_TRUE(w.acked(0));
  EXPECT_EQ(w.cursor(), 1u);
  ASSERT_TRUE(w.acked(1));
  ASSERT_TRUE(w.acked(2));
  EXPECT_EQ(w.cursor(), 3u);
  EXPECT_EQ(w.inFlightRecords(), 0u);
  EXPECT_EQ(w.inFlightBytes(), 0u);
}

TEST(InFlightWindowTest, OutOfOrderAckIsHeldBackUntilEverythingBeforeIsAcked) {
  InFlightWindow w(10);
  for (uint64_t o = 10; o < 14; ++o) w.sent(o, 0, 0, 1);
  // Another partition acknowledges 12 and 13 first.
  ASSERT_TRUE(w.acked(13));
  ASSERT_TRUE(w.acked(12));
  EXPECT_EQ(w.cursor(), 10u);
  EXPECT_EQ(w.heldBack(), 2u);
  EXPECT_EQ(w.inFlightRecords(), 2u);
  ASSERT_TRUE(w.acked(11));
  EXPECT_EQ(w.cursor(), 10u);
  ASSERT_TRUE(w.acked(10));
  EXPECT_EQ(w.cursor(), 14u);
  EXPECT_EQ(w.heldBack(), 0u);
}

TEST(InFlightWindowTest, DuplicateAndUnknownAcksAreIgnored) {
  InFlightWindow w(0);
  w.sent(0, 7, 0, 1);
  w.sent(1, 8, 0, 1);
  auto slot = w.acked(1);
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->append_ts_ns, 8);
  EXPECT_FALSE(w.acked(1));   // twice
  EXPECT_FALSE(w.acked(5));   // never sent
  EXPECT_FALSE(w.acked(99));  // from before a reset
  EXPECT_EQ(w.inFlightRecords(), 1u);
  EXPECT_EQ(w.cursor(), 0u);
}

TEST(InFlightWindowTest, SkippedOffsetsPassOnlyAfterEarlierOnesAreAcked) {
  InFlightWindow w(0);
  w.sent(0, 0, 0, 1);
  w.skipTo(2);  // offset 1 did not decode
  w.sent(2, 0, 0, 1);
  EXPECT_EQ(w.cursor(), 0u);
  ASSERT_TRUE(w.acked(0));
  EXPECT_EQ(w.cursor(), 2u);  // passes the skipped 1, stops at unacked 2
  ASSERT_TRUE(w.acked(2));
  EXPECT_EQ(w.cursor(), 3u);
  w.skipTo(5);  // nothing in flight: the cursor follows at once
  EXPECT_EQ(w.cursor(), 5u);
}

TEST(InFlightWindowTest, EvictedGapsAreNotWaitedFor) {
  InFlightWindow w(5);
  w.sent(5, 0, 0, 1);
  w.sent(9, 0, 0, 1);  // 6..8 were evicted from the log
  ASSERT_TRUE(w.acked(5));
  EXPECT_EQ(w.cursor(), 9u);
  ASSERT_TRUE(w.acked(9));
  EXPECT_EQ(w.cursor(), 10u);
}

TEST(InFlightWindowTest, OldestIsTheFirstUnacked) {
  InFlightWindow w(0);
  w.sent(0, 100, 1, 1);
  w.sent(1, 200, 2, 1);
  ASSERT_NE(w.oldest(), nullptr);
  EXPECT_EQ(w.oldest()->offset, 0u);
  ASSERT_TRUE(w.acked(0));
  EXPECT_EQ(w.oldest()->offset, 1u);
  EXPECT_EQ(w.oldest()->append_ts_ns, 200);
}

TEST(InFlightWindowTest, ResetForgetsEverything) {
  InFlightWindow w(0);
  w.sent(0, 0, 0, 1);
  w.sent(1, 0, 0, 1);
  ASSERT_TRUE(w.acked(1));
  w.reset(0);
  EXPECT_EQ(w.cursor(), 0u);
  EXPECT_EQ(w.end(), 0u);
  EXPECT_EQ(w.inFlightRecords(), 0u);
  EXPECT_EQ(w.heldBack(), 0u);
  EXPECT_FALSE(w.acked(1));
}

TEST(InFlightWindowTest, FailedRecordsStayUnresolvedAndRememberTheirFate) {
  InFlightWindow w(0);
  for (uint64_t o = 0; o < 5; ++o) w.sent(o, 0, 0, 1);
  w.failed(0, /*possibly_persisted=*/false);  // never left the client
  w.failed(1, /*possibly_persisted=*/true);   // timed out in flight
  ASSERT_TRUE(w.acked(2));                    // held back behind 0 and 1
  // 3: acknowledged later; 4: no report at all
  w.failed(3, false);
  w.failed(3, true);
  EXPECT_EQ(w.cursor(), 0u) << "a failure resolves nothing";
  // "Not persisted" (0) is not trusted either: librdkafka 2.0.2 said so of persisted records.
  EXPECT_EQ(w.possiblyInKafka(), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
  w.failed(2, false);  // a report after an ack changes nothing
  EXPECT_EQ(w.possiblyInKafka(), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

// Against a reference model: the cursor is always the smallest sent-and-unacked offset (or the
// end), whatever the order of acknowledgements, skips and gaps.
TEST(InFlightWindowTest, RandomOrdersMatchTheReferenceModel) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    InFlightWindow w(1000);
    std::set<uint64_t> unacked;
    std::vector<uint64_t> sent;
    uint64_t next = 1000;
    uint64_t last_cursor = 1000;
    for (int step = 0; step < 300; ++step) {
      int action = static_cast<int>(rng() % 10);
      if (action < 4) {
        next += rng() % 3 == 0 ? 1 + rng() % 3 : 0;  // sometimes an evicted gap
        w.sent(next, 0, 0, 1);
        unacked.insert(next);
        sent.push_back(next);
        ++next;
      } else if (action == 4) {
        next += 1 + rng() % 2;
        w.skipTo(next);
      } else if (!sent.empty()) {
        uint64_t o = sent[rng() % sent.size()];
        bool was_unacked = unacked.erase(o) > 0;
        EXPECT_EQ(w.acked(o).has_value(), was_unacked);
      }
      uint64_t expected = unacked.empty() ? next : *unacked.begin();
      ASSERT_EQ(w.cursor(), expected) << "round " << round << " step " << step;
      ASSERT_GE(w.cursor(), last_cursor) << "the cursor never moves back";
      ASSERT_EQ(w.inFlightRecords(), unacked.size());
      last_cursor = w.cursor();
    }
  }
}

}  // namespace
}  // namespace sf::kafka
