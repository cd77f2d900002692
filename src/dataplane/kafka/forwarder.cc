#include "dataplane/kafka/forwarder.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include <algorithm>

#include "core/log.h"
#include "model/record_codec.h"
#include "model/record_json.h"

namespace sf::kafka {
namespace {

constexpr const char* kComponent = "kafka.forwarder";
constexpr size_t kReadBatch = 1000;
constexpr size_t kReadBytes = 4u << 20;
constexpr int64_t kMsNs = 1'000'000;
// How long a rebuild waits for the reports of purged messages (successes still count).
constexpr int64_t kPurgeDrainNs = 2'000 * kMsNs;
// Gauges (lag, age) are refreshed at most this often.
constexpr int64_t kGaugeIntervalNs = 500 * kMsNs;

core::Labels labels(const std::string& output) { return {{"output", output}}; }
core::Labels labels(const std::string& output, const char* key, const char* value) {
  return {{"output", output}, {key, value}};
}

// The message key: the tag's identity "<device>/<tag>", so one tag stays in one partition and
// in order. Records that name no device or tag (gateway operational logs) use the adapter,
// else the gateway, so they too keep their order.
void messageKey(const model::Record& r, std::string& out) {
  out.clear();
  if (!r.device.empty() || !r.tag.empty()) {
    out += r.device;
    out += '/';
    out += r.tag;
  } else if (!r.adapter.empty()) {
    out += r.adapter;
  } else {
    out += r.gateway;
  }
}

}  // namespace

std::string_view producerStateName(ProducerState state) {
  switch (state) {
    case ProducerState::kStopped:
      return "stopped";
    case ProducerState::kConnecting:
      return "connecting";
    case ProducerState::kUp:
      return "up";
    case ProducerState::kDegraded:
      return "degraded";
    case ProducerState::kRebuilding:
      return "rebuilding";
  }
  return "unknown";
}

core::Result<std::unique_ptr<Forwarder>> Forwarder::create(KafkaOutputOptions options,
                                                           log::Log& log,
                                                           ForwarderIdentity identity,
                                                           core::MetricsRegistry& metrics,
                                                           const core::Clock& clock) {
  SF_TRY(validate(options));
  if (identity.gateway.empty() || identity.gateway.find('/') != std::string::npos ||
      identity.stream.empty() || identity.stream.find('/') != std::string::npos) {
    return core::fail(core::Errc::kInvalidConfig,
                      "kafka output '" + options.name +
                          "': gateway id and stream name must be set and free of '/' (record "
                          "ids are <gateway>/<stream>/<offset>)");
  }
  SF_ASSIGN_OR_RETURN(TopicTemplate topic, TopicTemplate::parse(options.topic_template));
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(options), std::move(topic), log,
                                                  std::move(identity), metrics, clock));
}

