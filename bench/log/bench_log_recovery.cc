// bench_log_recovery: how long opening a large local log takes, next to reading it once.
//
//   bench_log_recovery [--dir DIR] [--gib G] [--record-bytes N] [--keep 0|1]
//
// Writes a log of G GiB (default 10) of N-byte records (default 128) with fsync: batch, closes
// it, and then times openLog() (recovery) in the situations a gateway restarts in:
//   clean, warm cache     a restart right after a clean stop
//   clean, cold cache     after a reboot (the page cache dropped: needs root)
//   torn tail, cold       after a crash mid-write (the last frame cut short)
//   no indexes, cold      every .idx deleted: each sealed segment is scanned and its index rebuilt
//                         (the worst case: what a log without indexes would do at every start)
// next to the raw limit of a full scan: reading every segment file once with 1 MiB read()s,
// cold. The log's open reads the indexes and scans only the last segment.
// With --keep 1 an existing log of the right size in DIR is reused (repeat runs skip the write).
// Figures are wall-clock measurements of this run on this machine; nothing is asserted.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "dataplane/log/log.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace bench = sf::bench;

struct Config {
  std::string dir = "/var/tmp/sf-bench-recovery";
  double gib = 10;
  uint64_t record_bytes = 128;
  int keep = 0;
};

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

uint64_t segmentBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") total += e.file_size();
  }
  return total;
}

// Drops the page cache so the next reads come from the disk. False when not allowed.
bool dropCaches() {
  ::sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3\n";
  return static_cast<bool>(f.flush());
}

sf::log::LogOptions options(const Config& cfg) {
  sf::log::LogOptions o;
  o.dir = cfg.dir;
  o.stream = "bench";
  return o;  // the defaults a gateway uses: 64 MiB segments, fsync: batch
}

