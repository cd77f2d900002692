#include "dataplane/log/format.h"

#include <gtest/gtest.h>

#include <random>

namespace sf::log {
namespace {

std::string frameOf(uint64_t base, const std::vector<std::string>& payloads,
                    EntryClass cls = EntryClass::kTelemetry) {
  std::vector<EntryView> v;
  for (size_t i = 0; i < payloads.size(); ++i) {
    v.push_back(EntryView{base + i, cls, static_cast<int64_t>(1000 + i), payloads[i]});
  }
  std::string out;
  encodeFrame(out, base, 0, v.data(), v.size());
  return out;
}

// A segment of `frames` frames of `per` entries each, starting at `base`.
std::string segmentOf(uint64_t base, int frames, int per, std::vector<uint64_t>* starts = nullptr) {
  std::string seg;
  for (int f = 0; f < frames; ++f) {
    if (starts) starts->push_back(seg.size());
    std::vector<std::string> p;
    for (int i = 0; i < per; ++i) p.push_back("payload-" + std::to_string(f * per + i));
    seg += frameOf(base + static_cast<uint64_t>(f * per), p);
  }
  return seg;
}

TEST(Format, FrameRoundTrip) {
  std::string frame = frameOf(42, {"a", "", std::string(1000, 'x')});
  FrameHeader h;
  ASSERT_EQ(checkFrame(frame, h), FrameStatus::kOk);
  EXPECT_EQ(h.length, frame.size());
  EXPECT_EQ(h.base_offset, 42u);
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.span, 3u);
  EXPECT_EQ(h.endOffset(), 45u);
  EXPECT_EQ(h.max_ts_ns, 1002);
  std::vector<std::string> got;
  std::vector<uint64_t> offsets;
  forEachEntry(h, frame, [&](const EntryView& e) {
    got.emplace_back(e.payload);
    offsets.push_back(e.offset);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"a", "", std::string(1000, 'x')}));
  EXPECT_EQ(offsets, (std::vector<uint64_t>{42, 43, 44}));
}

TEST(Format, FrameWithGapsKeepsItsSpan) {
  std::vector<EntryView> v = {{10, EntryClass::kAlarm, 5, "a"}, {13, EntryClass::kEvent, 6, "b"}};
  std::string out;
  encodeFrame(out, 10, 8, v.data(), v.size());
  FrameHeader h;
  ASSERT_EQ(checkFrame(out, h), FrameStatus::kOk);
  EXPECT_EQ(h.count, 2u);
  EXPECT_EQ(h.endOffset(), 18u);
}

TEST(Format, EverySingleBitFlipIsDetected) {
  std::string frame = frameOf(7, {"hello", "world", "0123456789"});
  for (size_t bit = 0; bit < frame.size() * 8; ++bit) {
    std::string bad = frame;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    FrameHeader h;
    EXPECT_NE(checkFrame(bad, h), FrameStatus::kOk) << "bit " << bit;
  }
}

TEST(Format, EveryTruncationIsIncompleteOrCorrupt) {
  std::string frame = frameOf(7, {"hello", "world"});
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    FrameHeader h;
    EXPECT_NE(checkFrame(std::string_view(frame).substr(0, cut), h), FrameStatus::kOk) << cut;
  }
}

TEST(Format, SegmentNames) {
  EXPECT_EQ(segmentFileName(42), "00000000000000000042.seg");
  EXPECT_EQ(indexFileName(42), "00000000000000000042.idx");
  EXPECT_EQ(parseSegmentFileName("00000000000000000042.seg"), 42u);
  EXPECT_EQ(parseSegmentFileName("18446744073709551615.seg"), UINT64_MAX);
  EXPECT_FALSE(parseSegmentFileName("18446744073709551616.seg"));
  EXPECT_FALSE(parseSegmentFileName("0000000000000000042.seg"));
  EXPECT_FALSE(parseSegmentFileName("00000000000000000042.seg.quarantine"));
  EXPECT_FALSE(parseSegmentFileName("0000000000000000004x.seg"));
}

