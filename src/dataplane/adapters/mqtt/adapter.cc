#include "dataplane/adapters/mqtt/adapter.h"

#include "core/log.h"
#include "dataplane/adapters/mqtt/topic.h"

namespace sf::mqtt {

using core::Errc;
using core::fail;

namespace {

constexpr std::string_view kOrigin = "dataplane.adapters.mqtt";

std::string defaultClientId(std::string_view gateway, const MqttConfig& c) {
  std::string id =
      "streamforge-" + (gateway.empty() ? std::string("gw") : std::string(gateway)) + "-" + c.name;
  for (char& ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.';
    if (!ok) ch = '_';
  }
  return id;
}

model::LogLevel levelOf(Issue issue) {
  switch (issue) {
    case Issue::kFcntDuplicate:
    case Issue::kFcntReset:
    case Issue::kStaleDeath:
      return model::LogLevel::kInfo;
    default:
      return model::LogLevel::kWarning;
  }
}

}  // namespace

ClientOptions MqttAdapter::clientOptions(const MqttConfig& c, std::string_view gateway) {
  ClientOptions o;
  o.host = c.host;
  o.port = c.port;
  if (c.tls) {
    TlsOptions t;
    t.ca_file = c.tls->ca_file;
    t.cert_file = c.tls->cert_file;
    t.key_file = c.tls->key_file;
    t.key_password = c.tls->key_password;
    t.verify_peer = !c.tls->insecure_skip_verify;
    t.verify_hostname = c.tls->verify_hostname;
    t.server_name = c.tls->server_name;
    o.tls = t;
  }
  o.connect.version = c.version == ProtocolVersion::kV5 ? Version::kV5 : Version::kV311;
  o.connect.client_id = c.client_id.empty() ? defaultClientId(gateway, c) : c.client_id;
  o.connect.clean_start = c.clean_start;
  o.connect.keep_alive_s = static_cast<uint16_t>(c.keep_alive.count());
  if (!c.username.empty()) o.connect.username = c.username;
  if (!c.password.empty()) o.connect.password = c.password;
  o.connect.session_expiry_s = c.clean_start ? 0 : static_cast<uint32_t>(c.session_expiry.count());
  o.connect_timeout = c.connect_timeout;
  o.max_message_bytes = static_cast<size_t>(c.max_message_size.bytes);
  o.max_inflight = c.max_inflight;
  for (const auto& s : c.subscriptions) {
    auto tmpl = TopicTemplate::parse(s.topic);
    std::string filter = tmpl ? tmpl->filter() : s.topic;
    if (!s.share_group.empty()) {
      auto shared = sharedFilter(s.share_group, filter);
      if (shared) filter = *shared;
    }
    SubscribeFilter f;
    f.filter = std::move(filter);
    f.qos = s.qos;
    // Retained messages only for a new subscription: a resumed session does not get them again.
    f.retain_handling = c.clean_start ? 0 : 1;
    o.subscriptions.push_back(std::move(f));
  }
  if (c.sparkplug && !c.sparkplug->host_id.empty()) {
    std::string state = std::string(sparkplug::kNamespace) + "/STATE/" + c.sparkplug->host_id;
    bool covered = false;
    for (const auto& s : o.subscriptions)
      covered |= s.filter.rfind("$share/", 0) != 0 && topicMatches(s.filter, state);
    if (!covered) o.subscriptions.push_back(SubscribeFilter{state, 1});
  }
  return o;
}

MqttAdapter::MqttAdapter(MqttConfig config, const runtime::AdapterContext& ctx)
    : config_(std::move(config)), ctx_(ctx) {
  auto labels = ctx_.labels();
  for (int i = 0; i < kIssueCount; ++i) {
    auto l = labels;
    l.emplace_back("reason", std::string(issueName(static_cast<Issue>(i))));
    bad_input_total_[i] = &ctx_.metrics->counter(
        "sf_mqtt_bad_input_total", "Messages (or parts) that did not map, by reason.", l);
  }
  records_total_ =
      &ctx_.metrics->counter("sf_mqtt_records_total", "Records made from messages.", labels);
  lost_uplinks_total_ = &ctx_.metrics->counter("sf_lorawan_lost_uplinks_total",
                                               "LoRaWAN uplinks missing by frame counter.", labels);
  rebirths_total_ = &ctx_.metrics->counter("sf_sparkplug_rebirth_requests_total",
                                           "NCMD rebirth requests sent.", labels);
  published_total_ = &ctx_.metrics->counter(
      "sf_mqtt_published_total", "Messages the adapter published (Sparkplug NCMD, STATE).", labels);
  status_.device = config_.name;
}

MqttAdapter::~MqttAdapter() = default;

core::Result<std::unique_ptr<MqttAdapter>> MqttAdapter::create(MqttConfig config,
                                                               const runtime::AdapterContext& ctx) {
  if (ctx.emitter == nullptr) return fail(Errc::kInternal, "mqtt adapter without a record emitter");
  std::unique_ptr<MqttAdapter> a(new MqttAdapter(std::move(config), ctx));
  const MqttConfig& c = a->config_;
  auto declared = std::make_shared<DeclaredTags>();
  for (const auto& t : declaredTags(c)) declared->emplace(t.device, t.tag);
  a->declared_ = declared;
  bool wants_sparkplug = false;
  for (const auto& s : c.subscriptions) {
    Route r;
    auto tmpl = TopicTemplate::parse(s.topic);
    if (!tmpl) return fail(tmpl.error().wrap("subscription '" + s.topic + "'"));
    r.filter = tmpl->filter();
    r.format = s.format;
    switch (s.format) {
      case PayloadFormat::kJson:
      case PayloadFormat::kValue: {
        SF_ASSIGN_OR_RETURN(auto m, JsonMapper::create(s, c.name, declared));
        r.json = m.get();
        a->json_.push_back(std::move(m));
        break;
      }
      case PayloadFormat::kChirpstack:
      case PayloadFormat::kTts: {
        SF_ASSIGN_OR_RETURN(auto m, lorawan::LoraMapper::create(s, c.name, declared));
        r.lora = m.get();
        a->lora_.push_back(std::move(m));
        break;
      }
      case PayloadFormat::kSparkplug:
        wants_sparkplug = true;
        break;
    }
    a->routes_.push_back(std::move(r));
  }
  if (wants_sparkplug || (c.sparkplug && !c.sparkplug->host_id.empty())) {
    a->sparkplug_ = std::make_unique<sparkplug::SparkplugHost>(
        c.name, c.sparkplug.value_or(SparkplugConfig{}), declared);
    if (a->sparkplug_->publishesState()) a->state_topic_ = a->sparkplug_->stateTopic();
  }
  a->client_ = std::make_shared<MqttClient>(ctx.executor, clientOptions(c, ctx.gateway),
                                            *ctx.metrics, ctx.labels(), *ctx.clock);
  return a;
}

asio::awaitable<core::Status> MqttAdapter::connect() {
  closed_ = false;
  if (sparkplug_ && sparkplug_->publishesState()) {
    client_->setWill(sparkplug_->stateWill(ctx_.clock->nowUnixNanos() / 1'000'000));
  }
  auto info = co_await client_->connect();
  {
    std::lock_guard lock(status_mu_);
    status_.state = info ? runtime::DeviceState::kConnected : runtime::DeviceState::kFailing;
    status_.last_error = info ? "" : info.error().toString();
  }
  if (!info) co_return fail(info.error());
  const int64_t now = ctx_.clock->nowUnixNanos();
  if (!info->session_present && info->had_session && !config_.clean_start) {
    // The broker forgot us (session expired, broker restarted without persistence): whatever
    // was published meanwhile was not queued for us. Say so loudly; it is not our loss to hide.
    logRecord(model::LogLevel::kWarning,
              "broker " + config_.host + ":" + std::to_string(config_.port) +
                  " had no session for client id '" + client_->options().connect.client_id +
                  "': messages published while the gateway was disconnected may be lost "
                  "(session expired or broker without persistence)",
              now);
  }
  SF_LOG_INFO("mqtt", "session",
              {{"adapter", config_.name},
               {"session_present", info->session_present ? "true" : "false"},
               {"version", std::string(versionName(info->version))}});
  if (!batch_.empty()) {
    ctx_.emitter->emit(std::move(batch_));
    batch_.clear();
  }
  co_return core::ok();
}

asio::awaitable<core::Status> MqttAdapter::run() {
  auto st = co_await client_->run(*this);
  {
    std::lock_guard lock(status_mu_);
    status_.state = runtime::DeviceState::kConnecting;
    status_.last_error = st ? "" : st.error().toString();
  }
  co_return st;
}

asio::awaitable<void> MqttAdapter::close() {
  if (closed_) co_return;
  closed_ = true;
  uint8_t reason = 0;
  if (sparkplug_ && sparkplug_->publishesState() && client_->connected()) {
    if (config_.version == ProtocolVersion::kV5) {
      reason = 0x04;  // disconnect with will: the broker publishes STATE offline
    } else {
      // 3.1.1 has no "disconnect with will": publish the offline state ourselves.
      auto offline = sparkplug_->stateDeath();
      (void)client_->publish(offline.topic, offline.payload, offline.qos, offline.retain);
    }
  }
  co_await client_->disconnect(reason);
  std::lock_guard lock(status_mu_);
  status_.state = runtime::DeviceState::kStopped;
}

std::vector<runtime::Adapter::DeviceStatus> MqttAdapter::devices() const {
  std::lock_guard lock(status_mu_);
  return {status_};
}

void MqttAdapter::onSubscribed(const std::vector<uint8_t>& granted) {
  const auto& subs = client_->options().subscriptions;
  const int64_t now = ctx_.clock->nowUnixNanos();
  for (size_t i = 0; i < granted.size() && i < subs.size(); ++i) {
    if (granted[i] >= 0x80) {
      logRecord(
          model::LogLevel::kError,
          "broker refused subscription '" + subs[i].filter + "': " + reasonCodeText(granted[i]),
          now);
      client_->abort("subscription '" + subs[i].filter +
                     "' refused: " + reasonCodeText(granted[i]));
      return;
    }
    if (granted[i] < subs[i].qos) {
      logRecord(model::LogLevel::kWarning,
                "broker granted QoS " + std::to_string(granted[i]) + " instead of " +
                    std::to_string(subs[i].qos) + " for '" + subs[i].filter + "'",
                now);
    }
  }
  if (sparkplug_ && sparkplug_->publishesState()) {
    auto birth = sparkplug_->stateBirth();
    if (client_->publish(birth.topic, birth.payload, birth.qos, birth.retain))
      published_total_->inc();
  }
  if (!batch_.empty()) {
    ctx_.emitter->emit(std::move(batch_));
    batch_.clear();
  }
  ++subscribed_;
}

void MqttAdapter::logRecord(model::LogLevel level, std::string message, int64_t now_ns,
                            std::string tag) {
  model::Record r;
  r.adapter = config_.name;
  r.tag = std::move(tag);
  r.source_ts_ns = r.gateway_ts_ns = now_ns;
  r.detail = model::LogInfo{level, std::move(message), std::string(kOrigin)};
  batch_.push_back(std::move(r));
}

void MqttAdapter::problem(std::string_view topic, const Problem& p, int64_t now_ns) {
  const auto i = static_cast<size_t>(p.issue);
  bad_input_total_[i]->inc();
  Limiter& l = limiters_[i];
  const int64_t window =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.bad_input_log_interval).count();
  if (now_ns - l.window_start_ns >= window) {
    l.window_start_ns = now_ns;
    l.in_window = 0;
  }
  if (l.in_window >= config_.bad_input_log_burst) {
    ++l.suppressed;
    return;
  }
  ++l.in_window;
  const std::string safe_topic = sanitizeUtf8(topic.substr(0, 512));
  std::string message = sanitizeUtf8(p.message) + " (topic " + safe_topic + ")";
  if (l.suppressed > 0) {
    message += "; " + std::to_string(l.suppressed) + " more like it were not logged";
    l.suppressed = 0;
  }
  model::Record r;
  r.adapter = config_.name;
  r.device = p.device;
  r.tag = "_bad_input";
  r.source_ts_ns = r.gateway_ts_ns = now_ns;
  r.detail = model::LogInfo{levelOf(p.issue), std::move(message), std::string(kOrigin)};
  r.attributes.set("reason", std::string(issueName(p.issue)));
  r.attributes.set("topic", safe_topic);
  batch_.push_back(std::move(r));
}

