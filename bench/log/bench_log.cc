// bench_log: what the local log achieves with fsync: batch, next to what the disk allows.
//
//   bench_log [--dir DIR] [--seconds S] [--record-bytes N] [--appenders 1,4,16] [--window W]
//             [--batches 1000,10000] [--batch-appenders A] [--batch-window W] [--repeat N]
//
// Prints the machine and the command line, then:
//   1. one record per append
//   raw write+fdatasync per record  the limit when every record pays its own fsync
//   raw big writes + one fsync      the disk's sequential limit
//   log, closed loop                each appender appends one record and waits for it to be
//                                   durable (append->durable latency p50/p99)
//   log, window W                   each appender keeps W appends in flight (throughput)
//   2. batched appends (an adapter hands over a poll's worth of records in one append)
//   log, batch B                    A appenders keep W appends of B records in flight
//   dd oflag=dsync, same writes     the same bytes in writes of the log's average group size,
//                                   each synchronous (write + fdatasync): the raw limit for
//                                   that size, and the log's share of it (N pairs, median)
// Figures are wall-clock measurements of this run on this machine; nothing is asserted.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "dataplane/log/log.h"
#include "harness/process.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace bench = sf::bench;

struct Config {
  std::string dir = "/var/tmp/sf-bench-log";
  double seconds = 3;
  size_t record_bytes = 128;
  std::vector<int> appenders = {1, 4, 16};
  int window = 64;
  std::vector<int> batches = {1000, 10000};
  int batch_appenders = 4;
  int batch_window = 16;
  int repeat = 3;
};

using bench::percentile;

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

// What one run of appenders against a fresh log did.
struct Run {
  double seconds = 0;
  double cpu = 0;  // CPU seconds per second, the whole process
  uint64_t records = 0, failed = 0, fsyncs = 0, disk_bytes = 0;
  std::vector<double> latency_us;  // per append
};

// Opens a fresh log named `name` under cfg.dir; `appenders` threads each keep `window` appends
// in flight for cfg.seconds, every append made by make(thread, n) (n counts that thread's
// appends). Returns what happened; the log is removed afterwards.
Run drive(const Config& cfg, const std::string& name, int appenders, int window,
          const std::function<std::vector<sf::log::Entry>(int, uint64_t)>& make) {
  Run out;
  std::string dir = cfg.dir + "/" + name;
  fs::remove_all(dir);
  sf::core::MetricsRegistry metrics;
  sf::log::LogOptions o;
  o.dir = dir;
  o.stream = "bench";
  o.fsync = sf::log::FsyncPolicy::kBatch;
  auto opened = sf::log::openLog(o, nullptr, sf::core::SystemClock::instance(), metrics);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().toString().c_str());
    return out;
  }
  auto& log = **opened;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0}, failed{0};
  std::mutex lat_mu;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  double cpu0 = bench::processCpuSeconds();
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> lat;
      std::mutex mu;
      std::condition_variable cv;
      int inflight = 0;
      for (uint64_t n = 0; !stop.load(); ++n) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return inflight < window; });
          ++inflight;
        }
        auto entries = make(t, n);
        size_t count = entries.size();
        auto t0 = Clock::now();
        log.append(std::move(entries), [&, t0, count](sf::core::Result<sf::log::AppendResult> r) {
          double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
          (r ? done : failed).fetch_add(count);
          std::lock_guard lock(mu);
          lat.push_back(us);
          --inflight;
          cv.notify_one();
        });
      }
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return inflight == 0; });
      std::lock_guard g(lat_mu);
      out.latency_us.insert(out.latency_us.end(), lat.begin(), lat.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.cpu = (bench::processCpuSeconds() - cpu0) / out.seconds;
  out.records = done.load();
  out.failed = failed.load();
  out.fsyncs = metrics.histogram("sf_log_fsync_seconds", "", {{"stream", "bench"}}).count();
  out.disk_bytes = log.stats().size_bytes;
  log.close();
  fs::remove_all(dir);
  if (out.failed > 0) {
    std::printf("  (%llu records failed)\n", static_cast<unsigned long long>(out.failed));
  }
  return out;
}

// One record per append.
void logRun(const Config& cfg, int appenders, int window) {
  Run run = drive(cfg, "log-" + std::to_string(appenders) + "-" + std::to_string(window), appenders,
                  window, [&](int t, uint64_t n) {
                    std::vector<sf::log::Entry> v(1);
                    v[0].ts_ns = static_cast<int64_t>(n);
                    v[0].payload = payload(cfg.record_bytes, static_cast<uint64_t>(t) << 32 | n);
                    return v;
                  });
  double bytes = static_cast<double>(run.records * cfg.record_bytes);  // payload bytes
  char what[64];
  std::snprintf(what, sizeof what, "log: %2d appender(s) x %d in flight", appenders, window);
  printRow(what, static_cast<double>(run.records) / run.seconds, bytes / run.seconds / 1e6,
           static_cast<double>(run.fsyncs) / run.seconds, percentile(run.latency_us, 0.5),
           percentile(run.latency_us, 0.99));
}

