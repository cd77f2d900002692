#include "bench_util.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace sf::bench {
namespace {

std::string valueOf(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) return line;
    auto value = line.find_first_not_of(" \t", colon + 1);
    return value == std::string::npos ? std::string() : line.substr(value);
  }
  return "?";
}

}  // namespace

Flags& Flags::add(const std::string& name, std::function<void(const std::string&)> set) {
  flags_.emplace_back(name, std::move(set));
  return *this;
}

Flags& Flags::add(const std::string& name, std::string& target) {
  return add(name, [&target](const std::string& v) { target = v; });
}

Flags& Flags::add(const std::string& name, int& target) {
  return add(name, [&target](const std::string& v) { target = std::stoi(v); });
}

Flags& Flags::add(const std::string& name, double& target) {
  return add(name, [&target](const std::string& v) { target = std::stod(v); });
}

Flags& Flags::add(const std::string& name, uint64_t& target) {
  return add(name, [&target](const std::string& v) { target = std::stoull(v); });
}

void Flags::parse(int argc, char** argv) const {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    auto it = std::find_if(flags_.begin(), flags_.end(),
                           [&](const auto& f) { return "--" + f.first == name; });
    if (it == flags_.end()) fail("unknown option " + name);
    if (i + 1 >= argc) fail("missing value for " + name);
    try {
      it->second(argv[++i]);
    } catch (const std::exception&) {
      fail("bad value for " + name + ": " + argv[i]);
    }
  }
}

void Flags::fail(const std::string& why) const {
  std::string usage = "usage: " + program_;
  for (const auto& f : flags_) {
    std::string meta = f.first;
    for (auto& c : meta) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    usage += " [--" + f.first + " " + meta + "]";
  }
  std::fprintf(stderr, "%s: %s\n%s\n", program_.c_str(), why.c_str(), usage.c_str());
  std::exit(2);
}

void printHeader(int argc, char** argv) {
  utsname u{};
  ::uname(&u);
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  std::printf("command:  ");
  for (int i = 0; i < argc; ++i) std::printf("%s%s", i ? " " : "", argv[i]);
  std::printf("\nmachine:  %s %s %s, %s, %u CPUs, %s, load average %.2f %.2f %.2f\n", u.sysname,
              u.release, u.machine, valueOf("/proc/cpuinfo", "model name").c_str(),
              std::thread::hardware_concurrency(), valueOf("/proc/meminfo", "MemTotal").c_str(),
              load[0], load[1], load[2]);
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

std::string filesystemOf(const std::string& dir) {
  std::ifstream in("/proc/mounts");
  std::string dev, mnt, type, rest, best;
  size_t best_len = 0;
  std::string path = std::filesystem::weakly_canonical(dir).string();
  while (in >> dev >> mnt >> type && std::getline(in, rest)) {
    bool prefix = path.rfind(mnt, 0) == 0 &&
                  (path.size() == mnt.size() || mnt == "/" || path[mnt.size()] == '/');
    if (prefix && mnt.size() >= best_len) {
      best_len = mnt.size();
      best = type + " on " + dev + " mounted at " + mnt;
    }
  }
  return best.empty() ? "unknown" : best;
}

Memory memoryOf(pid_t pid) {
  std::string file = pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status";
  Memory m;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto field = [&](const char* key, uint64_t& out) {
      size_t n = std::char_traits<char>::length(key);
      if (line.compare(0, n, key) == 0) out = std::strtoull(line.c_str() + n, nullptr, 10);
    };
    field("VmRSS:", m.rss_kib);
    field("RssAnon:", m.rss_anon_kib);
    field("RssFile:", m.rss_file_kib);
    field("VmHWM:", m.hwm_kib);
  }
  return m;
}

double processCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace sf::bench
