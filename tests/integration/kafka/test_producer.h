#pragma once

// A plain librdkafka producer for the Kafka integration tests: idempotent, acks=all, with
// delivery reports counted. Independent of StreamForge's own forwarder on purpose: these tests
// pin down what the brokers and librdkafka guarantee, which the forwarder builds on.
//
// produce() and poll() may be called from one thread at a time; the counters from any thread.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace sf::testing {

class TestProducer {
 public:
  // `settings` override or extend the defaults (enable.idempotence=true, acks=all).
  TestProducer(const std::string& bootstrap, const std::map<std::string, std::string>& settings);
  ~TestProducer();
  TestProducer(const TestProducer&) = delete;
  TestProducer& operator=(const TestProducer&) = delete;

  // Empty when the client was created; the librdkafka error otherwise.
  const std::string& createError() const { return create_error_; }

  // Enqueues one message with a "seq" header; waits (serving delivery reports) while the local
  // queue is full.
  ::testing::AssertionResult produce(const std::string& topic, const std::string& key,
                                     const std::string& value, const std::string& seq);

  // Serves delivery reports.
  void poll(int timeout_ms = 0);

  // Waits until every enqueued message is acknowledged or failed.
  ::testing::AssertionResult flush(std::chrono::milliseconds timeout);

  int64_t delivered() const { return delivered_.load(); }
  int64_t failed() const { return failed_.load(); }
  std::string firstError() const;
  // Highest acknowledged offset + 1 per partition, to compare with what a consumer reads.
  std::map<int32_t, int64_t> deliveredEnds() const;

 private:
  static void onDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  rd_kafka_t* rk_ = nullptr;
  std::string create_error_;
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> failed_{0};
  mutable std::mutex mutex_;
  std::string first_error_;
  std::map<int32_t, int64_t> ends_;
};

}  // namespace sf::testing
