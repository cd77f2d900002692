// The log's core behaviour: appends, group commit, fsync policies, failures of the storage,
// reads, cursors, reopen. Recovery is in recovery_test.cc, retention/quota in quota_test.cc.

#include "dataplane/log/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "dataplane/log/fault_storage.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::appendOne;
using testing::appendSync;
using testing::eventually;
using testing::makeEntry;
using testing::readAll;
using testing::TempDir;

bool isSegment(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".seg") == 0;
}

class LogTest : public ::testing::Test {
 protected:
  LogOptions opts() {
    LogOptions o;
    o.dir = dir_.sub("s");
    o.stream = "s";
    return o;
  }
  std::unique_ptr<Log> open(const LogOptions& o) {
    auto r = openLog(o, storage_, clock_, metrics_);
    EXPECT_TRUE(r) << (r ? "" : r.error().toString());
    return r ? std::move(*r) : nullptr;
  }
  double metric(const std::string& name, core::Labels extra = {}) {
    core::Labels l{{"stream", "s"}};
    for (auto& e : extra) l.push_back(e);
    return metrics_.valueOf(name, l);
  }
  // Counts fsyncs of segment files; the first `hold` of them wait for release().
  void countSegmentFsyncs(int hold = 0) {
    hold_ = hold;
    storage_->setFsyncHook([this](const std::string& path) {
      if (!isSegment(path)) return;
      int n = ++seg_fsyncs_;
      if (n <= hold_) {
        {
          std::lock_guard lock(mu_);
          in_fsync_ = n;
        }
        cv_.notify_all();
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return released_ >= n; });
      }
    });
  }
  // With a group in its (held) fsync, one more group is written behind it and the writer
  // then waits for that fsync: append it and wait for its write, so that the queue holds
  // exactly what the test appends next.
  void fillThePipeline(Log& log, const AppendCallback& cb) {
    uint64_t writes = storage_->calls(FaultOp::kWrite);
    log.append({makeEntry(1000)}, cb);
    ASSERT_TRUE(eventually([&] { return storage_->calls(FaultOp::kWrite) > writes; }));
  }
  void waitInFsync(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_fsync_ >= n; });
  }
  void release(int n) {
    {
      std::lock_guard lock(mu_);
      released_ = n;
    }
    cv_.notify_all();
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectingStorage> storage_ = std::make_shared<FaultInjectingStorage>();
  core::MetricsRegistry metrics_;
  core::ManualClock clock_;
  std::atomic<int> seg_fsyncs_{0};
  int hold_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_fsync_ = 0;
  int released_ = 0;
};

TEST_F(LogTest, AppendsGetContiguousOffsetsAndReadBack) {
  auto log = open(opts());
  auto a = appendSync(*log, {makeEntry(0), makeEntry(1, EntryClass::kAlarm), makeEntry(2)});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first_offset, 0u);
  EXPECT_EQ(a->count, 3u);
  auto b = appendOne(*log, makeEntry(3, EntryClass::kLog));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first_offset, 3u);
  EXPECT_EQ(log->startOffset(), 0u);
  EXPECT_EQ(log->endOffset(), 4u);
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].offset, i);
    EXPECT_EQ(all[i].payload, makeEntry(i).payload);
    EXPECT_EQ(all[i].ts_ns, makeEntry(i).ts_ns);
  }
  EXPECT_EQ(all[1].cls, EntryClass::kAlarm);
  EXPECT_EQ(all[3].cls, EntryClass::kLog);
  auto empty = appendSync(*log, {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->count, 0u);
  EXPECT_EQ(metric("sf_log_appended_records_total"), 4);
  EXPECT_GT(metric("sf_log_appended_bytes_total"), 0);
  EXPECT_EQ(metric("sf_log_segments"), 1);
  EXPECT_GT(metric("sf_log_size_bytes"), 0);
  EXPECT_EQ(metric("sf_log_end_offset"), 4);
}

TEST_F(LogTest, RejectsOversizedPayloads) {
  auto log = open(opts());
  Entry e;
  e.payload.assign((16u << 20) + 1, 'x');
  auto r = appendOne(*log, std::move(e));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidData);
}