Forwarder::Forwarder(KafkaOutputOptions options, TopicTemplate topic, log::Log& log,
                     ForwarderIdentity identity, core::MetricsRegistry& m, const core::Clock& clock)
    : options_(std::move(options)),
      topic_(std::move(topic)),
      log_(log),
      identity_(std::move(identity)),
      clock_(clock),
      client_id_("streamforge-" + identity_.gateway + "-" + options_.name),
      backoff_(options_.rebuild_backoff_initial),
      sent_(m.counter("sf_forwarder_sent_records_total",
                      "Records handed to the Kafka producer (re-sends included)",
                      labels(options_.name))),
      sent_bytes_(m.counter("sf_forwarder_sent_bytes_total",
                            "Message bytes (key + value) handed to the Kafka producer",
                            labels(options_.name))),
      acked_(m.counter("sf_forwarder_acked_records_total",
                       "Records acknowledged by Kafka (acks=all)", labels(options_.name))),
      acked_bytes_(m.counter("sf_forwarder_acked_bytes_total",
                             "Message bytes (key + value) acknowledged by Kafka",
                             labels(options_.name))),
      resent_(m.counter("sf_forwarder_resent_records_total",
                        "Records sent again after a producer rebuild (possible duplicates)",
                        labels(options_.name))),
      rebuilds_(m.counter("sf_forwarder_producer_rebuilds_total",
                          "Producers destroyed and rebuilt after a failure",
                          labels(options_.name))),
      err_delivery_(m.counter("sf_forwarder_errors_total", "Forwarder errors by kind",
                              labels(options_.name, "kind", "delivery"))),
      err_fatal_(m.counter("sf_forwarder_errors_total", "Forwarder errors by kind",
                           labels(options_.name, "kind", "fatal"))),
      err_client_(m.counter("sf_forwarder_errors_total", "Forwarder errors by kind",
                            labels(options_.name, "kind", "client"))),
      err_log_read_(m.counter("sf_forwarder_errors_total", "Forwarder errors by kind",
                              labels(options_.name, "kind", "log_read"))),
      err_commit_(m.counter("sf_forwarder_errors_total", "Forwarder errors by kind",
                            labels(options_.name, "kind", "commit"))),
      skipped_undecodable_(m.counter("sf_forwarder_skipped_records_total",
                                     "Log entries not sent: payload does not decode, or the "
                                     "record exceeds the producer's message.max.bytes",
                                     labels(options_.name, "reason", "undecodable"))),
      skipped_too_large_(m.counter("sf_forwarder_skipped_records_total",
                                   "Log entries not sent: payload does not decode, or the "
                                   "record exceeds the producer's message.max.bytes",
                                   labels(options_.name, "reason", "too_large"))),
      state_gauge_(m.gauge("sf_forwarder_producer_state",
                           "0 stopped, 1 connecting, 2 up, 3 degraded, 4 rebuilding",
                           labels(options_.name))),
      lag_records_(m.gauge("sf_forwarder_lag_records",
                           "Records in the log not yet acknowledged by this output",
                           labels(options_.name))),
      oldest_age_(m.gauge("sf_forwarder_oldest_unforwarded_age_seconds",
                          "Age of the oldest record not yet acknowledged by this output",
                          labels(options_.name))),
      in_flight_records_(m.gauge("sf_forwarder_in_flight_records",
                                 "Records handed to the producer and not yet acknowledged",
                                 labels(options_.name))),
      committed_gauge_(m.gauge("sf_forwarder_committed_offset",
                               "The output's cursor as last committed to the log",
                               labels(options_.name))),
      latency_(m.histogram("sf_forwarder_delivery_latency_seconds",
                           "Log append (record gateway timestamp) to Kafka acknowledgement",
                           labels(options_.name))) {}

Forwarder::~Forwarder() { stop(); }

core::Status Forwarder::start() {
  if (started_) return core::fail(core::Errc::kInternal, "forwarder already started");
  // A new output is registered at the log's start: it forwards everything the log holds.
  auto cursor = log_.registerCursor(options_.name);
  if (!cursor) {
    return core::fail(cursor.error().wrap("kafka output '" + options_.name + "': cursor"));
  }
  uint64_t start = *cursor;
  uint64_t end = log_.endOffset();
  if (start > end) {
    SF_LOG_WARN(kComponent, "cursor is past the end of the log; starting at the end",
                {{"output", options_.name},
                 {"cursor", std::to_string(start)},
                 {"end", std::to_string(end)}});
    start = end;
  }
  window_.reset(start);
  next_read_ = start;
  committed_ = start;
  committed_snapshot_.store(start);
  cursor_snapshot_.store(start);
  committed_gauge_.set(static_cast<double>(start));
  last_commit_mono_ = monoNow();
  started_ = true;
  if (auto warning = librdkafkaWarning(options_, rd_kafka_version()); !warning.empty()) {
    SF_LOG_WARN(kComponent, warning, {{"output", options_.name}});
  }
  SF_LOG_INFO(kComponent, "starting",
              {{"output", options_.name},
               {"brokers", options_.brokers},
               {"cursor", std::to_string(start)},
               {"end", std::to_string(end)},
               {"properties", describeProperties(producerProperties(options_, client_id_))}});
  thread_ = std::thread([this] { run(); });
  return core::ok();
}

