#include "dataplane/kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <cstring>

#include "core/log.h"

namespace sf::kafka {

// The callbacks reach the Producer through the configuration's opaque pointer. Reports and
// events are only ever produced while the owning thread is inside rd_kafka_poll() (librdkafka
// serves the delivery and error callbacks from the polling thread), except the log callback.
struct ProducerCallbacks {
  static Producer* self(void* opaque) { return static_cast<Producer*>(opaque); }

  static void delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    Producer* p = self(opaque);
    DeliveryReport r;
    r.offset = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->_private));
    r.err = m->err;
    r.partition = m->partition;
    if (m->err) {
      r.possibly_persisted = rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
      r.error = rd_kafka_err2str(m->err);
    }
    if (p->reports_) p->reports_->push_back(std::move(r));
  }

  static void error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    Producer* p = self(opaque);
    ProducerEvent e;
    e.err = err;
    e.reason = reason ? reason : "";
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
      e.fatal = true;
      e.err = orig;
      e.reason = buf;
    }
    if (p->events_) p->events_->push_back(std::move(e));
  }

  static void log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    // May run on librdkafka's threads; the core logger is thread-safe.
    const auto* p = static_cast<const Producer*>(rd_kafka_opaque(rk));
    std::string name = p ? p->name_ : std::string();
    // The forwarder sets this experimental property on purpose (output_options.cc): its warning
    // at every producer build is not news.
    if (level == 4 && std::strcmp(fac, "CONFWARN") == 0 &&
        std::strstr(buf, "enable.gapless.guarantee") != nullptr) {
      level = 7;
    }
    if (level <= 3) {
      SF_LOG_ERROR("kafka", buf, {{"output", name}, {"facility", fac}});
    } else if (level == 4) {
      SF_LOG_WARN("kafka", buf, {{"output", name}, {"facility", fac}});
    } else if (level <= 6) {
      SF_LOG_INFO("kafka", buf, {{"output", name}, {"facility", fac}});
    } else {
      SF_LOG_DEBUG("kafka", buf, {{"output", name}, {"facility", fac}});
    }
  }
};

core::Result<std::unique_ptr<Producer>> Producer::create(const KafkaOutputOptions& options,
                                                         std::string_view client_id) {
  std::unique_ptr<Producer> p(new Producer());
  p->name_ = options.name;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (auto st = applyProperties(conf, producerProperties(options, client_id)); !st) {
    rd_kafka_conf_destroy(conf);
    return core::fail(std::move(st).error());
  }
  rd_kafka_conf_set_opaque(conf, p.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &ProducerCallbacks::delivery);
  rd_kafka_conf_set_error_cb(conf, &ProducerCallbacks::error);
  rd_kafka_conf_set_log_cb(conf, &ProducerCallbacks::log);
  char errstr[512];
  p->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!p->rk_) {
    // On failure the configuration is still ours.
    rd_kafka_conf_destroy(conf);
    return core::fail(core::Errc::kInvalidConfig,
                      "kafka output '" + options.name + "': cannot create producer: " + errstr);
  }
  return p;
}

Producer::~Producer() {
  if (!rk_) return;
  // Whatever is still queued is failed here: the forwarder re-sends from its cursor.
  rd_kafka_purge(
      rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  reports_ = nullptr;
  events_ = nullptr;
  rd_kafka_destroy(rk_);
}

Producer::ProduceResult Producer::produce(const std::string& topic, std::string_view key,
                                          std::string_view value, const Header* headers,
                                          size_t header_count, uint64_t offset) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(header_count);
  for (size_t i = 0; i < header_count; ++i) {
    rd_kafka_header_add(hdrs, headers[i].name.data(), static_cast<ssize_t>(headers[i].name.size()),
                        headers[i].value.data(), static_cast<ssize_t>(headers[i].value.size()));
  }
  // The per-message opaque carries the log offset itself (offsets < 2^63 fit a pointer on the
  // 64-bit targets we build for); the delivery report hands it back.
  static_assert(sizeof(void*) >= sizeof(uint64_t));
  void* opaque = reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr)
      static_cast<uintptr_t>(offset));
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};  // the message owns the headers now
  rd_kafka_headers_destroy(hdrs);
  ProduceResult r;
  r.message = rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      r.error = ProduceError::kQueueFull;
      break;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      r.error = ProduceError::kTooLarge;
      break;
    case RD_KAFKA_RESP_ERR__FATAL:
      r.error = ProduceError::kFatal;
      break;
    default:
      r.error = ProduceError::kOther;
      break;
  }
  return r;
}

void Producer::poll(int timeout_ms, std::vector<DeliveryReport>& reports,
                    std::vector<ProducerEvent>& events) {
  reports_ = &reports;
  events_ = &events;
  rd_kafka_poll(rk_, timeout_ms);
  reports_ = nullptr;
  events_ = nullptr;
}

std::optional<std::string> Producer::fatalError() const {
  char buf[512];
  rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_, buf, sizeof buf);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(err)) + ": " + buf;
}

void Producer::purge() {
  rd_kafka_purge(
      rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
}

int Producer::outqLen() const { return rd_kafka_outq_len(rk_); }

void Producer::injectFatalError(int err, const std::string& reason) {
  rd_kafka_test_fatal_error(rk_, static_cast<rd_kafka_resp_err_t>(err), reason.c_str());
}

}  // namespace sf::kafka