TEST(Format, IndexRoundTripAndDamage) {
  std::vector<uint64_t> starts;
  std::string seg = segmentOf(100, 150, 40, &starts);
  auto scan = scanSegment(MemorySource(seg), seg.size(), 100);
  ASSERT_TRUE(scan);
  ASSERT_TRUE(scan->clean());
  const SegmentMeta& m = scan->meta;
  EXPECT_EQ(m.end, 100u + 6000u);
  EXPECT_EQ(m.records[0], 6000u);
  EXPECT_EQ(m.first_offset, 100u);
  EXPECT_GT(m.points.size(), 1u);
  std::string idx = encodeIndex(m);
  auto back = decodeIndex(idx);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->end, m.end);
  EXPECT_EQ(back->records, m.records);
  EXPECT_EQ(back->points.size(), m.points.size());
  for (size_t i = 0; i < idx.size(); ++i) {
    std::string bad = idx;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(decodeIndex(bad)) << i;
  }
  EXPECT_FALSE(decodeIndex(idx.substr(0, idx.size() - 1)));
}

TEST(Format, SeekFindsAFrameAtOrBeforeTheOffset) {
  std::vector<uint64_t> starts;
  std::string seg = segmentOf(0, 200, 30, &starts);  // frames of ~30 entries, many 64 KiB points
  auto scan = scanSegment(MemorySource(seg), seg.size(), 0);
  ASSERT_TRUE(scan);
  const SegmentMeta& m = scan->meta;
  for (uint64_t off = 0; off < 6000; off += 37) {
    uint64_t pos = m.seek(off);
    size_t f = std::find(starts.begin(), starts.end(), pos) - starts.begin();
    ASSERT_LT(f, starts.size()) << "seek lands on a frame start";
    EXPECT_LE(f * 30, off);
    EXPECT_LT(off - f * 30, 30 + kIndexIntervalBytes / 30 * 2) << "close to the offset";
  }
}

TEST(Format, ScanFindsTornTailAtEveryCut) {
  std::vector<uint64_t> starts;
  std::string seg = segmentOf(0, 5, 3, &starts);
  uint64_t last = starts.back();
  for (uint64_t cut = last; cut < seg.size(); ++cut) {
    auto scan = scanSegment(MemorySource(seg.substr(0, cut)), cut, 0);
    ASSERT_TRUE(scan);
    EXPECT_TRUE(scan->corrupt.empty());
    EXPECT_EQ(scan->tail_position, last);
    EXPECT_EQ(scan->tail_bytes, cut - last);
    EXPECT_EQ(scan->tail_records, cut - last >= kFrameHeaderBytes ? 3u : 0u) << cut;
    EXPECT_EQ(scan->meta.end, 12u);
    EXPECT_EQ(scan->meta.records[0], 12u);
  }
}

TEST(Format, ScanFindsCorruptionInTheMiddle) {
  std::vector<uint64_t> starts;
  std::string seg = segmentOf(0, 5, 3, &starts);
  seg[starts[2] + 50] ^= 0x01;  // inside frame 2
  auto scan = scanSegment(MemorySource(seg), seg.size(), 0);
  ASSERT_TRUE(scan);
  ASSERT_EQ(scan->corrupt.size(), 1u);
  EXPECT_EQ(scan->corrupt[0].position, starts[2]);
  EXPECT_EQ(scan->corrupt[0].end, starts[3]);
  EXPECT_EQ(scan->corrupt[0].first_lost_offset, 6u);
  EXPECT_EQ(scan->corrupt[0].lost_offsets, 3u);
  EXPECT_EQ(scan->tail_bytes, 0u);
  EXPECT_EQ(scan->meta.records[0], 12u);
  EXPECT_EQ(scan->meta.end, 15u);
}

TEST(Format, ScanRejectsFramesGoingBackwards) {
  std::string seg = frameOf(10, {"a", "b"}) + frameOf(5, {"c"}) + frameOf(12, {"d"});
  auto scan = scanSegment(MemorySource(seg), seg.size(), 10);
  ASSERT_TRUE(scan);
  ASSERT_EQ(scan->corrupt.size(), 1u);
  EXPECT_EQ(scan->meta.records[0], 3u);
}

TEST(Format, GarbageIsATornTailNotACrash) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    std::string junk(rng() % 3000, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    auto scan = scanSegment(MemorySource(junk), junk.size(), 0);
    ASSERT_TRUE(scan);
    EXPECT_EQ(scan->meta.totalRecords(), 0u);
  }
}

TEST(Format, EntryClassNames) {
  for (size_t i = 0; i < kEntryClassCount; ++i) {
    auto c = static_cast<EntryClass>(i);
    EXPECT_EQ(parseEntryClass(entryClassName(c)), c);
  }
  EXPECT_FALSE(parseEntryClass("metric"));
}

}  // namespace
}  // namespace sf::log
