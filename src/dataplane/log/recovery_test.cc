// Recovery at open: torn tails truncated at every byte, corruption quarantined (with the
// intact frames salvaged), stale indexes rebuilt, leftovers of interrupted replacements,
// cursors past the end, damaged cursors. Never a failed open for damaged data.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "dataplane/log/fault_storage.h"
#include "dataplane/log/format.h"
#include "dataplane/log/log.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

namespace fs = std::filesystem;
using testing::appendOne;
using testing::appendSync;
using testing::eventually;
using testing::makeEntry;
using testing::readAll;
using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

std::vector<uint64_t> frameStarts(const std::string& seg) {
  std::vector<uint64_t> out;
  uint64_t pos = 0;
  while (pos + kFrameHeaderBytes <= seg.size()) {
    FrameHeader h;
    if (parseFrameHeader(std::string_view(seg).substr(pos), h) != FrameStatus::kOk) break;
    out.push_back(pos);
    pos += h.length;
  }
  return out;
}

class RecoveryTest : public ::testing::Test {
 protected:
  LogOptions opts(const std::string& dir) {
    LogOptions o;
    o.dir = dir;
    o.stream = "s";
    return o;
  }
  std::unique_ptr<Log> open(const LogOptions& o) {
    auto r = openLog(o, posixStorage(), clock_, metrics_);
    EXPECT_TRUE(r) << (r ? "" : r.error().toString());
    return r ? std::move(*r) : nullptr;
  }
  std::string lastSegment(const std::string& dir) {
    auto segs = testing::filesEndingWith(dir, ".seg");
    return segs.empty() ? "" : segs.back();
  }
  double metric(const std::string& name) { return metrics_.valueOf(name, {{"stream", "s"}}); }

  TempDir tmp_;
  core::ManualClock clock_;
  core::MetricsRegistry metrics_;
};

TEST_F(RecoveryTest, TornTailIsTruncatedWhereverTheCrashCut) {
  std::string pristine = tmp_.sub("pristine");
  auto o = opts(pristine);
  o.segment_bytes = 1024;
  uint64_t last_start = 0;
  std::string last_name;
  {
    auto log = open(o);
    for (uint64_t i = 0; i < 30; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
    last_name = lastSegment(pristine);
    last_start = readBytes(pristine + "/" + last_name).size();
    ASSERT_TRUE(appendSync(*log, {makeEntry(30), makeEntry(31), makeEntry(32)}));
    if (lastSegment(pristine) != last_name) {
      last_name = lastSegment(pristine);
      last_start = 0;
    }
  }
  ASSERT_GT(testing::filesEndingWith(pristine, ".seg").size(), 2u) << "sealed segments too";
  uint64_t full = readBytes(pristine + "/" + last_name).size();
  for (uint64_t cut = last_start; cut <= full; ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    std::string dir = tmp_.sub("cut" + std::to_string(cut));
    fs::copy(pristine, dir);
    fs::resize_file(dir + "/" + last_name, cut);
    auto o2 = opts(dir);
    o2.segment_bytes = 1024;
    auto log = open(o2);
    ASSERT_TRUE(log);
    const auto& rep = log->recovery();
    bool whole = cut == full;
    EXPECT_EQ(rep.truncated_bytes, cut - last_start - (whole ? full - last_start : 0));
    if (!whole && cut > last_start) {
      EXPECT_EQ(rep.truncated_segment, last_name);
      EXPECT_EQ(rep.truncated_records, cut - last_start >= kFrameHeaderBytes ? 3u : 0u);
    }
    EXPECT_TRUE(rep.quarantined_segments.empty());
    EXPECT_EQ(rep.lost_records, 0u);
    uint64_t expect_end = whole ? 33 : 30;
    EXPECT_EQ(log->endOffset(), expect_end);
    auto all = readAll(*log);
    ASSERT_EQ(all.size(), expect_end);
    for (uint64_t i = 0; i < expect_end; ++i) ASSERT_EQ(all[i].payload, makeEntry(i).payload);
    auto r = appendOne(*log, makeEntry(expect_end));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_offset, expect_end);
    log->close();
    auto again = open(o2);
    EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
    EXPECT_EQ(again->endOffset(), expect_end + 1);
    again->close();
    fs::remove_all(dir);
  }
}

TEST_F(RecoveryTest, ZeroFilledTailIsTruncated) {
  std::string dir = tmp_.sub("s");
  {
    auto log = open(opts(dir));
    for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  }
  std::string path = dir + "/" + lastSegment(dir);
  writeBytes(path, readBytes(path) + std::string(4096, '\0'));
  auto log = open(opts(dir));
  EXPECT_EQ(log->recovery().truncated_bytes, 4096u);
  EXPECT_EQ(log->recovery().truncated_records, 0u);
  EXPECT_EQ(log->endOffset(), 5u);
  EXPECT_EQ(metric("sf_log_truncated_bytes_total"), 4096);
}

