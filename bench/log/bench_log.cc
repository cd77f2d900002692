// bench_log: what the local log achieves with fsync: batch, next to what the disk allows.
//
//   bench_log [--dir DIR] [--seconds S] [--record-bytes N] [--appenders 1,4,16] [--window W]
//
// Prints the machine and the command line, then:
//   raw write+fdatasync per record  the limit when every record pays its own fsync
//   raw big writes + one fsync      the disk's sequential limit
//   log, closed loop                each appender appends one record and waits for it to be
//                                   durable (append->durable latency p50/p99)
//   log, window W                   each appender keeps W appends in flight (throughput)
// Figures are wall-clock measurements of this run on this machine; nothing is asserted.

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "dataplane/log/log.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Config {
  std::string dir = "/var/tmp/sf-bench-log";
  double seconds = 3;
  size_t record_bytes = 100;
  std::vector<int> appenders = {1, 4, 16};
  int window = 64;
};

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string filesystemOf(const std::string& dir) {
  std::ifstream in("/proc/mounts");
  std::string dev, mnt, type, best_dev, best_type;
  size_t best = 0;
  std::string path = fs::weakly_canonical(dir).string();
  std::string rest;
  while (in >> dev >> mnt >> type && std::getline(in, rest)) {
    bool prefix = path.rfind(mnt, 0) == 0 &&
                  (path.size() == mnt.size() || mnt == "/" || path[mnt.size()] == '/');
    if (prefix && mnt.size() >= best) {
      best = mnt.size();
      best_dev = dev;
      best_type = type + " on " + dev + " mounted at " + mnt;
    }
  }
  return best_type.empty() ? "unknown" : best_type;
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

std::string payload(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (seed * 131 + i * 7) % 26);
  return s;
}

void printRow(const char* what, double records_s, double mb_s, double fsyncs_s, double p50_us,
              double p99_us) {
  double per_fsync = fsyncs_s > 0 ? records_s / fsyncs_s : 0;
  std::printf("%-38s %11.0f %8.2f %9.0f %10.1f %9.2f %9.2f\n", what, records_s, mb_s, fsyncs_s,
              per_fsync, p50_us / 1000, p99_us / 1000);
}

void rawPerRecordFsync(const Config& cfg) {
  std::string path = cfg.dir + "/raw-per-record";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    return;
  }
  std::string rec = payload(cfg.record_bytes, 1);
  std::vector<double> lat;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(cfg.seconds);
  uint64_t n = 0;
  while (Clock::now() < end) {
    auto t0 = Clock::now();
    if (::write(fd, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size())) break;
    if (::fdatasync(fd) != 0) break;
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    ++n;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  fs::remove(path);
  printRow("raw: write+fdatasync per record", n / secs,
           static_cast<double>(n * cfg.record_bytes) / secs / 1e6, n / secs, percentile(lat, 0.5),
           percentile(lat, 0.99));
}

void rawSequential(const Config& cfg) {
  std::string path = cfg.dir + "/raw-sequential";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    return;
  }
  std::string chunk = payload(1 << 20, 2);
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(cfg.seconds);
  uint64_t bytes = 0;
  while (Clock::now() < end && bytes < (2ull << 30)) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
    bytes += chunk.size();
  }
  ::fdatasync(fd);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  fs::remove(path);
  double records = static_cast<double>(bytes) / static_cast<double>(cfg.record_bytes);
  std::printf("%-38s %11.0f %8.2f %9s %10s %9s %9s\n", "raw: 1 MiB writes + one fdatasync",
              records / secs, static_cast<double>(bytes) / secs / 1e6, "1", "all", "-", "-");
}

void logRun(const Config& cfg, int appenders, int window) {
  std::string dir = cfg.dir + "/log-" + std::to_string(appenders) + "-" + std::to_string(window);
  fs::remove_all(dir);
  sf::core::MetricsRegistry metrics;
  sf::log::LogOptions o;
  o.dir = dir;
  o.stream = "bench";
  o.fsync = sf::log::FsyncPolicy::kBatch;
  auto opened = sf::log::openLog(o, nullptr, sf::core::SystemClock::instance(), metrics);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().toString().c_str());
    return;
  }
  auto& log = **opened;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0}, failed{0};
  std::mutex lat_mu;
  std::vector<double> all_lat;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> lat;
      std::mutex mu;
      std::condition_variable cv;
      int inflight = 0;
      uint64_t seq = 0;
      while (!stop.load()) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return inflight < window; });
          ++inflight;
        }
        sf::log::Entry e;
        e.ts_ns = static_cast<int64_t>(seq);
        e.payload = payload(cfg.record_bytes, static_cast<uint64_t>(t) << 32 | seq++);
        auto t0 = Clock::now();
        std::vector<sf::log::Entry> v;
        v.push_back(std::move(e));
        log.append(std::move(v), [&, t0](sf::core::Result<sf::log::AppendResult> r) {
          double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
          (r ? done : failed).fetch_add(1);
          std::lock_guard lock(mu);
          lat.push_back(us);
          --inflight;
          cv.notify_one();
        });
      }
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return inflight == 0; });
      std::lock_guard g(lat_mu);
      all_lat.insert(all_lat.end(), lat.begin(), lat.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t fsyncs = metrics.histogram("sf_log_fsync_seconds", "", {{"stream", "bench"}}).count();
  double bytes = static_cast<double>(done.load() * cfg.record_bytes);  // payload bytes
  char what[64];
  std::snprintf(what, sizeof what, "log: %2d appender(s) x %d in flight", appenders, window);
  printRow(what, static_cast<double>(done.load()) / secs, bytes / secs / 1e6,
           static_cast<double>(fsyncs) / secs, percentile(all_lat, 0.5), percentile(all_lat, 0.99));
  if (failed.load() > 0) {
    std::printf("  (%llu appends failed)\n", static_cast<unsigned long long>(failed.load()));
  }
  log.close();
  fs::remove_all(dir);
}

std::vector<int> parseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir") {
      cfg.dir = next();
    } else if (a == "--seconds") {
      cfg.seconds = std::stod(next());
    } else if (a == "--record-bytes") {
      cfg.record_bytes = std::stoul(next());
    } else if (a == "--appenders") {
      cfg.appenders = parseList(next());
    } else if (a == "--window") {
      cfg.window = std::stoi(next());
    } else {
      std::fprintf(stderr,
                   "usage: bench_log [--dir DIR] [--seconds S] [--record-bytes N] "
                   "[--appenders 1,4,16] [--window W]\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  fs::create_directories(cfg.dir);
  struct utsname u;
  ::uname(&u);
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  std::printf("command:    %s\n", cmd.c_str());
  std::printf("machine:    %u CPU(s), %s, %s %s\n", std::thread::hardware_concurrency(),
              cpuModel().c_str(), u.sysname, u.release);
  std::printf("filesystem: %s (%s)\n", filesystemOf(cfg.dir).c_str(), cfg.dir.c_str());
  std::printf("records:    %zu bytes, %.1f s per row, fsync policy batch\n\n", cfg.record_bytes,
              cfg.seconds);
  std::printf("%-38s %11s %8s %9s %10s %9s %9s\n", "", "records/s", "MB/s", "fsyncs/s", "rec/fsync",
              "p50 ms", "p99 ms");
  rawPerRecordFsync(cfg);
  rawSequential(cfg);
  for (int a : cfg.appenders) logRun(cfg, a, 1);
  for (int a : cfg.appenders) logRun(cfg, a, cfg.window);
  return 0;
}
