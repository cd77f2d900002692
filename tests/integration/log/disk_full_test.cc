// The local log on a real file system that fills up (a small tmpfs in the test's own mount
// namespace: tests/harness/tmpfs.h), not the fault-injecting storage:
// - without a quota, appends fail with resource_exhausted while the disk is full, every record
//   acknowledged before stays readable and intact, and appends resume, at the next offset,
//   once space returns; the same after the writer is SIGKILLed while the disk is full;
// - with a quota larger than the disk, the log makes room by the quota's priorities before the
//   disk is full: alarms and events are kept, what goes is counted and announced, nothing else
//   is missing; when another program fills the disk, the log's compaction reserve keeps the
//   evictions (and the appends) going.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/log/format.h"
#include "dataplane/log/log.h"
#include "dataplane/log/test_util.h"
#include "harness/tmpfs.h"

namespace sf::log {
namespace {

using testing::appendSync;
using testing::makeEntry;
using testing::readAll;
using testing::TempDir;

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;

EntryClass classOf(uint64_t n) {
  switch (n % 10) {
    case 0:
      return EntryClass::kAlarm;
    case 1:
      return EntryClass::kEvent;
    case 2:
      return EntryClass::kLog;
    default:
      return EntryClass::kTelemetry;
  }
}

std::vector<Entry> batchFrom(uint64_t first, size_t count) {
  std::vector<Entry> batch;
  for (uint64_t n = first; n < first + count; ++n)
    batch.push_back(makeEntry(n, classOf(n), 0, 200));
  return batch;
}

class DiskFullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { (void)sf::testing::privateMountNamespaceError(); }
  void SetUp() override {
    const auto& why = sf::testing::privateMountNamespaceError();
    ASSERT_TRUE(why.empty()) << "a disk-full test needs a mount namespace of its own: " << why;
  }

  // A tmpfs of `bytes`, or a fatal failure.
  std::unique_ptr<sf::testing::Tmpfs> mountDisk(uint64_t bytes) {
    auto fs = std::make_unique<sf::testing::Tmpfs>(parent_.path(), bytes);
    EXPECT_TRUE(fs->ok()) << fs->error();
    return fs;
  }

  LogOptions options(const std::string& dir) const {
    LogOptions o;
    o.dir = dir;
    o.stream = "full";
    o.segment_bytes = 256 * 1024;
    return o;
  }

  // Every acknowledged record is readable at its offset with its payload and class.
  static void expectIntact(const Log& log, const std::map<uint64_t, Entry>& acked,
                           const std::map<uint64_t, EntryClass>& evicted = {}) {
    std::map<uint64_t, const StoredEntry*> stored;
    auto all = readAll(log);
    for (const auto& e : all) stored[e.offset] = &e;
    size_t missing = 0, damaged = 0;
    for (const auto& [offset, entry] : acked) {
      auto it = stored.find(offset);
      if (it == stored.end()) {
        if (!evicted.count(offset)) ++missing;
        continue;
      }
      if (it->second->payload != entry.payload || it->second->cls != entry.cls) ++damaged;
    }
    EXPECT_EQ(missing, 0u) << "acknowledged records missing without an eviction notice";
    EXPECT_EQ(damaged, 0u) << "acknowledged records read back different";
  }

