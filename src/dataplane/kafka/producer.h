#pragma once
// Producer: one librdkafka producer handle (idempotent, acks=all), as disposable as the
// forwarder's rebuild policy needs: created from the output's options, used by one thread,
// destroyed whole when it fails. Delivery reports and error events are collected by poll() and
// handed back as plain values, so the forwarder's state never runs inside a librdkafka callback.
//
// Threads: every method must be called from the owning (forwarder) thread. librdkafka's own
// threads only ever call the log callback, which goes to the thread-safe core logger.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/kafka/output_options.h"

typedef struct rd_kafka_s rd_kafka_t;

namespace sf::kafka {

struct Header {
  std::string_view name;
  std::string_view value;
};

// The outcome of one produced message, identified by the log offset it carries.
struct DeliveryReport {
  uint64_t offset = 0;
  int err = 0;                      // rd_kafka_resp_err_t; 0 = acknowledged by all ISRs
  bool possibly_persisted = false;  // failed, but may be in Kafka anyway (duplicate risk)
  int32_t partition = -1;
  std::string error;  // rd_kafka_err2str, when err != 0
};

// A client-level error from librdkafka's error callback.
struct ProducerEvent {
  int err = 0;
  bool fatal = false;
  std::string reason;
};

class Producer {
 public:
  // Creates the handle (no connection is awaited). `name` is the output name for logs.
  static core::Result<std::unique_ptr<Producer>> create(const KafkaOutputOptions& options,
                                                        std::string_view client_id);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  enum class ProduceError { kNone, kQueueFull, kTooLarge, kFatal, kOther };
  struct ProduceResult {
    ProduceError error = ProduceError::kNone;
    std::string message;
  };
  // Queues one message (key, value and headers are copied). The report comes from poll().
  ProduceResult produce(const std::string& topic, std::string_view key, std::string_view value,
                        const Header* headers, size_t header_count, uint64_t offset);

  // Serves librdkafka's queue for up to `timeout_ms`, appending what happened.
  void poll(int timeout_ms, std::vector<DeliveryReport>& reports,
            std::vector<ProducerEvent>& events);

  // The fatal error, if the producer is in the fatal state (it must then be destroyed).
  std::optional<std::string> fatalError() const;

  // Fails every queued and in-flight message (non-blocking); their reports come from poll().
  void purge();
  // Messages queued or in flight inside librdkafka.
  int outqLen() const;

  // Puts the producer into the fatal state, as librdkafka would on an idempotence
  // desynchronisation (rd_kafka_test_fatal_error). Tests only.
  void injectFatalError(int err, const std::string& reason);

  rd_kafka_t* handle() { return rk_; }

 private:
  Producer() = default;

  rd_kafka_t* rk_ = nullptr;
  std::string name_;
  // Filled by callbacks during poll(); poll() hands them out.
  std::vector<DeliveryReport>* reports_ = nullptr;
  std::vector<ProducerEvent>* events_ = nullptr;

  friend struct ProducerCallbacks;
};

}  // namespace sf::kafka
