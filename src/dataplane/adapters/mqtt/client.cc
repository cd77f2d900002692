#include "dataplane/adapters/mqtt/client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <asio/bind_executor.hpp>
#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "core/log.h"

namespace sf::mqtt {

using asio::ip::tcp;
using core::Errc;
using core::fail;

namespace {

constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kInitialBuffer = 64 * 1024;
// Room for a PUBLISH's topic, packet id and properties on top of the payload limit.
constexpr size_t kHeadRoom = 2 + 65535 + 2 + 16 * 1024;
// Non-PUBLISH packets from a broker are small; anything larger is a protocol error.
constexpr uint32_t kMaxControlPacket = 1 << 20;

int64_t monoMs(const core::Clock& clock) { return clock.monotonicNanos() / 1'000'000; }

core::Error ioError(const char* what, const asio::error_code& ec) {
  Errc code = ec == asio::error::operation_aborted ? Errc::kCancelled : Errc::kUnavailable;
  if (ec == asio::error::timed_out) code = Errc::kTimeout;
  return core::Error(code, std::string(what) + ": " + ec.message());
}

}  // namespace

// One TCP/TLS connection with its buffers. Completion handlers hold a shared_ptr so buffers
// stay alive while an operation runs; a new connect() makes a new one.
struct MqttClient::Connection {
  explicit Connection(Executor ex, uint64_t id_)
      : id(id_), plain(ex), keep_alive(ex), connect_timer(ex) {}

  uint64_t id;
  std::unique_ptr<asio::ssl::context> ssl_ctx;  // declared first: destroyed after `tls`
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> tls;
  asio::steady_timer keep_alive;
  asio::steady_timer connect_timer;
  Version version = Version::kV5;
  bool open = false;  // CONNACK accepted and not failed
  bool failed = false;
  core::Error error;

  // Read buffer: bytes [begin, end) are unparsed.
  std::vector<uint8_t> buf;
  size_t begin = 0;
  size_t end = 0;
  // An oversized PUBLISH being skipped: bytes of its body still to discard.
  uint64_t skip = 0;

  // Writes: `front` is being written, `back` collects what comes meanwhile.
  std::string front;
  std::string back;
  bool writing = false;

  int64_t last_tx_ms = 0;
  int64_t last_rx_ms = 0;
  int64_t ping_sent_ms = 0;  // 0: none outstanding
  uint16_t keep_alive_s = 0;
  bool reader_paused = false;

  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }

  void close() {
    asio::error_code ec;
    if (tls) {
      tls->next_layer().shutdown(tcp::socket::shutdown_both, ec);
      tls->next_layer().close(ec);
    } else if (plain) {
      plain->shutdown(tcp::socket::shutdown_both, ec);
      plain->close(ec);
    }
    keep_alive.cancel();
    connect_timer.cancel();
  }
};

// One handed-over batch: which packet ids to acknowledge once durable.
struct MqttClient::Batch {
  uint64_t epoch = 0;
  uint32_t messages = 0;
  std::vector<uint16_t> packet_ids;  // QoS 1/2 only
};

MqttClient::MqttClient(Executor executor, ClientOptions options, core::MetricsRegistry& metrics,
                       core::Labels labels, const core::Clock& clock)
    : executor_(executor), options_(std::move(options)), clock_(clock), resume_(executor) {
  for (int q = 0; q < 3; ++q) {
    auto l = labels;
    l.emplace_back("qos", std::to_string(q));
    messages_total_[q] =
        &metrics.counter("sf_mqtt_messages_total", "Application messages received, by QoS.", l);
  }
  bytes_total_ =
      &metrics.counter("sf_mqtt_received_bytes_total", "Bytes read from the broker.", labels);
  acks_total_ = &metrics.counter("sf_mqtt_acks_total",
                                 "PUBACK/PUBREC sent after the records were durable.", labels);
  redelivered_total_ = &metrics.counter(
      "sf_mqtt_redelivered_total",
      "Redeliveries of a message already handed over (acknowledged without a second copy).",
      labels);
  oversized_total_ =
      &metrics.counter("sf_mqtt_oversized_total",
                       "Messages above max_message_size, acknowledged and skipped.", labels);
  protocol_errors_total_ = &metrics.counter(
      "sf_mqtt_protocol_errors_total", "Malformed or unexpected packets from the broker.", labels);
  durable_failures_total_ = &metrics.counter(
      "sf_mqtt_durable_failures_total",
      "Batches the local log refused (not acknowledged; the broker redelivers).", labels);
  sessions_lost_total_ = &metrics.counter(
      "sf_mqtt_sessions_lost_total",
      "Reconnects where the broker had no session for us any more (queued messages lost there).",
      labels);
  inflight_gauge_ = &metrics.gauge("sf_mqtt_inflight_messages",
                                   "Messages handed over and not yet durable.", labels);
}