  TempDir parent_;
  core::MetricsRegistry metrics_;
};

TEST_F(DiskFullTest, WithoutAQuotaAppendsFailWhileFullAndResumeAtTheNextOffset) {
  auto disk = mountDisk(8 * kMiB);
  ASSERT_TRUE(disk->ok());
  ASSERT_GT(disk->fill("filler", 2 * kMiB), 0);

  auto opened =
      openLog(options(disk->path() + "/log"), nullptr, core::SystemClock::instance(), metrics_);
  ASSERT_TRUE(opened) << opened.error().toString();
  auto& log = **opened;

  std::map<uint64_t, Entry> acked;
  uint64_t n = 0;
  int failures = 0;
  core::Error last_error;
  for (int round = 0; round < 10'000 && failures < 20; ++round) {
    auto batch = batchFrom(n, 50);
    auto copy = batch;
    auto r = appendSync(log, std::move(batch));
    if (!r) {
      ++failures;
      last_error = r.error();
      continue;  // the source keeps the batch and retries it
    }
    for (uint32_t i = 0; i < r->count; ++i) acked[r->first_offset + i] = copy[i];
    n += 50;
  }
  ASSERT_EQ(failures, 20) << "the disk never filled up";
  EXPECT_EQ(last_error.code, core::Errc::kResourceExhausted) << last_error.toString();
  EXPECT_GT(acked.size(), 1000u);
  // Failed appends leave no hole: offsets are contiguous, and only acknowledged ones exist.
  EXPECT_EQ(log.endOffset(), acked.size());
  expectIntact(log, acked);
  EXPECT_GE(metrics_.valueOf("sf_log_append_errors_total", {{"stream", "full"}}), 20);

  // Space returns: the batch that failed is accepted at the next offset.
  ASSERT_EQ(::unlink((disk->path() + "/filler").c_str()), 0);
  auto batch = batchFrom(n, 50);
  auto copy = batch;
  auto r = appendSync(log, std::move(batch));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->first_offset, acked.size());
  for (uint32_t i = 0; i < r->count; ++i) acked[r->first_offset + i] = copy[i];
  log.close();

  auto again =
      openLog(options(disk->path() + "/log"), nullptr, core::SystemClock::instance(), metrics_);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_TRUE((*again)->recovery().clean()) << (*again)->recovery().summary();
  EXPECT_EQ((*again)->endOffset(), acked.size());
  expectIntact(**again, acked);
}

