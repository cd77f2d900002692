// The local log's implementation: recovery at open, the group-commit writer thread, reads,
// cursors, retention, the quota's priority-aware eviction. docs/LOG.md explains the design.
//
// Threads: open() runs recovery on the caller's thread, then one writer thread owns every
// mutation of the files and of the segment map. Readers take state_mu_ shared for a moment to
// find a segment and its durable size, then pread without locks (a segment replaced or deleted
// meanwhile stays readable through the File they hold). Appenders only touch the queue.

#include "core/log.h"

#include <algorithm>
#include <cinttypes>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>

#include "dataplane/log/cursor_store.h"
#include "dataplane/log/format.h"
#include "dataplane/log/log.h"
#include "dataplane/log/storage.h"

namespace sf::log {

bool RecoveryReport::clean() const {
  return truncated_bytes == 0 && quarantined_segments.empty() && lost_records == 0 &&
         reset_cursors.empty() && skipped_offsets == 0;
}

std::string RecoveryReport::summary() const {
  std::string out = std::to_string(segments) + " segment(s), " + std::to_string(scanned_bytes) +
                    " byte(s) scanned";
  if (truncated_bytes > 0) {
    out += "; torn tail of " + truncated_segment +
           " truncated: " + std::to_string(truncated_bytes) + " byte(s), " +
           std::to_string(truncated_records) + " record(s) never acknowledged";
  }
  if (!quarantined_segments.empty()) {
    out += "; quarantined:";
    for (const auto& q : quarantined_segments) out += " " + q;
    out += " (" + std::to_string(lost_records) + " record(s) lost at most)";
  } else if (lost_records > 0) {
    out += "; " + std::to_string(lost_records) + " record(s) lost";
  }
  if (!rebuilt_indexes.empty()) {
    out += "; " + std::to_string(rebuilt_indexes.size()) + " index file(s) rebuilt";
  }
  if (!reset_cursors.empty()) {
    out += "; cursor(s) reset to the start:";
    for (const auto& c : reset_cursors) out += " " + c;
  }
  if (skipped_offsets > 0) {
    out += "; " + std::to_string(skipped_offsets) + " offset(s) skipped past the furthest cursor";
  }
  return out;
}

namespace {

constexpr uint64_t kFrameTargetBytes = 1u << 20;
constexpr uint64_t kMinSegmentBytes = 1024;
constexpr size_t kCopyChunk = 1u << 20;
constexpr std::array<EntryClass, 4> kEvictionOrder = {EntryClass::kLog, EntryClass::kTelemetry,
                                                      EntryClass::kEvent, EntryClass::kAlarm};

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<double> groupBuckets() {
  std::vector<double> b;
  for (double v = 1; v <= 65536; v *= 2) b.push_back(v);
  return b;
}

// One segment file. Only the active segment keeps its file open (`file`); sealed ones are
// opened for the duration of a read, so that a large log does not hold thousands of
// descriptors. A sealed segment is never modified in place: compaction and salvage rename a new
// file over it and swap the Segment in the map in one critical section of state_mu_, and
// readers open the file under the same lock, so a reader's meta always matches its file.
struct Segment {
  uint64_t base = 0;
  std::string path;
  std::shared_ptr<File> file;  // active segment only
  SegmentMeta meta;  // published (durable) state; the active one's changes under state_mu_
};
using SegmentPtr = std::shared_ptr<Segment>;

struct Request {
  std::vector<Entry> entries;
  AppendCallback done;
  uint64_t bytes = 0;
  AppendResult result;
  std::shared_ptr<std::promise<core::Status>> flush;  // a flush marker when set
};

struct ControlTask {
  enum class Kind { kRetention, kRepair } kind = Kind::kRetention;
  uint64_t base = 0;
  std::shared_ptr<std::promise<core::Status>> done;
};

// Runs fsyncs one at a time on its own thread. With FsyncPolicy::kBatch the writer hands it
// the fsync of a group and meanwhile encodes and writes the next group, so the disk is not idle
// while the CPU encodes (group commit, pipelined by one group).
class SyncWorker {
 public:
  SyncWorker() : thread_([this] { run(); }) {}
  ~SyncWorker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;

  // Runs `file->fsync()`; `then` runs on the worker thread once the future is ready.
  std::future<core::Status> fsync(std::shared_ptr<File> file, std::function<void()> then) {
    std::promise<core::Status> done;
    auto fut = done.get_future();
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(Job{std::move(file), std::move(done), std::move(then)});
    }
    cv_.notify_one();
    return fut;
  }

 private:
  struct Job {
    std::shared_ptr<File> file;
    std::promise<core::Status> done;
    std::function<void()> then;
  };
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop_ and nothing left
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job.done.set_value(job.file->fsync());
      if (job.then) job.then();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

class LogImpl final : public Log {
 public:
  LogImpl(const LogOptions& options, std::shared_ptr<Storage> storage, const core::Clock& clock,
          core::MetricsRegistry& metrics)
      : opt_(options),
        storage_(std::move(storage)),
        clock_(clock),
        registry_(metrics),
        labels_{{"stream", options.stream}},
        store_(*storage_, options.dir),
        m_appended_records_(metrics.counter("sf_log_appended_records_total",
                                            "Records appended and durable", labels_)),
        m_appended_bytes_(metrics.counter("sf_log_appended_bytes_total",
                                          "Encoded bytes appended and durable", labels_)),
        m_append_errors_(metrics.counter("sf_log_append_errors_total",
                                         "Appends failed (not stored; the source retries)",
                                         labels_)),
        m_segments_(metrics.gauge("sf_log_segments", "Segment files", labels_)),
        m_size_(metrics.gauge("sf_log_size_bytes", "Bytes of segment files", labels_)),
        m_start_(metrics.gauge("sf_log_start_offset", "First stored offset", labels_)),
        m_end_(metrics.gauge("sf_log_end_offset", "One past the last durable offset", labels_)),
        m_pending_(
            metrics.gauge("sf_log_pending_bytes", "Bytes appended and not yet written", labels_)),
        m_blocked_(metrics.gauge("sf_log_blocked",
                                 "1 while appends wait for the quota (when_full: block)", labels_)),
        m_fsync_(metrics.histogram("sf_log_fsync_seconds", "Duration of segment fsyncs", labels_)),
        m_group_(metrics.histogram("sf_log_group_records", "Records per group commit", labels_,
                                   groupBuckets())),
        m_lost_(metrics.counter("sf_log_lost_records_total",
                                "Records found unreadable (corruption), at most", labels_)),
        m_quarantined_(metrics.counter("sf_log_quarantined_segments_total",
                                       "Segments quarantined after corruption", labels_)),
        m_truncated_(metrics.counter("sf_log_truncated_bytes_total",
                                     "Bytes of torn tails truncated at open", labels_)),
        m_corrupt_reads_(metrics.counter("sf_log_corrupt_frames_read_total",
                                         "Corrupt frames met (and skipped) by readers", labels_)),
        m_retention_deleted_(metrics.counter("sf_log_retention_deleted_segments_total",
                                             "Forwarded segments deleted by retention or quota",
                                             labels_)) {
    for (size_t i = 0; i < kEntryClassCount; ++i) {
      core::Labels l = labels_;
      l.emplace_back("class", std::string(entryClassName(static_cast<EntryClass>(i))));
      m_evicted_[i] =
          &metrics.counter("sf_log_evicted_records_total", "Records evicted by the disk quota", l);
      m_evicted_bytes_[i] =
          &metrics.counter("sf_log_evicted_bytes_total", "Bytes evicted by the disk quota", l);
    }
  }

  ~LogImpl() override { close(); }

  core::Status open();

  // ---- Log ----
  void append(std::vector<Entry> entries, AppendCallback done) override;
  uint64_t startOffset() const override { return start_offset_.load(); }
  uint64_t endOffset() const override { return end_offset_.load(); }
  core::Result<std::vector<StoredEntry>> read(uint64_t from, size_t max_entries,
                                              size_t max_bytes) const override;
  bool waitFor(uint64_t offset, std::chrono::milliseconds timeout) const override;
  core::Result<uint64_t> cursor(const std::string& output) const override;
  core::Status commitCursor(const std::string& output, uint64_t next_offset) override;
  core::Result<uint64_t> registerCursor(const std::string& output) override;
  core::Status removeCursor(const std::string& output) override;
  std::map<std::string, uint64_t> cursors() const override;
  core::Status flush() override;
  core::Status enforceRetention() override;
  LogStats stats() const override;
  const RecoveryReport& recovery() const override { return report_; }
  void onEviction(std::function<void(const EvictionNotice&)> cb) override {
    std::lock_guard lock(evict_cb_mu_);
    on_eviction_ = std::move(cb);
  }
  void close() override;

 private:
  std::string segPath(uint64_t base) const { return joinPath(opt_.dir, segmentFileName(base)); }
  std::string idxPath(uint64_t base) const { return joinPath(opt_.dir, indexFileName(base)); }
  bool onWriterThread() const { return std::this_thread::get_id() == writer_id_.load(); }

