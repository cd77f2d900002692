#pragma once

// Child processes for integration and e2e tests: started without a shell, with the pipes a test
// needs. Every pipe is created close-on-exec, so no other child inherits an end of it (a child
// that kept another's stdin open would keep it from ever seeing EOF).

#include <sys/types.h>

#include <string>
#include <vector>

namespace sf::testing {

struct ProcessOptions {
  bool pipe_stdin = false;        // Process::stdin_fd writes to its stdin
  bool pipe_stdout = false;       // Process::stdout_fd reads its stdout
  bool stderr_to_stdout = false;  // its stderr goes where its stdout goes
  std::string output_file = {};   // without pipe_stdout: stdout and stderr appended to this file
  bool new_session = false;       // setsid(): signals to the test's group do not reach it
};

struct Process {
  pid_t pid = -1;  // -1 when fork failed
  int stdin_fd = -1;
  int stdout_fd = -1;
};

// Starts argv[0] (searched in PATH when it has no '/'); exits 127 in the child if it cannot run.
Process spawnProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Waits for `pid` to end: its exit status, or 128 + the signal that ended it.
int waitExit(pid_t pid);

// Runs argv to completion and returns waitExit(); `output` (optional) receives its stdout, and
// its stderr too when merge_stderr.
int runProcess(const std::vector<std::string>& argv, std::string* output = nullptr,
               bool merge_stderr = true);

}  // namespace sf::testing