TEST_F(DiskFullTest, KilledWhileTheDiskIsFullLosesNothingAcknowledged) {
  auto disk = mountDisk(8 * kMiB);
  ASSERT_TRUE(disk->ok());
  ASSERT_GT(disk->fill("filler", 3 * kMiB), 0);
  std::string dir = disk->path() + "/log";

  // The child appends until the disk has refused it 200 times and then keeps trying; it reports
  // each acknowledged batch ("A <first offset> <first n>") and each refusal ("F") on a pipe.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    core::MetricsRegistry metrics;
    auto opened = openLog(options(dir), nullptr, core::SystemClock::instance(), metrics);
    if (!opened) _exit(3);
    uint64_t n = 0;
    for (;;) {
      auto r = appendSync(**opened, batchFrom(n, 50));
      std::string line = r ? "A " + std::to_string(r->first_offset) + " " + std::to_string(n) + "\n"
                           : std::string("F\n");
      if (::write(fds[1], line.data(), line.size()) < 0) _exit(4);
      if (r) n += 50;
    }
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  ASSERT_NE(in, nullptr);
  std::map<uint64_t, Entry> acked;
  int refusals = 0;
  char line[128];
  while (refusals < 200 && std::fgets(line, sizeof line, in) != nullptr) {
    unsigned long long offset = 0, first = 0;
    if (std::sscanf(line, "A %llu %llu", &offset, &first) == 2) {
      auto batch = batchFrom(first, 50);
      for (uint64_t i = 0; i < batch.size(); ++i) acked[offset + i] = batch[i];
    } else {
      ++refusals;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(in);
  ASSERT_EQ(refusals, 200) << "the child ended early (status " << status << ")";
  ASSERT_FALSE(acked.empty());

  // Reopened on the still full disk: recovery needs no space, everything acknowledged is there.
  auto opened = openLog(options(dir), nullptr, core::SystemClock::instance(), metrics_);
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_EQ((*opened)->endOffset(), acked.size());
  expectIntact(**opened, acked);
  auto refused = appendSync(**opened, batchFrom(1'000'000, 50));
  EXPECT_FALSE(refused) << "the disk is still full";

  ASSERT_EQ(::unlink((disk->path() + "/filler").c_str()), 0);
  auto r = appendSync(**opened, batchFrom(1'000'000, 50));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->first_offset, acked.size());
}

TEST_F(DiskFullTest, WithAQuotaLargerThanTheDiskTheLogEvictsByPriorityBeforeTheDiskIsFull) {
  // The quota (64 MiB) is larger than the disk (8 MiB): the log treats the disk as the limit
  // and keeps one segment free for its compactions, so no append is refused.
  auto disk = mountDisk(8 * kMiB);
  ASSERT_TRUE(disk->ok());
  auto o = options(disk->path() + "/log");
  o.quota_bytes = 64 * kMiB;
  o.when_full = WhenFull::kEvict;
  o.segment_bytes = 512 * 1024;
  auto opened = openLog(o, nullptr, core::SystemClock::instance(), metrics_);
  ASSERT_TRUE(opened) << opened.error().toString();
  auto& log = **opened;
  std::vector<EvictionNotice> notices;
  log.onEviction([&](const EvictionNotice& e) { notices.push_back(e); });

  // Two disks' worth of records.
  std::map<uint64_t, Entry> acked;
  uint64_t n = 0;
  while (n < 2 * 8 * kMiB / 220) {
    auto batch = batchFrom(n, 50);
    auto copy = batch;
    auto r = appendSync(log, std::move(batch));
    ASSERT_TRUE(r) << "append of records " << n << "..: " << r.error().toString();
    for (uint32_t i = 0; i < r->count; ++i) acked[r->first_offset + i] = copy[i];
    n += 50;
  }
  EXPECT_GE(disk->freeBytes(), o.segment_bytes) << "a compaction's worth stays free";

  // Another program takes the rest of the disk. The log released its compaction reserve (one
  // segment, quota.reserve) to keep evicting, so appends go on; it takes the reserve again
  // once the program lets go.
  std::string reserve = o.dir + "/quota.reserve";
  EXPECT_TRUE(fs::exists(reserve)) << "the reserve is set aside while the disk has room";
  ASSERT_GE(disk->fill("filler"), 0);
  double evicted_before = metrics_.valueOf("sf_log_evicted_records_total",
                                           {{"stream", "full"}, {"class", "telemetry"}});
  for (int i = 0; i < 200; ++i) {
    auto batch = batchFrom(n, 50);
    auto copy = batch;
    auto r = appendSync(log, std::move(batch));
    ASSERT_TRUE(r) << "append " << i
                   << " on a disk filled by another program: " << r.error().toString();
    for (uint32_t j = 0; j < r->count; ++j) acked[r->first_offset + j] = copy[j];
    n += 50;
  }
  EXPECT_GT(metrics_.valueOf("sf_log_evicted_records_total",
                             {{"stream", "full"}, {"class", "telemetry"}}),
            evicted_before);
  EXPECT_FALSE(fs::exists(reserve)) << "released";
  ASSERT_EQ(::unlink((disk->path() + "/filler").c_str()), 0);
  bool retaken = false;
  for (int i = 0; i < 1000 && !retaken; ++i) {
    retaken = fs::exists(reserve);
    if (!retaken) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(retaken) << "the reserve is taken again once the disk has room";
  log.close();

  std::array<uint64_t, 4> notified{};
  for (const auto& e : notices) notified[static_cast<size_t>(e.cls)] += e.records;
  auto again = openLog(o, nullptr, core::SystemClock::instance(), metrics_);
  ASSERT_TRUE(again) << again.error().toString();
  std::map<uint64_t, bool> present;
  for (const auto& e : readAll(**again)) present[e.offset] = true;
  std::map<uint64_t, EntryClass> evicted;
  std::array<uint64_t, 4> missing{};
  for (const auto& [offset, entry] : acked) {
    if (!present.count(offset)) {
      ++missing[static_cast<size_t>(entry.cls)];
      evicted[offset] = entry.cls;
    }
  }
  EXPECT_GT(missing[static_cast<size_t>(EntryClass::kLog)], 0u) << "logs go first";
  EXPECT_GT(missing[static_cast<size_t>(EntryClass::kTelemetry)], 0u) << "then telemetry";
  EXPECT_EQ(missing[static_cast<size_t>(EntryClass::kAlarm)], 0u) << "alarms are kept";
  EXPECT_EQ(missing[static_cast<size_t>(EntryClass::kEvent)], 0u) << "events are kept";
  // Exact accounting: what is missing is what was announced, class by class, and counted.
  EXPECT_EQ(missing, notified);
  for (EntryClass cls : {EntryClass::kLog, EntryClass::kTelemetry}) {
    EXPECT_EQ(metrics_.valueOf("sf_log_evicted_records_total",
                               {{"stream", "full"}, {"class", std::string(entryClassName(cls))}}),
              static_cast<double>(missing[static_cast<size_t>(cls)]));
  }
  expectIntact(**again, acked, evicted);
}

}  // namespace
}  // namespace sf::log
