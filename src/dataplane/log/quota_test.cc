// Retention by age and size (never past an output's cursor), the quota's priority-aware
// eviction (exact counts, order, offsets stable, reads skip the gaps) and when_full: block.

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>

#include "dataplane/log/format.h"
#include "dataplane/log/inspect.h"
#include "dataplane/log/log.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::appendOne;
using testing::appendSync;
using testing::eventually;
using testing::makeEntry;
using testing::readAll;
using testing::TempDir;

class QuotaTest : public ::testing::Test {
 protected:
  LogOptions opts() {
    LogOptions o;
    o.dir = dir_.sub("s");
    o.stream = "s";
    // Retention and eviction do not depend on the fsync policy (log_test.cc covers those);
    // without a per-append fsync these tests stay fast.
    o.fsync = FsyncPolicy::kNever;
    return o;
  }
  std::unique_ptr<Log> open(const LogOptions& o) {
    auto r = openLog(o, posixStorage(), clock_, metrics_);
    EXPECT_TRUE(r) << (r ? "" : r.error().toString());
    return r ? std::move(*r) : nullptr;
  }
  double evictedMetric(EntryClass c) {
    return metrics_.valueOf("sf_log_evicted_records_total",
                            {{"stream", "s"}, {"class", std::string(entryClassName(c))}});
  }
  // Appends `n` entries of `cls`, `per` per append, timestamped now.
  void fill(Log& log, uint64_t n, EntryClass cls = EntryClass::kTelemetry, uint64_t per = 1) {
    for (uint64_t i = 0; i < n; i += per) {
      uint64_t off = log.endOffset();
      std::vector<Entry> batch;
      for (uint64_t j = 0; j < per && i + j < n; ++j) {
        batch.push_back(makeEntry(off + j, cls, clock_.nowUnixNanos(), 60));
      }
      auto r = appendSync(log, std::move(batch));
      ASSERT_TRUE(r) << r.error().toString();
      ASSERT_EQ(r->first_offset, off);
    }
  }

  TempDir dir_;
  core::ManualClock clock_;
  core::MetricsRegistry metrics_;
};

TEST_F(QuotaTest, RetentionByAgeNeverDeletesUnforwardedRecords) {
  auto o = opts();
  o.segment_bytes = 1024;
  o.retention_age = std::chrono::hours(1);
  auto log = open(o);
  fill(*log, 100);
  uint64_t segments = log->stats().segments;
  ASSERT_GT(segments, 5u);
  ASSERT_EQ(*log->registerCursor("kafka"), 0u);
  clock_.advance(std::chrono::hours(2));
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_EQ(log->stats().segments, segments) << "nothing forwarded: nothing deleted";
  EXPECT_EQ(log->startOffset(), 0u);
  fill(*log, 10);  // young records

  ASSERT_TRUE(log->commitCursor("kafka", 50));
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_GT(log->startOffset(), 0u);
  EXPECT_LE(log->startOffset(), 50u) << "only whole segments below the cursor go";
  auto rest = readAll(*log, 0);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front().offset, log->startOffset());
  EXPECT_EQ(rest.back().offset, 109u);
  for (const auto& e : rest) EXPECT_EQ(e.payload, makeEntry(e.offset, {}, 0, 60).payload);

  ASSERT_TRUE(log->commitCursor("kafka", 110));
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_GT(log->startOffset(), 50u) << "old and forwarded: deleted";
  EXPECT_LE(log->startOffset(), 100u) << "the segment holding young records: kept";
  EXPECT_EQ(readAll(*log).back().offset, 109u);
  // Every output counts: a second, slower output holds retention back again.
  ASSERT_TRUE(log->commitCursor("central", log->startOffset()));
  fill(*log, 50);
  clock_.advance(std::chrono::hours(2));
  uint64_t start = log->startOffset();
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_EQ(log->startOffset(), start);
}

