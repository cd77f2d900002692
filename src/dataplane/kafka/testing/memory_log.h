#pragma once
// MemoryLog: an in-memory implementation of the log::Log interface for the forwarder's unit
// tests (cursor contiguity, skips, gaps). It is our own interface, not a stand-in for Kafka;
// the integration tests use the real log (sf_log). Appends are durable at once.
// Thread-safe: one mutex around everything; waitFor() waits on a condition variable.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/log/log.h"

namespace sf::kafka::testing {

class MemoryLog final : public log::Log {
 public:
  explicit MemoryLog(std::string stream = "main") : stream_(std::move(stream)) {}

  void append(std::vector<log::Entry> entries, log::AppendCallback done) override;
  uint64_t startOffset() const override;
  uint64_t endOffset() const override;
  core::Result<std::vector<log::StoredEntry>> read(uint64_t from, size_t max_entries,
                                                   size_t max_bytes) const override;
  bool waitFor(uint64_t offset, std::chrono::milliseconds timeout) const override;
  core::Result<uint64_t> cursor(const std::string& output) const override;
  core::Status commitCursor(const std::string& output, uint64_t next_offset) override;
  core::Result<uint64_t> registerCursor(const std::string& output) override;
  core::Status removeCursor(const std::string& output) override;
  std::map<std::string, uint64_t> cursors() const override;
  core::Status flush() override { return core::ok(); }
  core::Status enforceRetention() override { return core::ok(); }
  log::LogStats stats() const override;
  const log::RecoveryReport& recovery() const override { return recovery_; }
  void onEviction(std::function<void(const log::EvictionNotice&)> cb) override {}
  void close() override;

  // Test helpers.
  uint64_t appendSync(log::Entry entry);
  // Removes the stored entries at `offsets` (an evicted gap inside the log).
  void erase(const std::vector<uint64_t>& offsets);
  // Removes every entry below `offset` (retention / eviction at the start).
  void truncateBefore(uint64_t offset);
  // Every commitCursor value, in order.
  std::vector<uint64_t> commits(const std::string& output) const;
  // Makes the next `n` read() calls fail with kUnavailable.
  void failReads(int n);

 private:
  const std::string stream_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<uint64_t, log::StoredEntry> entries_;
  uint64_t start_ = 0;
  uint64_t end_ = 0;
  std::map<std::string, uint64_t> cursors_;
  std::map<std::string, std::vector<uint64_t>> commits_;
  mutable int fail_reads_ = 0;
  bool closed_ = false;
  log::RecoveryReport recovery_;
};

}  // namespace sf::kafka::testing