// Appends of `batch` records (the records an adapter would hand over; each append copies them,
// as building them would).
Run logBatchRun(const Config& cfg, int batch) {
  std::vector<sf::log::Entry> templ(static_cast<size_t>(batch));
  for (size_t i = 0; i < templ.size(); ++i) {
    templ[i].ts_ns = static_cast<int64_t>(i);
    templ[i].payload = payload(cfg.record_bytes, i);
  }
  Run run = drive(cfg, "log-batch-" + std::to_string(batch), cfg.batch_appenders, cfg.batch_window,
                  [&](int, uint64_t) { return templ; });
  double bytes_per_fsync = run.fsyncs ? static_cast<double>(run.disk_bytes) / run.fsyncs : 0;
  char what[64];
  std::snprintf(what, sizeof what, "log: %5d records per append", batch);
  std::printf("%-38s %11.0f %8.2f %9.0f %10.1f %10.0f %9.2f %9.2f\n", what,
              static_cast<double>(run.records) / run.seconds,
              static_cast<double>(run.disk_bytes) / run.seconds / 1e6,
              static_cast<double>(run.fsyncs) / run.seconds,
              run.fsyncs ? static_cast<double>(run.records) / run.fsyncs : 0,
              bytes_per_fsync / 1024, percentile(run.latency_us, 0.5) / 1000,
              percentile(run.latency_us, 0.99) / 1000);
  std::printf(
      "  CPU: %.0f %% of one core for the whole process (appenders building their "
      "batches included)\n",
      100 * run.cpu);
  return run;
}

// dd writing the same bytes as `run` in synchronous writes of its average group size; returns
// the log's records/s as a share of dd's (0 when dd could not run).
double ddSameWrites(const Config& cfg, const Run& run) {
  if (run.fsyncs == 0 || run.records == 0) return 0;
  uint64_t bs = run.disk_bytes / run.fsyncs;
  std::string out = cfg.dir + "/dd-dsync";
  std::string text;
  int status =
      sf::testing::runProcess({"dd", "if=/dev/zero", "of=" + out, "bs=" + std::to_string(bs),
                               "count=" + std::to_string(run.fsyncs), "oflag=dsync"},
                              &text);
  fs::remove(out);
  // "N bytes (...) copied, S s, R MB/s" is dd's last line.
  auto copied = text.rfind(" bytes");
  auto comma = text.find("copied, ", copied == std::string::npos ? 0 : copied);
  if (status != 0 || copied == std::string::npos || comma == std::string::npos) {
    std::printf("dd failed (status %d): %s\n", status, text.c_str());
    return 0;
  }
  auto line = text.rfind('\n', copied);
  double bytes = std::stod(text.substr(line == std::string::npos ? 0 : line + 1));
  double secs = std::stod(text.substr(comma + 8));
  double per_record = static_cast<double>(run.disk_bytes) / static_cast<double>(run.records);
  double raw_records_s = bytes / secs / per_record;
  char what[64];
  std::snprintf(what, sizeof what, "dd oflag=dsync bs=%llu", static_cast<unsigned long long>(bs));
  std::printf("%-38s %11.0f %8.2f %9.0f %10.1f %10.0f %9s %9s\n", what, raw_records_s,
              bytes / secs / 1e6, static_cast<double>(run.fsyncs) / secs,
              static_cast<double>(bs) / per_record, static_cast<double>(bs) / 1024, "-", "-");
  double log_records_s = static_cast<double>(run.records) / run.seconds;
  std::printf(
      "  log / dd: %.0f %% of the raw limit for %llu-byte synchronous writes (%.0f disk "
      "bytes per %zu-byte record)\n",
      100.0 * log_records_s / raw_records_s, static_cast<unsigned long long>(bs), per_record,
      cfg.record_bytes);
  return log_records_s / raw_records_s;
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
    } else if (a == "--batches") {
      cfg.batches = parseList(next());
    } else if (a == "--batch-appenders") {
      cfg.batch_appenders = std::stoi(next());
    } else if (a == "--batch-window") {
      cfg.batch_window = std::stoi(next());
    } else if (a == "--repeat") {
      cfg.repeat = std::max(1, std::stoi(next()));
    } else {
      std::fprintf(stderr,
                   "usage: bench_log [--dir DIR] [--seconds S] [--record-bytes N] "
                   "[--appenders 1,4,16] [--window W] [--batches 1000,10000] "
                   "[--batch-appenders A] [--batch-window W] [--repeat N]\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  fs::create_directories(cfg.dir);
  bench::printHeader(argc, argv);
  std::printf("disk:     %s (%s)\n", bench::filesystemOf(cfg.dir).c_str(), cfg.dir.c_str());
  std::printf("records:  %zu bytes, %.1f s per row, fsync policy batch\n\n", cfg.record_bytes,
              cfg.seconds);
  std::printf("1. one record per append\n");
  std::printf("%-38s %11s %8s %9s %10s %9s %9s\n", "", "records/s", "MB/s", "fsyncs/s", "rec/fsync",
              "p50 ms", "p99 ms");
  rawPerRecordFsync(cfg);
  rawSequential(cfg);
  for (int a : cfg.appenders) logRun(cfg, a, 1);
  for (int a : cfg.appenders) logRun(cfg, a, cfg.window);
  if (cfg.batches.empty()) return 0;
  std::printf(
      "\n2. batched appends: %d appender(s) x %d appends in flight; MB/s and KiB/fsync count "
      "bytes on disk (frames included); p50/p99 per append\n",
      cfg.batch_appenders, cfg.batch_window);
  std::printf("%-38s %11s %8s %9s %10s %10s %9s %9s\n", "", "records/s", "MB/s", "fsyncs/s",
              "rec/fsync", "KiB/fsync", "p50 ms", "p99 ms");
  // The disk's speed drifts between runs: log and dd alternate, and the median pair counts.
  for (int b : cfg.batches) {
    std::vector<double> ratios;
    for (int i = 0; i < cfg.repeat; ++i) ratios.push_back(ddSameWrites(cfg, logBatchRun(cfg, b)));
    std::printf("  => %d records per append: median log / dd over %d pairs %.0f %%\n", b,
                cfg.repeat, 100 * percentile(ratios, 0.5));
  }
  return 0;
}
