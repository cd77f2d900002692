#pragma once
// Ingest: the end of the gateway's data path before the disk. It stamps records with the
// gateway identity and stream, encodes them (model::encodeBinary) and appends them to the local
// log; a batch's `durable` callback runs once the log says it is durable. It bounds the records
// in flight: past the limit, overloaded() turns true so polling adapters count an overrun and
// skip a poll instead of queueing without bound (push sources are bounded by not acknowledging).
// Thread-safe: emit() may be called from any strand; callbacks run on the log's writer thread.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "dataplane/log/log.h"
#include "dataplane/runtime/adapter.h"

namespace sf::runtime {

class Ingest final : public RecordEmitter {
 public:
  struct Options {
    std::string site;
    std::string gateway;
    std::string stream = "main";
    uint64_t max_inflight_records = 200'000;
  };

  Ingest(log::Log& log, Options options, core::MetricsRegistry& metrics);

  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable = nullptr) override;

  bool overloaded() const { return inflight_.load() > options_.max_inflight_records; }
  uint64_t inflight() const { return inflight_.load(); }
  const Options& options() const { return options_; }

 private:
  log::Log& log_;
  Options options_;
  std::atomic<uint64_t> inflight_{0};
  core::Counter* records_in_[4];
  core::Counter* append_errors_;
  core::Gauge* inflight_gauge_;
};

}  // namespace sf::runtime