TEST_F(LogTest, GroupCommitManyAppendsShareOneFsync) {
  countSegmentFsyncs(/*hold=*/1);
  auto log = open(opts());
  std::atomic<int> done{0};
  std::mutex omu;
  std::set<uint64_t> offsets;
  auto cb = [&](core::Result<AppendResult> r) {
    ASSERT_TRUE(r);
    std::lock_guard lock(omu);
    offsets.insert(r->first_offset);
    ++done;
  };
  log->append({makeEntry(0)}, cb);
  waitInFsync(1);             // the writer is inside the first group's fsync
  fillThePipeline(*log, cb);  // and a second group is written behind it
  for (uint64_t i = 1; i <= 100; ++i) log->append({makeEntry(i)}, cb);
  EXPECT_EQ(done.load(), 0) << "nothing is acknowledged before its fsync";
  EXPECT_EQ(log->endOffset(), 0u) << "readers see only durable records";
  release(1);
  ASSERT_TRUE(eventually([&] { return done.load() == 102; }));
  EXPECT_EQ(seg_fsyncs_.load(), 3) << "100 appends queued during an fsync share the next one";
  EXPECT_EQ(offsets.size(), 102u);
  EXPECT_EQ(*offsets.rbegin(), 101u);
  EXPECT_EQ(metrics_.histogram("sf_log_group_records", "", {{"stream", "s"}}).count(), 3u);
  EXPECT_EQ(metrics_.histogram("sf_log_group_records", "", {{"stream", "s"}}).sum(), 102);
  EXPECT_EQ(metrics_.histogram("sf_log_fsync_seconds", "", {{"stream", "s"}}).count(), 3u);
}

TEST_F(LogTest, TheNextGroupIsWrittenWhileTheLastOneIsInItsFsync) {
  countSegmentFsyncs(/*hold=*/1);
  auto log = open(opts());
  std::atomic<int> done{0};
  std::vector<uint64_t> firsts(2, UINT64_MAX);
  log->append({makeEntry(0)}, [&](core::Result<AppendResult> r) {
    ASSERT_TRUE(r);
    firsts[0] = r->first_offset;
    ++done;
  });
  waitInFsync(1);
  EXPECT_EQ(log->stats().pending_appends, 1u) << "the append in its fsync is pending";
  uint64_t writes = storage_->calls(FaultOp::kWrite);
  log->append({makeEntry(1), makeEntry(2)}, [&](core::Result<AppendResult> r) {
    ASSERT_TRUE(r);
    firsts[1] = r->first_offset;
    ++done;
  });
  // Pipelined group commit: the second group is encoded and written during the first fsync...
  ASSERT_TRUE(eventually([&] { return storage_->calls(FaultOp::kWrite) > writes; }));
  // ...but nothing is acknowledged or readable before its own fsync.
  EXPECT_EQ(done.load(), 0);
  EXPECT_EQ(log->endOffset(), 0u);
  release(1);
  ASSERT_TRUE(eventually([&] { return done.load() == 2; }));
  EXPECT_EQ(firsts[0], 0u);
  EXPECT_EQ(firsts[1], 1u);
  EXPECT_EQ(seg_fsyncs_.load(), 2);
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
}

TEST_F(LogTest, AFailedFsyncFailsItsGroupAndTheGroupWrittenBehindItIsRewritten) {
  storage_->setZeroUnsyncedOnFsyncFailure(true);
  countSegmentFsyncs(/*hold=*/1);
  auto log = open(opts());
  storage_->failNext(FaultOp::kFsync, EIO, 1, ".seg");
  std::promise<core::Result<AppendResult>> first, second;
  log->append({makeEntry(100)}, [&](core::Result<AppendResult> r) { first.set_value(r); });
  waitInFsync(1);
  uint64_t writes = storage_->calls(FaultOp::kWrite);
  log->append({makeEntry(0), makeEntry(1)},
              [&](core::Result<AppendResult> r) { second.set_value(r); });
  ASSERT_TRUE(eventually([&] { return storage_->calls(FaultOp::kWrite) > writes; }));
  release(1);  // the first fsync fails; its bytes and the second group's are dropped
  auto a = first.get_future().get();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, core::Errc::kUnavailable);
  auto b = second.get_future().get();
  ASSERT_TRUE(b) << b.error().toString();
  EXPECT_EQ(b->first_offset, 0u) << "the failed group's offsets are given again";
  auto check = [&](const Log& l) {
    auto all = readAll(l);
    ASSERT_EQ(all.size(), 2u);
    for (uint64_t i = 0; i < 2; ++i) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
  };
  check(*log);
  log->close();
  auto again = open(opts());
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
  check(*again);
}

