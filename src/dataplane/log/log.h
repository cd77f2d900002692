#pragma once
// The local log: an append-only, segmented, checksummed log of records on disk, per stream.
// This header is the CONTRACT between the log and its users (pipeline writer, forwarder,
// `streamforge log`, UI). The implementation may add to it; changing it needs both sides.
//
// Ownership and threads: one Log object owns one stream directory. append() is thread-safe
// and never blocks on disk: a dedicated writer thread group-commits (many appends per fsync)
// and completes each append's callback once its records are durable per the fsync policy.
// Readers (read(), waitFor()) are thread-safe and independent of the writer.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"

namespace sf::log {

// Eviction priority follows the record class: logs go first, then telemetry; events and
// alarms last (DESIGN.md). Values match model::RecordClass's wire numbers.
enum class EntryClass : uint8_t { kTelemetry = 0, kEvent = 1, kAlarm = 2, kLog = 3 };

// One record as the log stores it: the class and timestamp the log needs for retention and
// eviction, and the opaque payload (model::encodeBinary of the record, without its offset).
struct Entry {
  EntryClass cls = EntryClass::kTelemetry;
  int64_t ts_ns = 0;  // gateway timestamp, used for retention by age
  std::string payload;
};

// An entry as read back, with the offset the log assigned. Record id = gateway/stream/offset.
struct StoredEntry {
  uint64_t offset = 0;
  EntryClass cls = EntryClass::kTelemetry;
  int64_t ts_ns = 0;
  std::string payload;
};

enum class FsyncPolicy {
  kBatch,     // default: an append completes after the fsync of its group
  kInterval,  // fsync every `fsync_interval`; appends complete after that fsync
  kNever,     // UNSAFE: appends complete after write(); a power loss loses them
};

enum class WhenFull {
  kEvict,  // priority-aware eviction (counted, announced), appends continue
  kBlock,  // backpressure: appends wait until forwarding frees space
};

struct LogOptions {
  std::string dir;              // the stream directory (created if missing)
  std::string stream = "main";  // stream name, part of record ids
  uint64_t segment_bytes = 64ull << 20;
  FsyncPolicy fsync = FsyncPolicy::kBatch;
  std::chrono::milliseconds fsync_interval{100};
  uint64_t max_group_bytes = 4ull << 20;  // upper bound of one group commit
  uint64_t retention_bytes = 0;           // 0: no size retention beyond the quota
  std::chrono::seconds retention_age{0};  // 0: keep forever (until quota)
  uint64_t quota_bytes = 0;               // 0: no quota
  WhenFull when_full = WhenFull::kEvict;

  // Additions (see docs/LOG.md).
  // Bytes appended but not yet written. Beyond it append() blocks its caller (backpressure),
  // or fails with kResourceExhausted when reject_when_queue_full. One append larger than the
  // bound is still accepted when the queue is empty.
  uint64_t max_pending_bytes = 64ull << 20;
  bool reject_when_queue_full = false;
  // How often the writer applies retention and the quota and refreshes the lag gauges.
  std::chrono::milliseconds maintenance_interval{1000};
};

// The range of offsets one append received: [first, first + count).
struct AppendResult {
  uint64_t first_offset = 0;
  uint32_t count = 0;
};

using AppendCallback = std::function<void(core::Result<AppendResult>)>;

// What recovery found at open: a torn tail truncated, corrupt segments quarantined.
struct RecoveryReport {
  uint64_t truncated_bytes = 0;
  uint64_t truncated_records = 0;
  std::string truncated_segment;
  std::vector<std::string> quarantined_segments;
  uint64_t lost_records = 0;  // records counted as lost in quarantined segments
  std::string summary() const;

