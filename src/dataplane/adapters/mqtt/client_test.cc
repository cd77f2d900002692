// MqttClient against a scripted broker on loopback. Mosquitto (tests/integration/mqtt) covers
// the normal paths; this fake exists for what a real broker cannot be made to do on demand:
// hold a connection while checking that no PUBACK leaves before the records are durable,
// resend a message after a reconnect at a chosen moment, send malformed or oversized packets.
#include "dataplane/adapters/mqtt/client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

namespace sf::mqtt {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// --- the scripted broker (blocking, on the test thread) ---------------------------------------

struct RawPacket {
  uint8_t byte0 = 0;
  std::string body;
  PacketType type() const { return static_cast<PacketType>(byte0 >> 4); }
  uint16_t id() const {
    return body.size() >= 2 ? static_cast<uint16_t>((static_cast<uint8_t>(body[0]) << 8) |
                                                    static_cast<uint8_t>(body[1]))
                            : 0;
  }
};

class FakeBroker {
 public:
  FakeBroker() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Accepts a client, reads CONNECT, answers CONNACK; then reads SUBSCRIBE and answers SUBACK.
  void accept(bool session_present = false, bool expect_subscribe = true) {
    sock_ = std::make_unique<tcp::socket>(io_);
    acceptor_.accept(*sock_);
    auto connect = read(5s);
    ASSERT_TRUE(connect);
    ASSERT_EQ(connect->type(), PacketType::kConnect);
    version_ = static_cast<Version>(connect->body[6]);
    std::string connack;
    connack.push_back(0x20);
    connack.push_back(version_ == Version::kV5 ? 3 : 2);
    connack.push_back(session_present ? 1 : 0);
    connack.push_back(0);
    if (version_ == Version::kV5) connack.push_back(0);
    write(connack);
    if (expect_subscribe) {
      auto sub = read(5s);
      ASSERT_TRUE(sub);
      ASSERT_EQ(sub->type(), PacketType::kSubscribe);
      std::string suback("\x90\x03", 2);
      suback.push_back(sub->body[0]);
      suback.push_back(sub->body[1]);
      suback.push_back(1);
      if (version_ == Version::kV5) {
        suback[1] = 4;
        suback.insert(4, 1, '\0');
      }
      write(suback);
    }
  }
  void publish(const std::string& topic, const std::string& payload, uint8_t qos, uint16_t id,
               bool dup = false) {
    std::string p;
    ASSERT_TRUE(encodePublish(topic, payload, qos, false, dup, id, version_, p));
    write(p);
  }
  void write(const std::string& bytes) { asio::write(*sock_, asio::buffer(bytes)); }
  void close() {
    asio::error_code ec;
    sock_->close(ec);
  }
  // The next whole packet, or nullopt after `timeout` without one.
  std::optional<RawPacket> read(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (auto p = parse()) return p;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{sock_->native_handle(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      asio::error_code ec;
      size_t n = sock_->read_some(asio::buffer(buf), ec);
      if (ec) return std::nullopt;
      in_.append(buf, n);
    }
  }
  // Packets of a type, skipping PINGREQs, until `count` arrived or the timeout.
  std::vector<RawPacket> readAll(PacketType type, size_t count, std::chrono::milliseconds timeout) {
    std::vector<RawPacket> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto p = read(left);
      if (!p) break;
      if (p->type() == type) out.push_back(*p);
    }
    return out;
  }

 private:
  std::optional<RawPacket> parse() {
    auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in_.data()), in_.size());
    auto h = parseFixedHeader(span);
    if (!h || !*h || in_.size() < (*h)->total()) return std::nullopt;
    RawPacket p;
    p.byte0 = static_cast<uint8_t>(in_[0]);
    p.body = in_.substr((*h)->header_size, (*h)->remaining);
    in_.erase(0, (*h)->total());
    return p;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<tcp::socket> sock_;
  std::string in_;
  Version version_ = Version::kV5;
};

// --- the client side ---------------------------------------------------------------------------

struct Received {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool oversized = false;
  size_t size = 0;
};

// Collects messages and keeps their `done` callbacks until the test releases them, the way the
// local log would call them once durable.
class HoldingHandler : public MqttHandler {
 public:
  void onMessages(std::span<const Message> messages, DoneCallback done) override {
    std::lock_guard lock(mu_);
    for (const auto& m : messages) {
      received_.push_back(
          {std::string(m.topic), std::string(m.payload), m.qos, m.oversized, m.payload_size});
    }
    pending_.push_back(std::move(done));
  }
  void release(core::Status st = core::ok()) {
    std::vector<DoneCallback> p;
    {
      std::lock_guard lock(mu_);
      p.swap(pending_);
    }
    for (auto& d : p) d(st);
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return received_.size();
  }

 private:
  std::mutex mu_;
  std::vector<Received> received_;
  std::vector<DoneCallback> pending_;
};