TEST_F(LogTest, ConcurrentAppendersGetUniqueOffsetsAndFewerFsyncs) {
  countSegmentFsyncs();
  auto log = open(opts());
  constexpr int kThreads = 4, kPer = 300;
  std::mutex mu;
  std::map<uint64_t, std::string> by_offset;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::atomic<int> inflight{0};
      for (int i = 0; i < kPer; ++i) {
        Entry e = makeEntry(static_cast<uint64_t>(t * 100000 + i));
        std::string payload = e.payload;
        ++inflight;
        log->append({std::move(e)}, [&, payload](core::Result<AppendResult> r) {
          ASSERT_TRUE(r);
          std::lock_guard lock(mu);
          EXPECT_TRUE(by_offset.emplace(r->first_offset, payload).second);
          --inflight;
        });
      }
      ASSERT_TRUE(eventually([&] { return inflight.load() == 0; }));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(by_offset.size(), static_cast<size_t>(kThreads * kPer));
  EXPECT_EQ(by_offset.rbegin()->first, static_cast<uint64_t>(kThreads * kPer - 1));
  EXPECT_LT(seg_fsyncs_.load(), kThreads * kPer);
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), by_offset.size());
  for (const auto& e : all) EXPECT_EQ(e.payload, by_offset[e.offset]);
}

TEST_F(LogTest, IntervalPolicyCompletesAtTheIntervalFsync) {
  countSegmentFsyncs();
  auto o = opts();
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval = std::chrono::milliseconds(100);
  auto log = open(o);
  uint64_t writes = storage_->calls(FaultOp::kWrite);
  std::atomic<bool> done{false};
  log->append({makeEntry(0)}, [&](core::Result<AppendResult> r) {
    EXPECT_TRUE(r);
    done = true;
  });
  ASSERT_TRUE(eventually([&] { return storage_->calls(FaultOp::kWrite) > writes; }));
  EXPECT_FALSE(done.load());
  EXPECT_EQ(seg_fsyncs_.load(), 0);
  EXPECT_EQ(log->endOffset(), 0u);
  EXPECT_EQ(log->stats().pending_appends, 1u);
  clock_.advance(std::chrono::milliseconds(100));
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  EXPECT_EQ(seg_fsyncs_.load(), 1);
  EXPECT_EQ(log->endOffset(), 1u);

  // flush() does not wait for the interval.
  done = false;
  log->append({makeEntry(1)}, [&](core::Result<AppendResult> r) {
    EXPECT_TRUE(r);
    done = true;
  });
  ASSERT_TRUE(log->flush());
  EXPECT_TRUE(done.load());
  EXPECT_EQ(seg_fsyncs_.load(), 2);
}

TEST_F(LogTest, NeverPolicyCompletesAfterTheWriteAndSyncsAtClose) {
  countSegmentFsyncs();
  auto o = opts();
  o.fsync = FsyncPolicy::kNever;
  auto log = open(o);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  EXPECT_EQ(seg_fsyncs_.load(), 0);
  EXPECT_EQ(log->endOffset(), 10u);
  log->close();
  EXPECT_EQ(seg_fsyncs_.load(), 1);
}

TEST_F(LogTest, BatchPolicyFsyncsEveryGroup) {
  countSegmentFsyncs();
  auto log = open(opts());
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  EXPECT_EQ(seg_fsyncs_.load(), 5);
}

TEST_F(LogTest, FailedFsyncFailsTheGroupAndKeepsAcknowledgedRecords) {
  storage_->setZeroUnsyncedOnFsyncFailure(true);
  auto log = open(opts());
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  storage_->failNext(FaultOp::kFsync, EIO, 1, ".seg");
  auto bad = appendSync(*log, {makeEntry(100), makeEntry(101), makeEntry(102)});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::Errc::kUnavailable);
  EXPECT_EQ(log->endOffset(), 10u);
  EXPECT_EQ(metric("sf_log_append_errors_total"), 1);
  // The log recovered by itself: the next append succeeds and reuses the offsets.
  auto good = appendSync(*log, {makeEntry(10), makeEntry(11)});
  ASSERT_TRUE(good) << good.error().toString();
  EXPECT_EQ(good->first_offset, 10u);
  auto check = [&](const Log& l) {
    auto all = readAll(l);
    ASSERT_EQ(all.size(), 12u);
    for (uint64_t i = 0; i < 12; ++i) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
  };
  check(*log);
  log->close();
  auto again = open(opts());
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
  check(*again);
}

