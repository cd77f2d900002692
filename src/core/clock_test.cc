#include "core/clock.h"

#include <gtest/gtest.h>

namespace sf::core {
namespace {

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.nowUnixNanos(), 1000);
  EXPECT_EQ(clock.monotonicNanos(), 0);
  clock.advance(std::chrono::milliseconds(5));
  EXPECT_EQ(clock.nowUnixNanos(), 1000 + 5'000'000);
  EXPECT_EQ(clock.monotonicNanos(), 5'000'000);
}

TEST(Clock, SystemClockIsMonotonic) {
  const auto& c = SystemClock::instance();
  auto a = c.monotonicNanos();
  auto b = c.monotonicNanos();
  EXPECT_LE(a, b);
  EXPECT_GT(c.nowUnixNanos(), 1'600'000'000'000'000'000LL);
}

}  // namespace
}  // namespace sf::core