class ClientTest : public ::testing::TestWithParam<Version> {
 protected:
  ClientTest() : strand_(asio::make_strand(io_)), guard_(io_.get_executor()) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ClientTest() override {
    if (client_) {
      asio::post(strand_, [c = client_] { c->abort("test over"); });
    }
    for (auto& r : runs_) r.wait_for(std::chrono::seconds(5));
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  void makeClient(uint16_t port, uint32_t max_inflight = 100, size_t max_message = 1 << 20,
                  uint16_t keep_alive = 0) {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.connect.version = GetParam();
    o.connect.client_id = "t";
    o.connect.clean_start = false;
    o.connect.keep_alive_s = keep_alive;
    o.connect.session_expiry_s = 60;
    o.subscriptions = {SubscribeFilter{"#", 1}};
    o.max_inflight = max_inflight;
    o.max_message_bytes = max_message;
    o.connect_timeout = 3s;
    client_ = std::make_shared<MqttClient>(strand_, o, metrics_,
                                           core::Labels{{"type", "mqtt"}, {"instance", "t"}});
  }
  // connect() then run() on the strand; the future holds run()'s result.
  std::shared_future<core::Status> start() {
    auto promise = std::make_shared<std::promise<core::Status>>();
    std::shared_future<core::Status> fut = promise->get_future().share();
    runs_.push_back(fut);
    asio::co_spawn(
        strand_,
        [this, promise]() -> asio::awaitable<void> {
          auto info = co_await client_->connect();
          if (!info) {
            promise->set_value(core::fail(info.error()));
            co_return;
          }
          session_present_ = info->session_present;
          promise->set_value(co_await client_->run(handler_));
        },
        asio::detached);
    return fut;
  }

  asio::io_context io_;
  Executor strand_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  core::MetricsRegistry metrics_;
  std::shared_ptr<MqttClient> client_;
  HoldingHandler handler_;
  std::atomic<bool> session_present_{false};
  std::vector<std::shared_future<core::Status>> runs_;
};

TEST_P(ClientTest, AcknowledgesOnlyWhatIsDurable) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "1", 1, 1);
  broker.publish("a", "2", 1, 2);
  broker.publish("a", "3", 1, 3);
  for (int i = 0; i < 200 && handler_.count() < 3; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(handler_.count(), 3u);
  // Handed over, not durable: the broker must see no PUBACK.
  EXPECT_TRUE(broker.readAll(PacketType::kPuback, 1, 300ms).empty());
  handler_.release();
  auto acks = broker.readAll(PacketType::kPuback, 3, 3s);
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].id(), 1);  // in order of receipt
  EXPECT_EQ(acks[1].id(), 2);
  EXPECT_EQ(acks[2].id(), 3);
  broker.close();
  EXPECT_EQ(run.wait_for(5s), std::future_status::ready);
}

TEST_P(ClientTest, RedeliveryOfADurableMessageIsAcknowledgedWithoutASecondCopy) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "x", 1, 5);
  for (int i = 0; i < 200 && handler_.count() < 1; ++i) std::this_thread::sleep_for(5ms);
  broker.close();  // the connection drops before the record is durable
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(run.get());
  handler_.release();  // durable now, with no connection to acknowledge on
  std::this_thread::sleep_for(50ms);
  auto again = start();
  broker.accept(/*session_present=*/true);
  broker.publish("a", "x", 1, 5, /*dup=*/true);  // the broker resends
  auto acks = broker.readAll(PacketType::kPuback, 1, 3s);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].id(), 5);
  EXPECT_EQ(handler_.count(), 1u);  // one copy only
  broker.close();
  again.wait_for(5s);
}

TEST_P(ClientTest, RedeliveryBeforeDurableIsAcknowledgedOnTheNewConnection) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "x", 1, 6);
  for (int i = 0; i < 200 && handler_.count() < 1; ++i) std::this_thread::sleep_for(5ms);
  broker.close();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto again = start();
  broker.accept(true);
  broker.publish("a", "x", 1, 6, true);  // resent while the first copy is still on its way
  EXPECT_TRUE(broker.readAll(PacketType::kPuback, 1, 300ms).empty());
  handler_.release();
  auto acks = broker.readAll(PacketType::kPuback, 1, 3s);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].id(), 6);
  EXPECT_EQ(handler_.count(), 1u);
  broker.close();
  again.wait_for(5s);
}

TEST_P(ClientTest, NewSessionForgetsOldPacketIds) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "old", 1, 7);
  for (int i = 0; i < 200 && handler_.count() < 1; ++i) std::this_thread::sleep_for(5ms);
  broker.close();
  run.wait_for(5s);
  auto again = start();
  broker.accept(/*session_present=*/false);  // the broker lost the session
  broker.publish("a", "new", 1, 7);          // the same id now names another message
  for (int i = 0; i < 200 && handler_.count() < 2; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(handler_.count(), 2u);
  handler_.release();
  auto acks = broker.readAll(PacketType::kPuback, 2, 1s);
  EXPECT_EQ(acks.size(), 1u);  // only the new message's; the old session's ack is dropped
  broker.close();
  again.wait_for(5s);
}