void Forwarder::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_requested_ = true;
  }
  stopping_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Forwarder::Stats Forwarder::stats() const {
  Stats s;
  s.sent = sent_.value();
  s.acked = acked_.value();
  s.resent = resent_.value();
  s.rebuilds = rebuilds_.value();
  s.delivery_errors = err_delivery_.value();
  s.fatal_errors = err_fatal_.value();
  s.skipped_undecodable = skipped_undecodable_.value();
  s.skipped_too_large = skipped_too_large_.value();
  s.cursor = cursor_snapshot_.load();
  s.committed = committed_snapshot_.load();
  s.in_flight = in_flight_snapshot_.load();
  return s;
}

void Forwarder::setState(ProducerState s) {
  state_.store(s);
  state_gauge_.set(static_cast<double>(s));
}

void Forwarder::sleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_requested_; });
}

void Forwarder::run() {
  std::string thread_name = "sf-fwd-" + options_.name;
  thread_name.resize(std::min<size_t>(thread_name.size(), 15));
  pthread_setname_np(pthread_self(), thread_name.c_str());

  setState(ProducerState::kConnecting);
  while (!stopping_.load()) {
    if (!producer_) {
      int64_t wait = next_build_mono_ - monoNow();
      if (wait > 0) {
        sleepFor(std::chrono::milliseconds(std::min<int64_t>(wait / kMsNs + 1, 100)));
        maybeCommit(false);
        updateGauges(false);
        continue;
      }
      buildProducer();
      continue;
    }
    if (inject_fatal_.exchange(false)) {
      producer_->injectFatalError(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                  "injected by test: sequence desynchronisation");
    }
    bool more = fill();
    // Serve delivery reports: briefly when records are in flight (reports drive the window),
    // not at all when more is ready to send.
    int poll_ms = more && !queue_full_ ? 0 : (window_.inFlightRecords() > 0 ? 5 : 0);
    queue_full_ = false;
    producer_->poll(poll_ms, reports_, events_);
    handleReports();
    if (!rebuild_reason_ && !more && window_.inFlightRecords() == 0) {
      if (int64_t retry = read_retry_mono_ - monoNow(); retry > 0) {
        sleepFor(std::chrono::milliseconds(std::min<int64_t>(retry / kMsNs + 1, 50)));
      } else if (next_read_ >= log_.endOffset()) {
        // Idle: wait for the log (bounded, so stop and producer errors are seen promptly).
        log_.waitFor(next_read_, std::chrono::milliseconds(50));
      }
    }
    checkStall();
    if (rebuild_reason_) rebuild();
    maybeCommit(false);
    updateGauges(false);
  }
  shutdown();
}

void Forwarder::buildProducer() {
  last_build_mono_ = monoNow();
  auto p = Producer::create(options_, client_id_);
  if (!p) {
    // Only a condition outside the configuration fails here (e.g. an unreadable CA file):
    // retried with backoff, the records wait in the log.
    err_client_.inc();
    SF_LOG_ERROR(kComponent, "cannot build producer; retrying",
                 {{"output", options_.name},
                  {"error", p.error().message},
                  {"retry_in_ms", std::to_string(backoff_.count())}});
    next_build_mono_ = monoNow() + backoff_.count() * kMsNs;
    backoff_ = std::min(backoff_ * 2, options_.rebuild_backoff_max);
    setState(ProducerState::kRebuilding);
    return;
  }
  producer_ = std::move(*p);
  acked_since_build_ = false;
  setState(ProducerState::kConnecting);
}

bool Forwarder::fill() {
  while (!stopping_.load() && !rebuild_reason_) {
    size_t slots = window_.inFlightRecords() + window_.heldBack();
    if (slots >= options_.max_in_flight_records ||
        window_.inFlightBytes() >= options_.max_in_flight_bytes.bytes) {
      return false;
    }
    if (next_read_ >= log_.endOffset()) return false;
    if (read_retry_mono_ > monoNow()) return false;
    size_t room = std::min<size_t>(options_.max_in_flight_records - slots, kReadBatch);
    size_t room_bytes = static_cast<size_t>(std::min<uint64_t>(
        options_.max_in_flight_bytes.bytes - window_.inFlightBytes(), kReadBytes));
    auto entries = log_.read(next_read_, room, std::max<size_t>(room_bytes, 1));
    if (!entries) {
      err_log_read_.inc();
      SF_LOG_ERROR(kComponent, "log read failed; retrying in 1s",
                   {{"output", options_.name},
                    {"offset", std::to_string(next_read_)},
                    {"error", entries.error().toString()}});
      read_retry_mono_ = monoNow() + 1000 * kMsNs;
      return false;
    }
    if (entries->empty()) return false;
    for (auto& entry : *entries) {
      if (entry.offset < next_read_) continue;
      uint64_t before = next_read_;
      produceEntry(entry);
      if (next_read_ == before) return true;  // queue full or producer failing: not consumed
    }
  }
  return false;
}