MqttClient::~MqttClient() {
  if (conn_) conn_->close();
}

bool MqttClient::connected() const { return conn_ && conn_->open && !conn_->failed; }

asio::awaitable<core::Result<SessionInfo>> MqttClient::connect() {
  if (conn_) conn_->close();
  auto c = std::make_shared<Connection>(executor_, ++conn_counter_);
  conn_ = c;
  c->version = options_.connect.version;
  c->buf.resize(kInitialBuffer);

  // The whole connect is bounded: on expiry the socket closes and the pending step fails.
  auto timed_out = std::make_shared<bool>(false);
  c->connect_timer.expires_after(options_.connect_timeout);
  c->connect_timer.async_wait([c, timed_out](const asio::error_code& ec) {
    if (ec || c->open) return;
    *timed_out = true;
    c->close();
  });
  auto failed = [&](const char* what, const asio::error_code& ec) -> core::Result<SessionInfo> {
    c->close();
    if (*timed_out) {
      return fail(Errc::kTimeout, std::string(what) + ": no answer within " +
                                      std::to_string(options_.connect_timeout.count()) + "ms");
    }
    return fail(ioError(what, ec));
  };

  const std::string target = options_.host + ":" + std::to_string(options_.port);
  tcp::resolver resolver(executor_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(options_.host, std::to_string(options_.port), kTuple);
  if (rec) co_return failed(("resolve " + options_.host).c_str(), rec);
  auto [cec, ep] = co_await asio::async_connect(*c->plain, endpoints, kTuple);
  if (cec) co_return failed(("connect " + target).c_str(), cec);
  (void)ep;
  asio::error_code oec;
  c->plain->set_option(tcp::no_delay(true), oec);

  if (options_.tls) {
    const TlsOptions& t = *options_.tls;
    c->ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    auto& ctx = *c->ssl_ctx;
    asio::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1,
                    ec);
    if (t.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(t.ca_file, ec);
    }
    if (ec) {
      c->close();
      co_return fail(Errc::kInvalidConfig, "tls ca_file '" + t.ca_file + "': " + ec.message());
    }
    if (!t.cert_file.empty()) {
      if (!t.key_password.empty()) {
        std::string pw = t.key_password;
        ctx.set_password_callback(
            [pw](std::size_t, asio::ssl::context::password_purpose) { return pw; }, ec);
      }
      ctx.use_certificate_chain_file(t.cert_file, ec);
      if (ec) {
        c->close();
        co_return fail(Errc::kInvalidConfig,
                       "tls cert_file '" + t.cert_file + "': " + ec.message());
      }
      ctx.use_private_key_file(t.key_file.empty() ? t.cert_file : t.key_file,
                               asio::ssl::context::pem, ec);
      if (ec) {
        c->close();
        co_return fail(Errc::kInvalidConfig, "tls key_file '" + t.key_file + "': " + ec.message());
      }
    }
    ctx.set_verify_mode(t.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
    c->tls.emplace(std::move(*c->plain), ctx);
    c->plain.reset();
    const std::string name = t.server_name.empty() ? options_.host : t.server_name;
    asio::error_code addr_ec;
    asio::ip::make_address(name, addr_ec);
    if (addr_ec) {
      // SNI only for names, never for IP literals (RFC 6066).
      SSL_set_tlsext_host_name(c->tls->native_handle(), name.c_str());
    }
    if (t.verify_peer && t.verify_hostname) {
      c->tls->set_verify_callback(asio::ssl::host_name_verification(name), ec);
    }
    auto [hec] = co_await c->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) co_return failed(("TLS handshake with " + target).c_str(), hec);
  }

  // CONNECT.
  ConnectOptions co = options_.connect;
  if (co.version == Version::kV5) {
    co.receive_maximum =
        static_cast<uint16_t>(std::clamp<uint32_t>(options_.max_inflight, 1, 65535));
  }
  std::string packet;
  if (auto st = encodeConnect(co, packet); !st) {
    c->close();
    co_return fail(Errc::kInvalidConfig, st.error().message);
  }
  auto write_one = [&](std::string_view bytes) -> asio::awaitable<asio::error_code> {
    asio::error_code ec;
    if (c->tls) {
      auto [e, n] = co_await asio::async_write(*c->tls, asio::buffer(bytes), kTuple);
      ec = e;
    } else {
      auto [e, n] = co_await asio::async_write(*c->plain, asio::buffer(bytes), kTuple);
      ec = e;
    }
    co_return ec;
  };
  if (auto ec = co_await write_one(packet)) co_return failed("send CONNECT", ec);

  // CONNACK: read until one whole packet is there. Bytes after it (queued messages of a resumed
  // session often arrive in the same segment) stay in the buffer for run().
  std::optional<FixedHeader> header;
  while (true) {
    auto span = std::span<const uint8_t>(c->buf.data() + c->begin, c->end - c->begin);
    auto h = parseFixedHeader(span);
    if (!h) {
      c->close();
      co_return fail(h.error().wrap("CONNACK from " + target));
    }
    if (*h) {
      if ((*h)->type != PacketType::kConnack || (*h)->remaining > 4096) {
        c->close();
        protocol_errors_total_->inc();
        co_return fail(Errc::kUnavailable, "expected CONNACK from " + target + ", got " +
                                               std::string(packetTypeName((*h)->type)));
      }
      if (span.size() >= (*h)->total()) {
        header = *h;
        break;
      }
    }
    if (c->end == c->buf.size()) {
      c->close();
      co_return fail(Errc::kInvalidData, "CONNACK too large");
    }
    asio::error_code ec;
    size_t n = 0;
    auto mb = asio::buffer(c->buf.data() + c->end, c->buf.size() - c->end);
    if (c->tls) {
      auto [e, k] = co_await c->tls->async_read_some(mb, kTuple);
      ec = e;
      n = k;
    } else {
      auto [e, k] = co_await c->plain->async_read_some(mb, kTuple);
      ec = e;
      n = k;
    }
    if (ec) {
      if (ec == asio::error::eof) {
        co_return fail(Errc::kUnavailable, "broker " + target +
                                               " closed the connection before CONNACK "
                                               "(protocol version or client id refused?)");
      }
      co_return failed("read CONNACK", ec);
    }
    bytes_total_->inc(n);
    c->end += n;
  }
  auto body =
      std::span<const uint8_t>(c->buf.data() + c->begin + header->header_size, header->remaining);
  auto decoded = decodePacket(*header, body, c->version);
  c->begin += header->total();
  if (!decoded) {
    c->close();
    protocol_errors_total_->inc();
    co_return fail(decoded.error().wrap("CONNACK from " + target));
  }
  const auto& ack = std::get<Connack>(*decoded);
  if (ack.reason != 0) {
    c->close();
    std::string text = connackReasonText(c->version, ack.reason);
    if (!ack.reason_string.empty()) text += " (" + ack.reason_string + ")";
    co_return fail(Errc::kUnavailable, "broker " + target + " refused the connection: " + text);
  }
  c->connect_timer.cancel();
  if (*timed_out) co_return fail(Errc::kTimeout, "connect to " + target + " timed out");

  SessionInfo info;
  info.session_present = ack.session_present;
  info.had_session = had_session_;
  info.version = c->version;
  info.keep_alive_s = ack.server_keep_alive.value_or(options_.connect.keep_alive_s);
  info.assigned_client_id = ack.assigned_client_id;
  if (!ack.session_present) {
    // A new session: the broker forgot every packet id we held. Batches still on their way to
    // the log finish, but their acknowledgements belong to a session that no longer exists.
    ++epoch_;
    inbound_.clear();
    if (had_session_ && !options_.connect.clean_start) sessions_lost_total_->inc();
  }
  had_session_ = !options_.connect.clean_start;
  c->open = true;
  c->keep_alive_s = info.keep_alive_s;
  c->last_rx_ms = c->last_tx_ms = monoMs(clock_);
  next_out_id_ = 1;
  startKeepAlive(c);
  co_return info;
}