  // ---- recovery (before the writer starts) ----
  core::Status recover();
  core::Result<SegmentPtr> loadSealed(uint64_t base, uint64_t next_base);
  core::Result<SegmentPtr> loadLast(uint64_t base);
  struct Salvaged {
    std::shared_ptr<File> file;
    SegmentMeta meta;
    std::string quarantine;
  };
  // Copies the intact frames of `file` aside, then moves the damaged file to quarantine and the
  // copy in its place. `publish` (if set) runs under state_mu_ together with the renames.
  core::Result<Salvaged> salvage(const std::string& path, const File& file, const ScanResult& scan,
                                 OpenMode reopen_mode,
                                 const std::function<void(const Salvaged&)>& publish = nullptr);
  core::Result<std::shared_ptr<File>> fileOf(const Segment& seg) const;
  core::Result<SegmentPtr> createSegment(uint64_t base);
  core::Status writeIndex(const Segment& seg);

  // ---- writer thread ----
  void writerLoop();
  void processGroup(std::vector<Request>& group);
  void handleFlush(const std::shared_ptr<std::promise<core::Status>>& marker);
  void runControl(std::deque<ControlTask>& tasks);
  core::Status syncActive();
  core::Status syncAwaiting();
  // Waits for the group whose fsync runs on syncer_ and completes it (publish, callbacks), or
  // fails it (the segment goes back to its last durable size). False if the fsync failed.
  bool finishPendingSync();
  void publish();
  void complete(std::vector<Request>& reqs);
  void failRequests(std::vector<Request>& reqs, const core::Error& err);
  void onWriteFailure(std::vector<Request>& group, const core::Error& err);
  core::Status restoreActive();
  core::Status roll();
  // With a quota: whether `need` more bytes would pass it, or leave the disk with less than a
  // segment's worth free (what a compaction needs). The disk may be smaller than the quota.
  bool overQuota(uint64_t need) const;
  // With a quota and when_full: evict, a file of one segment's size is set aside so that a
  // compaction can still run when another program filled the disk: released when a compaction
  // hits ENOSPC, taken again once the disk has room (docs/LOG.md, "Failures of the disk").
  bool reserveWanted() const { return opt_.quota_bytes > 0 && opt_.when_full == WhenFull::kEvict; }
  void takeReserve();
  bool releaseReserve();
  core::Status ensureSpace(uint64_t need);
  bool waitForSpace();
  std::optional<uint64_t> minCursor() const;
  bool deleteOldestForwarded();
  core::Result<bool> evictOne();
  core::Status compact(SegmentPtr seg, EntryClass drop);
  void deleteSegment(SegmentPtr seg);
  core::Status runRetention();
  void repair(uint64_t base);
  void maintenance();
  void updateLagGauges();
  void recomputeStartLocked();
  void updateSizeGauges();
  void requestRepair(uint64_t base) const;
  uint64_t totalBytes() const { return sealed_bytes_ + work_.size; }

  LogOptions opt_;
  std::shared_ptr<Storage> storage_;
  const core::Clock& clock_;
  core::MetricsRegistry& registry_;
  core::Labels labels_;
  CursorStore store_;
  uint64_t seg_bytes_ = 0;
  std::string reserve_path_;
  bool reserve_held_ = false;  // writer thread (and open)
  RecoveryReport report_;
  std::unique_ptr<DirLock> lock_;

  // Queue (appenders -> writer).
  mutable std::mutex q_mu_;
  mutable std::condition_variable q_cv_;  // the writer waits here
  std::condition_variable space_cv_;      // appenders wait here when the queue is full
  std::deque<Request> queue_;
  mutable std::deque<ControlTask> control_;
  mutable std::set<uint64_t> repair_requested_;
  uint64_t pending_bytes_ = 0;
  uint64_t cursor_epoch_ = 0;
  bool stopping_ = false;
  bool sync_done_ = false;  // the pending group's fsync returned (wakes the writer)
  std::mutex close_mu_;
  bool closed_ = false;  // guarded by close_mu_
  std::thread writer_;
  std::atomic<std::thread::id> writer_id_{};

  // Published state (readers).
  mutable std::shared_mutex state_mu_;
  std::map<uint64_t, SegmentPtr> segments_;
  std::atomic<uint64_t> start_offset_{0};
  std::atomic<uint64_t> end_offset_{0};
  std::atomic<uint64_t> awaiting_count_{0};
  std::atomic<uint64_t> syncing_count_{0};  // appends of the group whose fsync runs (pending_)
  std::atomic<bool> blocked_{false};
  std::array<std::atomic<uint64_t>, kEntryClassCount> evicted_{};
  mutable std::mutex wait_mu_;
  mutable std::condition_variable wait_cv_;
  std::atomic<bool> reader_closed_{false};

  // Cursors.
  mutable std::mutex cursor_mu_;
  std::mutex cursor_io_mu_;
  std::map<std::string, uint64_t> cursors_;

  std::mutex evict_cb_mu_;
  std::function<void(const EvictionNotice&)> on_eviction_;

  // Writer-thread state.
  SegmentPtr active_;
  SegmentMeta work_;          // the active segment including written, not yet durable frames
  uint64_t synced_size_ = 0;  // bytes of the active segment known durable
  uint64_t sealed_bytes_ = 0;
  bool broken_ = false;            // the active segment must be restored before the next write
  std::vector<Request> awaiting_;  // FsyncPolicy::kInterval: written, waiting for the fsync
  // FsyncPolicy::kBatch: the last written group, whose fsync runs on syncer_. work_ covers it;
  // the group being encoded next is written after it and only claimed once it is durable.
  struct PendingSync {
    std::vector<Request> group;
    uint64_t size = 0;  // work_.size with the group written
    std::future<core::Status> done;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<PendingSync> pending_;
  std::unique_ptr<SyncWorker> syncer_;
  int64_t last_sync_ns_ = 0;
  int64_t next_maintenance_ns_ = 0;
  std::string buf_;