void Forwarder::skip(uint64_t offset, const char* reason, const std::string& detail,
                     bool too_large) {
  window_.skipTo(offset + 1);
  next_read_ = offset + 1;
  if (!counted_skips_.insert(offset).second) return;  // counted when first read
  (too_large ? skipped_too_large_ : skipped_undecodable_).inc();
  SF_LOG_ERROR(kComponent, reason,
               {{"output", options_.name},
                {"offset", std::to_string(offset)},
                {"record_id", model::formatRecordId(identity_.gateway, identity_.stream, offset)},
                {"error", detail}});
}

void Forwarder::produceEntry(log::StoredEntry& entry) {
  auto decoded = model::decodeBinary(entry.payload);
  if (!decoded) {
    skip(entry.offset, "log entry does not decode; skipped (it stays in the log)",
         decoded.error().message, false);
    return;
  }
  model::Record& record = *decoded;
  // The record id names the log position this forwarder reads: gateway/stream/offset.
  record.gateway = identity_.gateway;
  record.stream = identity_.stream;
  record.offset = entry.offset;

  topic_.render(record, identity_, topic_buf_);
  messageKey(record, key_buf_);
  value_buf_.clear();
  model::appendJson(record, value_buf_);
  id_buf_ = model::formatRecordId(identity_.gateway, identity_.stream, entry.offset);
  const Header headers[] = {
      {"sf-class", model::recordClassName(record.recordClass())},
      {"sf-record-id", id_buf_},
      {"sf-schema", model::kRecordSchema},
      {"content-type", "application/json"},
  };
  auto r = producer_->produce(topic_buf_, key_buf_, value_buf_, headers, std::size(headers),
                              entry.offset);
  switch (r.error) {
    case Producer::ProduceError::kNone:
      break;
    case Producer::ProduceError::kQueueFull:  // read again after the next poll
      queue_full_ = true;
      return;
    case Producer::ProduceError::kTooLarge:
      skip(entry.offset,
           "record larger than the producer's message.max.bytes; skipped (it stays in the log)",
           std::to_string(value_buf_.size()) + " bytes: " + r.message, true);
      return;
    case Producer::ProduceError::kFatal:
    case Producer::ProduceError::kOther:
      requestRebuild("produce failed at offset " + std::to_string(entry.offset) + ": " + r.message);
      return;
  }
  uint32_t bytes =
      static_cast<uint32_t>(std::min<size_t>(value_buf_.size() + key_buf_.size(), UINT32_MAX));
  window_.sent(entry.offset, entry.ts_ns, monoNow(), bytes);
  next_read_ = entry.offset + 1;
  sent_.inc();
  sent_bytes_.inc(bytes);
  // A re-send counts when the earlier send may have reached Kafka: a possible duplicate.
  if (!possibly_in_kafka_.empty() && possibly_in_kafka_.erase(entry.offset) > 0) resent_.inc();
}

