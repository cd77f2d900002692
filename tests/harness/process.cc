#include "harness/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sf::testing {

Process spawnProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  Process p;
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (options.pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) return p;
  if (options.pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0) {
    if (options.pipe_stdin) {
      ::close(in[0]);
      ::close(in[1]);
    }
    return p;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  p.pid = ::fork();
  if (p.pid == 0) {
    // dup2 clears close-on-exec on the copies: only fds 0-2 survive the exec.
    if (options.new_session) ::setsid();
    if (options.pipe_stdin) ::dup2(in[0], 0);
    if (options.pipe_stdout) {
      ::dup2(out[1], 1);
    } else if (!options.output_file.empty()) {
      int fd = ::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    if (options.stderr_to_stdout) ::dup2(1, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (options.pipe_stdin) {
    ::close(in[0]);
    p.stdin_fd = in[1];
  }
  if (options.pipe_stdout) {
    ::close(out[1]);
    p.stdout_fd = out[0];
  }
  return p;
}

int waitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int runProcess(const std::vector<std::string>& argv, std::string* output, bool merge_stderr) {
  Process p = spawnProcess(argv, {.pipe_stdout = true, .stderr_to_stdout = merge_stderr});
  if (p.pid < 0) return -1;
  char buf[65536];
  for (ssize_t n; (n = ::read(p.stdout_fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (output) output->append(buf, static_cast<size_t>(n));
  }
  ::close(p.stdout_fd);
  return waitExit(p.pid);
}

}  // namespace sf::testing