TEST_F(QuotaTest, RetentionByAgeWithoutOutputsDeletesOldSegments) {
  auto o = opts();
  o.segment_bytes = 1024;
  o.retention_age = std::chrono::hours(1);
  auto log = open(o);
  fill(*log, 50);
  clock_.advance(std::chrono::hours(2));
  fill(*log, 1);
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_LE(log->stats().segments, 2u);
  EXPECT_EQ(log->endOffset(), 51u);
  EXPECT_EQ(readAll(*log).back().offset, 50u);
}

TEST_F(QuotaTest, RetentionBySizeRespectsCursors) {
  auto o = opts();
  o.segment_bytes = 1024;
  o.retention_bytes = 3000;
  auto log = open(o);
  ASSERT_TRUE(log->registerCursor("kafka"));
  fill(*log, 200);
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_EQ(log->startOffset(), 0u);
  ASSERT_TRUE(log->commitCursor("kafka", 200));
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_LE(log->stats().size_bytes, 3000u + 1024u);
  EXPECT_GT(log->startOffset(), 0u);
  EXPECT_EQ(log->stats().evicted, (std::array<uint64_t, 4>{})) << "retention is not eviction";
}

// Fills a quota far past its size with a random mix of classes and checks, at every eviction,
// that nothing of a lower priority was left anywhere; then that every record appended is
// either stored intact at its offset or counted as evicted, exactly.
TEST_F(QuotaTest, EvictionFollowsPriorityAndCountsExactly) {
  auto o = opts();
  o.quota_bytes = 16 * 1024;  // segments of 2 KiB
  auto log = open(o);
  std::vector<EvictionNotice> notices;
  std::vector<std::string> violations;
  log->onEviction([&](const EvictionNotice& n) {
    notices.push_back(n);
    auto rep = inspectStream(*posixStorage(), o.dir, /*verify=*/true);
    if (!rep) {
      violations.push_back(rep.error().toString());
      return;
    }
    const std::array<EntryClass, 4> order = {EntryClass::kLog, EntryClass::kTelemetry,
                                             EntryClass::kEvent, EntryClass::kAlarm};
    for (EntryClass lower : order) {
      if (lower == n.cls) break;
      if (rep->records[classIndex(lower)] != 0) {
        violations.push_back(std::string(entryClassName(n.cls)) + " evicted while " +
                             std::string(entryClassName(lower)) + " stored");
      }
    }
  });
  std::mt19937 rng(9);
  std::map<uint64_t, std::pair<EntryClass, std::string>> appended;
  std::array<uint64_t, 4> per_class{};
  for (int i = 0; i < 700; ++i) {
    uint32_t pick = rng() % 100;
    EntryClass cls = pick < 60   ? EntryClass::kTelemetry
                     : pick < 80 ? EntryClass::kLog
                     : pick < 93 ? EntryClass::kEvent
                                 : EntryClass::kAlarm;
    uint64_t off = log->endOffset();
    Entry e = makeEntry(off, cls, clock_.nowUnixNanos(), 40 + rng() % 60);
    std::string payload = e.payload;
    auto r = appendOne(*log, std::move(e));
    ASSERT_TRUE(r) << r.error().toString();
    ASSERT_EQ(r->first_offset, off);
    appended[off] = {cls, payload};
    per_class[classIndex(cls)]++;
  }
  EXPECT_TRUE(violations.empty()) << violations.front();
  ASSERT_FALSE(notices.empty());
  EXPECT_EQ(notices.front().cls, EntryClass::kLog) << "logs go first";
  EXPECT_LE(log->stats().size_bytes, o.quota_bytes);

  auto stored = readAll(*log);
  std::array<uint64_t, 4> stored_per{};
  uint64_t prev = 0;
  bool first = true;
  for (const auto& e : stored) {
    ASSERT_TRUE(first || e.offset > prev) << "ascending, no duplicates";
    first = false;
    prev = e.offset;
    ASSERT_EQ(appended.at(e.offset).first, e.cls) << "offsets are stable across compaction";
    ASSERT_EQ(appended.at(e.offset).second, e.payload);
    stored_per[classIndex(e.cls)]++;
    for (const auto& n : notices) {
      ASSERT_FALSE(n.cls == e.cls && e.offset >= n.first_offset && e.offset <= n.last_offset)
          << "a stored record inside an announced eviction range";
    }
  }
  std::array<uint64_t, 4> noticed{};
  for (const auto& n : notices) {
    EXPECT_GT(n.records, 0u);
    EXPECT_LE(n.first_offset, n.last_offset);
    noticed[classIndex(n.cls)] += n.records;
  }
  auto stats = log->stats();
  for (size_t c = 0; c < 4; ++c) {
    auto cls = static_cast<EntryClass>(c);
    SCOPED_TRACE(std::string(entryClassName(cls)));
    EXPECT_EQ(per_class[c], stored_per[c] + noticed[c]) << "every record stored or counted";
    EXPECT_EQ(evictedMetric(cls), static_cast<double>(noticed[c]));
    EXPECT_EQ(stats.evicted[c], noticed[c]);
    EXPECT_EQ(stats.records[c], stored_per[c]);
  }
  EXPECT_GT(noticed[classIndex(EntryClass::kTelemetry)], 0u);
  log->close();
  auto again = open(o);
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
  EXPECT_EQ(readAll(*again).size(), stored.size());
}