void MqttAdapter::mapOne(const Message& m, int64_t now_ns) {
  if (m.oversized) {
    problem(
        m.topic,
        {Issue::kOversized,
         "payload of " + std::to_string(m.payload_size) + " bytes is above max_message_size (" +
             std::to_string(config_.max_message_size.bytes) + " bytes); acknowledged and skipped",
         ""},
        now_ns);
    return;
  }
  if (!model::isValidUtf8(m.topic)) {
    problem(m.topic, {Issue::kInvalidUtf8, "topic is not UTF-8", ""}, now_ns);
    return;
  }
  MessageView view{m.topic, m.payload, m.retain, now_ns};
  out_.clear();
  bool routed = false;
  if (sparkplug_ && !state_topic_.empty() && m.topic == state_topic_) {
    sparkplug_->map(view, out_);
    routed = true;
  } else {
    for (const auto& r : routes_) {
      if (!topicMatches(r.filter, m.topic)) continue;
      if (r.json) {
        r.json->map(view, out_);
      } else if (r.lora) {
        r.lora->map(view, out_);
      } else if (sparkplug_) {
        const uint64_t before = sparkplug_->rebirthRequests();
        sparkplug_->map(view, out_);
        rebirths_total_->inc(sparkplug_->rebirthRequests() - before);
      }
      routed = true;
      break;
    }
  }
  if (!routed) {
    problem(m.topic,
            {Issue::kNoSubscription, "no subscription of this adapter matches the topic", ""},
            now_ns);
    return;
  }
  for (const auto& p : out_.problems) problem(m.topic, p, now_ns);
  if (out_.lost_uplinks) lost_uplinks_total_->inc(out_.lost_uplinks);
  for (const auto& pub : out_.publish) {
    if (client_->publish(pub.topic, pub.payload, pub.qos, pub.retain)) published_total_->inc();
  }
  records_total_->inc(out_.records.size());
  for (auto& r : out_.records) {
    if (r.gateway_ts_ns == 0) r.gateway_ts_ns = now_ns;
    batch_.push_back(std::move(r));
  }
}