void Forwarder::handleReports() {
  for (auto& e : events_) {
    if (e.fatal) {
      err_fatal_.inc();
      requestRebuild("fatal producer error: " +
                     std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e.err))) +
                     ": " + e.reason);
      continue;
    }
    err_client_.inc();
    // librdkafka logs these itself (log callback); here they only move the state. One broker
    // of several going away is not an outage (leadership moves); all of them is.
    bool down = e.err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                e.err == RD_KAFKA_RESP_ERR__AUTHENTICATION || e.err == RD_KAFKA_RESP_ERR__SSL;
    if (down && state_.load() != ProducerState::kDegraded &&
        state_.load() != ProducerState::kRebuilding && !rebuild_reason_) {
      setState(ProducerState::kDegraded);
      SF_LOG_WARN(kComponent, "Kafka unreachable; records wait in the log",
                  {{"output", options_.name},
                   {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e.err))},
                   {"reason", e.reason}});
    } else {
      SF_LOG_DEBUG(kComponent, "producer error",
                   {{"output", options_.name},
                    {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e.err))},
                    {"reason", e.reason}});
    }
  }
  events_.clear();

  int64_t now_unix = clock_.nowUnixNanos();
  for (auto& r : reports_) {
    if (r.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      auto slot = window_.acked(r.offset);
      if (!slot) continue;  // a report from before a rebuild
      acked_.inc();
      acked_bytes_.inc(slot->bytes);
      latency_.observe(std::max<double>(0.0, (now_unix - slot->append_ts_ns) / 1e9));
      if (!acked_since_build_) {
        acked_since_build_ = true;
        backoff_ = options_.rebuild_backoff_initial;
      }
      if (state_.load() != ProducerState::kUp && !rebuild_reason_) {
        if (state_.load() != ProducerState::kConnecting || rebuilds_.value() > 0) {
          SF_LOG_INFO(kComponent, "Kafka acknowledges again",
                      {{"output", options_.name}, {"offset", std::to_string(r.offset)}});
        }
        setState(ProducerState::kUp);
      }
      continue;
    }
    window_.failed(r.offset, r.possibly_persisted);
    // Purged messages of a rebuild already under way are expected failures.
    if (rebuild_reason_ &&
        (r.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || r.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)) {
      continue;
    }
    err_delivery_.inc();
    requestRebuild("delivery failed at offset " + std::to_string(r.offset) + " partition " +
                   std::to_string(r.partition) + ": " + r.error +
                   (r.possibly_persisted ? " (possibly persisted)" : ""));
  }
  reports_.clear();
}

void Forwarder::requestRebuild(std::string reason) {
  if (!rebuild_reason_) rebuild_reason_ = std::move(reason);
}

void Forwarder::checkStall() {
  if (rebuild_reason_ || !producer_) return;
  if (auto fatal = producer_->fatalError()) {
    err_fatal_.inc();
    requestRebuild("fatal producer error: " + *fatal);
    return;
  }
  const auto* oldest = window_.oldest();
  if (!oldest) return;
  // The delivery timeout. librdkafka's own is off (output_options.cc): failing the whole
  // producer at once keeps every partition in order, where librdkafka timing out one record
  // would let the next one through before it.
  if (monoNow() - oldest->sent_mono_ns > options_.message_timeout.count() * kMsNs) {
    err_delivery_.inc();
    requestRebuild("offset " + std::to_string(oldest->offset) + " not acknowledged within " +
                   std::to_string(options_.message_timeout.count()) + " ms (message_timeout)");
  }
}

void Forwarder::rebuild() {
  std::string reason = std::move(*rebuild_reason_);
  setState(ProducerState::kRebuilding);
  rebuilds_.inc();
  if (producer_) {
    // Fail what is queued; keep the acknowledgements that arrive meanwhile (they advance the
    // cursor and spare re-sends).
    producer_->purge();
    int64_t deadline = monoNow() + kPurgeDrainNs;
    while (producer_->outqLen() > 0 && monoNow() < deadline) {
      producer_->poll(10, reports_, events_);
      events_.clear();
      handleReports();
    }
    producer_->poll(0, reports_, events_);
    events_.clear();
    handleReports();
    producer_.reset();
  }
  // The backoff spaces producer builds, counted from the last build: a producer that failed at
  // once waits it out, one that lived longer (e.g. until message_timeout in an outage) is
  // replaced at once, so a producer is always there to see the brokers come back.
  next_build_mono_ = std::max(monoNow(), last_build_mono_ + backoff_.count() * kMsNs);
  uint64_t cursor = window_.cursor();
  uint64_t resend = next_read_ - cursor;
  auto possibly = window_.possiblyInKafka();
  possibly_in_kafka_.insert(possibly.begin(), possibly.end());
  SF_LOG_WARN(kComponent, "producer rebuilt; re-sending from the acknowledged cursor",
              {{"output", options_.name},
               {"reason", reason},
               {"cursor", std::to_string(cursor)},
               {"resend_up_to", std::to_string(resend)},
               {"possibly_in_kafka", std::to_string(possibly.size())},
               {"retry_in_ms", std::to_string((next_build_mono_ - monoNow()) / kMsNs)}});
  window_.reset(cursor);
  next_read_ = cursor;
  maybeCommit(true);
  backoff_ = std::min(backoff_ * 2, options_.rebuild_backoff_max);
  rebuild_reason_.reset();
  updateGauges(true);
}

