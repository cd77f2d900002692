#pragma once
// Helpers for the log's tests: a temporary directory, synchronous appends, polling waits.
// Test-only; not part of sf_log.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/log/log.h"

namespace sf::log::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sflog-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Entry makeEntry(uint64_t n, EntryClass cls = EntryClass::kTelemetry, int64_t ts = 0,
                       size_t size = 0) {
  Entry e;
  e.cls = cls;
  e.ts_ns = ts != 0 ? ts : static_cast<int64_t>(1'700'000'000'000'000'000LL + n);
  e.payload = "record-" + std::to_string(n) + ":";
  while (e.payload.size() < size) e.payload += static_cast<char>('a' + (n + e.payload.size()) % 26);
  return e;
}

// Appends and waits for the callback.
inline core::Result<AppendResult> appendSync(Log& log, std::vector<Entry> entries) {
  std::promise<core::Result<AppendResult>> p;
  auto f = p.get_future();
  log.append(std::move(entries), [&p](core::Result<AppendResult> r) { p.set_value(std::move(r)); });
  return f.get();
}

inline core::Result<AppendResult> appendOne(Log& log, Entry e) {
  std::vector<Entry> v;
  v.push_back(std::move(e));
  return appendSync(log, std::move(v));
}

// Polls `pred` until true or a generous deadline (a liveness guard, not a timing assertion).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline std::vector<StoredEntry> readAll(const Log& log, uint64_t from = 0) {
  std::vector<StoredEntry> out;
  while (true) {
    auto r = log.read(from, 1000, 1u << 20);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().toString());
    if (!r || r->empty()) break;
    from = r->back().offset + 1;
    for (auto& e : *r) out.push_back(std::move(e));
  }
  return out;
}

inline std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> filesEndingWith(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& n : listDir(dir)) {
    if (n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(n);
    }
  }
  return out;
}

}  // namespace sf::log::testing
