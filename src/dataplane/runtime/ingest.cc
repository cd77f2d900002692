#include "dataplane/runtime/ingest.h"

#include "core/log.h"
#include "model/record_codec.h"

namespace sf::runtime {

Ingest::Ingest(log::Log& log, Options options, core::MetricsRegistry& metrics)
    : log_(log), options_(std::move(options)) {
  for (int c = 0; c < model::kRecordClassCount; ++c) {
    records_in_[c] = &metrics.counter(
        "sf_gateway_records_total", "Records handed to the local log, by class.",
        {{"class", std::string(model::recordClassName(static_cast<model::RecordClass>(c)))}});
  }
  append_errors_ = &metrics.counter("sf_gateway_append_errors_total",
                                    "Batches the local log refused (not acknowledged).");
  inflight_gauge_ = &metrics.gauge("sf_gateway_inflight_records",
                                   "Records handed to the local log and not yet durable.");
}

void Ingest::emit(std::vector<model::Record> records, std::function<void(core::Status)> durable) {
  if (records.empty()) {
    if (durable) durable(core::ok());
    return;
  }
  std::vector<log::Entry> entries;
  entries.reserve(records.size());
  for (auto& r : records) {
    if (r.gateway.empty()) r.gateway = options_.gateway;
    if (r.site.empty()) r.site = options_.site;
    r.stream = options_.stream;
    r.offset.reset();  // the log assigns it; it is not stored in the payload
    if (r.gateway_ts_ns == 0) r.gateway_ts_ns = r.source_ts_ns;
    log::Entry e;
    e.cls = static_cast<log::EntryClass>(r.recordClass());
    e.ts_ns = r.gateway_ts_ns;
    model::encodeBinary(r, e.payload);
    records_in_[static_cast<int>(r.recordClass())]->inc();
    entries.push_back(std::move(e));
  }
  uint64_t n = entries.size();
  inflight_ += n;
  inflight_gauge_->set(static_cast<double>(inflight_.load()));
  log_.append(std::move(entries), [this, n, durable = std::move(durable)](
                                      core::Result<log::AppendResult> result) {
    inflight_ -= n;
    inflight_gauge_->set(static_cast<double>(inflight_.load()));
    if (!result) {
      append_errors_->inc();
      SF_LOG_ERROR("ingest", "local log refused a batch",
                   {{"records", std::to_string(n)}, {"error", result.error().toString()}});
      if (durable) durable(core::fail(result.error()));
      return;
    }
    if (durable) durable(core::ok());
  });
}

}  // namespace sf::runtime