void MqttAdapter::onMessages(std::span<const Message> messages, DoneCallback done) {
  const int64_t now = ctx_.clock->nowUnixNanos();
  batch_.reserve(batch_.size() + messages.size());
  for (const auto& m : messages) mapOne(m, now);
  {
    std::lock_guard lock(status_mu_);
    status_.last_good_read_ns = now;
  }
  // One emit per read: the durable callback acknowledges every message of the read, including
  // those that made no record (bad input is acknowledged once its log record is durable).
  std::vector<model::Record> batch;
  batch.swap(batch_);
  ctx_.emitter->emit(std::move(batch), std::move(done));
}

// ---------------------------------------------------------------------------------------------

runtime::AdapterFactory mqttFactory() {
  runtime::AdapterFactory f;
  f.info = config::ComponentInfo{
      config::ComponentKind::kAdapter, "mqtt",
      "MQTT 3.1.1/5 subscriber (JSON, values, Sparkplug B, ChirpStack/TTS LoRaWAN) that "
      "acknowledges QoS 1/2 only once records are durable.",
      mqttSpec().shared()};
  f.name = [](const config::ComponentConfig& c) -> std::string {
    const auto* m = c.as<MqttConfig>();
    return m ? m->name : std::string();
  };
  f.tags = [](const config::ComponentConfig& c) -> std::vector<pipeline::TagPipelineConfig> {
    const auto* m = c.as<MqttConfig>();
    return m ? declaredTags(*m) : std::vector<pipeline::TagPipelineConfig>{};
  };
  f.create =
      [](const config::ComponentConfig& c,
         const runtime::AdapterContext& ctx) -> core::Result<std::unique_ptr<runtime::Adapter>> {
    const auto* m = c.as<MqttConfig>();
    if (!m) return fail(Errc::kInvalidConfig, "not an mqtt adapter configuration");
    SF_ASSIGN_OR_RETURN(auto a, MqttAdapter::create(*m, ctx));
    return std::unique_ptr<runtime::Adapter>(std::move(a));
  };
  return f;
}

}  // namespace sf::mqtt
