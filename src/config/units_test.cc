#include "config/units.h"

#include <gtest/gtest.h>

namespace sf::config {
namespace {

using std::chrono::nanoseconds;
using namespace std::chrono_literals;

TEST(Duration, ParsesUnitsCompoundsAndFractions) {
  EXPECT_EQ(*parseDuration("250ms"), nanoseconds(250ms));
  EXPECT_EQ(*parseDuration("5s"), nanoseconds(5s));
  EXPECT_EQ(*parseDuration("1m"), nanoseconds(1min));
  EXPECT_EQ(*parseDuration("2h"), nanoseconds(2h));
  EXPECT_EQ(*parseDuration("7d"), nanoseconds(168h));
  EXPECT_EQ(*parseDuration("1m30s"), nanoseconds(90s));
  EXPECT_EQ(*parseDuration("1.5s"), nanoseconds(1500ms));
  EXPECT_EQ(*parseDuration("100us"), nanoseconds(100us));
  EXPECT_EQ(*parseDuration("100\xC2\xB5s"), nanoseconds(100us));
  EXPECT_EQ(*parseDuration("42ns"), nanoseconds(42));
  EXPECT_EQ(*parseDuration("0"), nanoseconds(0));
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad :
       {"", "5", "5 s", "5sec", "s", "-5s", "1.5.s", "5x", "1e3s", ".s", "99999999999d", "1.5ns"}) {
    EXPECT_FALSE(parseDuration(bad)) << bad;
  }
  EXPECT_EQ(parseDuration("5x").error().message,
            "'5x' is not a duration: unknown unit 'x' (use ns, us, ms, s, m, h or d)");
  EXPECT_EQ(parseDuration("5").error().message,
            "'5' is not a duration: missing unit (use ns, us, ms, s, m, h or d)");
}

TEST(Duration, FormatsWithLargestExactUnit) {
  EXPECT_EQ(formatDuration(0s), "0s");
  EXPECT_EQ(formatDuration(250ms), "250ms");
  EXPECT_EQ(formatDuration(5000ms), "5s");
  EXPECT_EQ(formatDuration(90s), "90s");
  EXPECT_EQ(formatDuration(120s), "2m");
  EXPECT_EQ(formatDuration(168h), "7d");
  EXPECT_EQ(formatDuration(1500us), "1500us");
  EXPECT_EQ(formatDuration(nanoseconds(7)), "7ns");
  for (const char* text : {"250ms", "1m30s", "1.5s", "7d", "3h"}) {
    EXPECT_EQ(*parseDuration(formatDuration(*parseDuration(text))), *parseDuration(text)) << text;
  }
}

TEST(ByteSize, ParsesBinaryDecimalAndPlain) {
  EXPECT_EQ(parseByteSize("64MiB")->bytes, 64ull << 20);
  EXPECT_EQ(parseByteSize("1KiB")->bytes, 1024u);
  EXPECT_EQ(parseByteSize("10MB")->bytes, 10'000'000u);
  EXPECT_EQ(parseByteSize("1kB")->bytes, 1000u);
  EXPECT_EQ(parseByteSize("2TiB")->bytes, 2ull << 40);
  EXPECT_EQ(parseByteSize("512B")->bytes, 512u);
  EXPECT_EQ(parseByteSize("512")->bytes, 512u);
  EXPECT_EQ(parseByteSize("1.5GiB")->bytes, 3ull << 29);
  EXPECT_EQ(parseByteSize("64 MiB")->bytes, 64ull << 20);
}

TEST(ByteSize, RejectsMalformed) {
  for (const char* bad :
       {"", "64M", "64mib", "-1KiB", "1.5B", "MiB", "99999999999TiB", "64  MiB"}) {
    EXPECT_FALSE(parseByteSize(bad)) << bad;
  }
  EXPECT_EQ(parseByteSize("64M").error().message,
            "'64M' is not a byte size: unknown unit 'M' (expected e.g. 512B, 64KiB, 10MB, 1GiB)");
}

TEST(ByteSize, FormatsExactly) {
  EXPECT_EQ(formatByteSize(ByteSize{0}), "0B");
  EXPECT_EQ(formatByteSize(ByteSize::mib(64)), "64MiB");
  EXPECT_EQ(formatByteSize(ByteSize{1'000'000}), "1MB");
  EXPECT_EQ(formatByteSize(ByteSize{1536}), "1536B");
  EXPECT_EQ(formatByteSize(ByteSize{1001}), "1001B");
  EXPECT_EQ(formatByteSize(ByteSize::gib(1)), "1GiB");
}

}  // namespace
}  // namespace sf::config
