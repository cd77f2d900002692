#pragma once
// What every benchmark prints and measures the same way: the command, the machine and its load,
// percentiles of a latency sample, the file system a directory lives on, and a process's
// memory as the kernel reports it. Benchmarks print figures; nothing here asserts them.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sf::bench {

// "--name value" command-line options. Each option sets its target from the value; parse() stops
// the program (status 2) with the reason and a usage line on an unknown option, a missing value
// or one that does not parse.
class Flags {
 public:
  explicit Flags(std::string program) : program_(std::move(program)) {}
  Flags& add(const std::string& name, std::function<void(const std::string&)> set);
  Flags& add(const std::string& name, std::string& target);
  Flags& add(const std::string& name, int& target);
  Flags& add(const std::string& name, double& target);
  Flags& add(const std::string& name, uint64_t& target);
  void parse(int argc, char** argv) const;
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::string program_;
  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> flags_;
};

// "command: ..." and "machine: OS release arch, CPU model, N CPUs, MemTotal, load average".
void printHeader(int argc, char** argv);

// The q-quantile (0..1) of `v` (reorders v); 0 for an empty sample.
double percentile(std::vector<double>& v, double q);

// "ext4 on /dev/vda mounted at /" for the file system holding `dir` (which must exist).
std::string filesystemOf(const std::string& dir);

// Memory of a process from /proc/PID/status, in KiB (0 when unreadable). RssAnon is the
// process's own memory (heap, stacks); RssFile counts mapped file pages (binary, libraries);
// neither includes the page cache of files written with write(). VmHWM is the peak RSS.
struct Memory {
  uint64_t rss_kib = 0, rss_anon_kib = 0, rss_file_kib = 0, hwm_kib = 0;
};
Memory memoryOf(pid_t pid = 0);  // 0: this process

// CPU seconds (user + system) this process has used.
double processCpuSeconds();

}  // namespace sf::bench
