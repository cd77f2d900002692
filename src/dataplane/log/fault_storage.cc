#include "dataplane/log/fault_storage.h"

#include <cerrno>
#include <string_view>

namespace sf::log {
namespace {

std::string_view opName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kFsync:
      return "fsync";
    case FaultOp::kTruncate:
      return "truncate";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kFsyncDir:
      return "fsync dir";
    case FaultOp::kList:
      return "list";
    case FaultOp::kLock:
      return "lock";
  }
  return "?";
}

}  // namespace

class FaultFile final : public File {
 public:
  FaultFile(std::shared_ptr<FaultInjectingStorage> storage, std::shared_ptr<File> inner)
      : storage_(std::move(storage)), inner_(std::move(inner)) {}

  core::Result<size_t> pwrite(uint64_t offset, const void* data, size_t len) override {
    return storage_->write(*inner_, offset, data, len);
  }
  core::Result<size_t> append(const void* data, size_t len) override {
    SF_ASSIGN_OR_RETURN(uint64_t end, inner_->size());
    return storage_->write(*inner_, end, data, len);
  }
  core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const override {
    {
      std::lock_guard lock(storage_->mu_);
      if (auto err = storage_->checkLocked(FaultOp::kRead, inner_->path())) {
        return core::fail(std::move(*err));
      }
    }
    return inner_->read(offset, buf, len);
  }
  core::Status fsync() override { return storage_->fsyncFile(*inner_); }
  core::Status truncate(uint64_t size) override { return storage_->truncateFile(*inner_, size); }
  core::Result<uint64_t> size() const override { return inner_->size(); }
  const std::string& path() const override { return inner_->path(); }

 private:
  std::shared_ptr<FaultInjectingStorage> storage_;
  std::shared_ptr<File> inner_;
};

FaultInjectingStorage::FaultInjectingStorage(std::shared_ptr<Storage> inner)
    : inner_(std::move(inner)) {}

void FaultInjectingStorage::failNext(FaultOp op, int err, int times, std::string path_contains) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{op, err, times, std::move(path_contains)});
}

void FaultInjectingStorage::clearFaults() {
  std::lock_guard lock(mu_);
  rules_.clear();
  short_next_.reset();
}

void FaultInjectingStorage::shortNextWrite(size_t max_bytes) {
  std::lock_guard lock(mu_);
  short_next_ = max_bytes;
}

void FaultInjectingStorage::setCapacity(std::optional<uint64_t> bytes) {
  std::lock_guard lock(mu_);
  capacity_ = bytes;
}

void FaultInjectingStorage::setZeroUnsyncedOnFsyncFailure(bool on) {
  std::lock_guard lock(mu_);
  zero_unsynced_ = on;
}

void FaultInjectingStorage::setFsyncHook(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(mu_);
  fsync_hook_ = std::move(hook);
}

uint64_t FaultInjectingStorage::usedLocked() const {
  uint64_t used = 0;
  for (const auto& [path, st] : paths_) used += st.size;
  return used;
}

uint64_t FaultInjectingStorage::usedBytes() const {
  std::lock_guard lock(mu_);
  return usedLocked();
}

std::optional<core::Error> FaultInjectingStorage::checkLocked(FaultOp op, const std::string& path) {
  calls_[static_cast<size_t>(op)].fetch_add(1);
  if (dead_) return ioError(std::string(opName(op)) + " " + path + " (after power loss)", EIO);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->op != op || it->remaining == 0) continue;
    if (!it->path_contains.empty() && path.find(it->path_contains) == std::string::npos) continue;
    int err = it->err;
    if (it->remaining > 0 && --it->remaining == 0) rules_.erase(it);
    return ioError(std::string(opName(op)) + " " + path + " (injected)", err);
  }
  return std::nullopt;
}

core::Result<size_t> FaultInjectingStorage::write(File& inner, uint64_t offset, const void* data,
                                                  size_t len) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kWrite, inner.path())) return core::fail(std::move(*err));
  auto& st = paths_[inner.path()];
  size_t n = len;
  if (short_next_) {
    n = std::min(n, *short_next_);
    short_next_.reset();
  }
  if (capacity_) {
    uint64_t end = offset + n;
    uint64_t growth = end > st.size ? end - st.size : 0;
    uint64_t used = usedLocked();
    uint64_t avail = *capacity_ > used ? *capacity_ - used : 0;
    if (growth > avail) {
      uint64_t cut = growth - avail;
      if (cut >= n) return core::fail(ioError("write " + inner.path() + " (disk full)", ENOSPC));
      n -= static_cast<size_t>(cut);
    }
  }
  SF_ASSIGN_OR_RETURN(size_t written, inner.pwrite(offset, data, n));
  st.size = std::max(st.size, offset + written);
  return written;
}

