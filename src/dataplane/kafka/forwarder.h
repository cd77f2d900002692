#pragma once
// Forwarder: delivers one local-log stream to one Kafka output (docs/FORWARDER.md).
//
// Owns: one thread ("sf-fwd-<output>"), the librdkafka producer it rebuilds at will, and the
// output's cursor in the log (`log.cursor(name)`), which it alone advances. It reads entries
// from the cursor, decodes them (model::decodeBinary), and produces each record as canonical
// JSON (idempotent producer, acks=all). The cursor advances only over contiguous acknowledged
// offsets (InFlightWindow) and is committed every commit_interval, before every producer
// rebuild and on stop.
//
// Failure policy: any delivery failure, fatal producer error (idempotence desynchronisation
// included) or a record not acknowledged within message_timeout destroys the producer and
// builds a new one after a backoff, then re-sends from the contiguous acknowledged cursor.
// Nothing acknowledged by the log is lost; records after the cursor may reach Kafka twice
// (counted in sf_forwarder_resent_records_total; consumers deduplicate on the record id).
//
// Threads: every librdkafka call and all delivery state live on the forwarder's own thread; the
// log is read from there (Log readers are thread-safe and independent of the log's writer).
// start(), stop(), stats() and state() are thread-safe. One Forwarder per (log, output).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "dataplane/kafka/inflight_window.h"
#include "dataplane/kafka/output_options.h"
#include "dataplane/kafka/producer.h"
#include "dataplane/kafka/topic_template.h"
#include "dataplane/log/log.h"
#include "model/record.h"

namespace sf::kafka {

// Values of the gauge sf_forwarder_producer_state.
enum class ProducerState : int {
  kStopped = 0,     // the forwarder is not running
  kConnecting = 1,  // a producer was built; nothing acknowledged yet
  kUp = 2,          // records are being acknowledged
  kDegraded = 3,    // the producer reports brokers down or errors; records wait in the log
  kRebuilding = 4,  // the producer was destroyed after a failure; a new one is due
};
std::string_view producerStateName(ProducerState state);

class Forwarder {
 public:
  // Validates `options` (kInvalidConfig naming the option). `log` must outlive the forwarder;
  // the forwarder only reads it and writes its own cursor.
  static core::Result<std::unique_ptr<Forwarder>> create(
      KafkaOutputOptions options, log::Log& log, ForwarderIdentity identity,
      core::MetricsRegistry& metrics = core::MetricsRegistry::global(),
      const core::Clock& clock = core::SystemClock::instance());
  ~Forwarder();  // stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Reads the output's cursor (registering it at the log's start offset for a new output) and
  // starts the thread. The producer connects in the background: brokers need not be up.
  core::Status start();
  // Stops reading, gives in-flight records up to stop_timeout to be acknowledged, commits the
  // cursor and destroys the producer. Idempotent; returns when the thread has exited.
  void stop();

  struct Stats {
    uint64_t sent = 0;      // messages handed to the producer (re-sends included)
    uint64_t acked = 0;     // delivery reports without error
    uint64_t resent = 0;    // re-sends of a record an earlier producer may have delivered
    uint64_t rebuilds = 0;  // producers destroyed after a failure
    uint64_t delivery_errors = 0;
    uint64_t fatal_errors = 0;
    uint64_t skipped_undecodable = 0;
    uint64_t skipped_too_large = 0;
    uint64_t cursor = 0;     // the contiguous acknowledged cursor (next offset to deliver)
    uint64_t committed = 0;  // the cursor last committed to the log
    uint64_t in_flight = 0;
  };
  Stats stats() const;
  ProducerState state() const { return state_.load(); }
  const KafkaOutputOptions& options() const { return options_; }

  // Makes the current producer fatal (as an idempotence desynchronisation would), on the
  // forwarder thread at its next turn. Tests only.
  void injectFatalErrorForTest() { inject_fatal_.store(true); }

 private:
  Forwarder(KafkaOutputOptions options, TopicTemplate topic, log::Log& log,
            ForwarderIdentity identity, core::MetricsRegistry& metrics, const core::Clock& clock);

  void run();
  void buildProducer();
  // Reads from the log and produces until the window is full or the log is exhausted; true if
  // it stopped because of the window or a full queue (more is ready to send).
  bool fill();
  void produceEntry(log::StoredEntry& entry);
  void handleReports();
  void requestRebuild(std::string reason);
  void rebuild();
  void checkStall();
  void maybeCommit(bool force);
  void updateGauges(bool force);
  void shutdown();
  void setState(ProducerState s);
  void sleepFor(std::chrono::milliseconds d);
  void skip(uint64_t offset, const char* reason, const std::string& detail, bool too_large);
  int64_t monoNow() const { return clock_.monotonicNanos(); }

  // Immutable after construction.
  const KafkaOutputOptions options_;
  const TopicTemplate topic_;
  log::Log& log_;
  const ForwarderIdentity identity_;
  const core::Clock& clock_;
  const std::string client_id_;

  // Thread control.
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // under mu_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> inject_fatal_{false};
  std::thread thread_;
  bool started_ = false;

  // Forwarder-thread state.
  std::unique_ptr<Producer> producer_;
  InFlightWindow window_;
  uint64_t next_read_ = 0;  // the next offset to read from the log
  uint64_t committed_ = 0;  // the cursor last committed
  int64_t last_commit_mono_ = 0;
  int64_t last_gauges_mono_ = 0;
  int64_t next_build_mono_ = 0;
  int64_t last_build_mono_ = 0;  // when the current (or last) producer was built
  int64_t read_retry_mono_ = 0;
  std::chrono::milliseconds backoff_;
  std::optional<std::string> rebuild_reason_;
  bool acked_since_build_ = false;
  bool queue_full_ = false;           // librdkafka's queue refused a record: poll before retrying
  std::set<uint64_t> counted_skips_;  // skipped offsets already counted (not twice on re-read)
  // Offsets after the cursor that an earlier producer may have delivered: re-sending one is a
  // possible duplicate (sf_forwarder_resent_records_total).
  std::set<uint64_t> possibly_in_kafka_;
  std::vector<DeliveryReport> reports_;
  std::vector<ProducerEvent> events_;
  std::string topic_buf_, key_buf_, value_buf_, id_buf_;

  std::atomic<ProducerState> state_{ProducerState::kStopped};
  std::atomic<uint64_t> cursor_snapshot_{0};
  std::atomic<uint64_t> committed_snapshot_{0};
  std::atomic<uint64_t> in_flight_snapshot_{0};

  // Metrics (handles owned by the registry).
  core::Counter& sent_;
  core::Counter& sent_bytes_;
  core::Counter& acked_;
  core::Counter& acked_bytes_;
  core::Counter& resent_;
  core::Counter& rebuilds_;
  core::Counter& err_delivery_;
  core::Counter& err_fatal_;
  core::Counter& err_client_;
  core::Counter& err_log_read_;
  core::Counter& err_commit_;
  core::Counter& skipped_undecodable_;
  core::Counter& skipped_too_large_;
  core::Gauge& state_gauge_;
  core::Gauge& lag_records_;
  core::Gauge& oldest_age_;
  core::Gauge& in_flight_records_;
  core::Gauge& committed_gauge_;
  core::Histogram& latency_;
};

}  // namespace sf::kafka
