#include "integration/kafka/test_producer.h"

#include <algorithm>
#include <array>
#include <thread>

namespace sf::testing {

TestProducer::TestProducer(const std::string& bootstrap,
                           const std::map<std::string, std::string>& settings) {
  std::map<std::string, std::string> all = {{"bootstrap.servers", bootstrap},
                                            {"client.id", "sf-test-producer"},
                                            {"enable.idempotence", "true"},
                                            {"acks", "all"},
                                            {"linger.ms", "5"}};
  for (const auto& [key, value] : settings) all[key] = value;

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> err{};
  for (const auto& [key, value] : all) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      create_error_ = key + ": " + err.data();
      rd_kafka_conf_destroy(conf);
      return;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &TestProducer::onDelivery);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
  if (rk_ == nullptr) {
    create_error_ = err.data();
    rd_kafka_conf_destroy(conf);
  }
}

TestProducer::~TestProducer() {
  if (rk_ != nullptr) {
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
  }
}

void TestProducer::onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<TestProducer*>(opaque);
  std::lock_guard lock(self->mutex_);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivered_++;
    int64_t& end = self->ends_[message->partition];
    end = std::max(end, message->offset + 1);
  } else {
    self->failed_++;
    if (self->first_error_.empty()) self->first_error_ = rd_kafka_err2str(message->err);
  }
}

::testing::AssertionResult TestProducer::produce(const std::string& topic, const std::string& key,
                                                 const std::string& value, const std::string& seq) {
  if (rk_ == nullptr) return ::testing::AssertionFailure() << "no producer: " << create_error_;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_HEADER("seq", seq.data(), static_cast<ssize_t>(seq.size())), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return ::testing::AssertionSuccess();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return ::testing::AssertionFailure() << "produce: " << rd_kafka_err2str(err);
    }
    rd_kafka_poll(rk_, 50);
  }
}

void TestProducer::poll(int timeout_ms) {
  if (rk_ != nullptr) rd_kafka_poll(rk_, timeout_ms);
}

::testing::AssertionResult TestProducer::flush(std::chrono::milliseconds timeout) {
  if (rk_ == nullptr) return ::testing::AssertionFailure() << "no producer: " << create_error_;
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return ::testing::AssertionFailure() << "flush: " << rd_kafka_err2str(err) << ", "
                                         << rd_kafka_outq_len(rk_) << " messages still queued";
  }
  return ::testing::AssertionSuccess();
}

std::string TestProducer::firstError() const {
  std::lock_guard lock(mutex_);
  return first_error_;
}

std::map<int32_t, int64_t> TestProducer::deliveredEnds() const {
  std::lock_guard lock(mutex_);
  return ends_;
}

}  // namespace sf::testing