TEST_F(RecoveryTest, CorruptionInTheMiddleOfTheLastSegmentQuarantinesIt) {
  std::string dir = tmp_.sub("s");
  {
    auto log = open(opts(dir));
    for (uint64_t f = 0; f < 5; ++f) {
      std::vector<Entry> batch;
      for (uint64_t i = 0; i < 4; ++i) batch.push_back(makeEntry(f * 4 + i));
      ASSERT_TRUE(appendSync(*log, std::move(batch)));
    }
  }
  std::string name = lastSegment(dir);
  std::string path = dir + "/" + name;
  std::string original = readBytes(path);
  auto starts = frameStarts(original);
  ASSERT_EQ(starts.size(), 5u);
  std::string bad = original;
  bad[starts[2] + 45] ^= 0x04;  // a payload byte of frame 2 (offsets 8..11)
  writeBytes(path, bad);

  auto log = open(opts(dir));
  const auto& rep = log->recovery();
  ASSERT_EQ(rep.quarantined_segments.size(), 1u) << rep.summary();
  EXPECT_EQ(rep.quarantined_segments[0], name + ".quarantine");
  EXPECT_EQ(rep.lost_records, 4u);
  EXPECT_EQ(rep.truncated_bytes, 0u);
  EXPECT_EQ(readBytes(path + ".quarantine"), bad) << "the damaged file is kept for forensics";
  EXPECT_EQ(metric("sf_log_lost_records_total"), 4);
  EXPECT_EQ(metric("sf_log_quarantined_segments_total"), 1);
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), 16u);
  for (const auto& e : all) {
    EXPECT_TRUE(e.offset < 8 || e.offset >= 12) << e.offset;
    EXPECT_EQ(e.payload, makeEntry(e.offset).payload);
  }
  EXPECT_EQ(log->endOffset(), 20u);
  auto r = appendOne(*log, makeEntry(20));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_offset, 20u) << "offsets are never reused";
  log->close();
  auto again = open(opts(dir));
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
  EXPECT_EQ(readAll(*again).size(), 17u);
}

// Writes 40 single-entry appends into 1 KiB segments; returns the first (sealed) segment.
std::string fillSealed(RecoveryTest* t, const LogOptions& o, std::unique_ptr<Log> log) {
  for (uint64_t i = 0; i < 40; ++i) EXPECT_TRUE(appendOne(*log, makeEntry(i)));
  log->close();
  auto segs = testing::filesEndingWith(o.dir, ".seg");
  EXPECT_GT(segs.size(), 2u);
  return segs.front();
}

TEST_F(RecoveryTest, CorruptSealedSegmentWithoutIndexIsQuarantinedAtOpen) {
  auto o = opts(tmp_.sub("s"));
  o.segment_bytes = 1024;
  std::string first = fillSealed(this, o, open(o));
  std::string path = o.dir + "/" + first;
  std::string data = readBytes(path);
  auto starts = frameStarts(data);
  data[starts[1] + 50] ^= 0x01;  // offset 1
  writeBytes(path, data);
  fs::remove(o.dir + "/" + first.substr(0, 20) + ".idx");
  auto log = open(o);
  const auto& rep = log->recovery();
  ASSERT_EQ(rep.quarantined_segments.size(), 1u) << rep.summary();
  EXPECT_EQ(rep.lost_records, 1u);
  EXPECT_EQ(rep.rebuilt_indexes.size(), 1u);
  auto all = readAll(*log);
  EXPECT_EQ(all.size(), 39u);
  for (const auto& e : all) EXPECT_NE(e.offset, 1u);
}

TEST_F(RecoveryTest, CorruptSealedSegmentWithIndexIsFoundByReadersAndRepaired) {
  auto o = opts(tmp_.sub("s"));
  o.segment_bytes = 1024;
  std::string first = fillSealed(this, o, open(o));
  std::string path = o.dir + "/" + first;
  std::string data = readBytes(path);
  auto starts = frameStarts(data);
  data[starts[2] + 50] ^= 0x01;  // offset 2
  writeBytes(path, data);
  auto log = open(o);
  EXPECT_TRUE(log->recovery().clean()) << "sealed segments with an index are not scanned at open";
  auto all = readAll(*log);
  EXPECT_EQ(all.size(), 39u) << "the reader skips the bad frame";
  EXPECT_GE(metric("sf_log_corrupt_frames_read_total"), 1);
  ASSERT_TRUE(eventually([&] { return fs::exists(path + ".quarantine"); }));
  ASSERT_TRUE(eventually([&] { return metric("sf_log_quarantined_segments_total") == 1; }));
  EXPECT_EQ(metric("sf_log_lost_records_total"), 1);
  double corrupt_reads = metric("sf_log_corrupt_frames_read_total");
  auto after = readAll(*log);
  EXPECT_EQ(after.size(), 39u);
  EXPECT_EQ(metric("sf_log_corrupt_frames_read_total"), corrupt_reads) << "repaired: clean now";
  for (const auto& e : after) EXPECT_EQ(e.payload, makeEntry(e.offset).payload);
}