  // Metrics.
  core::Counter& m_appended_records_;
  core::Counter& m_appended_bytes_;
  core::Counter& m_append_errors_;
  core::Gauge& m_segments_;
  core::Gauge& m_size_;
  core::Gauge& m_start_;
  core::Gauge& m_end_;
  core::Gauge& m_pending_;
  core::Gauge& m_blocked_;
  core::Histogram& m_fsync_;
  core::Histogram& m_group_;
  core::Counter& m_lost_;
  core::Counter& m_quarantined_;
  core::Counter& m_truncated_;
  core::Counter& m_corrupt_reads_;
  core::Counter& m_retention_deleted_;
  std::array<core::Counter*, kEntryClassCount> m_evicted_{};
  std::array<core::Counter*, kEntryClassCount> m_evicted_bytes_{};
};

// ============================================================================================
// Recovery
// ============================================================================================

core::Status LogImpl::open() {
  if (opt_.dir.empty()) return core::fail(core::Errc::kInvalidConfig, "log: dir is empty");
  if (opt_.fsync == FsyncPolicy::kInterval && opt_.fsync_interval.count() <= 0) {
    return core::fail(core::Errc::kInvalidConfig, "log: fsync_interval must be positive");
  }
  seg_bytes_ = std::max(opt_.segment_bytes, kMinSegmentBytes);
  if (opt_.quota_bytes > 0) {
    // The quota frees space a segment at a time: keep at least eight segments under it.
    uint64_t cap = std::max(opt_.quota_bytes / 8, kMinSegmentBytes);
    if (seg_bytes_ > cap) {
      SF_LOG_INFO("log", "segment size reduced to fit the quota",
                  {{"stream", opt_.stream}, {"segment_bytes", std::to_string(cap)}});
      seg_bytes_ = cap;
    }
  }
  if (opt_.max_group_bytes == 0) opt_.max_group_bytes = 1;
  auto st = recover();
  if (!st) return core::fail(st.error().wrap("log " + opt_.dir));
  reserve_path_ = joinPath(opt_.dir, "quota.reserve");
  if (storage_->exists(reserve_path_)) {
    auto size = storage_->fileSize(reserve_path_);
    if (reserveWanted() && size && *size >= seg_bytes_) {
      reserve_held_ = true;
    } else {
      (void)storage_->remove(reserve_path_);  // not wanted any more, or partial
    }
  }
  takeReserve();
  int64_t now = clock_.monotonicNanos();
  last_sync_ns_ = now;
  next_maintenance_ns_ = now + std::chrono::nanoseconds(opt_.maintenance_interval).count();
  updateSizeGauges();
  updateLagGauges();
  if (opt_.fsync == FsyncPolicy::kBatch) syncer_ = std::make_unique<SyncWorker>();
  writer_ = std::thread([this] { writerLoop(); });
  writer_id_.store(writer_.get_id());
  return core::ok();
}

core::Status LogImpl::recover() {
  const std::string& dir = opt_.dir;
  SF_TRY(storage_->createDirs(dir));
  SF_ASSIGN_OR_RETURN(lock_, storage_->lock(joinPath(dir, "LOCK")));
  SF_ASSIGN_OR_RETURN(auto names, storage_->list(dir));
  std::set<std::string> present(names.begin(), names.end());
  // Leftovers of interrupted atomic replacements. A salvaged copy is complete once its
  // segment was moved to quarantine (it was fsynced before), so it takes the segment's place.
  for (const auto& name : names) {
    std::string path = joinPath(dir, name);
    if (endsWith(name, ".tmp") || endsWith(name, ".compact")) {
      SF_TRY(storage_->remove(path));
    } else if (endsWith(name, ".salvage")) {
      std::string seg = name.substr(0, name.size() - 8);
      if (present.count(seg) != 0) {
        SF_TRY(storage_->remove(path));
      } else {
        SF_TRY(storage_->rename(path, joinPath(dir, seg)));
        SF_TRY(storage_->fsyncDir(dir));
      }
    }
  }
  SF_ASSIGN_OR_RETURN(names, storage_->list(dir));
  std::vector<uint64_t> bases;
  for (const auto& name : names) {
    if (auto b = parseSegmentFileName(name)) bases.push_back(*b);
  }
  std::sort(bases.begin(), bases.end());
  report_.segments = bases.size();

  std::vector<std::string> unreadable;
  SF_ASSIGN_OR_RETURN(cursors_, store_.load(&unreadable));

  for (size_t i = 0; i < bases.size(); ++i) {
    SegmentPtr seg;
    if (i + 1 < bases.size()) {
      SF_ASSIGN_OR_RETURN(seg, loadSealed(bases[i], bases[i + 1]));
    } else {
      SF_ASSIGN_OR_RETURN(seg, loadLast(bases[i]));
    }
    if (seg) segments_[seg->base] = seg;
  }
  if (segments_.empty() || bases.empty()) {
    uint64_t base = 0;
    for (const auto& [name, c] : cursors_) base = std::max(base, c);
    SF_ASSIGN_OR_RETURN(auto seg, createSegment(base));
    segments_[base] = seg;
    report_.skipped_offsets = base;
  }
  active_ = std::prev(segments_.end())->second;
  for (const auto& [base, seg] : segments_) {
    if (seg != active_) sealed_bytes_ += seg->meta.size;
  }
  work_ = active_->meta;
  synced_size_ = work_.size;

  // A cursor past the recovered end (possible only if records it forwarded were lost, e.g.
  // with fsync: never): start after it, so that no record id is ever given twice.
  uint64_t max_cursor = 0;
  for (const auto& [name, c] : cursors_) max_cursor = std::max(max_cursor, c);
  if (max_cursor > work_.end) {
    report_.skipped_offsets += max_cursor - work_.end;
    SF_LOG_WARN("log", "cursor past the recovered end: skipping offsets",
                {{"stream", opt_.stream},
                 {"end", std::to_string(work_.end)},
                 {"cursor", std::to_string(max_cursor)}});
    if (work_.size == 0) {
      segments_.erase(active_->base);
      SF_TRY(storage_->remove(active_->path));
    } else {
      sealed_bytes_ += work_.size;
      if (auto st = writeIndex(*active_); !st) {
        SF_LOG_WARN("log", "index write failed", {{"error", st.error().toString()}});
      }
      active_->file.reset();  // sealed now
    }
    SF_ASSIGN_OR_RETURN(active_, createSegment(max_cursor));
    segments_[max_cursor] = active_;
    work_ = active_->meta;
    synced_size_ = 0;
  }
  end_offset_.store(work_.end);
  {
    std::unique_lock lock(state_mu_);
    recomputeStartLocked();
  }
  for (const auto& name : unreadable) {
    uint64_t start = startOffset();
    if (auto st = store_.save(name, start); !st) {
      SF_LOG_ERROR("log", "cannot rewrite a cursor", {{"error", st.error().toString()}});
    }
    cursors_[name] = start;
    report_.reset_cursors.push_back(name);
    SF_LOG_ERROR("log", "cursor file unreadable: reset to the start offset (re-delivery)",
                 {{"stream", opt_.stream}, {"output", name}});
  }
  m_truncated_.inc(report_.truncated_bytes);
  m_lost_.inc(report_.lost_records);
  m_quarantined_.inc(report_.quarantined_segments.size());
  if (!report_.clean()) {
    SF_LOG_WARN("log", "recovered", {{"stream", opt_.stream}, {"report", report_.summary()}});
  } else {
    SF_LOG_INFO("log", "opened",
                {{"stream", opt_.stream},
                 {"start", std::to_string(startOffset())},
                 {"end", std::to_string(endOffset())},
                 {"segments", std::to_string(segments_.size())}});
  }
  return core::ok();
}

core::Result<SegmentPtr> LogImpl::createSegment(uint64_t base) {
  auto seg = std::make_shared<Segment>();
  seg->base = base;
  seg->path = segPath(base);
  seg->meta.base = base;
  seg->meta.end = base;
  SF_ASSIGN_OR_RETURN(seg->file, storage_->open(seg->path, OpenMode::kTruncate));
  auto st = storage_->fsyncDir(opt_.dir);
  if (!st) {
    (void)storage_->remove(seg->path);
    return core::fail(std::move(st).error());
  }
  return seg;
}

core::Status LogImpl::writeIndex(const Segment& seg) {
  // An index is a cache, checked (CRC, segment size) when loaded and rebuilt when it does not
  // match: it needs no fsync of its own.
  return writeFileAtomic(*storage_, idxPath(seg.base), encodeIndex(seg.meta), /*durable=*/false);
}

core::Result<std::shared_ptr<File>> LogImpl::fileOf(const Segment& seg) const {
  if (seg.file) return seg.file;
  return storage_->open(seg.path, OpenMode::kRead);
}

core::Result<LogImpl::Salvaged> LogImpl::salvage(
    const std::string& path, const File& file, const ScanResult& scan, OpenMode reopen_mode,
    const std::function<void(const Salvaged&)>& publish) {
  std::string spath = path + ".salvage";
  auto attempt = [&]() -> core::Result<Salvaged> {
    SF_ASSIGN_OR_RETURN(auto out, storage_->open(spath, OpenMode::kTruncate));
    std::string chunk;
    uint64_t wpos = 0;
    auto copy = [&](uint64_t from, uint64_t to) -> core::Status {
      while (from < to) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(kCopyChunk, to - from));
        chunk.resize(n);
        SF_TRY(readExact(file, from, chunk.data(), n));
        SF_TRY(writeAll(*out, wpos, chunk.data(), n));
        from += n;
        wpos += n;
      }
      return core::ok();
    };
    uint64_t prev = 0;
    for (const auto& c : scan.corrupt) {
      SF_TRY(copy(prev, c.position));
      prev = c.end;
    }
    SF_TRY(copy(prev, scan.tail_position));
    SF_TRY(out->fsync());
    SF_TRY(storage_->fsyncDir(opt_.dir));
    Salvaged s;
    // The descriptor follows the file through the rename below.
    SF_ASSIGN_OR_RETURN(s.file, storage_->open(spath, reopen_mode));
    SF_ASSIGN_OR_RETURN(auto rescan, scanSegment(FileSource(*s.file), wpos, scan.meta.base));
    s.meta = std::move(rescan.meta);
    std::string qpath = path + ".quarantine";
    for (int n = 1; storage_->exists(qpath); ++n) {
      qpath = path + "." + std::to_string(n) + ".quarantine";
    }
    s.quarantine = qpath.substr(qpath.find_last_of('/') + 1);
    {
      std::unique_lock<std::shared_mutex> lock(state_mu_, std::defer_lock);
      if (publish) lock.lock();
      SF_TRY(storage_->rename(path, qpath));
      SF_TRY(storage_->rename(spath, path));
      if (publish) publish(s);
    }
    SF_TRY(storage_->fsyncDir(opt_.dir));
    return s;
  };
  auto res = attempt();
  if (!res && storage_->exists(spath)) (void)storage_->remove(spath);
  return res;
}

core::Result<SegmentPtr> LogImpl::loadSealed(uint64_t base, uint64_t next_base) {
  auto seg = std::make_shared<Segment>();
  seg->base = base;
  seg->path = segPath(base);
  SF_ASSIGN_OR_RETURN(seg->file, storage_->open(seg->path, OpenMode::kRead));
  SF_ASSIGN_OR_RETURN(uint64_t size, seg->file->size());
  if (auto text = readFile(*storage_, idxPath(base))) {
    auto meta = decodeIndex(*text);
    if (meta && meta->base == base && meta->size == size && meta->end <= next_base) {
      seg->meta = std::move(*meta);
      seg->file.reset();
      return seg;
    }
  }
  // No usable index: validate the whole segment and rebuild it.
  report_.scanned_bytes += size;
  SF_ASSIGN_OR_RETURN(auto scan, scanSegment(FileSource(*seg->file), size, base));
  seg->meta = scan.meta;
  if (!scan.clean()) {
    uint64_t lost = scan.lostOffsets();
    if (scan.tail_bytes > 0 && next_base > scan.meta.end) lost += next_base - scan.meta.end;
    report_.lost_records += lost;
    SF_LOG_ERROR("log", "corrupt sealed segment",
                 {{"segment", seg->path},
                  {"why", scan.corrupt.empty() ? scan.tail_why : scan.corrupt.front().why},
                  {"lost_records_at_most", std::to_string(lost)}});
    auto s = salvage(seg->path, *seg->file, scan, OpenMode::kRead);
    if (s) {
      seg->file = s->file;
      seg->meta = std::move(s->meta);
      report_.quarantined_segments.push_back(s->quarantine);
    } else {
      // Keep the damaged file: readers skip its bad frames. Retried at the next open.
      SF_LOG_ERROR("log", "salvage failed; damaged segment kept in place",
                   {{"segment", seg->path}, {"error", s.error().toString()}});
      seg->file.reset();
      return seg;
    }
  }
  if (seg->meta.empty()) {
    seg->file.reset();
    SF_TRY(storage_->remove(seg->path));
    if (storage_->exists(idxPath(base))) SF_TRY(storage_->remove(idxPath(base)));
    return SegmentPtr();
  }
  if (auto st = writeIndex(*seg); st) {
    report_.rebuilt_indexes.push_back(indexFileName(base));
  } else {
    SF_LOG_WARN("log", "index write failed", {{"error", st.error().toString()}});
  }
  seg->file.reset();
  return seg;
}

core::Result<SegmentPtr> LogImpl::loadLast(uint64_t base) {
  auto seg = std::make_shared<Segment>();
  seg->base = base;
  seg->path = segPath(base);
  SF_ASSIGN_OR_RETURN(seg->file, storage_->open(seg->path, OpenMode::kReadWrite));
  SF_ASSIGN_OR_RETURN(uint64_t size, seg->file->size());
  report_.scanned_bytes += size;
  SF_ASSIGN_OR_RETURN(auto scan, scanSegment(FileSource(*seg->file), size, base));
  seg->meta = scan.meta;
  if (scan.tail_bytes > 0) {
    report_.truncated_bytes += scan.tail_bytes;
    report_.truncated_records += scan.tail_records;
    report_.truncated_segment = segmentFileName(base);
  }
  bool repaired = false;
  if (!scan.corrupt.empty()) {
    uint64_t lost = scan.lostOffsets();
    report_.lost_records += lost;
    SF_LOG_ERROR("log", "corrupt frames in the last segment",
                 {{"segment", seg->path},
                  {"why", scan.corrupt.front().why},
                  {"lost_records_at_most", std::to_string(lost)}});
    auto s = salvage(seg->path, *seg->file, scan, OpenMode::kReadWrite);
    if (s) {
      seg->file = s->file;
      seg->meta = std::move(s->meta);
      report_.quarantined_segments.push_back(s->quarantine);
      repaired = true;  // the salvaged copy ends before the torn tail
    } else {
      SF_LOG_ERROR("log", "salvage failed; damaged segment kept in place",
                   {{"segment", seg->path}, {"error", s.error().toString()}});
    }
  }
  if (!repaired && scan.tail_bytes > 0) {
    SF_TRY(seg->file->truncate(scan.tail_position));
    SF_TRY(seg->file->fsync());
  }
  // The active segment's index is written when it is sealed; an old one is stale.
  if (storage_->exists(idxPath(base))) SF_TRY(storage_->remove(idxPath(base)));
  return seg;
}

// ============================================================================================
// Appends and the writer
// ============================================================================================

void LogImpl::append(std::vector<Entry> entries, AppendCallback done) {
  if (entries.empty()) {
    done(AppendResult{endOffset(), 0});
    return;
  }
  uint64_t bytes = 0;
  for (const auto& e : entries) {
    if (e.payload.size() > kMaxPayloadBytes || classIndex(e.cls) >= kEntryClassCount) {
      m_append_errors_.inc();
      done(core::fail(core::Errc::kInvalidData, "log: entry payload over 16 MiB or unknown class"));
      return;
    }
    bytes += encodedEntryBytes(e.payload.size());
  }
  std::unique_lock lock(q_mu_);
  bool on_writer = onWriterThread();
  while (!stopping_ && !on_writer && pending_bytes_ > 0 &&
         pending_bytes_ + bytes > opt_.max_pending_bytes) {
    if (opt_.reject_when_queue_full) {
      lock.unlock();
      m_append_errors_.inc();
      done(core::fail(core::Errc::kResourceExhausted, "log: append queue full"));
      return;
    }
    space_cv_.wait(lock);
  }
  if (stopping_) {
    lock.unlock();
    done(core::fail(core::Errc::kCancelled, "log: closed"));
    return;
  }
  Request r;
  r.entries = std::move(entries);
  r.done = std::move(done);
  r.bytes = bytes;
  queue_.push_back(std::move(r));
  pending_bytes_ += bytes;
  m_pending_.set(static_cast<double>(pending_bytes_));
  lock.unlock();
  q_cv_.notify_one();
}

core::Status LogImpl::flush() {
  if (onWriterThread()) {
    return core::fail(core::Errc::kInternal, "log: flush() called from an append callback");
  }
  auto marker = std::make_shared<std::promise<core::Status>>();
  auto fut = marker->get_future();
  {
    std::lock_guard lock(q_mu_);
    if (stopping_) return core::fail(core::Errc::kCancelled, "log: closed");
    Request r;
    r.flush = marker;
    queue_.push_back(std::move(r));
  }
  q_cv_.notify_one();
  return fut.get();
}

core::Status LogImpl::enforceRetention() {
  if (onWriterThread()) return runRetention();
  ControlTask t;
  t.kind = ControlTask::Kind::kRetention;
  t.done = std::make_shared<std::promise<core::Status>>();
  auto fut = t.done->get_future();
  {
    std::lock_guard lock(q_mu_);
    if (stopping_) return core::fail(core::Errc::kCancelled, "log: closed");
    control_.push_back(std::move(t));
  }
  q_cv_.notify_all();
  return fut.get();
}

void LogImpl::requestRepair(uint64_t base) const {
  {
    std::lock_guard lock(q_mu_);
    if (stopping_ || !repair_requested_.insert(base).second) return;
    ControlTask t;
    t.kind = ControlTask::Kind::kRepair;
    t.base = base;
    control_.push_back(std::move(t));
  }
  q_cv_.notify_all();
}

void LogImpl::writerLoop() {
  writer_id_.store(std::this_thread::get_id());
  std::vector<Request> group;
  while (true) {
    std::deque<ControlTask> tasks;
    std::shared_ptr<std::promise<core::Status>> marker;
    bool stop = false;
    {
      std::unique_lock lock(q_mu_);
      int64_t now = clock_.monotonicNanos();
      auto wait = opt_.maintenance_interval;
      int64_t until_maint = next_maintenance_ns_ - now;
      if (until_maint < std::chrono::nanoseconds(wait).count()) {
        wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::nanoseconds(std::max<int64_t>(until_maint, 0)));
      }
      if (!awaiting_.empty()) {
        int64_t until_sync =
            last_sync_ns_ + std::chrono::nanoseconds(opt_.fsync_interval).count() - now;
        auto w = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::nanoseconds(std::clamp<int64_t>(until_sync, 0, 10'000'000)));
        wait = std::min(wait, w);
      }
      wait = std::max(wait, std::chrono::milliseconds(1));
      q_cv_.wait_for(lock, wait, [&] {
        return !queue_.empty() || !control_.empty() || stopping_ || (pending_ && sync_done_);
      });
      tasks.swap(control_);
      uint64_t cap = std::max<uint64_t>(1, std::min(opt_.max_group_bytes, seg_bytes_));
      uint64_t gbytes = 0;
      while (!queue_.empty()) {
        Request& r = queue_.front();
        if (r.flush) {
          if (group.empty()) {
            marker = std::move(r.flush);
            queue_.pop_front();
          }
          break;
        }
        if (!group.empty() && gbytes + r.bytes > cap) break;
        gbytes += r.bytes;
        pending_bytes_ -= r.bytes;
        group.push_back(std::move(r));
        queue_.pop_front();
      }
      m_pending_.set(static_cast<double>(pending_bytes_));
      stop = stopping_ && queue_.empty() && group.empty() && !marker;
    }
    space_cv_.notify_all();
    // Control tasks, flushes and maintenance see no group in flight.
    if (!tasks.empty()) (void)finishPendingSync();
    runControl(tasks);
    if (!group.empty()) {
      processGroup(group);
      group.clear();
    }
    if (pending_) {
      // Complete the group whose fsync returned; otherwise wait for it or for more appends
      // (they are written while it runs).
      bool ready = false;
      {
        std::lock_guard lock(q_mu_);
        ready = sync_done_;
      }
      if (ready || marker || stop) (void)finishPendingSync();
    }
    if (marker) handleFlush(marker);
    int64_t now = clock_.monotonicNanos();
    if (!awaiting_.empty() &&
        now - last_sync_ns_ >= std::chrono::nanoseconds(opt_.fsync_interval).count()) {
      (void)syncAwaiting();
    }
    if (now >= next_maintenance_ns_) {
      (void)finishPendingSync();
      maintenance();
    }
    if (stop && !pending_) break;
  }
  // Shutdown: everything written becomes durable and every callback runs.
  (void)finishPendingSync();
  if (!awaiting_.empty()) (void)syncAwaiting();
  if (synced_size_ < work_.size && !broken_) {
    if (auto st = syncActive(); !st) {
      SF_LOG_ERROR("log", "fsync at close failed", {{"error", st.error().toString()}});
    }
  }
  std::deque<ControlTask> tasks;
  {
    std::lock_guard lock(q_mu_);
    tasks.swap(control_);
  }
  for (auto& t : tasks) {
    if (t.done) t.done->set_value(core::fail(core::Errc::kCancelled, "log: closed"));
  }
}

