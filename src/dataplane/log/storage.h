#pragma once
// Storage: the file-system backend of the local log. Everything the log does to the disk goes
// through here, so tests can swap in FaultInjectingStorage (fault_storage.h) and make the next
// write, fsync or rename fail, a write come back short, or the disk fill up.
//
// Thread-safety: a Storage and its Files may be used from several threads at once (the writer
// appends while readers pread); a single File's append() is used by one thread at a time.
// Errors carry Errc::kResourceExhausted for ENOSPC/EDQUOT, kNotFound for ENOENT, kUnavailable
// for anything else (EIO...), and the errno text in the message.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sf::log {

class File {
 public:
  virtual ~File() = default;
  // Writes at `offset`; returns the bytes written, which may be fewer than `len` (the caller
  // loops, see writeAll()).
  virtual core::Result<size_t> pwrite(uint64_t offset, const void* data, size_t len) = 0;
  // Writes at the current end of the file (as this handle knows it); may be short.
  virtual core::Result<size_t> append(const void* data, size_t len) = 0;
  // Reads up to `len` bytes at `offset`; fewer only at the end of the file.
  virtual core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const = 0;
  // Makes the data written so far, and the file size, durable (fdatasync).
  virtual core::Status fsync() = 0;
  virtual core::Status truncate(uint64_t size) = 0;
  virtual core::Result<uint64_t> size() const = 0;
  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kRead,       // read only; the file must exist
  kReadWrite,  // the file must exist
  kCreate,     // read-write, created if missing
  kTruncate,   // read-write, created if missing, emptied
};

// An exclusive lock on a directory (flock on a LOCK file), released when destroyed or when the
// process dies.
class DirLock {
 public:
  virtual ~DirLock() = default;
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual core::Result<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  // Atomically replaces `to` (rename(2)); durable only after fsyncDir() of the directory.
  virtual core::Status rename(const std::string& from, const std::string& to) = 0;
  virtual core::Status remove(const std::string& path) = 0;
  // File names (not paths) in `dir`, without "." and "..".
  virtual core::Result<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual core::Status fsyncDir(const std::string& dir) = 0;
  virtual core::Status createDirs(const std::string& dir) = 0;
  virtual core::Result<uint64_t> fileSize(const std::string& path) = 0;
  virtual core::Result<uint64_t> freeSpace(const std::string& dir) = 0;
  virtual bool exists(const std::string& path) = 0;
  // Takes an exclusive lock without waiting: kUnavailable if another process holds it.
  virtual core::Result<std::unique_ptr<DirLock>> lock(const std::string& path) = 0;
  // Creates `path` holding `bytes` of allocated disk space, fsynced (space set aside for later:
  // removing the file frees it). kResourceExhausted when the disk lacks the room; a partial
  // file is removed. This default writes zeros; the POSIX storage uses posix_fallocate.
  virtual core::Status preallocate(const std::string& path, uint64_t bytes);
};

// The real file system (POSIX calls). One shared instance is enough.
std::shared_ptr<Storage> posixStorage();

// Writes all of `data` at `offset`, looping over short writes. On an error part of the data
// may have been written: the caller truncates back to a clean state.
core::Status writeAll(File& file, uint64_t offset, const void* data, size_t len);
// Appends all of `data`, looping over short writes.
core::Status appendAll(File& file, const void* data, size_t len);
// Reads exactly `len` bytes or fails (kDataLoss if the file is shorter).
core::Status readExact(const File& file, uint64_t offset, void* buf, size_t len);

// Writes `content` to `path` atomically: `path`.tmp, fsync, rename, fsync the directory.
// durable=false skips both fsyncs (for caches that are validated when read, like indexes):
// after a crash the file is the old one, the new one, or one that fails its checksum.
core::Status writeFileAtomic(Storage& storage, const std::string& path, std::string_view content,
                             bool durable = true);
// Reads a whole (small) file.
core::Result<std::string> readFile(Storage& storage, const std::string& path);

// An error for a failed system call: maps errno to the Errc classes above.
core::Error ioError(const std::string& what, int err);

std::string joinPath(const std::string& dir, const std::string& name);
std::string dirName(const std::string& path);

}  // namespace sf::log
