#pragma once
// Appender: a thread that appends numbered records to a log at a steady pace until stopped,
// standing in for the pipeline during the outage and failover tests. Thread-safe accessors.

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "forwarder_it.h"

namespace sf::kafka::it {

class Appender {
 public:
  // `batch` records every `period`.
  Appender(log::Log& log, std::string site, int batch, std::chrono::milliseconds period)
      : log_(log), site_(std::move(site)), batch_(batch), period_(period) {
    thread_ = std::thread([this] { run(); });
  }
  ~Appender() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  // The offsets of every acknowledged append so far.
  std::set<uint64_t> acknowledged() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_.size();
  }

 private:
  void run() {
    int64_t seq = 0;
    while (!stop_.load()) {
      std::vector<log::Entry> entries;
      for (int i = 0; i < batch_; ++i) entries.push_back(numberedEntry(seq++, 32, site_));
      auto offsets = appendSync(log_, std::move(entries));
      {
        std::lock_guard<std::mutex> lock(mu_);
        acked_.insert(offsets.begin(), offsets.end());
      }
      std::this_thread::sleep_for(period_);
    }
  }

  log::Log& log_;
  const std::string site_;
  const int batch_;
  const std::chrono::milliseconds period_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<uint64_t> acked_;
  std::thread thread_;
};

}  // namespace sf::kafka::it