void MqttClient::send(Connection& c, std::string_view bytes) {
  if (!c.open || c.failed) return;
  c.back.append(bytes);
  c.last_tx_ms = monoMs(clock_);
  if (!c.writing && conn_ && conn_.get() == &c) startWrite(conn_);
}

void MqttClient::startWrite(const std::shared_ptr<Connection>& c) {
  if (c->writing || c->back.empty() || c->failed) return;
  c->writing = true;
  c->front.clear();
  std::swap(c->front, c->back);
  auto handler = [self = weak_from_this(), c](const asio::error_code& ec, std::size_t) {
    c->writing = false;
    auto client = self.lock();
    if (!client) return;
    if (ec) {
      client->failConnection(*c, ioError("write to broker", ec));
      return;
    }
    client->startWrite(c);
  };
  if (c->tls) {
    asio::async_write(*c->tls, asio::buffer(c->front), asio::bind_executor(executor_, handler));
  } else {
    asio::async_write(*c->plain, asio::buffer(c->front), asio::bind_executor(executor_, handler));
  }
}

void MqttClient::failConnection(Connection& c, core::Error error) {
  if (c.failed) return;
  c.failed = true;
  c.open = false;
  c.error = std::move(error);
  c.close();
  wakeReader();
}

void MqttClient::abort(const std::string& why) {
  if (conn_) failConnection(*conn_, core::Error(Errc::kCancelled, why));
}

