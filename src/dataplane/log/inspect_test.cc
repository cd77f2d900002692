#include "dataplane/log/inspect.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::appendOne;
using testing::makeEntry;
using testing::TempDir;

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LogOptions o;
    o.dir = dir_.sub("streams/main");
    o.segment_bytes = 1024;
    auto log = openLog(o, posixStorage(), clock_, metrics_);
    ASSERT_TRUE(log);
    for (uint64_t i = 0; i < 40; ++i) {
      ASSERT_TRUE(
          appendOne(**log, makeEntry(i, i % 4 == 0 ? EntryClass::kAlarm : EntryClass::kTelemetry)));
    }
    ASSERT_TRUE((*log)->commitCursor("kafka", 25));
    (*log)->close();
    stream_ = o.dir;
  }
  TempDir dir_;
  std::string stream_;
  core::ManualClock clock_;
  core::MetricsRegistry metrics_;
};

TEST_F(InspectTest, SummarisesAStream) {
  for (bool verify : {false, true}) {
    auto rep = inspectStream(*posixStorage(), stream_, verify);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->stream, "main");
    EXPECT_EQ(rep->start_offset, 0u);
    EXPECT_EQ(rep->end_offset, 40u);
    EXPECT_GT(rep->segments.size(), 2u);
    EXPECT_EQ(rep->records[classIndex(EntryClass::kAlarm)], 10u);
    EXPECT_EQ(rep->records[classIndex(EntryClass::kTelemetry)], 30u);
    EXPECT_EQ(rep->cursors, (std::map<std::string, uint64_t>{{"kafka", 25}}));
    EXPECT_FALSE(rep->corrupt());
    EXPECT_FALSE(rep->tornTail());
    EXPECT_EQ(rep->segments.front().index_used, !verify);
    EXPECT_TRUE(rep->segments.back().verified);
  }
}

TEST_F(InspectTest, VerifyFindsCorruptionTheIndexHides) {
  std::string seg = stream_ + "/" + segmentFileName(0);
  std::string data = testing::readBytes(seg);
  data[kFrameHeaderBytes + 5] ^= 0x40;
  testing::writeBytes(seg, data);
  auto quick = inspectStream(*posixStorage(), stream_, false);
  ASSERT_TRUE(quick);
  EXPECT_FALSE(quick->corrupt()) << "inspect trusts the index";
  auto full = inspectStream(*posixStorage(), stream_, true);
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->corrupt());
  ASSERT_EQ(full->segments.front().corrupt.size(), 1u);
  EXPECT_EQ(full->segments.front().corrupt[0].position, 0u);
  EXPECT_EQ(full->segments.front().corrupt[0].first_lost_offset, 0u);
  EXPECT_EQ(full->segments.front().corrupt[0].why, "frame CRC mismatch");
}

TEST_F(InspectTest, TornTailIsNotCorruption) {
  auto segs = testing::filesEndingWith(stream_, ".seg");
  std::string last = stream_ + "/" + segs.back();
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 3);
  auto rep = inspectStream(*posixStorage(), stream_, true);
  ASSERT_TRUE(rep);
  EXPECT_TRUE(rep->tornTail());
  EXPECT_FALSE(rep->corrupt());
  EXPECT_EQ(rep->end_offset, 39u);
}

TEST_F(InspectTest, FindsStreamsUnderAParent) {
  auto streams = findStreams(*posixStorage(), dir_.sub("streams"));
  ASSERT_TRUE(streams);
  EXPECT_EQ(*streams, std::vector<std::string>{stream_});
  EXPECT_EQ(*findStreams(*posixStorage(), stream_), std::vector<std::string>{stream_});
  EXPECT_TRUE(findStreams(*posixStorage(), dir_.path())->empty()) << "one level only";
}

TEST_F(InspectTest, ReaderScansFromAnOffsetWithAClassFilter) {
  auto reader = LogReader::open(posixStorage(), stream_);
  ASSERT_TRUE(reader);
  std::vector<uint64_t> seen;
  ASSERT_TRUE(reader->scan(17, EntryClass::kAlarm, [&](const StoredEntry& e) {
    EXPECT_EQ(e.payload, makeEntry(e.offset).payload);
    seen.push_back(e.offset);
    return seen.size() < 4;
  }));
  EXPECT_EQ(seen, (std::vector<uint64_t>{20, 24, 28, 32}));
  uint64_t n = 0;
  ASSERT_TRUE(reader->scan(0, std::nullopt, [&](const StoredEntry& e) {
    EXPECT_EQ(e.offset, n++);
    return true;
  }));
  EXPECT_EQ(n, 40u);
}

}  // namespace
}  // namespace sf::log