void Forwarder::maybeCommit(bool force) {
  uint64_t cursor = window_.cursor();
  cursor_snapshot_.store(cursor);
  int64_t now = monoNow();
  // Also commit once the cursor moved by half a window: a crash then re-sends at most about
  // 2.5 windows, whatever the rate (docs/FORWARDER.md, "Duplicates").
  if (!force && now - last_commit_mono_ < options_.commit_interval.count() * kMsNs &&
      cursor - committed_ < std::max<uint64_t>(options_.max_in_flight_records / 2, 1)) {
    return;
  }
  last_commit_mono_ = now;
  if (cursor == committed_) return;
  if (auto st = log_.commitCursor(options_.name, cursor); !st) {
    err_commit_.inc();
    SF_LOG_ERROR(kComponent, "cursor commit failed; retrying",
                 {{"output", options_.name},
                  {"cursor", std::to_string(cursor)},
                  {"error", st.error().toString()}});
    return;
  }
  committed_ = cursor;
  committed_snapshot_.store(cursor);
  committed_gauge_.set(static_cast<double>(cursor));
  // Skips below the cursor are never read again.
  counted_skips_.erase(counted_skips_.begin(), counted_skips_.lower_bound(cursor));
  possibly_in_kafka_.erase(possibly_in_kafka_.begin(), possibly_in_kafka_.lower_bound(cursor));
}

void Forwarder::updateGauges(bool force) {
  in_flight_snapshot_.store(window_.inFlightRecords());
  int64_t now = monoNow();
  if (!force && now - last_gauges_mono_ < kGaugeIntervalNs) return;
  last_gauges_mono_ = now;
  uint64_t cursor = window_.cursor();
  uint64_t end = log_.endOffset();
  uint64_t start = log_.startOffset();
  uint64_t from = std::max(cursor, start);
  lag_records_.set(end > from ? static_cast<double>(end - from) : 0.0);
  in_flight_records_.set(static_cast<double>(window_.inFlightRecords()));
  int64_t oldest_ts = 0;
  if (const auto* oldest = window_.oldest()) {
    oldest_ts = oldest->append_ts_ns;
  } else if (end > from) {
    if (auto first = log_.read(from, 1, 1); first && !first->empty()) {
      oldest_ts = first->front().ts_ns;
    }
  }
  oldest_age_.set(oldest_ts > 0 ? std::max<double>(0.0, (clock_.nowUnixNanos() - oldest_ts) / 1e9)
                                : 0.0);
}

void Forwarder::shutdown() {
  if (producer_ && !rebuild_reason_ && !producer_->fatalError()) {
    // Give what is in flight its chance to be acknowledged, within stop_timeout.
    int64_t deadline = monoNow() + options_.stop_timeout.count() * kMsNs;
    while (window_.inFlightRecords() > 0 && monoNow() < deadline && !rebuild_reason_) {
      producer_->poll(10, reports_, events_);
      handleReports();
    }
  }
  producer_.reset();
  maybeCommit(true);
  updateGauges(true);
  setState(ProducerState::kStopped);
  SF_LOG_INFO(kComponent, "stopped",
              {{"output", options_.name},
               {"cursor", std::to_string(committed_)},
               {"unacknowledged_in_flight", std::to_string(window_.inFlightRecords())}});
}

}  // namespace sf::kafka