// Appends batches of 10 000 records (16 in flight) until the segments hold `gib` GiB.
void writeLog(const Config& cfg) {
  fs::remove_all(cfg.dir);
  sf::core::MetricsRegistry metrics;
  auto opened = sf::log::openLog(options(cfg), nullptr, sf::core::SystemClock::instance(), metrics);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().toString().c_str());
    std::exit(1);
  }
  auto& log = **opened;
  std::vector<sf::log::Entry> templ(10'000);
  for (size_t i = 0; i < templ.size(); ++i) {
    templ[i].cls = i % 50 == 0 ? sf::log::EntryClass::kAlarm : sf::log::EntryClass::kTelemetry;
    templ[i].payload.assign(cfg.record_bytes, static_cast<char>('a' + i % 26));
  }
  auto target = static_cast<uint64_t>(cfg.gib * (1ull << 30));
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::atomic<bool> failed{false};
  auto start = Clock::now();
  int64_t ts = sf::core::SystemClock::instance().nowUnixNanos();
  while (log.stats().size_bytes < target && !failed) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < 16; });
      ++in_flight;
    }
    auto batch = templ;
    for (auto& e : batch) e.ts_ns = ts++;
    log.append(std::move(batch), [&](sf::core::Result<sf::log::AppendResult> r) {
      if (!r) failed = true;
      std::lock_guard lock(mu);
      --in_flight;
      cv.notify_one();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  auto stats = log.stats();
  log.close();
  if (failed) {
    std::fprintf(stderr, "an append failed while writing the log\n");
    std::exit(1);
  }
  double s = secondsSince(start);
  std::printf("written:  %.2f GiB, %llu records, %llu segments in %.1f s (%.0f MB/s)\n\n",
              static_cast<double>(stats.size_bytes) / (1ull << 30),
              static_cast<unsigned long long>(stats.end_offset),
              static_cast<unsigned long long>(stats.segments), s,
              static_cast<double>(stats.size_bytes) / s / 1e6);
}

// Opens the log, prints the time and what recovery did, closes it.
void timeOpen(const Config& cfg, const char* what, bool cold, bool can_drop) {
  if (cold && !can_drop) {
    std::printf("%-28s %12s   (skipped: dropping the page cache needs root)\n", what, "-");
    return;
  }
  if (cold) dropCaches();
  sf::core::MetricsRegistry metrics;
  auto start = Clock::now();
  auto opened = sf::log::openLog(options(cfg), nullptr, sf::core::SystemClock::instance(), metrics);
  double s = secondsSince(start);
  if (!opened) {
    std::printf("%-28s failed: %s\n", what, opened.error().toString().c_str());
    return;
  }
  const auto& rep = (*opened)->recovery();
  auto mem = bench::memoryOf();
  std::printf(
      "%-28s %9.3f s   scanned %7.1f MiB of %llu segments; %zu index(es) rebuilt; "
      "truncated %llu B; RSS %.1f MiB\n",
      what, s, static_cast<double>(rep.scanned_bytes) / (1 << 20),
      static_cast<unsigned long long>(rep.segments), rep.rebuilt_indexes.size(),
      static_cast<unsigned long long>(rep.truncated_bytes),
      static_cast<double>(mem.rss_kib) / 1024);
  (*opened)->close();
}

// Reads every segment file once (1 MiB read()s): the cost of any design that scans the log.
void timeFullRead(const Config& cfg, bool can_drop) {
  const char* what = "raw: read every segment";
  if (!can_drop) {
    std::printf("%-28s %12s   (skipped: dropping the page cache needs root)\n", what, "-");
    return;
  }
  dropCaches();
  std::vector<char> buf(1 << 20);
  uint64_t bytes = 0;
  auto start = Clock::now();
  for (const auto& e : fs::directory_iterator(cfg.dir)) {
    if (e.path().extension() != ".seg") continue;
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
      bytes += static_cast<uint64_t>(n);
    ::close(fd);
  }
  double s = secondsSince(start);
  std::printf("%-28s %9.3f s   %.2f GiB at %.0f MB/s, cold\n", what, s,
              static_cast<double>(bytes) / (1ull << 30), static_cast<double>(bytes) / s / 1e6);
}

// Cuts the last frame of the active segment short, as a crash in the middle of a write would.
void tearTail(const Config& cfg) {
  std::vector<fs::path> segs;
  for (const auto& e : fs::directory_iterator(cfg.dir)) {
    if (e.path().extension() == ".seg") segs.push_back(e.path());
  }
  std::sort(segs.begin(), segs.end());
  if (segs.empty()) return;
  auto size = fs::file_size(segs.back());
  if (size > 1000) fs::resize_file(segs.back(), size - 1000);
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  bench::Flags flags("bench_log_recovery");
  flags.add("dir", cfg.dir)
      .add("gib", cfg.gib)
      .add("record-bytes", cfg.record_bytes)
      .add("keep", cfg.keep);
  flags.parse(argc, argv);
  if (cfg.gib <= 0 || cfg.record_bytes == 0) flags.fail("--gib and --record-bytes must be > 0");
  fs::create_directories(cfg.dir);
  bench::printHeader(argc, argv);
  std::printf("disk:     %s (%s)\n", bench::filesystemOf(cfg.dir).c_str(), cfg.dir.c_str());
  auto target = static_cast<uint64_t>(cfg.gib * (1ull << 30));
  if (cfg.keep && segmentBytes(cfg.dir) >= target) {
    std::printf("reusing:  %.2f GiB of segments in %s\n\n",
                static_cast<double>(segmentBytes(cfg.dir)) / (1ull << 30), cfg.dir.c_str());
  } else {
    writeLog(cfg);
  }
  bool can_drop = dropCaches();
  std::printf("%-28s %11s\n", "", "open time");
  timeOpen(cfg, "clean, warm cache", false, can_drop);
  timeOpen(cfg, "clean, cold cache", true, can_drop);
  tearTail(cfg);
  timeOpen(cfg, "torn tail, cold cache", true, can_drop);
  for (const auto& e : fs::directory_iterator(cfg.dir)) {
    if (e.path().extension() == ".idx") fs::remove(e.path());
  }
  timeOpen(cfg, "no indexes, cold cache", true, can_drop);
  timeFullRead(cfg, can_drop);
  if (!cfg.keep) fs::remove_all(cfg.dir);
  return 0;
}