void LogImpl::runControl(std::deque<ControlTask>& tasks) {
  for (auto& t : tasks) {
    core::Status st;
    if (t.kind == ControlTask::Kind::kRetention) {
      st = runRetention();
      if (st && opt_.when_full == WhenFull::kEvict && overQuota(0)) {
        st = ensureSpace(0);
      }
      updateLagGauges();
    } else {
      repair(t.base);
    }
    if (t.done) t.done->set_value(std::move(st));
  }
  tasks.clear();
}

void LogImpl::handleFlush(const std::shared_ptr<std::promise<core::Status>>& marker) {
  core::Status st;
  if (!awaiting_.empty()) {
    st = syncAwaiting();
  } else if (synced_size_ < work_.size && !broken_) {
    st = syncActive();
  }
  if (st && broken_) {
    st = core::fail(core::Errc::kUnavailable, "log: the last write or fsync failed");
  }
  marker->set_value(std::move(st));
}

core::Status LogImpl::syncActive() {
  auto t0 = std::chrono::steady_clock::now();
  auto st = active_->file->fsync();
  m_fsync_.observe(secondsSince(t0));
  last_sync_ns_ = clock_.monotonicNanos();
  if (st) synced_size_ = work_.size;
  return st;
}

void LogImpl::publish() {
  {
    std::unique_lock lock(state_mu_);
    SegmentMeta& m = active_->meta;
    // Only the new index points are copied: within a segment the list only grows.
    std::vector<IndexPoint> points = std::move(m.points);
    m.base = work_.base;
    m.end = work_.end;
    m.size = work_.size;
    m.records = work_.records;
    m.bytes = work_.bytes;
    m.first_offset = work_.first_offset;
    m.min_ts = work_.min_ts;
    m.max_ts = work_.max_ts;
    if (points.size() > work_.points.size()) points.clear();
    points.insert(points.end(), work_.points.begin() + static_cast<long>(points.size()),
                  work_.points.end());
    m.points = std::move(points);
    recomputeStartLocked();
  }
  {
    std::lock_guard lock(wait_mu_);
    end_offset_.store(work_.end);
  }
  wait_cv_.notify_all();
  m_end_.set(static_cast<double>(work_.end));
  updateSizeGauges();
}