TEST_F(LogTest, FailedFsyncWithIntervalPolicyFailsEveryWaitingAppend) {
  auto o = opts();
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval = std::chrono::hours(1);
  auto log = open(o);
  std::atomic<int> failed{0};
  for (uint64_t i = 0; i < 5; ++i) {
    log->append({makeEntry(i)}, [&](core::Result<AppendResult> r) {
      if (!r) ++failed;
    });
  }
  storage_->failNext(FaultOp::kFsync, EIO, 1, ".seg");
  EXPECT_FALSE(log->flush());
  EXPECT_EQ(failed.load(), 5);
  EXPECT_EQ(log->endOffset(), 0u);
  std::atomic<bool> ok{false};
  log->append({makeEntry(0)}, [&](core::Result<AppendResult> r) { ok = r.has_value(); });
  ASSERT_TRUE(log->flush());
  EXPECT_TRUE(ok.load());
  EXPECT_EQ(log->endOffset(), 1u);
}

TEST_F(LogTest, FailedWriteFailsTheAppendAndTheNextOneSucceeds) {
  auto log = open(opts());
  ASSERT_TRUE(appendOne(*log, makeEntry(0)));
  storage_->failNext(FaultOp::kWrite, EIO, 1, ".seg");
  EXPECT_FALSE(appendOne(*log, makeEntry(1)));
  auto r = appendOne(*log, makeEntry(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_offset, 1u);
  EXPECT_EQ(readAll(*log).size(), 2u);
}

TEST_F(LogTest, FailingTruncateKeepsFailingUntilTheStorageRecovers) {
  auto log = open(opts());
  ASSERT_TRUE(appendOne(*log, makeEntry(0)));
  storage_->failNext(FaultOp::kFsync, EIO, 1, ".seg");
  storage_->failNext(FaultOp::kTruncate, EIO, 2, ".seg");
  EXPECT_FALSE(appendOne(*log, makeEntry(1)));  // fsync fails, restore fails
  EXPECT_FALSE(appendOne(*log, makeEntry(1)));  // restore fails again: nothing written
  auto r = appendOne(*log, makeEntry(1));       // restore works
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->first_offset, 1u);
  log->close();
  auto again = open(opts());
  EXPECT_EQ(readAll(*again).size(), 2u);
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().summary();
}

TEST_F(LogTest, ShortWritesAreCompleted) {
  auto log = open(opts());
  storage_->shortNextWrite(7);
  ASSERT_TRUE(appendSync(*log, {makeEntry(0, EntryClass::kTelemetry, 0, 300), makeEntry(1)}));
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].payload, makeEntry(0, EntryClass::kTelemetry, 0, 300).payload);
}

TEST_F(LogTest, DiskFullFailsAppendsWithoutLosingAcknowledgedOnes) {
  auto log = open(opts());
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  uint64_t size = testing::readBytes(dir_.sub("s/00000000000000000000.seg")).size();
  storage_->setCapacity(storage_->usedBytes() + 50);
  auto r = appendOne(*log, makeEntry(5, EntryClass::kTelemetry, 0, 500));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kResourceExhausted);
  EXPECT_EQ(testing::readBytes(dir_.sub("s/00000000000000000000.seg")).size(), size)
      << "the partial write was truncated";
  EXPECT_EQ(log->stats().evicted, (std::array<uint64_t, 4>{})) << "no quota: nothing evicted";
  storage_->setCapacity(std::nullopt);
  auto ok = appendOne(*log, makeEntry(5));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->first_offset, 5u);
  log->close();
  auto again = open(opts());
  EXPECT_TRUE(again->recovery().clean());
  auto all = readAll(*again);
  ASSERT_EQ(all.size(), 6u);
  for (uint64_t i = 0; i < 6; ++i) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
}

