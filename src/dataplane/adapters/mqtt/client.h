#pragma once
// MqttClient: an MQTT 3.1.1/5 subscriber session on Asio, written for one rule: a QoS 1/2
// message is acknowledged to the broker (PUBACK / PUBREC) only once whatever the gateway made of
// it is durable. The handler gets each read's messages as a batch with a `done` callback, hands
// that callback to RecordEmitter::emit(), and the client acknowledges the batch when the local
// log calls it. Until then the broker keeps the message in the session.
//
// Owns: the transport (TCP or TLS), the read buffer, the outbound write queue, the keep-alive
// timer, and the inbound QoS 1/2 state that outlives a connection (packet ids handed over and not
// yet acknowledged) so that a broker's redelivery after a reconnect is acknowledged without a
// second copy in the log when the first is already durable or on its way.
//
// Threads: every member runs on the adapter's strand (`executor`). `done` callbacks may run on
// any thread (the log's writer); they post back to the strand and hold only a weak reference,
// so a client destroyed meanwhile is fine. Not thread-safe otherwise. Create with
// std::make_shared (callbacks use weak_from_this()).
//
// Flow control: at most `max_inflight` messages (any QoS) are handed over and not yet durable;
// beyond that the client stops reading from the socket (TCP backpressure, bounded memory). For
// v5 the same number goes to the broker as Receive Maximum.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "dataplane/adapters/mqtt/packet.h"

namespace sf::mqtt {

using Executor = asio::strand<asio::io_context::executor_type>;

struct TlsOptions {
  std::string ca_file;       // PEM; empty: the system's default CA store
  std::string cert_file;     // client certificate chain (PEM), optional
  std::string key_file;      // its private key (PEM)
  std::string key_password;  // for an encrypted key
  bool verify_peer = true;   // false: accept any certificate (tests only; warned)
  bool verify_hostname = true;
  std::string server_name;  // SNI and the name checked; default: the host
};

struct ClientOptions {
  std::string host;
  uint16_t port = 1883;
  std::optional<TlsOptions> tls;
  ConnectOptions connect;  // version, client id, clean start, keep alive, credentials, will
  std::vector<SubscribeFilter> subscriptions;
  std::chrono::milliseconds connect_timeout{10'000};
  // PUBLISH packets whose payload is larger are acknowledged (once reported durable) and
  // discarded without being buffered: the handler gets them with `oversized` set.
  size_t max_message_bytes = 1 << 20;
  uint32_t max_inflight = 1000;
};

// One received application message; views point into the client's read buffer and are valid
// only during Handler::onMessages().
struct Message {
  std::string_view topic;
  std::string_view payload;  // empty when oversized
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  bool oversized = false;
  size_t payload_size = 0;  // the payload's size, also when oversized
  std::string_view content_type;
  std::optional<uint8_t> payload_format;
};

// What the session looked like at CONNACK.
struct SessionInfo {
  bool session_present = false;
  bool had_session = false;  // this client had a session before (a reconnect)
  Version version = Version::kV5;
  uint16_t keep_alive_s = 0;  // the effective keep-alive (v5 server may override)
  std::string assigned_client_id;
};

using DoneCallback = std::function<void(core::Status)>;

class MqttHandler {
 public:
  virtual ~MqttHandler() = default;
  // Called on the strand with the messages of one read (at least one). `done` must be called
  // exactly once, from any thread, when every record made of them is durable (or with the error
  // that kept them out); pass it to RecordEmitter::emit().
  virtual void onMessages(std::span<const Message> messages, DoneCallback done) = 0;
  // SUBACK: `granted` has one code per subscription (QoS 0..2 or a failure >= 0x80).
  virtual void onSubscribed(const std::vector<uint8_t>& granted) {}
};

class MqttClient : public std::enable_shared_from_this<MqttClient> {
 public:
  MqttClient(Executor executor, ClientOptions options, core::MetricsRegistry& metrics,
             core::Labels labels, const core::Clock& clock = core::SystemClock::instance());
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // TCP connect, TLS handshake, CONNECT and CONNACK, within connect_timeout. kUnavailable /
  // kTimeout are retriable; a refused CONNACK (bad credentials, not authorized) is
  // kUnavailable with the broker's reason.
  asio::awaitable<core::Result<SessionInfo>> connect();