void LogImpl::complete(std::vector<Request>& reqs) {
  uint64_t records = 0, bytes = 0;
  for (const auto& r : reqs) {
    records += r.result.count;
    bytes += r.bytes;
  }
  m_appended_records_.inc(records);
  m_appended_bytes_.inc(bytes);
  for (auto& r : reqs) r.done(r.result);
  reqs.clear();
}

void LogImpl::failRequests(std::vector<Request>& reqs, const core::Error& err) {
  m_append_errors_.inc(reqs.size());
  for (auto& r : reqs) r.done(core::fail(err));
  reqs.clear();
}

void LogImpl::processGroup(std::vector<Request>& group) {
  uint64_t bytes = 0;
  for (const auto& r : group) bytes += r.bytes;
  uint64_t estimate = bytes + kFrameHeaderBytes * (1 + bytes / (kFrameTargetBytes / 2));
  // Rolling, restoring and making room touch what the pending group's completion publishes:
  // complete it first. A failed fsync sent the segment back to its durable size; start over.
  if (pending_ &&
      (broken_ || (work_.size > 0 && work_.size + estimate > seg_bytes_) || overQuota(estimate))) {
    if (!finishPendingSync()) {
      processGroup(group);
      return;
    }
  }
  if (broken_) {
    if (auto st = restoreActive(); !st) {
      failRequests(group, st.error());
      return;
    }
  }
  if (work_.size > 0 && work_.size + estimate > seg_bytes_) {
    if (auto st = roll(); !st) {
      failRequests(group, st.error());
      return;
    }
  }
  if (opt_.quota_bytes > 0) {
    if (auto st = ensureSpace(estimate); !st) {
      failRequests(group, st.error());
      return;
    }
  }

  // Encode: frames of up to kFrameTargetBytes, offsets assigned in queue order.
  buf_.clear();
  SegmentMeta next = work_;
  uint64_t offset = work_.end;
  uint64_t records = 0;
  std::vector<EntryView> frame;
  uint64_t frame_bytes = kFrameHeaderBytes;
  auto flushFrame = [&] {
    size_t at = buf_.size();
    encodeFrame(buf_, frame.front().offset, 0, frame.data(), frame.size());
    FrameHeader h;
    std::string_view view(buf_.data() + at, buf_.size() - at);
    (void)parseFrameHeader(view, h);
    next.addFrame(work_.size + at, h, view);
    frame.clear();
    frame_bytes = kFrameHeaderBytes;
  };
  for (auto& r : group) {
    r.result.first_offset = offset;
    r.result.count = static_cast<uint32_t>(r.entries.size());
    for (const auto& e : r.entries) {
      uint64_t eb = encodedEntryBytes(e.payload.size());
      if (!frame.empty() && frame_bytes + eb > kFrameTargetBytes) flushFrame();
      frame.push_back(EntryView{offset, e.cls, e.ts_ns, e.payload});
      frame_bytes += eb;
      ++offset;
      ++records;
    }
  }
  if (!frame.empty()) flushFrame();

  if (auto st = writeAll(*active_->file, work_.size, buf_.data(), buf_.size()); !st) {
    (void)finishPendingSync();
    onWriteFailure(group, st.error());
    return;
  }
  // The previous group's fsync ran while this one was encoded and written. If it failed, the
  // segment went back to its last durable size (dropping this group's bytes too): start over.
  if (pending_ && !finishPendingSync()) {
    processGroup(group);
    return;
  }
  work_ = std::move(next);
  m_group_.observe(static_cast<double>(records));

  switch (opt_.fsync) {
    case FsyncPolicy::kBatch:
      pending_.emplace();
      pending_->group = std::move(group);
      syncing_count_.store(pending_->group.size());
      group.clear();
      pending_->size = work_.size;
      pending_->started = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(q_mu_);
        sync_done_ = false;
      }
      pending_->done = syncer_->fsync(active_->file, [this] {
        {
          std::lock_guard lock(q_mu_);
          sync_done_ = true;
        }
        q_cv_.notify_all();
      });
      break;
    case FsyncPolicy::kNever:
      publish();
      complete(group);
      break;
    case FsyncPolicy::kInterval:
      for (auto& r : group) awaiting_.push_back(std::move(r));
      group.clear();
      awaiting_count_.store(awaiting_.size());
      if (clock_.monotonicNanos() - last_sync_ns_ >=
          std::chrono::nanoseconds(opt_.fsync_interval).count()) {
        (void)syncAwaiting();
      }
      break;
  }
}

bool LogImpl::finishPendingSync() {
  if (!pending_) return true;
  PendingSync p = std::move(*pending_);
  pending_.reset();
  syncing_count_.store(0);
  core::Status st = p.done.get();
  m_fsync_.observe(secondsSince(p.started));
  last_sync_ns_ = clock_.monotonicNanos();
  if (!st) {
    onWriteFailure(p.group, st.error());
    return false;
  }
  synced_size_ = p.size;
  publish();
  complete(p.group);
  return true;
}

core::Status LogImpl::syncAwaiting() {
  if (awaiting_.empty()) return core::ok();
  if (auto st = syncActive(); !st) {
    std::vector<Request> none;
    onWriteFailure(none, st.error());
    return st;
  }
  publish();
  complete(awaiting_);
  awaiting_count_.store(0);
  return core::ok();
}

void LogImpl::onWriteFailure(std::vector<Request>& group, const core::Error& err) {
  SF_LOG_ERROR("log", "write or fsync failed: failing the affected appends",
               {{"stream", opt_.stream},
                {"segment", active_->path},
                {"appends", std::to_string(group.size() + awaiting_.size())},
                {"error", err.toString()}});
  // Nothing of what was not fsynced may be claimed: those appends fail, the segment goes back
  // to its last durable size, and the offsets are given again. The clean state is restored
  // before the callbacks run, so a retry from a callback finds it.
  std::vector<Request> failed = std::move(awaiting_);
  awaiting_.clear();
  awaiting_count_.store(0);
  for (auto& r : group) failed.push_back(std::move(r));
  group.clear();
  // Back to the published state (with fsync: never, that includes written, unsynced data,
  // which that policy acknowledged already).
  work_ = active_->meta;
  if (auto st = restoreActive(); !st) {
    SF_LOG_ERROR("log", "cannot restore the segment; will retry before the next write",
                 {{"segment", active_->path}, {"error", st.error().toString()}});
  }
  if (err.code == core::Errc::kResourceExhausted && opt_.quota_bytes > 0 &&
      opt_.when_full == WhenFull::kEvict) {
    // The disk filled up before the quota did: make room for the retry as the quota would
    // (forwarded data first, then by class). Without a quota nothing is evicted: appends fail
    // (the sources keep their data) until space comes back.
    if (!deleteOldestForwarded()) {
      auto ev = evictOne();
      if (!ev) {
        SF_LOG_ERROR("log", "eviction on a full disk failed", {{"error", ev.error().toString()}});
      }
    }
  }
  failRequests(failed, err.wrap("log " + opt_.stream));
}