TEST_F(LogTest, PowerLossNeverLosesAcknowledgedRecords) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 12; ++iter) {
    TempDir d;
    auto st = std::make_shared<FaultInjectingStorage>();
    LogOptions o;
    o.dir = d.sub("s");
    o.segment_bytes = 4096;  // many rolls: new segment files must be durable too
    core::MetricsRegistry reg;
    auto opened = openLog(o, st, clock_, reg);
    ASSERT_TRUE(opened);
    auto log = std::move(*opened);
    std::mutex mu;
    std::map<uint64_t, std::string> acked;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t i = 0; !stop.load(); ++i) {
          Entry e = makeEntry(static_cast<uint64_t>(t) * 1'000'000 + i, EntryClass::kEvent, 0,
                              20 + (i * 37) % 200);
          std::string payload = e.payload;
          auto r = appendOne(*log, std::move(e));
          if (!r) continue;
          std::lock_guard lock(mu);
          acked[r->first_offset] = payload;
        }
      });
    }
    size_t target = 20 + rng() % 300;
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(mu);
      return acked.size() >= target;
    }));
    st->simulatePowerLoss();  // appends in flight: whatever was acknowledged must survive
    stop = true;
    for (auto& t : threads) t.join();
    log->close();
    log.reset();
    st->revive();
    auto reopened = openLog(o, std::make_shared<FaultInjectingStorage>(), clock_, reg);
    ASSERT_TRUE(reopened) << reopened.error().toString();
    auto all = readAll(**reopened);
    std::map<uint64_t, std::string> stored;
    for (auto& e : all) stored[e.offset] = e.payload;
    for (const auto& [off, payload] : acked) {
      ASSERT_TRUE(stored.count(off)) << "iteration " << iter << ": acked offset " << off
                                     << " lost; " << (*reopened)->recovery().summary();
      ASSERT_EQ(stored[off], payload) << off;
    }
    // New appends never reuse an acknowledged offset.
    auto r = appendOne(**reopened, makeEntry(1));
    ASSERT_TRUE(r);
    EXPECT_GT(r->first_offset, acked.rbegin()->first);
  }
}

TEST_F(LogTest, ReadsAcrossSegmentsWithLimits) {
  auto o = opts();
  o.segment_bytes = 2048;
  auto log = open(o);
  for (uint64_t i = 0; i < 500; i += 10) {
    std::vector<Entry> batch;
    for (uint64_t j = i; j < i + 10; ++j) batch.push_back(makeEntry(j));
    ASSERT_TRUE(appendSync(*log, std::move(batch)));
  }
  EXPECT_GT(log->stats().segments, 5u);
  EXPECT_EQ(metric("sf_log_segments"), static_cast<double>(log->stats().segments));
  for (uint64_t from : {0, 1, 17, 250, 333, 499}) {
    auto all = readAll(*log, from);
    ASSERT_EQ(all.size(), 500 - from) << from;
    for (size_t k = 0; k < all.size(); ++k) {
      ASSERT_EQ(all[k].offset, from + k);
      ASSERT_EQ(all[k].payload, makeEntry(from + k).payload);
    }
  }
  EXPECT_TRUE(log->read(500, 10, 1000)->empty());
  EXPECT_EQ(log->read(3, 7, 1u << 20)->size(), 7u);
  EXPECT_EQ(log->read(3, 100, 1)->size(), 1u) << "at least one entry however small max_bytes";
  auto some = log->read(0, 1000, 100);
  ASSERT_TRUE(some);
  size_t bytes = 0;
  for (auto& e : *some) bytes += e.payload.size();
  EXPECT_LE(bytes, 100u);
  EXPECT_GT(some->size(), 1u);
  EXPECT_TRUE(log->waitFor(499, std::chrono::milliseconds(0)));
  EXPECT_FALSE(log->waitFor(500, std::chrono::milliseconds(1)));
  std::thread t([&] { ASSERT_TRUE(appendOne(*log, makeEntry(500))); });
  EXPECT_TRUE(log->waitFor(500, std::chrono::seconds(20)));
  t.join();
}

size_t openDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(LogTest, SealedSegmentsHoldNoDescriptors) {
  auto o = opts();
  o.segment_bytes = 1024;
  o.fsync = FsyncPolicy::kNever;
  size_t before = openDescriptors();
  {
    auto log = open(o);
    for (uint64_t i = 0; i < 4000; i += 10) {
      std::vector<Entry> batch;
      for (uint64_t j = i; j < i + 10; ++j) batch.push_back(makeEntry(j));
      ASSERT_TRUE(appendSync(*log, std::move(batch)));
    }
    EXPECT_GT(log->stats().segments, 100u);
    EXPECT_LT(openDescriptors(), before + 8) << "a large log must not run out of descriptors";
  }
  auto log = open(o);
  EXPECT_LT(openDescriptors(), before + 8);
  auto all = readAll(*log);
  ASSERT_EQ(all.size(), 4000u);
  for (uint64_t i = 0; i < 4000; i += 97) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
}