  // Additions.
  uint64_t segments = 0;                     // segment files found
  uint64_t scanned_bytes = 0;                // bytes validated at open (last segment + any
                                             // segment whose index was missing or stale)
  std::vector<std::string> rebuilt_indexes;  // index files rebuilt from their segment
  std::vector<std::string> reset_cursors;    // unreadable cursor files, reset to the start
                                             // offset (re-delivery, never loss)
  uint64_t skipped_offsets = 0;  // offsets skipped at open so that no record id is reused
                                 // (a cursor was past the recovered end)
  bool clean() const;
};

// A snapshot for status views and `streamforge log inspect`.
struct LogStats {
  uint64_t start_offset = 0;
  uint64_t end_offset = 0;
  uint64_t segments = 0;
  uint64_t size_bytes = 0;       // segment files
  uint64_t pending_appends = 0;  // queued or written and waiting for their fsync
  uint64_t pending_bytes = 0;
  std::array<uint64_t, 4> records{};  // stored records per EntryClass
  std::array<uint64_t, 4> evicted{};  // evicted by the quota since open, per EntryClass
  bool blocked = false;               // when_full: block and the quota is reached
};

// Announced as a `log` record and counted in sf_log_evicted_records_total.
struct EvictionNotice {
  EntryClass cls;
  uint64_t first_offset;
  uint64_t last_offset;
  uint64_t records;
  uint64_t bytes;
};

class Log {
 public:
  virtual ~Log() = default;

  // Queues entries; `done` runs on the writer thread once they are durable per the policy,
  // or with an error (the entries were not stored and may be retried).
  virtual void append(std::vector<Entry> entries, AppendCallback done) = 0;

  // Offsets: the first still stored, and one past the last durable one.
  virtual uint64_t startOffset() const = 0;
  virtual uint64_t endOffset() const = 0;

  // Up to `max_entries`/`max_bytes` durable entries from `from` (skipping evicted gaps).
  virtual core::Result<std::vector<StoredEntry>> read(uint64_t from, size_t max_entries,
                                                      size_t max_bytes) const = 0;
  // Waits until endOffset() > offset or the timeout passes or close(); true if data is there.
  virtual bool waitFor(uint64_t offset, std::chrono::milliseconds timeout) const = 0;

  // Per-output cursors (the next offset to deliver), persisted atomically. Registered
  // cursors hold back retention by age: unforwarded records are never deleted by age.
  virtual core::Result<uint64_t> cursor(const std::string& output) const = 0;
  virtual core::Status commitCursor(const std::string& output, uint64_t next_offset) = 0;

  // Additions: registers `output` at startOffset() if it has no cursor yet, and returns its
  // cursor. On a full disk the new cursor is kept in memory and written at its first commit.
  // Removing a cursor (an output removed from the configuration) stops it holding back
  // retention.
  virtual core::Result<uint64_t> registerCursor(const std::string& output) = 0;
  virtual core::Status removeCursor(const std::string& output) = 0;
  virtual std::map<std::string, uint64_t> cursors() const = 0;

  // Waits until every append made before the call is durable (with FsyncPolicy::kInterval or
  // kNever: forces the fsync now). Returns the fsync's error, if any.
  virtual core::Status flush() = 0;
  // Runs retention and the quota now on the writer thread and waits for it (tests, and the
  // runtime after a configuration change). Normally they run every maintenance_interval.
  virtual core::Status enforceRetention() = 0;
  virtual LogStats stats() const = 0;

  virtual const RecoveryReport& recovery() const = 0;
  // Called on the writer thread for every eviction (the runtime turns it into a log record).
  virtual void onEviction(std::function<void(const EvictionNotice&)> cb) = 0;

  // Flushes, completes pending appends, stops the writer. Idempotent.
  virtual void close() = 0;
};

class Storage;  // storage.h: the file-system backend (POSIX, or fault-injecting for tests)

core::Result<std::unique_ptr<Log>> openLog(
    const LogOptions& options, std::shared_ptr<Storage> storage = nullptr,
    const core::Clock& clock = core::SystemClock::instance(),
    core::MetricsRegistry& metrics = core::MetricsRegistry::global());

}  // namespace sf::log