void MqttClient::startKeepAlive(const std::shared_ptr<Connection>& c) {
  if (c->keep_alive_s == 0) return;
  // Tick at a quarter of the interval: PINGREQ after 3/4 of it without sending anything.
  auto tick = std::chrono::milliseconds(std::max<int64_t>(250, c->keep_alive_s * 250));
  c->keep_alive.expires_after(tick);
  c->keep_alive.async_wait(
      asio::bind_executor(executor_, [self = weak_from_this(), c](const asio::error_code& ec) {
        if (ec) return;
        if (auto client = self.lock()) client->onKeepAliveTick(c);
      }));
}

void MqttClient::onKeepAliveTick(const std::shared_ptr<Connection>& c) {
  if (!c->open || c->failed) return;
  const int64_t now = monoMs(clock_);
  const int64_t interval = int64_t{c->keep_alive_s} * 1000;
  // The broker answers every PINGREQ; silence for 1.5 intervals after one means the path is dead.
  // While the reader is paused for backpressure we read nothing, so nothing can be judged.
  if (!c->reader_paused && c->ping_sent_ms != 0 && now - c->ping_sent_ms > interval * 3 / 2 &&
      now - c->last_rx_ms > interval * 3 / 2) {
    failConnection(*c, core::Error(Errc::kTimeout, "keep-alive: no answer from the broker for " +
                                                       std::to_string(now - c->last_rx_ms) + "ms"));
    return;
  }
  if (now - c->last_tx_ms >= interval * 3 / 4 && c->ping_sent_ms == 0) {
    std::string ping;
    encodePingreq(ping);
    c->ping_sent_ms = now;
    send(*c, ping);
  }
  startKeepAlive(c);
}

void MqttClient::wakeReader() { resume_.cancel(); }

core::Status MqttClient::publish(std::string_view topic, std::string_view payload, uint8_t qos,
                                 bool retain) {
  if (!connected()) return fail(Errc::kUnavailable, "not connected");
  if (qos > 1) return fail(Errc::kUnsupported, "outbound QoS 2 is not used");
  std::string packet;
  uint16_t id = 0;
  if (qos == 1) {
    id = next_out_id_++;
    if (next_out_id_ == 0) next_out_id_ = 1;
  }
  SF_TRY(encodePublish(topic, payload, qos, retain, false, id, conn_->version, packet));
  send(*conn_, packet);
  return core::ok();
}

asio::awaitable<void> MqttClient::disconnect(uint8_t reason, std::chrono::milliseconds grace) {
  auto c = conn_;
  if (!c || c->failed || !c->open) {
    if (c) c->close();
    co_return;
  }
  std::string packet;
  encodeDisconnect(c->version, reason, packet);
  send(*c, packet);
  c->open = false;  // nothing more is sent
  asio::steady_timer t(executor_);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while ((c->writing || !c->back.empty()) && !c->failed &&
         std::chrono::steady_clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(5));
    co_await t.async_wait(kTuple);
  }
  c->failed = true;
  c->error = core::Error(Errc::kCancelled, "disconnected");
  c->close();
  wakeReader();
}