TEST_F(RecoveryTest, GarbageSegmentsNeverFailTheOpen) {
  std::string dir = tmp_.sub("s");
  fs::create_directories(dir);
  std::mt19937 rng(5);
  auto junk = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };
  writeBytes(dir + "/" + segmentFileName(0), junk(10000));
  writeBytes(dir + "/" + indexFileName(0), junk(300));
  writeBytes(dir + "/" + segmentFileName(100), junk(5000));
  {
    auto log = open(opts(dir));
    ASSERT_TRUE(log);
    EXPECT_EQ(log->recovery().truncated_bytes, 5000u);
    EXPECT_EQ(log->recovery().lost_records, 100u);
    EXPECT_EQ(log->endOffset(), 100u);
    EXPECT_EQ(log->startOffset(), 100u);
    auto r = appendOne(*log, makeEntry(100));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_offset, 100u);
  }
  auto again = open(opts(dir));
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
  EXPECT_EQ(readAll(*again).size(), 1u);
}

TEST_F(RecoveryTest, StaleIndexIsRebuilt) {
  auto o = opts(tmp_.sub("s"));
  o.segment_bytes = 1024;
  std::string first = fillSealed(this, o, open(o));
  std::string idx = o.dir + "/" + first.substr(0, 20) + ".idx";
  std::string text = readBytes(idx);
  text[10] ^= 0x01;
  writeBytes(idx, text);
  auto log = open(o);
  EXPECT_EQ(log->recovery().rebuilt_indexes.size(), 1u);
  EXPECT_EQ(readAll(*log).size(), 40u);
}

TEST_F(RecoveryTest, LeftoversOfInterruptedReplacementsAreResolved) {
  auto o = opts(tmp_.sub("s"));
  o.segment_bytes = 1024;
  std::string first = fillSealed(this, o, open(o));
  // A crash between "segment -> quarantine" and "salvaged copy -> segment".
  fs::rename(o.dir + "/" + first, o.dir + "/" + first + ".salvage");
  writeBytes(o.dir + "/" + first + ".quarantine", "old");
  writeBytes(o.dir + "/x.cursor.tmp", "partial");
  writeBytes(o.dir + "/" + segmentFileName(7) + ".compact", "partial");
  auto log = open(o);
  EXPECT_EQ(readAll(*log).size(), 40u);
  EXPECT_TRUE(fs::exists(o.dir + "/" + first));
  EXPECT_FALSE(fs::exists(o.dir + "/" + first + ".salvage"));
  EXPECT_FALSE(fs::exists(o.dir + "/x.cursor.tmp"));
  EXPECT_FALSE(fs::exists(o.dir + "/" + segmentFileName(7) + ".compact"));
  EXPECT_TRUE(log->cursors().empty());
}

TEST_F(RecoveryTest, CursorPastTheRecoveredEndSkipsOffsets) {
  auto o = opts(tmp_.sub("s"));
  o.fsync = FsyncPolicy::kNever;  // the only way a forwarded record can be lost
  std::string name;
  {
    auto log = open(o);
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
    ASSERT_TRUE(log->commitCursor("out", 10));
    name = lastSegment(o.dir);
  }
  std::string path = o.dir + "/" + name;
  auto starts = frameStarts(readBytes(path));
  fs::resize_file(path, starts[6]);  // power loss took offsets 6..9
  auto log = open(o);
  EXPECT_EQ(log->recovery().skipped_offsets, 4u) << log->recovery().summary();
  auto r = appendOne(*log, makeEntry(10));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_offset, 10u) << "record ids are never given twice";
  EXPECT_EQ(readAll(*log).size(), 7u);
}

TEST_F(RecoveryTest, DamagedCursorIsResetToTheStartNotLost) {
  auto o = opts(tmp_.sub("s"));
  {
    auto log = open(o);
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
    ASSERT_TRUE(log->commitCursor("out", 7));
  }
  writeBytes(o.dir + "/out.cursor", "sfcursor v1 next_offset=7 crc=00000000\n");
  auto log = open(o);
  EXPECT_EQ(log->recovery().reset_cursors, std::vector<std::string>{"out"});
  EXPECT_EQ(*log->cursor("out"), 0u) << "re-delivery rather than loss";
}

TEST_F(RecoveryTest, OpenFailsCleanlyWhenTheDirectoryCannotBeRead) {
  auto st = std::make_shared<FaultInjectingStorage>();
  st->failNext(FaultOp::kList, 5);
  auto r = openLog(opts(tmp_.sub("s")), st, clock_, metrics_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kUnavailable);
  auto ok = openLog(opts(tmp_.sub("s")), st, clock_, metrics_);
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace sf::log