  // Subscribes, then reads until the connection fails or the coroutine is cancelled; returns
  // the reason. `handler` must outlive the call.
  asio::awaitable<core::Status> run(MqttHandler& handler);

  // Publishes (QoS 0 or 1; QoS 1 is tracked until PUBACK on this connection only). Fails when
  // not connected. Used for Sparkplug NCMD rebirth requests and the host STATE message.
  core::Status publish(std::string_view topic, std::string_view payload, uint8_t qos, bool retain);

  // Graceful: DISCONNECT (v5 `reason`; 0x04 asks the broker to publish the will) flushed for at
  // most `grace`, then the socket is closed. Idempotent.
  asio::awaitable<void> disconnect(
      uint8_t reason = 0, std::chrono::milliseconds grace = std::chrono::milliseconds(500));
  // Immediate close without DISCONNECT (the broker publishes the will). Idempotent.
  void abort(const std::string& why);

  // The will of the next CONNECT (Sparkplug host STATE carries the connect time).
  void setWill(std::optional<Will> will) { options_.connect.will = std::move(will); }

  bool connected() const;
  const ClientOptions& options() const { return options_; }
  // Messages handed to the handler and not yet reported durable.
  uint32_t inflight() const { return inflight_; }
  // QoS 1/2 packet ids received and not yet fully acknowledged (tests).
  size_t pendingInbound() const { return inbound_.size(); }

 private:
  struct Connection;
  struct Batch;
  struct InboundState {
    uint8_t qos = 1;
    uint64_t conn = 0;  // the connection that last received it
    bool durable = false;
  };

  void send(Connection& c, std::string_view bytes);
  void startWrite(const std::shared_ptr<Connection>& c);
  void failConnection(Connection& c, core::Error error);
  void startKeepAlive(const std::shared_ptr<Connection>& c);
  void onKeepAliveTick(const std::shared_ptr<Connection>& c);
  void onDurable(const Batch& batch, const core::Status& status);
  void wakeReader();
  DoneCallback makeDone(std::shared_ptr<Batch> batch);

  // Parses every complete packet in the read buffer; appends delivered messages to `out`.
  core::Status processBuffer(Connection& c, std::vector<Message>& out, Batch& batch,
                             MqttHandler& handler);
  core::Status handlePublish(Connection& c, const Publish& p, std::vector<Message>& out,
                             Batch& batch);
  core::Status handleOversized(Connection& c, const PublishHead& head, size_t payload_size,
                               std::vector<Message>& out, Batch& batch);
  bool admitInbound(Connection& c, uint16_t packet_id, uint8_t qos);

  Executor executor_;
  ClientOptions options_;
  const core::Clock& clock_;
  std::shared_ptr<Connection> conn_;
  uint64_t conn_counter_ = 0;
  uint64_t epoch_ = 0;  // session epoch: a new (not resumed) session bumps it
  bool had_session_ = false;
  uint32_t inflight_ = 0;
  std::unordered_map<uint16_t, InboundState> inbound_;
  asio::steady_timer resume_;  // the reader waits on it while inflight_ >= max_inflight
  uint16_t next_out_id_ = 1;
  uint16_t subscribe_id_ = 0;
  // Oversized topics and other owned strings referenced by the batch being handed over.
  std::deque<std::string> owned_;

  core::Counter* messages_total_[3];
  core::Counter* bytes_total_;
  core::Counter* acks_total_;
  core::Counter* redelivered_total_;
  core::Counter* oversized_total_;
  core::Counter* protocol_errors_total_;
  core::Counter* durable_failures_total_;
  core::Counter* sessions_lost_total_;
  core::Gauge* inflight_gauge_;
};

}  // namespace sf::mqtt