bool MqttClient::admitInbound(Connection& c, uint16_t packet_id, uint8_t qos) {
  auto it = inbound_.find(packet_id);
  if (it == inbound_.end()) {
    inbound_.emplace(packet_id, InboundState{qos, c.id, false});
    return true;
  }
  // A redelivery of a message we hold (the broker resends after a reconnect).
  redelivered_total_->inc();
  InboundState& s = it->second;
  s.conn = c.id;
  if (s.durable) {
    std::string ack;
    if (s.qos == 1) {
      encodeAck(PacketType::kPuback, packet_id, c.version, ack);
      inbound_.erase(it);
    } else {
      encodeAck(PacketType::kPubrec, packet_id, c.version, ack);
    }
    acks_total_->inc();
    send(c, ack);
  }
  // Not yet durable: its batch's callback acknowledges it on this connection.
  return false;
}

core::Status MqttClient::handlePublish(Connection& c, const Publish& p, std::vector<Message>& out,
                                       Batch& batch) {
  if (p.topic_alias) {
    // We announce Topic Alias Maximum 0, so a broker must not send aliases.
    return fail(Errc::kInvalidData, "broker sent a topic alias although none were allowed");
  }
  messages_total_[p.qos]->inc();
  if (p.qos > 0 && !admitInbound(c, p.packet_id, p.qos)) return core::ok();
  Message m;
  m.topic = p.topic;
  m.payload = p.payload;
  m.qos = p.qos;
  m.retain = p.retain;
  m.dup = p.dup;
  m.payload_size = p.payload.size();
  if (m.payload_size > options_.max_message_bytes) {
    // Small enough to have been buffered (within the head room), too large to map.
    oversized_total_->inc();
    m.oversized = true;
    m.payload = {};
  }
  m.content_type = p.content_type;
  m.payload_format = p.payload_format;
  out.push_back(m);
  ++batch.messages;
  if (p.qos > 0) batch.packet_ids.push_back(p.packet_id);
  return core::ok();
}

core::Status MqttClient::handleOversized(Connection& c, const PublishHead& head,
                                         size_t payload_size, std::vector<Message>& out,
                                         Batch& batch) {
  oversized_total_->inc();
  messages_total_[head.qos]->inc();
  if (head.qos > 0 && !admitInbound(c, head.packet_id, head.qos)) return core::ok();
  owned_.push_back(head.topic);
  Message m;
  m.topic = owned_.back();
  m.qos = head.qos;
  m.oversized = true;
  m.payload_size = payload_size;
  out.push_back(m);
  ++batch.messages;
  if (head.qos > 0) batch.packet_ids.push_back(head.packet_id);
  return core::ok();
}