core::Status LogImpl::restoreActive() {
  broken_ = true;
  SF_TRY(active_->file->truncate(work_.size));
  SF_TRY(active_->file->fsync());
  // A new descriptor: a failed fsync's error state must not leak into the next one.
  SF_ASSIGN_OR_RETURN(auto file, storage_->open(active_->path, OpenMode::kReadWrite));
  auto seg = std::make_shared<Segment>();
  seg->base = active_->base;
  seg->path = active_->path;
  seg->file = std::move(file);
  {
    std::unique_lock lock(state_mu_);
    seg->meta = active_->meta;
    segments_[seg->base] = seg;
  }
  active_ = seg;
  synced_size_ = work_.size;
  broken_ = false;
  return core::ok();
}

core::Status LogImpl::roll() {
  if (!finishPendingSync()) {
    return core::fail(core::Errc::kUnavailable, "log: the last fsync failed");
  }
  if (!awaiting_.empty()) SF_TRY(syncAwaiting());
  if (synced_size_ < work_.size) {
    if (auto st = syncActive(); !st) {
      std::vector<Request> none;
      onWriteFailure(none, st.error());
      return st;
    }
  }
  if (auto st = writeIndex(*active_); !st) {
    SF_LOG_WARN("log", "index write failed (rebuilt at the next open)",
                {{"segment", active_->path}, {"error", st.error().toString()}});
  }
  SF_ASSIGN_OR_RETURN(auto seg, createSegment(work_.end));
  {
    auto sealed = std::make_shared<Segment>();
    sealed->base = active_->base;
    sealed->path = active_->path;
    std::unique_lock lock(state_mu_);
    sealed->meta = active_->meta;  // readers holding active_ keep its descriptor until done
    segments_[sealed->base] = sealed;
    segments_[seg->base] = seg;
  }
  sealed_bytes_ += work_.size;
  active_ = seg;
  work_ = seg->meta;
  synced_size_ = 0;
  updateSizeGauges();
  return core::ok();
}

// ============================================================================================
// Quota, eviction, retention
// ============================================================================================

std::optional<uint64_t> LogImpl::minCursor() const {
  std::lock_guard lock(cursor_mu_);
  if (cursors_.empty()) return std::nullopt;
  uint64_t m = UINT64_MAX;
  for (const auto& [name, c] : cursors_) m = std::min(m, c);
  return m;
}

bool LogImpl::deleteOldestForwarded() {
  auto min_cursor = minCursor();
  if (!min_cursor || segments_.empty()) return false;
  SegmentPtr first = segments_.begin()->second;
  if (first == active_ || first->meta.end > *min_cursor) return false;
  deleteSegment(first);
  m_retention_deleted_.inc();
  return true;
}

void LogImpl::deleteSegment(SegmentPtr seg) {
  {
    std::unique_lock lock(state_mu_);
    segments_.erase(seg->base);
    recomputeStartLocked();
  }
  sealed_bytes_ -= seg->meta.size;
  for (const auto& path : {seg->path, idxPath(seg->base)}) {
    if (!storage_->exists(path)) continue;
    if (auto st = storage_->remove(path); !st) {
      SF_LOG_WARN("log", "cannot remove a segment file", {{"error", st.error().toString()}});
    }
  }
  (void)storage_->fsyncDir(opt_.dir);
  m_start_.set(static_cast<double>(startOffset()));
  updateSizeGauges();
}

bool LogImpl::waitForSpace() {
  blocked_.store(true);
  m_blocked_.set(1);
  std::deque<ControlTask> tasks;
  {
    std::unique_lock lock(q_mu_);
    uint64_t epoch = cursor_epoch_;
    q_cv_.wait_for(lock, opt_.maintenance_interval,
                   [&] { return cursor_epoch_ != epoch || stopping_ || !control_.empty(); });
    tasks.swap(control_);
    if (stopping_) {
      control_.swap(tasks);  // answered at shutdown
      return false;
    }
  }
  runControl(tasks);
  return true;
}

void LogImpl::takeReserve() {
  if (!reserveWanted() || reserve_held_) return;
  // Only with room to spare: the reserve must not itself fill the disk.
  auto free = storage_->freeSpace(opt_.dir);
  if (!free || *free < 2 * seg_bytes_) return;
  if (auto st = storage_->preallocate(reserve_path_, seg_bytes_); !st) {
    SF_LOG_WARN("log", "cannot set aside the compaction reserve",
                {{"stream", opt_.stream}, {"error", st.error().toString()}});
    return;
  }
  (void)storage_->fsyncDir(opt_.dir);
  reserve_held_ = true;
}

bool LogImpl::releaseReserve() {
  if (!reserve_held_) return false;
  if (auto st = storage_->remove(reserve_path_); !st) return false;
  (void)storage_->fsyncDir(opt_.dir);
  reserve_held_ = false;
  SF_LOG_WARN("log", "disk full: compaction reserve released to make room",
              {{"stream", opt_.stream}, {"bytes", std::to_string(seg_bytes_)}});
  return true;
}

bool LogImpl::overQuota(uint64_t need) const {
  if (opt_.quota_bytes == 0) return false;
  if (totalBytes() + need > opt_.quota_bytes) return true;
  // The disk fills before the quota: make room, as the quota would, while there is still room
  // for one compaction, and for the reserve when it was given up (so it can be taken back).
  // Another program may still fill the disk: the reserve covers that (compact()).
  uint64_t headroom = seg_bytes_ + (reserveWanted() && !reserve_held_ ? seg_bytes_ : 0);
  auto free = storage_->freeSpace(opt_.dir);
  return free && *free < need + headroom;
}

core::Status LogImpl::ensureSpace(uint64_t need) {
  // Once eviction starts it makes room for a quarter segment more than this group: evicting
  // exactly what each group needs would compact once per append at the quota (and an eviction's
  // announcement is itself an append, which would evict the previous announcement, and so on).
  uint64_t target = need;
  while (overQuota(target)) {
    if (deleteOldestForwarded()) continue;
    if (opt_.when_full == WhenFull::kBlock) {
      // Everything in the active segment forwarded: seal it so that it can go.
      auto min_cursor = minCursor();
      if (min_cursor && work_.size > 0 && work_.end <= *min_cursor) {
        SF_TRY(roll());
        continue;
      }
      if (!awaiting_.empty()) SF_TRY(syncAwaiting());
      if (!waitForSpace()) {
        blocked_.store(false);
        m_blocked_.set(0);
        return core::fail(core::Errc::kCancelled, "log: closed while waiting for the quota");
      }
      continue;
    }
    SF_ASSIGN_OR_RETURN(bool evicted, evictOne());
    if (evicted) {
      target = need + seg_bytes_ / 4;
      continue;
    }
    if (work_.size > 0) {
      SF_TRY(roll());
      continue;
    }
    if (!overQuota(need)) break;  // no slack to be had, but the group fits
    auto free = storage_->freeSpace(opt_.dir);
    return core::fail(core::Errc::kResourceExhausted,
                      "log: quota of " + std::to_string(opt_.quota_bytes) +
                          " bytes (disk: " + (free ? std::to_string(*free) : std::string("?")) +
                          " bytes free, of which segments of " + std::to_string(seg_bytes_) +
                          " are kept for compaction) cannot hold " + std::to_string(need) +
                          " more bytes");
  }
  if (blocked_.exchange(false)) m_blocked_.set(0);
  return core::ok();
}

core::Result<bool> LogImpl::evictOne() {
  for (EntryClass cls : kEvictionOrder) {
    SegmentPtr victim;
    for (const auto& [base, seg] : segments_) {
      if (seg == active_) break;
      if (seg->meta.records[classIndex(cls)] > 0) {
        victim = seg;
        break;
      }
    }
    if (!victim && work_.records[classIndex(cls)] > 0) {
      // Only the active segment holds this class: seal it so that it goes before any
      // higher-priority class does.
      SF_TRY(roll());
      victim = std::prev(segments_.end(), 2)->second;
    }
    if (victim) {
      SF_TRY(compact(victim, cls));
      return true;
    }
  }
  return false;
}