TEST_F(QuotaTest, AlarmsAndEventsOutliveTelemetry) {
  auto o = opts();
  o.quota_bytes = 32 * 1024;
  auto log = open(o);
  // 40 alarms and 40 events (~10 KiB), then telemetry for ten times the quota.
  fill(*log, 40, EntryClass::kAlarm);
  fill(*log, 40, EntryClass::kEvent);
  fill(*log, 3000, EntryClass::kTelemetry, /*per=*/10);
  auto s = log->stats();
  EXPECT_EQ(s.evicted[classIndex(EntryClass::kAlarm)], 0u);
  EXPECT_EQ(s.evicted[classIndex(EntryClass::kEvent)], 0u);
  EXPECT_GT(s.evicted[classIndex(EntryClass::kTelemetry)], 2000u);
  EXPECT_EQ(s.records[classIndex(EntryClass::kAlarm)], 40u);
  EXPECT_EQ(s.records[classIndex(EntryClass::kEvent)], 40u);
  auto all = readAll(*log);
  for (uint64_t i = 0; i < 80; ++i) {
    ASSERT_EQ(all[i].offset, i);
    EXPECT_EQ(all[i].payload, makeEntry(i, {}, 0, 60).payload);
  }
  EXPECT_LE(s.size_bytes, o.quota_bytes);
}

TEST_F(QuotaTest, EvictionCountsExactlyWhatOneCompactionRemoved) {
  auto o = opts();
  o.quota_bytes = 16 * 1024;
  auto log = open(o);
  std::vector<EvictionNotice> notices;
  log->onEviction([&](const EvictionNotice& n) { notices.push_back(n); });
  // Alternate telemetry and logs until the first eviction; predict it from the files.
  std::optional<StreamReport> before;
  uint64_t i = 0;
  while (notices.empty()) {
    before = *inspectStream(*posixStorage(), o.dir, true);
    fill(*log, 1, i++ % 3 == 0 ? EntryClass::kLog : EntryClass::kTelemetry);
  }
  ASSERT_EQ(notices.size(), 1u);
  ASSERT_TRUE(before);
  const SegmentReport& oldest = before->segments.front();
  EXPECT_EQ(notices[0].cls, EntryClass::kLog);
  EXPECT_EQ(notices[0].records, oldest.meta.records[classIndex(EntryClass::kLog)]);
  EXPECT_EQ(notices[0].bytes, oldest.meta.bytes[classIndex(EntryClass::kLog)]);
  EXPECT_EQ(notices[0].first_offset, oldest.meta.first_offset) << "offset 0 is a log";
  EXPECT_LT(notices[0].last_offset, oldest.meta.end);
  EXPECT_EQ(evictedMetric(EntryClass::kLog), static_cast<double>(notices[0].records));
  EXPECT_EQ(evictedMetric(EntryClass::kTelemetry), 0);
}