core::Status MqttClient::processBuffer(Connection& c, std::vector<Message>& out, Batch& batch,
                                       MqttHandler& handler) {
  const size_t max_publish = options_.max_message_bytes + kHeadRoom;
  while (c.begin < c.end) {
    // Hand over no more than max_inflight: the rest waits in the buffer (and the socket).
    if (inflight_ + batch.messages >= options_.max_inflight) break;
    if (c.skip > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(c.skip, c.end - c.begin));
      c.begin += n;
      c.skip -= n;
      continue;
    }
    auto span = std::span<const uint8_t>(c.buf.data() + c.begin, c.end - c.begin);
    auto h = parseFixedHeader(span);
    if (!h) return fail(h.error());
    if (!*h) break;
    const FixedHeader& fh = **h;
    if (fh.type == PacketType::kPublish && fh.remaining > max_publish) {
      // Oversized: read the topic and packet id, then discard the rest as it arrives.
      auto prefix = span.subspan(fh.header_size);
      auto head = decodePublishHead(
          fh.flags, prefix.subspan(0, std::min<size_t>(prefix.size(), fh.remaining)));
      if (!head) return fail(head.error());
      if (!*head) {
        if (prefix.size() >= fh.remaining || prefix.size() >= 2 + 65535 + 2) {
          return fail(Errc::kInvalidData, "malformed MQTT packet: PUBLISH head");
        }
        break;  // need more of the head
      }
      size_t head_bytes = 2 + (*head)->topic.size() + ((*head)->qos ? 2 : 0);
      size_t payload_size = fh.remaining - head_bytes;  // v5 properties counted as payload here
      SF_TRY(handleOversized(c, **head, payload_size, out, batch));
      size_t available = std::min<size_t>(prefix.size(), fh.remaining);
      c.begin += fh.header_size + available;
      c.skip = fh.remaining - available;
      continue;
    }
    if (fh.type != PacketType::kPublish && fh.remaining > kMaxControlPacket) {
      return fail(Errc::kInvalidData,
                  "malformed MQTT packet: " + std::string(packetTypeName(fh.type)) + " of " +
                      std::to_string(fh.remaining) + " bytes");
    }
    if (span.size() < fh.total()) {
      // Incomplete: make room for the whole packet (compaction happens in run()).
      if (fh.total() > c.buf.size()) c.buf.resize(std::max(fh.total(), c.buf.size() * 2));
      break;
    }
    auto decoded = decodePacket(fh, span.subspan(fh.header_size, fh.remaining), c.version);
    if (!decoded) return fail(decoded.error());
    c.begin += fh.total();
    Packet& pkt = *decoded;
    if (auto* p = std::get_if<Publish>(&pkt)) {
      SF_TRY(handlePublish(c, *p, out, batch));
    } else if (auto* a = std::get_if<Ack>(&pkt)) {
      if (a->type == PacketType::kPubrel) {
        std::string ack;
        encodeAck(PacketType::kPubcomp, a->packet_id, c.version, ack);
        send(c, ack);
        auto it = inbound_.find(a->packet_id);
        if (it != inbound_.end() && it->second.qos == 2) inbound_.erase(it);
      } else if (a->type == PacketType::kPuback && a->reason >= 0x80) {
        SF_LOG_WARN(
            "mqtt", "broker refused a publish",
            {{"packet_id", std::to_string(a->packet_id)}, {"reason", reasonCodeText(a->reason)}});
      }
      // PUBREC/PUBCOMP never come back: we publish at QoS 0/1 only. UNSUBACK: we never unsubscribe.
    } else if (auto* s = std::get_if<Suback>(&pkt)) {
      if (s->packet_id == subscribe_id_) handler.onSubscribed(s->reasons);
    } else if (std::holds_alternative<Pingresp>(pkt)) {
      c.ping_sent_ms = 0;
    } else if (auto* d = std::get_if<Disconnect>(&pkt)) {
      std::string why = "broker disconnected: " + reasonCodeText(d->reason);
      if (!d->reason_string.empty()) why += " (" + d->reason_string + ")";
      return fail(Errc::kUnavailable, why);
    } else if (std::holds_alternative<Connack>(pkt)) {
      return fail(Errc::kInvalidData, "malformed MQTT packet: a second CONNACK");
    }
  }
  return core::ok();
}

DoneCallback MqttClient::makeDone(std::shared_ptr<Batch> batch) {
  // Runs on the log's writer thread: post back to the strand, holding only a weak reference
  // (never lock it here: the last owner must not be released on a foreign thread).
  return [self = weak_from_this(), ex = executor_, batch](core::Status status) {
    asio::post(ex, [self, batch, status = std::move(status)] {
      if (auto c = self.lock()) c->onDurable(*batch, status);
    });
  };
}

void MqttClient::onDurable(const Batch& batch, const core::Status& status) {
  const bool was_paused = inflight_ >= options_.max_inflight;
  inflight_ -= std::min(inflight_, batch.messages);
  inflight_gauge_->set(inflight_);
  if (was_paused && inflight_ < options_.max_inflight) wakeReader();
  if (batch.epoch != epoch_) return;  // acknowledgements of a session that is gone
  if (!status) {
    // Not stored: forget the ids so the broker's redelivery is handed over again, and drop the
    // connection so that redelivery happens now (MQTT redelivers only on reconnect).
    durable_failures_total_->inc();
    for (uint16_t id : batch.packet_ids) {
      auto it = inbound_.find(id);
      if (it != inbound_.end() && !it->second.durable) inbound_.erase(it);
    }
    if (conn_) {
      failConnection(*conn_, core::Error(status.error().code,
                                         "local log refused a batch: " + status.error().message));
    }
    return;
  }
  Connection* c = connected() ? conn_.get() : nullptr;
  std::string acks;
  for (uint16_t id : batch.packet_ids) {
    auto it = inbound_.find(id);
    if (it == inbound_.end() || it->second.durable) continue;
    InboundState& s = it->second;
    s.durable = true;
    // Acknowledge only on the connection that (last) delivered it; otherwise the broker will
    // redeliver it and admitInbound() acknowledges then.
    if (c == nullptr || s.conn != c->id) continue;
    encodeAck(s.qos == 1 ? PacketType::kPuback : PacketType::kPubrec, id, c->version, acks);
    acks_total_->inc();
    if (s.qos == 1) inbound_.erase(it);
  }
  if (c && !acks.empty()) send(*c, acks);
}

