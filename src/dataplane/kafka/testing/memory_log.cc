#include "dataplane/kafka/testing/memory_log.h"

namespace sf::kafka::testing {

void MemoryLog::append(std::vector<log::Entry> entries, log::AppendCallback done) {
  log::AppendResult result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    result.first_offset = end_;
    result.count = static_cast<uint32_t>(entries.size());
    for (auto& e : entries) {
      entries_[end_] = log::StoredEntry{end_, e.cls, e.ts_ns, std::move(e.payload)};
      ++end_;
    }
  }
  cv_.notify_all();
  if (done) done(result);
}

uint64_t MemoryLog::appendSync(log::Entry entry) {
  uint64_t offset = 0;
  std::vector<log::Entry> v;
  v.push_back(std::move(entry));
  append(std::move(v), [&](core::Result<log::AppendResult> r) { offset = r->first_offset; });
  return offset;
}

uint64_t MemoryLog::startOffset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return start_;
}

uint64_t MemoryLog::endOffset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

core::Result<std::vector<log::StoredEntry>> MemoryLog::read(uint64_t from, size_t max_entries,
                                                            size_t max_bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_reads_ > 0) {
    --fail_reads_;
    return core::fail(core::Errc::kUnavailable, "injected read failure");
  }
  std::vector<log::StoredEntry> out;
  size_t bytes = 0;
  for (auto it = entries_.lower_bound(from); it != entries_.end() && out.size() < max_entries;
       ++it) {
    // Like a real reader: at least one entry, then stop before exceeding max_bytes.
    if (!out.empty() && bytes + it->second.payload.size() > max_bytes) break;
    bytes += it->second.payload.size();
    out.push_back(it->second);
  }
  return out;
}

bool MemoryLog::waitFor(uint64_t offset, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return end_ > offset || closed_; }) && end_ > offset;
}

core::Result<uint64_t> MemoryLog::cursor(const std::string& output) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cursors_.find(output);
  if (it == cursors_.end()) return core::fail(core::Errc::kNotFound, "no cursor " + output);
  return it->second;
}

core::Status MemoryLog::commitCursor(const std::string& output, uint64_t next_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  cursors_[output] = next_offset;
  commits_[output].push_back(next_offset);
  return core::ok();
}

core::Result<uint64_t> MemoryLog::registerCursor(const std::string& output) {
  std::lock_guard<std::mutex> lock(mu_);
  return cursors_.emplace(output, start_).first->second;
}

core::Status MemoryLog::removeCursor(const std::string& output) {
  std::lock_guard<std::mutex> lock(mu_);
  cursors_.erase(output);
  return core::ok();
}

std::map<std::string, uint64_t> MemoryLog::cursors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursors_;
}

log::LogStats MemoryLog::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  log::LogStats s;
  s.start_offset = start_;
  s.end_offset = end_;
  for (const auto& [offset, e] : entries_) {
    ++s.records[static_cast<size_t>(e.cls)];
    s.size_bytes += e.payload.size();
  }
  return s;
}

void MemoryLog::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void MemoryLog::erase(const std::vector<uint64_t>& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t o : offsets) entries_.erase(o);
}

void MemoryLog::truncateBefore(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(entries_.begin(), entries_.lower_bound(offset));
  start_ = std::max(start_, offset);
}

std::vector<uint64_t> MemoryLog::commits(const std::string& output) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = commits_.find(output);
  return it == commits_.end() ? std::vector<uint64_t>{} : it->second;
}

void MemoryLog::failReads(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_reads_ = n;
}

}  // namespace sf::kafka::testing
