// SIGKILLs a writer process many times at random moments and checks that every record it had
// acknowledged is in the log, intact, after reopening; that offsets are never given twice;
// and that the cursor file always reads back. The child appends from several threads (so
// group commits are in flight when it dies) into small segments (so rolls are too), prints
// each acknowledged offset to a pipe, and commits a cursor now and then.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "dataplane/log/log.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::TempDir;

std::string payloadFor(uint64_t seq) {
  std::string p = "seq=" + std::to_string(seq) + ";";
  size_t len = 16 + seq % 300;
  while (p.size() < len) p += static_cast<char>('A' + (seq * 31 + p.size()) % 26);
  return p;
}

LogOptions options(const std::string& dir) {
  LogOptions o;
  o.dir = dir;
  o.stream = "crash";
  o.segment_bytes = 8 * 1024;
  return o;
}

[[noreturn]] void childMain(const std::string& dir, int fd, uint64_t seq_base) {
  core::MetricsRegistry metrics;
  auto opened = openLog(options(dir), nullptr, core::SystemClock::instance(), metrics);
  if (!opened) {
    std::fprintf(stderr, "child: open failed: %s\n", opened.error().toString().c_str());
    _exit(3);
  }
  Log& log = **opened;
  std::atomic<uint64_t> next_seq{seq_base};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t n = 0;; ++n) {
        std::vector<Entry> batch;
        size_t k = 1 + (n + static_cast<uint64_t>(t)) % 3;
        std::vector<uint64_t> seqs;
        for (size_t i = 0; i < k; ++i) {
          uint64_t seq = next_seq++;
          seqs.push_back(seq);
          Entry e;
          e.cls = static_cast<EntryClass>(seq % 4);
          e.ts_ns = static_cast<int64_t>(seq);
          e.payload = payloadFor(seq);
          batch.push_back(std::move(e));
        }
        auto r = testing::appendSync(log, std::move(batch));
        if (!r) continue;
        std::string lines;
        for (size_t i = 0; i < k; ++i) {
          lines += std::to_string(r->first_offset + i) + " " + std::to_string(seqs[i]) + "\n";
        }
        if (::write(fd, lines.data(), lines.size()) < 0) _exit(4);
        if (t == 0 && n % 20 == 0) (void)log.commitCursor("out", r->first_offset);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

TEST(LogCrash, SigkillNeverLosesAcknowledgedRecords) {
  TempDir tmp;
  std::string dir = tmp.sub("log");
  std::mt19937 rng(std::random_device{}());
  std::map<uint64_t, uint64_t> acked;  // offset -> seq
  uint64_t total_truncated = 0;
  constexpr int kKills = 40;
  for (int iter = 0; iter < kKills; ++iter) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    uint64_t seq_base = static_cast<uint64_t>(iter + 1) << 32;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      childMain(dir, fds[1], seq_base);
    }
    ::close(fds[1]);
    // Let it run until a random number of acknowledgements, then a little more.
    size_t want = rng() % 400;
    std::string pending;
    std::vector<std::pair<uint64_t, uint64_t>> got;
    char buf[4096];
    auto consume = [&](const char* p, ssize_t n) {
      pending.append(p, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::istringstream line(pending.substr(0, nl));
        uint64_t off, seq;
        line >> off >> seq;
        got.emplace_back(off, seq);
        pending.erase(0, nl + 1);
      }
    };
    while (got.size() < want) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      consume(buf, n);
    }
    ::usleep(static_cast<useconds_t>(rng() % 3000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited by itself: " << WEXITSTATUS(status);
    while (true) {  // acknowledgements written before the kill count too
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      consume(buf, n);
    }
    ::close(fds[0]);
    for (const auto& [off, seq] : got) {
      auto [it, inserted] = acked.emplace(off, seq);
      ASSERT_TRUE(inserted || it->second == seq)
          << "offset " << off << " acknowledged twice (seq " << it->second << " and " << seq << ")";
    }

    core::MetricsRegistry metrics;
    auto log = openLog(options(dir), nullptr, core::SystemClock::instance(), metrics);
    ASSERT_TRUE(log) << log.error().toString();
    const auto& rep = (*log)->recovery();
    EXPECT_TRUE(rep.quarantined_segments.empty()) << rep.summary();
    EXPECT_EQ(rep.lost_records, 0u) << rep.summary();
    EXPECT_TRUE(rep.reset_cursors.empty()) << rep.summary();
    total_truncated += rep.truncated_bytes;
    auto all = testing::readAll(**log);
    std::map<uint64_t, const StoredEntry*> by_offset;
    for (const auto& e : all) by_offset[e.offset] = &e;
    for (const auto& [off, seq] : acked) {
      auto it = by_offset.find(off);
      ASSERT_NE(it, by_offset.end())
          << "kill " << iter << ": acknowledged offset " << off << " is missing; " << rep.summary();
      ASSERT_EQ(it->second->payload, payloadFor(seq)) << "offset " << off;
      ASSERT_EQ(it->second->ts_ns, static_cast<int64_t>(seq));
      ASSERT_EQ(static_cast<uint64_t>(it->second->cls), seq % 4);
    }
    auto cursor = (*log)->cursor("out");
    if (cursor) {
      EXPECT_LE(*cursor, (*log)->endOffset());
    }
    (*log)->close();
  }
  std::printf("%d kills, %zu acknowledged records verified, %llu torn bytes truncated\n", kKills,
              acked.size(), static_cast<unsigned long long>(total_truncated));
  EXPECT_GT(acked.size(), 100u);
}

}  // namespace
}  // namespace sf::log
