#pragma once
// FaultInjectingStorage: a Storage over another one (normally POSIX in a temp directory) that
// fails on command, for the tests of the log's error paths: "fail the next fsync", "the next
// write is short", "the disk holds N bytes" (ENOSPC), and a simulated power loss that drops
// every byte not fsynced and every file whose directory entry was not fsynced.
//
// Thread-safe. Mutating calls (write, fsync, truncate, rename...) are serialised by one mutex
// so the bookkeeping stays exact; reads go straight through. The fsync hook runs outside the
// mutex, so a test may block in it to hold the writer inside an fsync.
// Model limits: rename() is taken as durable at once (its directory fsync is not modelled),
// and a truncation is durable at once.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/log/storage.h"

namespace sf::log {

enum class FaultOp {
  kOpen,
  kWrite,
  kRead,
  kFsync,
  kTruncate,
  kRename,
  kRemove,
  kFsyncDir,
  kList,
  kLock,
};
inline constexpr size_t kFaultOpCount = 10;

class FaultInjectingStorage final : public Storage,
                                    public std::enable_shared_from_this<FaultInjectingStorage> {
 public:
  explicit FaultInjectingStorage(std::shared_ptr<Storage> inner = posixStorage());

  // The next `times` calls of `op` (on paths containing `path_contains`) fail with errno `err`.
  // times < 0: until clearFaults().
  void failNext(FaultOp op, int err = 5 /*EIO*/, int times = 1, std::string path_contains = "");
  void clearFaults();
  // The next write (pwrite/append) writes at most `max_bytes` and reports that.
  void shortNextWrite(size_t max_bytes);
  // The "disk" holds at most `bytes` (sum of the sizes of the files seen through this storage):
  // a write beyond is short, then fails with ENOSPC. nullopt: unlimited.
  void setCapacity(std::optional<uint64_t> bytes);
  // When an injected fsync fails, the bytes written since the file's last fsync are zeroed
  // (what a kernel that dropped the dirty pages leaves behind).
  void setZeroUnsyncedOnFsyncFailure(bool on);
  // Runs before every file fsync (not directory fsync), outside the lock.
  void setFsyncHook(std::function<void(const std::string& path)> hook);

  // Power loss: every file is cut back to its last fsynced size, and files created since
  // their directory's last fsync disappear. Afterwards every call fails (EIO) until revive(),
  // so the Log under test can be closed without writing anything more.
  void simulatePowerLoss();
  void revive();

  uint64_t calls(FaultOp op) const { return calls_[static_cast<size_t>(op)].load(); }
  uint64_t usedBytes() const;

  // Storage
  core::Result<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override;
  core::Status rename(const std::string& from, const std::string& to) override;
  core::Status remove(const std::string& path) override;
  core::Result<std::vector<std::string>> list(const std::string& dir) override;
  core::Status fsyncDir(const std::string& dir) override;
  core::Status createDirs(const std::string& dir) override;
  core::Result<uint64_t> fileSize(const std::string& path) override;
  core::Result<uint64_t> freeSpace(const std::string& dir) override;
  bool exists(const std::string& path) override;
  core::Result<std::unique_ptr<DirLock>> lock(const std::string& path) override;

 private:
  friend class FaultFile;
  struct Rule {
    FaultOp op;
    int err;
    int remaining;
    std::string path_contains;
  };
  struct PathState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool dir_synced = true;
  };

  // Counts the call and returns the injected error, if any. Caller holds mu_.
  std::optional<core::Error> checkLocked(FaultOp op, const std::string& path);
  core::Result<size_t> write(File& inner, uint64_t offset, const void* data, size_t len);
  core::Status fsyncFile(File& inner);
  core::Status truncateFile(File& inner, uint64_t size);
  uint64_t usedLocked() const;

  std::shared_ptr<Storage> inner_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::map<std::string, PathState> paths_;
  std::optional<size_t> short_next_;
  std::optional<uint64_t> capacity_;
  bool zero_unsynced_ = false;
  bool dead_ = false;
  std::function<void(const std::string&)> fsync_hook_;
  std::array<std::atomic<uint64_t>, kFaultOpCount> calls_{};
};

}  // namespace sf::log
