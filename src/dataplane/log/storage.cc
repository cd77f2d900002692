#include "dataplane/log/storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace sf::log {

core::Error ioError(const std::string& what, int err) {
  core::Errc code = core::Errc::kUnavailable;
  if (err == ENOSPC || err == EDQUOT) code = core::Errc::kResourceExhausted;
  if (err == ENOENT) code = core::Errc::kNotFound;
  return core::Error(code, what + ": " + std::strerror(err));
}

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string dirName(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

core::Status writeAll(File& file, uint64_t offset, const void* data, size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    auto n = file.pwrite(offset, p, len);
    if (!n) return core::fail(std::move(n).error());
    if (*n == 0)
      return core::fail(core::Errc::kUnavailable, file.path() + ": write made no progress");
    p += *n;
    offset += *n;
    len -= *n;
  }
  return core::ok();
}

core::Status appendAll(File& file, const void* data, size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    auto n = file.append(p, len);
    if (!n) return core::fail(std::move(n).error());
    if (*n == 0)
      return core::fail(core::Errc::kUnavailable, file.path() + ": write made no progress");
    p += *n;
    len -= *n;
  }
  return core::ok();
}

core::Status readExact(const File& file, uint64_t offset, void* buf, size_t len) {
  auto n = file.read(offset, buf, len);
  if (!n) return core::fail(std::move(n).error());
  if (*n != len) {
    return core::fail(core::Errc::kDataLoss,
                      file.path() + ": short read at " + std::to_string(offset) + " (" +
                          std::to_string(*n) + " of " + std::to_string(len) + " bytes)");
  }
  return core::ok();
}

core::Status writeFileAtomic(Storage& storage, const std::string& path, std::string_view content,
                             bool durable) {
  std::string tmp = path + ".tmp";
  {
    SF_ASSIGN_OR_RETURN(auto file, storage.open(tmp, OpenMode::kTruncate));
    SF_TRY(writeAll(*file, 0, content.data(), content.size()));
    if (durable) SF_TRY(file->fsync());
  }
  SF_TRY(storage.rename(tmp, path));
  return durable ? storage.fsyncDir(dirName(path)) : core::ok();
}

core::Status Storage::preallocate(const std::string& path, uint64_t bytes) {
  auto attempt = [&]() -> core::Status {
    SF_ASSIGN_OR_RETURN(auto file, open(path, OpenMode::kTruncate));
    std::string zeros(std::min<uint64_t>(bytes, 1u << 20), '\0');
    for (uint64_t at = 0; at < bytes; at += zeros.size()) {
      SF_TRY(writeAll(*file, at, zeros.data(), std::min<uint64_t>(zeros.size(), bytes - at)));
    }
    return file->fsync();
  };
  auto st = attempt();
  if (!st) (void)remove(path);
  return st;
}

core::Result<std::string> readFile(Storage& storage, const std::string& path) {
  SF_ASSIGN_OR_RETURN(auto file, storage.open(path, OpenMode::kRead));
  SF_ASSIGN_OR_RETURN(uint64_t size, file->size());
  if (size > (64u << 20)) return core::fail(core::Errc::kInvalidData, path + ": too large");
  std::string out(size, '\0');
  SF_TRY(readExact(*file, 0, out.data(), out.size()));
  return out;
}