TEST_F(QuotaTest, WhenFullBlockAppliesBackpressureUntilForwarded) {
  auto o = opts();
  o.quota_bytes = 16 * 1024;
  o.when_full = WhenFull::kBlock;
  auto log = open(o);
  ASSERT_TRUE(log->registerCursor("out"));
  constexpr int kN = 600;  // ~70 KiB: four times the quota
  std::atomic<int> ok{0};
  for (int i = 0; i < kN; ++i) {
    log->append({makeEntry(static_cast<uint64_t>(i), EntryClass::kTelemetry, 0, 60)},
                [&](core::Result<AppendResult> r) {
                  ASSERT_TRUE(r) << r.error().toString();
                  ++ok;
                });
  }
  int rounds = 0;
  while (ok.load() < kN) {
    ASSERT_TRUE(eventually([&] { return log->stats().blocked || ok.load() == kN; }));
    if (ok.load() == kN) break;
    ++rounds;
    EXPECT_LT(ok.load(), kN);
    EXPECT_LE(log->stats().size_bytes, o.quota_bytes);
    EXPECT_EQ(metrics_.valueOf("sf_log_blocked", {{"stream", "s"}}), 1);
    ASSERT_TRUE(log->commitCursor("out", log->endOffset()));  // the forwarder caught up
  }
  EXPECT_GE(rounds, 3);
  EXPECT_EQ(log->stats().evicted, (std::array<uint64_t, 4>{})) << "block never evicts";
  EXPECT_EQ(log->endOffset(), static_cast<uint64_t>(kN));
  auto rest = readAll(*log, *log->cursor("out"));
  for (const auto& e : rest) EXPECT_EQ(e.payload, makeEntry(e.offset, {}, 0, 60).payload);
}

TEST_F(QuotaTest, CloseWhileBlockedCancelsTheWaitingAppends) {
  auto o = opts();
  o.quota_bytes = 16 * 1024;
  o.when_full = WhenFull::kBlock;
  auto log = open(o);
  ASSERT_TRUE(log->registerCursor("out"));
  std::atomic<int> ok{0}, cancelled{0};
  for (int i = 0; i < 400; ++i) {
    log->append({makeEntry(static_cast<uint64_t>(i), EntryClass::kTelemetry, 0, 60)},
                [&](core::Result<AppendResult> r) {
                  if (r) {
                    ++ok;
                  } else {
                    EXPECT_EQ(r.error().code, core::Errc::kCancelled);
                    ++cancelled;
                  }
                });
  }
  ASSERT_TRUE(eventually([&] { return log->stats().blocked; }));
  log->close();
  EXPECT_EQ(ok.load() + cancelled.load(), 400);
  EXPECT_GT(cancelled.load(), 0);
  auto again = open(o);
  EXPECT_EQ(again->endOffset(), static_cast<uint64_t>(ok.load()));
}

TEST_F(QuotaTest, ForwardedSegmentsGoBeforeAnyEviction) {
  auto o = opts();
  o.quota_bytes = 16 * 1024;
  auto log = open(o);
  ASSERT_TRUE(log->registerCursor("out"));
  fill(*log, 100);
  ASSERT_TRUE(log->commitCursor("out", log->endOffset()));
  fill(*log, 60);  // needs room: the forwarded segments are deleted first
  EXPECT_EQ(evictedMetric(EntryClass::kTelemetry), 0);
  EXPECT_EQ(log->stats().evicted, (std::array<uint64_t, 4>{}));
}

}  // namespace
}  // namespace sf::log