asio::awaitable<core::Status> MqttClient::run(MqttHandler& handler) {
  auto c = conn_;
  if (!c || !c->open) co_return fail(Errc::kUnavailable, "not connected");
  if (!options_.subscriptions.empty()) {
    subscribe_id_ = static_cast<uint16_t>(subscribe_id_ % 65535 + 1);
    std::string sub;
    if (auto st = encodeSubscribe(subscribe_id_, options_.subscriptions, c->version, sub); !st) {
      co_return fail(Errc::kInvalidConfig, st.error().message);
    }
    send(*c, sub);
  }
  std::vector<Message> messages;
  while (true) {
    if (c->failed) co_return fail(c->error);
    // Hand over whatever is complete in the buffer (CONNACK's read may have brought some).
    auto batch = std::make_shared<Batch>();
    batch->epoch = epoch_;
    messages.clear();
    owned_.clear();
    auto st = processBuffer(*c, messages, *batch, handler);
    if (!messages.empty()) {
      inflight_ += batch->messages;
      inflight_gauge_->set(inflight_);
      handler.onMessages(messages, makeDone(batch));
    }
    if (!st) {
      protocol_errors_total_->inc();
      if (st.error().code == Errc::kInvalidData && c->version == Version::kV5) {
        std::string d;
        encodeDisconnect(c->version, 0x81, d);  // malformed packet
        send(*c, d);
      }
      failConnection(*c, st.error());
      co_return fail(st.error());
    }
    if (c->failed) co_return fail(c->error);
    // Compact: move the unparsed tail to the front.
    if (c->begin == c->end) {
      c->begin = c->end = 0;
    } else if (c->begin > 0 && (c->end == c->buf.size() || c->begin > c->buf.size() / 2)) {
      std::memmove(c->buf.data(), c->buf.data() + c->begin, c->end - c->begin);
      c->end -= c->begin;
      c->begin = 0;
    }
    if (c->end == c->buf.size()) c->buf.resize(c->buf.size() * 2);
    // Backpressure: read nothing while too much is on its way to the log; then hand over what
    // is already buffered before reading more.
    bool waited = false;
    while (inflight_ >= options_.max_inflight && !c->failed) {
      waited = true;
      c->reader_paused = true;
      resume_.expires_at(asio::steady_timer::time_point::max());
      auto [ec] = co_await resume_.async_wait(kTuple);
      c->reader_paused = false;
      if (ec && ec != asio::error::operation_aborted) break;
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none) {
        failConnection(*c, core::Error(Errc::kCancelled, "stopped"));
      }
    }
    if (c->failed) co_return fail(c->error);
    if (waited) continue;
    auto mb = asio::buffer(c->buf.data() + c->end, c->buf.size() - c->end);
    asio::error_code ec;
    size_t n = 0;
    if (c->tls) {
      auto [e, k] = co_await c->tls->async_read_some(mb, kTuple);
      ec = e;
      n = k;
    } else {
      auto [e, k] = co_await c->plain->async_read_some(mb, kTuple);
      ec = e;
      n = k;
    }
    if (ec) {
      if (c->failed) co_return fail(c->error);
      core::Error err = ec == asio::error::eof
                            ? core::Error(Errc::kUnavailable, "broker closed the connection")
                            : ioError("read from broker", ec);
      failConnection(*c, err);
      co_return fail(err);
    }
    bytes_total_->inc(n);
    c->end += n;
    c->last_rx_ms = monoMs(clock_);
  }
}

}  // namespace sf::mqtt