TEST_P(ClientTest, QoS2Handshake) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "q2", 2, 9);
  for (int i = 0; i < 200 && handler_.count() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(broker.readAll(PacketType::kPubrec, 1, 200ms).empty());
  handler_.release();
  auto rec = broker.readAll(PacketType::kPubrec, 1, 3s);
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].id(), 9);
  broker.publish("a", "q2", 2, 9, true);  // a duplicate before PUBREL: PUBREC again, no copy
  rec = broker.readAll(PacketType::kPubrec, 1, 3s);
  ASSERT_EQ(rec.size(), 1u);
  std::string pubrel;
  encodeAck(PacketType::kPubrel, 9, GetParam(), pubrel);
  broker.write(pubrel);
  auto comp = broker.readAll(PacketType::kPubcomp, 1, 3s);
  ASSERT_EQ(comp.size(), 1u);
  EXPECT_EQ(comp[0].id(), 9);
  EXPECT_EQ(handler_.count(), 1u);
  broker.close();
  run.wait_for(5s);
}

TEST_P(ClientTest, OversizedMessageIsSkippedUnbufferedAndAcknowledged) {
  FakeBroker broker;
  makeClient(broker.port(), 100, 1024);
  auto run = start();
  broker.accept();
  broker.publish("big", std::string(300000, 'x'), 1, 11);
  broker.publish("small", "ok", 1, 12);
  for (int i = 0; i < 400 && handler_.count() < 2; ++i) std::this_thread::sleep_for(5ms);
  auto got = handler_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].oversized);
  EXPECT_EQ(got[0].topic, "big");
  EXPECT_GE(got[0].size, 300000u);
  EXPECT_EQ(got[1].payload, "ok");
  handler_.release();
  auto acks = broker.readAll(PacketType::kPuback, 2, 3s);
  ASSERT_EQ(acks.size(), 2u);
  broker.close();
  run.wait_for(5s);
}

TEST_P(ClientTest, MalformedPacketEndsTheConnection) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.write(std::string("\x30\xFF\xFF\xFF\xFF\x01", 6));
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto st = run.get();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kInvalidData);
  EXPECT_EQ(
      metrics_.valueOf("sf_mqtt_protocol_errors_total", {{"type", "mqtt"}, {"instance", "t"}}), 1);
}

TEST_P(ClientTest, ReadingPausesAtMaxInflight) {
  FakeBroker broker;
  makeClient(broker.port(), 2);
  auto run = start();
  broker.accept();
  for (uint16_t i = 1; i <= 6; ++i) broker.publish("a", std::to_string(i), 0, 0);
  for (int i = 0; i < 100 && handler_.count() < 2; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(handler_.count(), 2u);
  EXPECT_EQ(client_->inflight(), 2u);
  handler_.release();
  for (int i = 0; i < 100 && handler_.count() < 4; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(handler_.count(), 4u);
  handler_.release();
  for (int i = 0; i < 100 && handler_.count() < 6; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(handler_.count(), 6u);
  handler_.release();
  broker.close();
  run.wait_for(5s);
}

TEST_P(ClientTest, KeepAlivePingsAndDetectsASilentBroker) {
  FakeBroker broker;
  makeClient(broker.port(), 100, 1 << 20, /*keep_alive=*/1);
  auto run = start();
  broker.accept();
  auto ping = broker.readAll(PacketType::kPingreq, 1, 3s);
  ASSERT_EQ(ping.size(), 1u);
  // No PINGRESP: the client gives up after 1.5 intervals.
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  auto st = run.get();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kTimeout) << st.error().message;
}

TEST_P(ClientTest, LogFailureDropsTheConnectionWithoutAcknowledging) {
  FakeBroker broker;
  makeClient(broker.port());
  auto run = start();
  broker.accept();
  broker.publish("a", "1", 1, 21);
  for (int i = 0; i < 200 && handler_.count() < 1; ++i) std::this_thread::sleep_for(5ms);
  handler_.release(core::fail(core::Errc::kResourceExhausted, "disk full"));
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(run.get());
  EXPECT_TRUE(broker.readAll(PacketType::kPuback, 1, 200ms).empty());
  // The redelivery after reconnect is handed over again (the first copy was not stored).
  auto again = start();
  broker.accept(true);
  broker.publish("a", "1", 1, 21, true);
  for (int i = 0; i < 200 && handler_.count() < 2; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(handler_.count(), 2u);
  handler_.release();
  EXPECT_EQ(broker.readAll(PacketType::kPuback, 1, 3s).size(), 1u);
  broker.close();
  again.wait_for(5s);
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientTest, ::testing::Values(Version::kV311, Version::kV5),
                         [](const auto& info) {
                           return info.param == Version::kV5 ? "v5" : "v311";
                         });

}  // namespace
}  // namespace sf::mqtt