core::Status LogImpl::compact(SegmentPtr seg, EntryClass drop) {
  std::string tmp = seg->path + ".compact";
  SegmentMeta meta;
  meta.base = seg->base;
  meta.end = seg->base;
  EvictionNotice notice{drop, UINT64_MAX, 0, 0, 0};
  uint64_t lost = 0;
  auto attempt = [&]() -> core::Status {
    SF_ASSIGN_OR_RETURN(auto out, storage_->open(tmp, OpenMode::kTruncate));
    SF_ASSIGN_OR_RETURN(auto in, fileOf(*seg));
    FileSource src(*in);
    WindowReader r(src, seg->meta.size);
    std::string obuf;
    uint64_t wpos = 0;
    uint64_t pos = 0;
    uint64_t expected = seg->base;
    std::vector<EntryView> kept;
    while (pos < seg->meta.size) {
      FrameHeader h;
      std::string_view frame;
      core::Error io;
      FrameStatus st = frameAt(r, pos, expected, h, frame, nullptr, &io);
      if (!io.message.empty()) return core::fail(std::move(io));
      if (st != FrameStatus::kOk) {
        SF_ASSIGN_OR_RETURN(auto next, findNextFrame(r, pos + 1, expected));
        if (!next) break;
        FrameHeader nh;
        std::string_view nf;
        (void)frameAt(r, *next, expected, nh, nf, nullptr, nullptr);
        lost += nh.base_offset - expected;
        pos = *next;
        continue;
      }
      // `frame` is valid until the next view(): encode the kept entries now.
      kept.clear();
      forEachEntry(h, frame, [&](const EntryView& e) {
        if (e.cls == drop) {
          notice.first_offset = std::min(notice.first_offset, e.offset);
          notice.last_offset = std::max(notice.last_offset, e.offset);
          notice.records++;
          notice.bytes += encodedEntryBytes(e.payload.size());
        } else {
          kept.push_back(e);
        }
      });
      if (!kept.empty()) {
        size_t at = obuf.size();
        encodeFrame(obuf, h.base_offset, h.span, kept.data(), kept.size());
        FrameHeader nh;
        std::string_view view(obuf.data() + at, obuf.size() - at);
        (void)parseFrameHeader(view, nh);
        meta.addFrame(wpos + at, nh, view);
      }
      meta.end = std::max(meta.end, h.endOffset());
      expected = h.endOffset();
      pos += h.length;
      if (obuf.size() >= kCopyChunk) {
        SF_TRY(writeAll(*out, wpos, obuf.data(), obuf.size()));
        wpos += obuf.size();
        obuf.clear();
      }
    }
    SF_TRY(writeAll(*out, wpos, obuf.data(), obuf.size()));
    SF_TRY(out->fsync());
    return core::ok();
  };
  auto st = attempt();
  if (!st && st.error().code == core::Errc::kResourceExhausted) {
    // The disk is full (filled by someone else: the quota keeps a segment free): the reserve
    // makes room for this compaction.
    if (storage_->exists(tmp)) (void)storage_->remove(tmp);
    if (releaseReserve()) {
      meta = SegmentMeta{};
      meta.base = seg->base;
      meta.end = seg->base;
      notice = EvictionNotice{drop, UINT64_MAX, 0, 0, 0};
      lost = 0;
      st = attempt();
    }
  }
  if (!st) {
    if (storage_->exists(tmp)) (void)storage_->remove(tmp);
    return core::fail(st.error().wrap("compacting " + seg->path));
  }
  uint64_t old_size = seg->meta.size;
  if (meta.empty()) {
    SF_TRY(storage_->remove(tmp));
    deleteSegment(seg);
  } else {
    // The compacted copy is durable (fsynced above) before it replaces the segment. If the
    // rename is lost in a crash the old segment comes back: evicted records reappear, never
    // the reverse.
    auto nseg = std::make_shared<Segment>();
    nseg->base = seg->base;
    nseg->path = seg->path;
    nseg->meta = std::move(meta);
    {
      std::unique_lock lock(state_mu_);
      if (auto rst = storage_->rename(tmp, seg->path); !rst) {
        (void)storage_->remove(tmp);
        return core::fail(rst.error().wrap("compacting " + seg->path));
      }
      segments_[nseg->base] = nseg;
      recomputeStartLocked();
    }
    if (auto ist = writeIndex(*nseg); !ist) {
      SF_LOG_WARN("log", "index write failed", {{"error", ist.error().toString()}});
    }
    (void)storage_->fsyncDir(opt_.dir);
    sealed_bytes_ = sealed_bytes_ - old_size + nseg->meta.size;
    updateSizeGauges();
    m_start_.set(static_cast<double>(startOffset()));
  }
  if (lost > 0) m_lost_.inc(lost);
  if (notice.records > 0) {
    size_t ci = classIndex(drop);
    evicted_[ci].fetch_add(notice.records);
    m_evicted_[ci]->inc(notice.records);
    m_evicted_bytes_[ci]->inc(notice.bytes);
    SF_LOG_WARN("log", "quota: records evicted",
                {{"stream", opt_.stream},
                 {"class", std::string(entryClassName(drop))},
                 {"first_offset", std::to_string(notice.first_offset)},
                 {"last_offset", std::to_string(notice.last_offset)},
                 {"records", std::to_string(notice.records)},
                 {"bytes", std::to_string(notice.bytes)}});
    std::function<void(const EvictionNotice&)> cb;
    {
      std::lock_guard lock(evict_cb_mu_);
      cb = on_eviction_;
    }
    if (cb) cb(notice);
  }
  return core::ok();
}

core::Status LogImpl::runRetention() {
  if (opt_.retention_age.count() <= 0 && opt_.retention_bytes == 0) return core::ok();
  auto min_cursor = minCursor();
  int64_t now = clock_.nowUnixNanos();
  int64_t age_ns = std::chrono::nanoseconds(opt_.retention_age).count();
  while (!segments_.empty()) {
    SegmentPtr first = segments_.begin()->second;
    if (first == active_) break;
    // Records not yet forwarded to every registered output are never deleted by retention.
    if (min_cursor && first->meta.end > *min_cursor) break;
    bool by_age = age_ns > 0 && first->meta.max_ts < now - age_ns;
    bool by_size = opt_.retention_bytes > 0 && totalBytes() > opt_.retention_bytes;
    if (!by_age && !by_size) break;
    SF_LOG_INFO(
        "log", "retention: segment deleted",
        {{"stream", opt_.stream}, {"segment", first->path}, {"reason", by_age ? "age" : "size"}});
    deleteSegment(first);
    m_retention_deleted_.inc();
  }
  return core::ok();
}

void LogImpl::repair(uint64_t base) {
  {
    std::lock_guard lock(q_mu_);
    repair_requested_.erase(base);
  }
  auto it = segments_.find(base);
  if (it == segments_.end()) return;
  SegmentPtr seg = it->second;
  if (seg == active_) {
    // Salvaged at the next open; readers skip the bad frames meanwhile.
    SF_LOG_ERROR("log", "corrupt frame in the active segment", {{"segment", seg->path}});
    return;
  }
  auto file = fileOf(*seg);
  if (!file) {
    SF_LOG_ERROR("log", "repair: cannot open", {{"error", file.error().toString()}});
    return;
  }
  auto scan = scanSegment(FileSource(**file), seg->meta.size, base);
  if (!scan) {
    SF_LOG_ERROR("log", "repair scan failed", {{"error", scan.error().toString()}});
    return;
  }
  if (scan->clean()) return;
  uint64_t lost = scan->lostOffsets();
  auto next = std::next(it);
  if (scan->tail_bytes > 0 && next != segments_.end() && next->first > scan->meta.end) {
    lost += next->first - scan->meta.end;
  }
  auto nseg = std::make_shared<Segment>();
  nseg->base = base;
  nseg->path = seg->path;
  auto s = salvage(seg->path, **file, *scan, OpenMode::kRead, [&](const Salvaged& sv) {
    nseg->meta = sv.meta;
    segments_[base] = nseg;  // under state_mu_, with the renames
    recomputeStartLocked();
  });
  if (!s) {
    SF_LOG_ERROR("log", "salvage failed",
                 {{"segment", seg->path}, {"error", s.error().toString()}});
    return;
  }
  sealed_bytes_ = sealed_bytes_ - seg->meta.size + nseg->meta.size;
  if (nseg->meta.empty()) {
    deleteSegment(nseg);
  } else {
    (void)writeIndex(*nseg);
    updateSizeGauges();
  }
  m_lost_.inc(lost);
  m_quarantined_.inc();
  SF_LOG_ERROR("log", "corrupt segment quarantined",
               {{"segment", seg->path},
                {"quarantine", s->quarantine},
                {"lost_records_at_most", std::to_string(lost)}});
}

void LogImpl::maintenance() {
  next_maintenance_ns_ =
      clock_.monotonicNanos() + std::chrono::nanoseconds(opt_.maintenance_interval).count();
  if (auto st = runRetention(); !st) {
    SF_LOG_WARN("log", "retention failed", {{"error", st.error().toString()}});
  }
  if (opt_.when_full == WhenFull::kEvict && overQuota(0)) {
    if (auto st = ensureSpace(0); !st) {
      SF_LOG_WARN("log", "quota enforcement failed", {{"error", st.error().toString()}});
    }
  }
  takeReserve();
  updateLagGauges();
}

void LogImpl::recomputeStartLocked() {
  uint64_t start = end_offset_.load();
  for (const auto& [base, seg] : segments_) {
    if (!seg->meta.empty()) {
      start = seg->meta.first_offset;
      break;
    }
  }
  start_offset_.store(start);
}

void LogImpl::updateSizeGauges() {
  // Writer thread (or open): the map and the byte counts are its own, no lock needed.
  m_segments_.set(static_cast<double>(segments_.size()));
  m_size_.set(static_cast<double>(totalBytes()));
  m_start_.set(static_cast<double>(startOffset()));
  m_end_.set(static_cast<double>(endOffset()));
}