core::Status FaultInjectingStorage::fsyncFile(File& inner) {
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = fsync_hook_;
  }
  if (hook) hook(inner.path());
  std::lock_guard lock(mu_);
  auto& st = paths_[inner.path()];
  if (auto err = checkLocked(FaultOp::kFsync, inner.path())) {
    if (zero_unsynced_ && !dead_ && st.size > st.synced) {
      std::string zeros(st.size - st.synced, '\0');
      (void)writeAll(inner, st.synced, zeros.data(), zeros.size());
    }
    return core::fail(std::move(*err));
  }
  SF_TRY(inner.fsync());
  SF_ASSIGN_OR_RETURN(uint64_t size, inner.size());
  st.size = size;
  st.synced = size;
  return core::ok();
}

core::Status FaultInjectingStorage::truncateFile(File& inner, uint64_t size) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kTruncate, inner.path())) return core::fail(std::move(*err));
  SF_TRY(inner.truncate(size));
  auto& st = paths_[inner.path()];
  st.size = size;
  st.synced = std::min(st.synced, size);
  return core::ok();
}

void FaultInjectingStorage::simulatePowerLoss() {
  std::lock_guard lock(mu_);
  for (auto it = paths_.begin(); it != paths_.end();) {
    if (!it->second.dir_synced) {
      if (inner_->exists(it->first)) (void)inner_->remove(it->first);
      it = paths_.erase(it);
      continue;
    }
    if (it->second.size > it->second.synced) {
      if (auto f = inner_->open(it->first, OpenMode::kReadWrite)) {
        (void)(*f)->truncate(it->second.synced);
      }
      it->second.size = it->second.synced;
    }
    ++it;
  }
  dead_ = true;
}

void FaultInjectingStorage::revive() {
  std::lock_guard lock(mu_);
  dead_ = false;
}

core::Result<std::shared_ptr<File>> FaultInjectingStorage::open(const std::string& path,
                                                                OpenMode mode) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kOpen, path)) return core::fail(std::move(*err));
  bool existed = inner_->exists(path);
  SF_ASSIGN_OR_RETURN(auto file, inner_->open(path, mode));
  SF_ASSIGN_OR_RETURN(uint64_t size, file->size());
  auto it = paths_.find(path);
  if (it == paths_.end()) {
    PathState st;
    st.size = size;
    st.synced = existed ? size : 0;
    st.dir_synced = existed;
    paths_.emplace(path, st);
  } else {
    it->second.size = size;
    it->second.synced = std::min(it->second.synced, size);
  }
  return std::shared_ptr<File>(std::make_shared<FaultFile>(shared_from_this(), std::move(file)));
}

core::Status FaultInjectingStorage::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kRename, from)) return core::fail(std::move(*err));
  SF_TRY(inner_->rename(from, to));
  auto it = paths_.find(from);
  PathState st;
  if (it != paths_.end()) {
    st = it->second;
    paths_.erase(it);
  }
  st.dir_synced = true;  // see the model limits in the header
  paths_[to] = st;
  return core::ok();
}

core::Status FaultInjectingStorage::remove(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kRemove, path)) return core::fail(std::move(*err));
  SF_TRY(inner_->remove(path));
  paths_.erase(path);
  return core::ok();
}

core::Result<std::vector<std::string>> FaultInjectingStorage::list(const std::string& dir) {
  {
    std::lock_guard lock(mu_);
    if (auto err = checkLocked(FaultOp::kList, dir)) return core::fail(std::move(*err));
  }
  return inner_->list(dir);
}

core::Status FaultInjectingStorage::fsyncDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (auto err = checkLocked(FaultOp::kFsyncDir, dir)) return core::fail(std::move(*err));
  SF_TRY(inner_->fsyncDir(dir));
  for (auto& [path, st] : paths_) {
    if (dirName(path) == dir || dirName(path) + "/" == dir) st.dir_synced = true;
  }
  return core::ok();
}

core::Status FaultInjectingStorage::createDirs(const std::string& dir) {
  return inner_->createDirs(dir);
}

core::Result<uint64_t> FaultInjectingStorage::fileSize(const std::string& path) {
  return inner_->fileSize(path);
}

core::Result<uint64_t> FaultInjectingStorage::freeSpace(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (capacity_) {
    uint64_t used = usedLocked();
    return *capacity_ > used ? *capacity_ - used : 0;
  }
  return inner_->freeSpace(dir);
}

bool FaultInjectingStorage::exists(const std::string& path) { return inner_->exists(path); }

core::Result<std::unique_ptr<DirLock>> FaultInjectingStorage::lock(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (auto err = checkLocked(FaultOp::kLock, path)) return core::fail(std::move(*err));
  }
  return inner_->lock(path);
}

}  // namespace sf::log