TEST_F(LogTest, ReopenContinuesAfterTheLastOffset) {
  for (int round = 0; round < 3; ++round) {
    auto o = opts();
    o.segment_bytes = 1024;
    auto log = open(o);
    EXPECT_TRUE(log->recovery().clean()) << log->recovery().summary();
    EXPECT_EQ(log->endOffset(), static_cast<uint64_t>(round * 30));
    for (int i = 0; i < 30; ++i) {
      auto r = appendOne(*log, makeEntry(static_cast<uint64_t>(round * 30 + i)));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->first_offset, static_cast<uint64_t>(round * 30 + i));
    }
    auto all = readAll(*log);
    ASSERT_EQ(all.size(), static_cast<size_t>((round + 1) * 30));
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].payload, makeEntry(i).payload);
  }
}

TEST_F(LogTest, CloseIsIdempotentAndLaterAppendsAreCancelled) {
  auto log = open(opts());
  ASSERT_TRUE(appendOne(*log, makeEntry(0)));
  log->close();
  log->close();
  auto r = appendOne(*log, makeEntry(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kCancelled);
  EXPECT_EQ(readAll(*log).size(), 1u) << "reads still work after close";
  EXPECT_FALSE(log->waitFor(5, std::chrono::seconds(5)));
}

TEST_F(LogTest, CloseCompletesEveryQueuedAppend) {
  auto log = open(opts());
  std::atomic<int> ok{0};
  for (uint64_t i = 0; i < 200; ++i) {
    log->append({makeEntry(i)}, [&](core::Result<AppendResult> r) {
      if (r) ++ok;
    });
  }
  log->close();
  EXPECT_EQ(ok.load(), 200);
  auto again = open(opts());
  EXPECT_EQ(again->endOffset(), 200u);
}

TEST_F(LogTest, ASecondOpenOfTheSameDirectoryIsRefused) {
  auto log = open(opts());
  auto second = openLog(opts(), storage_, clock_, metrics_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, core::Errc::kUnavailable);
}

TEST_F(LogTest, FullQueueRejectsWhenConfigured) {
  countSegmentFsyncs(/*hold=*/1);
  auto o = opts();
  o.max_pending_bytes = 1000;
  o.reject_when_queue_full = true;
  auto log = open(o);
  std::atomic<int> ok{0}, rejected{0};
  auto cb = [&](core::Result<AppendResult> r) {
    if (r) {
      ++ok;
    } else {
      EXPECT_EQ(r.error().code, core::Errc::kResourceExhausted);
      ++rejected;
    }
  };
  log->append({makeEntry(0)}, cb);
  waitInFsync(1);
  fillThePipeline(*log, cb);
  for (uint64_t i = 1; i <= 40; ++i) log->append({makeEntry(i, EntryClass::kTelemetry, 0, 83)}, cb);
  EXPECT_EQ(rejected.load(), 30) << "10 appends of 100 bytes fit in 1000";
  release(1);
  ASSERT_TRUE(eventually([&] { return ok.load() == 12; }));
}

TEST_F(LogTest, FullQueueBlocksTheAppender) {
  countSegmentFsyncs(/*hold=*/1);
  auto o = opts();
  o.max_pending_bytes = 1000;
  auto log = open(o);
  std::atomic<int> ok{0};
  auto cb = [&](core::Result<AppendResult> r) {
    if (r) ++ok;
  };
  log->append({makeEntry(0)}, cb);
  waitInFsync(1);
  fillThePipeline(*log, cb);
  for (uint64_t i = 1; i <= 10; ++i) log->append({makeEntry(i, EntryClass::kTelemetry, 0, 83)}, cb);
  std::atomic<bool> returned{false};
  std::thread t([&] {
    log->append({makeEntry(11, EntryClass::kTelemetry, 0, 83)}, cb);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(returned.load()) << "backpressure: the 11th append waits for room";
  release(1);
  t.join();
  ASSERT_TRUE(eventually([&] { return ok.load() == 13; }));
}

TEST_F(LogTest, CallbacksMayAppendAgain) {
  auto log = open(opts());
  std::atomic<int> chain{0};
  std::promise<void> done;
  std::function<void(core::Result<AppendResult>)> next = [&](core::Result<AppendResult> r) {
    ASSERT_TRUE(r);
    if (++chain == 50) {
      done.set_value();
      return;
    }
    log->append({makeEntry(static_cast<uint64_t>(chain.load()))}, next);
  };
  log->append({makeEntry(0)}, next);
  done.get_future().wait();
  EXPECT_EQ(log->endOffset(), 50u);
}

TEST_F(LogTest, CursorsPersistAtomically) {
  auto log = open(opts());
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  EXPECT_EQ(log->cursor("kafka").error().code, core::Errc::kNotFound);
  EXPECT_EQ(*log->registerCursor("kafka"), 0u);
  ASSERT_TRUE(log->commitCursor("kafka", 4));
  EXPECT_EQ(*log->registerCursor("kafka"), 4u) << "registering again keeps the cursor";
  EXPECT_EQ(metric("sf_log_cursor_lag_records", {{"output", "kafka"}}), 6);
  EXPECT_FALSE(log->commitCursor("kafka", 11)) << "past the end";
  EXPECT_FALSE(log->commitCursor("../evil", 1));
  // A commit that fails before its rename leaves the previous value, in memory and on disk.
  storage_->failNext(FaultOp::kRename, EIO, 1, "kafka");
  EXPECT_FALSE(log->commitCursor("kafka", 8));
  EXPECT_EQ(*log->cursor("kafka"), 4u);
  ASSERT_TRUE(log->commitCursor("central", 10));
  log->close();
  auto again = open(opts());
  EXPECT_EQ(again->cursors(), (std::map<std::string, uint64_t>{{"central", 10}, {"kafka", 4}}));
  ASSERT_TRUE(again->removeCursor("central"));
  again->close();
  auto third = open(opts());
  EXPECT_EQ(third->cursors(), (std::map<std::string, uint64_t>{{"kafka", 4}}));
}

TEST_F(LogTest, ANewCursorIsRegisteredOnAFullDiskAndWrittenAtItsFirstCommit) {
  auto log = open(opts());
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  storage_->failNext(FaultOp::kWrite, ENOSPC, -1, ".cursor");
  auto reg = log->registerCursor("kafka");
  ASSERT_TRUE(reg) << reg.error().toString();
  EXPECT_EQ(*reg, 0u);
  EXPECT_EQ(*log->cursor("kafka"), 0u) << "held in memory (and holds back retention)";
  EXPECT_FALSE(log->commitCursor("kafka", 5)) << "the disk is still full";
  storage_->clearFaults();
  storage_->failNext(FaultOp::kWrite, EIO, 1, ".cursor");
  EXPECT_FALSE(log->registerCursor("other")) << "other errors are not taken for a full disk";
  ASSERT_TRUE(log->commitCursor("kafka", 5));
  log->close();
  EXPECT_EQ(open(opts())->cursors(), (std::map<std::string, uint64_t>{{"kafka", 5}}));
}

TEST_F(LogTest, CursorCommitSurvivesPowerLoss) {
  auto log = open(opts());
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(appendOne(*log, makeEntry(i)));
  ASSERT_TRUE(log->commitCursor("kafka", 7));
  storage_->simulatePowerLoss();
  log->close();
  log.reset();
  storage_->revive();
  auto again = open(opts());
  EXPECT_EQ(*again->cursor("kafka"), 7u);
  EXPECT_EQ(again->endOffset(), 10u);
}

TEST_F(LogTest, LagGaugesFollowTheCursor) {
  auto o = opts();
  o.maintenance_interval = std::chrono::milliseconds(1);
  auto log = open(o);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(appendOne(*log, makeEntry(i, EntryClass::kTelemetry, clock_.nowUnixNanos())));
  }
  ASSERT_TRUE(log->commitCursor("out", 2));
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(log->enforceRetention());  // also refreshes the lag gauges
  EXPECT_EQ(metric("sf_log_cursor_lag_records", {{"output", "out"}}), 8);
  EXPECT_DOUBLE_EQ(metric("sf_log_cursor_lag_seconds", {{"output", "out"}}), 30.0);
  ASSERT_TRUE(log->commitCursor("out", 10));
  ASSERT_TRUE(log->enforceRetention());
  EXPECT_EQ(metric("sf_log_cursor_lag_records", {{"output", "out"}}), 0);
  EXPECT_EQ(metric("sf_log_cursor_lag_seconds", {{"output", "out"}}), 0);
}

}  // namespace
}  // namespace sf::log