void LogImpl::updateLagGauges() {
  auto all = cursors();
  uint64_t start = startOffset();
  uint64_t end = endOffset();
  int64_t now = clock_.nowUnixNanos();
  for (const auto& [name, c] : all) {
    core::Labels l = labels_;
    l.emplace_back("output", name);
    uint64_t from = std::max(c, start);
    registry_.gauge("sf_log_cursor_lag_records", "Records not yet forwarded to the output", l)
        .set(static_cast<double>(end > from ? end - from : 0));
    double age = 0;
    if (from < end) {
      auto first = read(from, 1, 1);
      if (first && !first->empty()) {
        age = std::max(0.0, static_cast<double>(now - first->front().ts_ns) / 1e9);
      }
    }
    registry_.gauge("sf_log_cursor_lag_seconds", "Age of the oldest record not yet forwarded", l)
        .set(age);
  }
}

// ============================================================================================
// Reads and cursors
// ============================================================================================

core::Result<std::vector<StoredEntry>> LogImpl::read(uint64_t from, size_t max_entries,
                                                     size_t max_bytes) const {
  std::vector<StoredEntry> out;
  if (max_entries == 0) return out;
  uint64_t end = endOffset();
  size_t bytes = 0;
  bool done = false;
  uint64_t cursor = from;
  while (!done && cursor < end) {
    SegmentPtr seg;
    uint64_t start_pos = 0;
    uint64_t limit = 0;
    std::shared_ptr<File> file;
    {
      std::shared_lock lock(state_mu_);
      auto it = segments_.upper_bound(cursor);
      if (it != segments_.begin()) {
        auto prev = std::prev(it);
        if (prev->second->meta.end > cursor || std::next(prev) == segments_.end()) it = prev;
      }
      if (it == segments_.end()) break;
      seg = it->second;
      start_pos = seg->base <= cursor ? seg->meta.seek(cursor) : 0;
      limit = seg->meta.size;
      // Opened under the lock: the file and `seg->meta` are the same version.
      SF_ASSIGN_OR_RETURN(file, fileOf(*seg));
    }
    FileSource src(*file);
    WindowReader r(src, limit, 64u << 10);
    uint64_t pos = start_pos;
    while (!done && pos < limit) {
      FrameHeader h;
      std::string_view frame;
      std::string why;
      core::Error io;
      FrameStatus st = frameAt(r, pos, 0, h, frame, &why, &io);
      if (!io.message.empty()) return core::fail(std::move(io));
      if (st != FrameStatus::kOk) {
        m_corrupt_reads_.inc();
        SF_LOG_ERROR("log", "corrupt frame skipped by a reader",
                     {{"segment", seg->path}, {"position", std::to_string(pos)}, {"why", why}});
        requestRepair(seg->base);
        SF_ASSIGN_OR_RETURN(auto next, findNextFrame(r, pos + 1, 0));
        if (!next) break;
        pos = *next;
        continue;
      }
      pos += h.length;
      if (h.endOffset() <= cursor) continue;
      forEachEntry(h, frame, [&](const EntryView& e) {
        if (done || e.offset < cursor) return;
        if (!out.empty() && bytes + e.payload.size() > max_bytes) {
          done = true;
          return;
        }
        out.push_back(StoredEntry{e.offset, e.cls, e.ts_ns, std::string(e.payload)});
        bytes += e.payload.size();
        if (out.size() >= max_entries || bytes >= max_bytes) done = true;
      });
    }
    // Next segment: everything of this one up to its durable size has been seen.
    uint64_t next_base = UINT64_MAX;
    {
      std::shared_lock lock(state_mu_);
      auto it = segments_.upper_bound(seg->base);
      if (it != segments_.end()) next_base = it->first;
    }
    if (next_base == UINT64_MAX) break;
    cursor = std::max(cursor, next_base);
    if (!out.empty()) cursor = std::max(cursor, out.back().offset + 1);
  }
  return out;
}

bool LogImpl::waitFor(uint64_t offset, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(wait_mu_);
  wait_cv_.wait_for(lock, timeout,
                    [&] { return end_offset_.load() > offset || reader_closed_.load(); });
  return end_offset_.load() > offset;
}

core::Result<uint64_t> LogImpl::cursor(const std::string& output) const {
  std::lock_guard lock(cursor_mu_);
  auto it = cursors_.find(output);
  if (it == cursors_.end()) {
    return core::fail(core::Errc::kNotFound, "log: no cursor for output '" + output + "'");
  }
  return it->second;
}

std::map<std::string, uint64_t> LogImpl::cursors() const {
  std::lock_guard lock(cursor_mu_);
  return cursors_;
}

core::Status LogImpl::commitCursor(const std::string& output, uint64_t next_offset) {
  SF_TRY(CursorStore::validateName(output));
  if (next_offset > endOffset()) {
    return core::fail(core::Errc::kInvalidData, "log: cursor " + std::to_string(next_offset) +
                                                    " for '" + output + "' is past the end " +
                                                    std::to_string(endOffset()));
  }
  {
    std::lock_guard io(cursor_io_mu_);
    SF_TRY(store_.save(output, next_offset));
    std::lock_guard lock(cursor_mu_);
    cursors_[output] = next_offset;
  }
  core::Labels l = labels_;
  l.emplace_back("output", output);
  uint64_t end = endOffset();
  uint64_t from = std::max(next_offset, startOffset());
  registry_.gauge("sf_log_cursor_lag_records", "Records not yet forwarded to the output", l)
      .set(static_cast<double>(end > from ? end - from : 0));
  if (blocked_.load()) {
    {
      std::lock_guard lock(q_mu_);
      ++cursor_epoch_;
    }
    q_cv_.notify_all();
  }
  return core::ok();
}

core::Result<uint64_t> LogImpl::registerCursor(const std::string& output) {
  SF_TRY(CursorStore::validateName(output));
  std::lock_guard io(cursor_io_mu_);
  {
    std::lock_guard lock(cursor_mu_);
    auto it = cursors_.find(output);
    if (it != cursors_.end()) return it->second;
  }
  uint64_t start = startOffset();
  if (auto st = store_.save(output, start); !st) {
    if (st.error().code != core::Errc::kResourceExhausted) return core::fail(st.error());
    // A full disk must not keep a new output from delivering what the log holds (which frees
    // space): the cursor holds retention back in memory and is written at its first commit. A
    // crash before that registers the output anew at the log's start (re-delivery, no loss).
    SF_LOG_WARN("log", "cursor file cannot be written (disk full): kept in memory until a commit",
                {{"stream", opt_.stream}, {"output", output}, {"error", st.error().toString()}});
  }
  std::lock_guard lock(cursor_mu_);
  cursors_[output] = start;
  return start;
}

core::Status LogImpl::removeCursor(const std::string& output) {
  SF_TRY(CursorStore::validateName(output));
  std::lock_guard io(cursor_io_mu_);
  SF_TRY(store_.remove(output));
  {
    std::lock_guard lock(cursor_mu_);
    cursors_.erase(output);
  }
  core::Labels l = labels_;
  l.emplace_back("output", output);
  registry_.remove("sf_log_cursor_lag_records", l);
  registry_.remove("sf_log_cursor_lag_seconds", l);
  return core::ok();
}

LogStats LogImpl::stats() const {
  LogStats s;
  s.start_offset = startOffset();
  s.end_offset = endOffset();
  {
    std::shared_lock lock(state_mu_);
    s.segments = segments_.size();
    for (const auto& [base, seg] : segments_) {
      s.size_bytes += seg->meta.size;
      for (size_t i = 0; i < kEntryClassCount; ++i) s.records[i] += seg->meta.records[i];
    }
  }
  {
    std::lock_guard lock(q_mu_);
    s.pending_appends = queue_.size() + awaiting_count_.load() + syncing_count_.load();
    s.pending_bytes = pending_bytes_;
  }
  for (size_t i = 0; i < kEntryClassCount; ++i) s.evicted[i] = evicted_[i].load();
  s.blocked = blocked_.load();
  return s;
}

void LogImpl::close() {
  {
    std::lock_guard lock(q_mu_);
    stopping_ = true;
  }
  q_cv_.notify_all();
  space_cv_.notify_all();
  if (onWriterThread()) return;  // from a callback: the writer stops after it
  std::lock_guard close_lock(close_mu_);
  if (closed_) return;
  if (writer_.joinable()) writer_.join();
  closed_ = true;
  {
    std::lock_guard lock(wait_mu_);
    reader_closed_.store(true);
  }
  wait_cv_.notify_all();
  lock_.reset();
}

}  // namespace

core::Result<std::unique_ptr<Log>> openLog(const LogOptions& options,
                                           std::shared_ptr<Storage> storage,
                                           const core::Clock& clock,
                                           core::MetricsRegistry& metrics) {
  if (!storage) storage = posixStorage();
  auto log = std::make_unique<LogImpl>(options, std::move(storage), clock, metrics);
  SF_TRY(log->open());
  return std::unique_ptr<Log>(std::move(log));
}

}  // namespace sf::log
