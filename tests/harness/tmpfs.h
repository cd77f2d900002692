#pragma once

// A small, real file system that can fill up: a tmpfs of a given size, mounted in a mount
// namespace of the test process's own, so a disk-full test needs no fake storage and leaves no
// mount behind, whatever happens to the process (the namespace dies with it; children forked
// later share it).
//
// enterPrivateMountNamespace() must run while the process has one thread (before any log,
// client or thread is started: SetUpTestSuite). As root it unshares the mount namespace; as
// another user it first enters a user namespace in which it is root (unprivileged user
// namespaces must be enabled).

#include <cstdint>
#include <string>

namespace sf::testing {

// "" on success, else why not.
std::string enterPrivateMountNamespace();

// For fixtures: enters the namespace on the first call (call it from SetUpTestSuite(), while the
// process has one thread) and returns that call's result ever after.
const std::string& privateMountNamespaceError();

class Tmpfs {
 public:
  // Mounts a tmpfs of `bytes` on a new directory under `parent`; ok() tells whether it worked,
  // error() why not.
  Tmpfs(const std::string& parent, uint64_t bytes);
  ~Tmpfs();  // unmounts and removes the directory
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  uint64_t freeBytes() const;  // statvfs: bytes available

  // Writes zeros to `name` until the file system is full, then gives `leave_free` bytes back
  // (rounded to pages by the file system). Returns the file's size, or -1 on another error.
  int64_t fill(const std::string& name, uint64_t leave_free = 0) const;

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

}  // namespace sf::testing
