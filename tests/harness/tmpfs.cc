#include "harness/tmpfs.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace sf::testing {
namespace {

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

std::string enterPrivateMountNamespace() {
  if (::geteuid() != 0) {
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER) != 0) {
      return errnoText("unshare(CLONE_NEWUSER) (not root, and no unprivileged user namespaces)");
    }
    if (!writeFile("/proc/self/setgroups", "deny") ||
        !writeFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !writeFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
      return "cannot write the user namespace's id maps";
    }
  }
  if (::unshare(CLONE_NEWNS) != 0) return errnoText("unshare(CLONE_NEWNS)");
  // Mounts made here must not propagate back to the machine's namespace.
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return errnoText("mount --make-rprivate /");
  }
  return "";
}

const std::string& privateMountNamespaceError() {
  static const std::string error = enterPrivateMountNamespace();
  return error;
}

Tmpfs::Tmpfs(const std::string& parent, uint64_t bytes) {
  std::string tmpl = parent + "/sf-tmpfs-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    error_ = errnoText("mkdtemp " + tmpl);
    return;
  }
  path_ = tmpl;
  std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
  if (::mount("sf-test-tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
    error_ = errnoText("mount -t tmpfs -o " + data + " " + path_);
    return;
  }
  mounted_ = true;
}

Tmpfs::~Tmpfs() {
  if (mounted_) (void)::umount2(path_.c_str(), MNT_DETACH);
  if (!path_.empty()) (void)::rmdir(path_.c_str());
}

uint64_t Tmpfs::freeBytes() const {
  struct statvfs st {};
  if (::statvfs(path_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

int64_t Tmpfs::fill(const std::string& name, uint64_t leave_free) const {
  std::string path = path_ + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::vector<char> zeros(64 * 1024, 0);
  int64_t size = 0;
  for (;;) {
    ssize_t n = ::write(fd, zeros.data(), zeros.size());
    if (n > 0) {
      size += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != ENOSPC) {
      ::close(fd);
      return -1;
    }
    break;  // full (ENOSPC, or a write of 0 bytes)
  }
  int64_t keep = size - static_cast<int64_t>(leave_free);
  if (keep < 0) keep = 0;
  if (::ftruncate(fd, keep) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return keep;
}

}  // namespace sf::testing