namespace {

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), end_(size) {}
  ~PosixFile() override { ::close(fd_); }

  core::Result<size_t> pwrite(uint64_t offset, const void* data, size_t len) override {
    while (true) {
      ssize_t n = ::pwrite(fd_, data, len, static_cast<off_t>(offset));
      if (n >= 0) {
        uint64_t end = offset + static_cast<uint64_t>(n);
        uint64_t cur = end_.load();
        while (end > cur && !end_.compare_exchange_weak(cur, end)) {
        }
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      return core::fail(ioError("write " + path_, errno));
    }
  }

  core::Result<size_t> append(const void* data, size_t len) override {
    return pwrite(end_.load(), data, len);
  }

  core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const override {
    size_t done = 0;
    auto* p = static_cast<char*>(buf);
    while (done < len) {
      ssize_t n = ::pread(fd_, p + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return core::fail(ioError("read " + path_, errno));
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  core::Status fsync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno == EINTR) continue;
      return core::fail(ioError("fsync " + path_, errno));
    }
    return core::ok();
  }

  core::Status truncate(uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno == EINTR) continue;
      return core::fail(ioError("truncate " + path_, errno));
    }
    end_.store(size);
    return core::ok();
  }

  core::Result<uint64_t> size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return core::fail(ioError("stat " + path_, errno));
    return static_cast<uint64_t>(st.st_size);
  }

  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  std::atomic<uint64_t> end_;
};

class PosixLock final : public DirLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}
  ~PosixLock() override { ::close(fd_); }  // closing the descriptor drops the flock

 private:
  int fd_;
};

class PosixStorage final : public Storage {
 public:
  core::Result<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kRead:
        flags |= O_RDONLY;
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case OpenMode::kCreate:
        flags |= O_RDWR | O_CREAT;
        break;
      case OpenMode::kTruncate:
        flags |= O_RDWR | O_CREAT | O_TRUNC;
        break;
    }
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return core::fail(ioError("open " + path, errno));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return core::fail(ioError("stat " + path, err));
    }
    return std::shared_ptr<File>(
        std::make_shared<PosixFile>(fd, path, static_cast<uint64_t>(st.st_size)));
  }

  core::Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return core::fail(ioError("rename " + from + " -> " + to, errno));
    }
    return core::ok();
  }

  core::Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return core::fail(ioError("remove " + path, errno));
    return core::ok();
  }

  core::Result<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return core::fail(ioError("list " + dir, errno));
    std::vector<std::string> out;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return core::fail(ioError("list " + dir, err));
    return out;
  }

  core::Status fsyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return core::fail(ioError("open dir " + dir, errno));
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    int err = errno;
    ::close(fd);
    if (rc != 0) return core::fail(ioError("fsync dir " + dir, err));
    return core::ok();
  }

  core::Status createDirs(const std::string& dir) override {
    if (dir.empty()) return core::ok();
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return core::ok();
      return core::fail(core::Errc::kInvalidConfig, dir + " exists and is not a directory");
    }
    std::string parent = dirName(dir);
    if (parent != dir && parent != "." && parent != "/") SF_TRY(createDirs(parent));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return core::fail(ioError("mkdir " + dir, errno));
    }
    return core::ok();
  }

  core::Result<uint64_t> fileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return core::fail(ioError("stat " + path, errno));
    return static_cast<uint64_t>(st.st_size);
  }

  core::Status preallocate(const std::string& path, uint64_t bytes) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return core::fail(ioError("open " + path, errno));
    int err = bytes > 0 ? ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)) : 0;
    if (err == 0 && ::fdatasync(fd) != 0) err = errno;
    ::close(fd);
    if (err == EOPNOTSUPP || err == EINVAL) return Storage::preallocate(path, bytes);
    if (err != 0) {
      (void)::unlink(path.c_str());
      return core::fail(ioError("preallocate " + path, err));
    }
    return core::ok();
  }

  core::Result<uint64_t> freeSpace(const std::string& dir) override {
    struct statvfs st;
    if (::statvfs(dir.c_str(), &st) != 0) return core::fail(ioError("statvfs " + dir, errno));
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }

  bool exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  core::Result<std::unique_ptr<DirLock>> lock(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return core::fail(ioError("open " + path, errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return core::fail(core::Errc::kUnavailable,
                          path + " is locked: another process has this log open");
      }
      return core::fail(ioError("lock " + path, err));
    }
    return std::unique_ptr<DirLock>(std::make_unique<PosixLock>(fd));
  }
};

}  // namespace

std::shared_ptr<Storage> posixStorage() {
  static auto storage = std::make_shared<PosixStorage>();
  return storage;
}

}  // namespace sf::log
