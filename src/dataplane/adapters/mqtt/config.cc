#include "dataplane/adapters/mqtt/config.h"

#include <cmath>
#include <limits>
#include <set>

#include "dataplane/adapters/mqtt/topic.h"
#include "dataplane/pipeline/tag_spec.h"

namespace sf::mqtt {

using namespace std::chrono_literals;
using config::Checker;
using config::Json;
using config::Spec;

namespace {

// Member pointers of the TagPipelineConfig base, as members of the derived struct (template
// deduction does not convert them by itself).
template <class D, class V>
V D::*asDerived(V pipeline::TagPipelineConfig::*m) {
  return static_cast<V D::*>(m);
}

config::EnumTable<ValueKind> valueKindTable() {
  return {{"auto", ValueKind::kAuto},
          {"double", ValueKind::kDouble},
          {"int", ValueKind::kInt},
          {"bool", ValueKind::kBool},
          {"string", ValueKind::kString}};
}

config::EnumTable<pipeline::TagClass> tagClassTable() {
  return {{"telemetry", pipeline::TagClass::kTelemetry},
          {"event", pipeline::TagClass::kEvent},
          {"log", pipeline::TagClass::kLog}};
}

// Runs the pipeline's rules for one tag, with `device` standing in when the tag's device comes
// from the topic at run time.
void checkPipeline(const pipeline::TagPipelineConfig& t, bool device_from_topic, Checker& k) {
  pipeline::TagPipelineConfig copy = t;
  if (device_from_topic && copy.device.empty()) copy.device = "device";
  pipeline::validateTag(copy, [&k](std::string_view relative, std::string reason) {
    k.error(relative, std::move(reason));
  });
}

// {name} placeholders of a Sparkplug device-name template must be group, node or device.
void checkNameTemplate(const std::string& text, bool allow_device, std::string_view option,
                       Checker& k) {
  size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string::npos) {
    size_t end = text.find('}', pos);
    if (end == std::string::npos) {
      k.error(option, "unclosed '{'");
      return;
    }
    std::string name = text.substr(pos + 1, end - pos - 1);
    if (name != "group" && name != "node" && !(allow_device && name == "device")) {
      k.error(option, "unknown placeholder {" + name + "}; use {group}, {node}" +
                          (allow_device ? ", {device}" : ""));
    }
    pos = end + 1;
  }
  if (text.find('/') != std::string::npos) k.error(option, "device names must not contain '/'");
}

}  // namespace

std::string_view payloadFormatName(PayloadFormat f) {
  switch (f) {
    case PayloadFormat::kJson:
      return "json";
    case PayloadFormat::kValue:
      return "value";
    case PayloadFormat::kSparkplug:
      return "sparkplug";
    case PayloadFormat::kChirpstack:
      return "chirpstack";
    case PayloadFormat::kTts:
      return "tts";
  }
  return "json";
}

uint32_t layoutTypeSize(LayoutType t) {
  switch (t) {
    case LayoutType::kU8:
    case LayoutType::kI8:
    case LayoutType::kBool:
      return 1;
    case LayoutType::kU16:
    case LayoutType::kI16:
      return 2;
    case LayoutType::kU24:
    case LayoutType::kI24:
      return 3;
    case LayoutType::kU32:
    case LayoutType::kI32:
    case LayoutType::kF32:
      return 4;
    case LayoutType::kU64:
    case LayoutType::kI64:
    case LayoutType::kF64:
      return 8;
  }
  return 1;
}

const Spec<TlsConfig>& tlsSpec() {
  static const Spec<TlsConfig> spec = [] {
    using T = TlsConfig;
    Spec<T> s("tls", "TLS to the broker. Present (even empty: `tls: {}`) turns TLS on.");
    s.option("ca_file", &T::ca_file)
        .doc(
            "CA certificates (PEM) that sign the broker's certificate; empty: the system's CA "
            "store.")
        .example("/etc/streamforge/broker-ca.pem");
    s.option("cert_file", &T::cert_file)
        .doc("Client certificate chain (PEM) for brokers that require client certificates.")
        .example("/etc/streamforge/gw1.crt");
    s.option("key_file", &T::key_file)
        .doc("The client certificate's private key (PEM); empty: in cert_file.")
        .example("/etc/streamforge/gw1.key");
    s.option("key_password", &T::key_password)
        .secret()
        .doc("Password of an encrypted key_file.")
        .example("${MQTT_KEY_PASSWORD}");
    s.option("verify_hostname", &T::verify_hostname)
        .doc("Check that the broker's certificate names `host` (or server_name).");
    s.option("insecure_skip_verify", &T::insecure_skip_verify)
        .advanced()
        .doc("Accept any certificate (no chain or name check). Never in production.");
    s.option("server_name", &T::server_name)
        .advanced()
        .doc("Name sent as SNI and checked in the certificate, when it differs from `host`.")
        .example("broker.plant1.example");
    s.check([](const T& t, Checker& k) {
      if (!t.key_file.empty() && t.cert_file.empty()) k.error("key_file", "needs cert_file");
    });
    return s;
  }();
  return spec;
}

const Spec<JsonFieldConfig>& jsonFieldSpec() {
  static const Spec<JsonFieldConfig> spec = [] {
    using F = JsonFieldConfig;
    Spec<F> s("field", "One tag taken from each JSON message of the subscription.");
    s.option("tag", asDerived<F>(&pipeline::TagPipelineConfig::tag))
        .required()
        .nonEmpty()
        .doc("The tag name.")
        .example("temperature");
    s.option("device", asDerived<F>(&pipeline::TagPipelineConfig::device))
        .doc("The device; empty: the subscription's `device` or the topic's {device}.")
        .example("boiler1");
    s.option("value", &F::value)
        .doc(
            "Path of the value: `a.b[0].c` or a JSON Pointer `/a/b/0/c`; empty: the whole "
            "payload.")
        .example("data.temp");
    s.option("timestamp", &F::timestamp)
        .doc("Path of the source timestamp; empty: the subscription's `timestamp`.")
        .example("data.ts");
    s.option("quality", &F::quality)
        .doc(
            "Path of a quality: good/uncertain/bad, true/false, an OPC UA StatusCode or an OPC "
            "DA quality byte.")
        .example("data.q");
    s.option("unit_path", &F::unit_path)
        .doc("Path of a unit text in the payload (`unit` of the pipeline wins when set).")
        .example("data.unit");
    s.option("type", &F::type, valueKindTable())
        .doc(
            "Read the value as double, int, bool or string; auto keeps the JSON type. A value "
            "that does not convert is bad input.");
    s.option("optional", &F::optional)
        .doc("An absent value is skipped silently instead of counted as bad input.");
    pipeline::declareTagPipelineOptions(s);
    return s;
  }();
  return spec;
}

const Spec<TagConfig>& tagSpec() {
  static const Spec<TagConfig> spec = [] {
    using T = TagConfig;
    Spec<T> s("tag",
              "Pipeline options of one tag this adapter produces (a Sparkplug metric, a "
              "LoRaWAN field, a tag of a device taken from the topic).");
    s.option("device", asDerived<T>(&pipeline::TagPipelineConfig::device))
        .required()
        .nonEmpty()
        .doc("The device as the records name it (e.g. `plant1.node1.pump1` for Sparkplug).")
        .example("plant1.node1");
    s.option("tag", asDerived<T>(&pipeline::TagPipelineConfig::tag))
        .required()
        .nonEmpty()
        .doc("The tag as the records name it (a Sparkplug metric name, a decoded field).")
        .example("Inputs/Temperature");
    pipeline::declareTagPipelineOptions(s);
    s.check([](const T& t, Checker& k) { checkPipeline(t, false, k); });
    return s;
  }();
  return spec;
}

const Spec<LayoutFieldConfig>& layoutFieldSpec() {
  static const Spec<LayoutFieldConfig> spec = [] {
    using L = LayoutFieldConfig;
    Spec<L> s("layout_field", "One value at a fixed place in the uplink's bytes.");
    s.option("name", &L::name).required().nonEmpty().doc("The tag.").example("temperature");
    s.option("offset", &L::offset).doc("Byte offset in the frame payload.").example(2);
    s.option("type", &L::type,
             {{"u8", LayoutType::kU8},
              {"i8", LayoutType::kI8},
              {"u16", LayoutType::kU16},
              {"i16", LayoutType::kI16},
              {"u24", LayoutType::kU24},
              {"i24", LayoutType::kI24},
              {"u32", LayoutType::kU32},
              {"i32", LayoutType::kI32},
              {"u64", LayoutType::kU64},
              {"i64", LayoutType::kI64},
              {"f32", LayoutType::kF32},
              {"f64", LayoutType::kF64},
              {"bool", LayoutType::kBool}})
        .doc("Integer (signed i, unsigned u, 8 to 64 bits), IEEE float, or one bit (bool).");
    s.option("endian", &L::endian, {{"big", Endian::kBig}, {"little", Endian::kLittle}})
        .doc("Byte order of multi-byte types.");
    s.option("bit", &L::bit).range(0, 7).doc("bool: the bit of the byte, 0 = least significant.");
    s.option("scale", &L::scale).doc("value = raw * scale + add.").example(0.01);
    s.option("add", &L::add).doc("Added after scaling.").example(-40);
    s.option("unit", &L::unit).doc("Engineering unit of the value.").example("degC");
    s.check([](const L& l, Checker& k) {
      if (l.bit && l.type != LayoutType::kBool) k.error("bit", "only for type bool");
      if (!std::isfinite(l.scale)) k.error("scale", "must be finite");
      if (!std::isfinite(l.add)) k.error("add", "must be finite");
    });
    return s;
  }();
  return spec;
}

const Spec<LoraDecoderConfig>& loraDecoderSpec() {
  static const Spec<LoraDecoderConfig> spec = [] {
    using D = LoraDecoderConfig;
    Spec<D> s("decoder", "How the uplinks' payload becomes tags.");
    s.option("fport", &D::fport)
        .range(0, 255)
        .doc("Only uplinks on this FPort; absent: any.")
        .example(2);
    s.option("type", &D::type,
             {{"object", LoraDecoderType::kObject},
              {"lpp", LoraDecoderType::kLpp},
              {"layout", LoraDecoderType::kLayout},
              {"raw", LoraDecoderType::kRaw}})
        .doc(
            "object: the network server's decoded JSON; lpp: Cayenne LPP; layout: `fields`; "
            "raw: the bytes as tag `payload`.");
    s.option("fields", &D::fields, layoutFieldSpec())
        .doc("type layout: the values in the frame.")
        .example(Json::array(
            {Json{{"name", "temperature"},
                  {"offset", 0},
                  {"type", "i16"},
                  {"scale", 0.01},
                  {"unit", "degC"}},
             Json{{"name", "door_open"}, {"offset", 2}, {"type", "bool"}, {"bit", 0}}}));
    s.check([](const D& d, Checker& k) {
      if (d.type == LoraDecoderType::kLayout && d.fields.empty()) {
        k.error("fields", "type layout needs at least one field");
      }
      if (d.type != LoraDecoderType::kLayout && !d.fields.empty()) {
        k.error("fields", "only for type layout");
      }
      std::set<std::string> names;
      for (size_t i = 0; i < d.fields.size(); ++i) {
        if (!names.insert(d.fields[i].name).second) {
          k.error("fields/" + std::to_string(i) + "/name",
                  "duplicate name '" + d.fields[i].name + "'");
        }
      }
    });
    return s;
  }();
  return spec;
}

const Spec<SubscriptionConfig>& subscriptionSpec() {
  static const Spec<SubscriptionConfig> spec = [] {
    using S = SubscriptionConfig;
    Spec<S> s("subscription", "One topic filter and how its messages become records.");
    s.option("topic", &S::topic)
        .required()
        .nonEmpty()
        .doc(
            "Topic filter, or a template whose levels capture {site}, {device}, {tag} (any "
            "other {name} becomes an attribute; {name#} captures the rest of the topic).")
        .example("plant/{site}/{device}/{tag}");
    s.option("qos", &S::qos)
        .range(0, 2)
        .doc(
            "Subscription QoS. 1 and 2 are acknowledged only "
            "once durable.");
    s.option("share_group", &S::share_group)
        .doc("Subscribe as $share/<group>/<topic>: gateways in one group split the messages.")
        .example("gateways");
    s.option("format", &S::format,
             {{"json", PayloadFormat::kJson},
              {"value", PayloadFormat::kValue},
              {"sparkplug", PayloadFormat::kSparkplug},
              {"chirpstack", PayloadFormat::kChirpstack},
              {"tts", PayloadFormat::kTts}})
        .doc(
            "Payload format: json, value (the payload is the value), sparkplug (Sparkplug B), "
            "chirpstack (ChirpStack v4 events), tts (The Things Stack v3).");
    s.option("class", &S::cls, tagClassTable())
        .doc("Class of the records of tags without pipeline options (declared tags take theirs).");
    s.option("site", &S::site).doc("Fixed site of the records (else {site}, else the gateway's).");
    s.option("device", &S::device).doc("Fixed device of the records (else {device}).");
    s.option("tag", &S::tag)
        .doc("Fixed tag of a scalar payload (else {tag}, else the topic's last level).")
        .example("temperature");
    s.option("devices", &S::devices)
        .doc(
            "The devices a {device} template maps, so that fields' pipeline options apply to "
            "each.")
        .example(Json::array({"boiler1", "boiler2"}));
    s.option("fields", &S::fields, jsonFieldSpec())
        .doc(
            "json: the tags of each message (several per message); empty: every scalar of the "
            "payload becomes a tag named by its key.")
        .example(
            Json::array({Json{{"tag", "temperature"}, {"value", "data.temp"}},
                         Json{{"tag", "pressure"}, {"value", "data.press"}, {"type", "double"}}}));
    s.option("timestamp", &S::timestamp)
        .doc(
            "json: path of the source timestamp (epoch number or RFC 3339 text); empty: the "
            "receive time.")
        .example("ts");
    s.option("timestamp_unit", &S::timestamp_unit,
             {{"auto", TimestampUnit::kAuto},
              {"s", TimestampUnit::kSeconds},
              {"ms", TimestampUnit::kMillis},
              {"us", TimestampUnit::kMicros},
              {"ns", TimestampUnit::kNanos}})
        .doc("Unit of numeric timestamps; auto guesses from the magnitude.");
    s.option("quality", &S::quality).doc("json: path of the quality for every field.").example("q");
    s.option("type", &S::type, valueKindTable())
        .doc("Read values as double, int, bool or string (fields may override).");
    s.option("topic_attribute", &S::topic_attribute)
        .doc("Add the message's topic to every record as attribute `topic`.");
    s.option("decoders", &S::decoders, loraDecoderSpec())
        .doc(
            "chirpstack/tts: payload decoders, the first whose fport matches; none: the network "
            "server's decoded object, else the raw bytes.")
        .example(Json::array({Json{{"fport", 1}, {"type", "lpp"}}}));
    s.option("device_name", &S::device_name,
             {{"name", LoraDeviceName::kName}, {"dev_eui", LoraDeviceName::kDevEui}})
        .doc("chirpstack/tts: the records' device is the device's name or its DevEUI.");
    s.check([](const S& sub, Checker& k) {
      auto tmpl = TopicTemplate::parse(sub.topic);
      if (!tmpl) {
        k.error("topic", tmpl.error().message);
        return;
      }
      if (!sub.share_group.empty()) {
        auto shared = sharedFilter(sub.share_group, tmpl->filter());
        if (!shared) k.error("share_group", shared.error().message);
      }
      const bool json = sub.format == PayloadFormat::kJson;
      const bool lora =
          sub.format == PayloadFormat::kChirpstack || sub.format == PayloadFormat::kTts;
      if (!json && !sub.fields.empty()) k.error("fields", "only for format json");
      if (!json && (!sub.timestamp.empty() || !sub.quality.empty())) {
        k.error(sub.timestamp.empty() ? "quality" : "timestamp", "only for format json");
      }
      if (!lora && !sub.decoders.empty())
        k.error("decoders", "only for formats chirpstack and tts");
      if (sub.format == PayloadFormat::kSparkplug && sub.topic.rfind("spBv1.0", 0) != 0 &&
          sub.topic != "#") {
        k.error("topic", "Sparkplug B topics start with spBv1.0/");
      }
      const bool device_from_topic = tmpl->captures("device");
      if (!sub.device.empty() && device_from_topic) {
        k.error("device", "the topic template captures {device} already");
      }
      if (!sub.devices.empty() && !device_from_topic) {
        k.error("devices", "only with a topic template that captures {device}");
      }
      for (size_t i = 0; i < sub.fields.size(); ++i) {
        const auto& f = sub.fields[i];
        const std::string at = "fields/" + std::to_string(i);
        if (f.device.empty() && sub.device.empty() && !device_from_topic) {
          k.error(at + "/device",
                  "no device: set it here, set the subscription's `device`, or "
                  "capture {device} in the topic");
        }
        if (!f.device.empty() && device_from_topic) {
          // Allowed: a fixed device overrides the capture for this field.
        }
        pipeline::TagPipelineConfig p = f;
        if (p.device.empty()) p.device = sub.device;
        checkPipeline(p, device_from_topic, k);
        for (size_t j = 0; j < i; ++j) {
          if (sub.fields[j].tag == f.tag && sub.fields[j].device == f.device) {
            k.error(at + "/tag",
                    "duplicate tag '" + f.tag + "' (also fields/" + std::to_string(j) + ")");
          }
        }
      }
      for (const auto& d : sub.devices) {
        if (d.empty() || d.find('/') != std::string::npos) {
          k.error("devices", "device names are non-empty without '/'");
        }
      }
      if (sub.device.find('/') != std::string::npos) k.error("device", "must not contain '/'");
    });
    return s;
  }();
  return spec;
}

const Spec<SparkplugConfig>& sparkplugSpec() {
  static const Spec<SparkplugConfig> spec = [] {
    using P = SparkplugConfig;
    Spec<P> s("sparkplug",
              "Sparkplug B host application behaviour (subscriptions with format "
              "sparkplug).");
    s.option("host_id", &P::host_id)
        .doc(
            "Host application id: when set, the adapter publishes spBv1.0/STATE/<host_id> "
            "(online on connect, offline as will, both retained).")
        .example("streamforge-gw1");
    s.option("request_rebirth", &P::request_rebirth)
        .doc(
            "Send NCMD `Node Control/Rebirth` on a seq gap, an unknown alias or data before "
            "birth.");
    s.option("rebirth_interval", &P::rebirth_interval)
        .min(0ms)
        .doc("At most one rebirth request per edge node per this interval.")
        .example("5s");
    s.option("node_device", &P::node_device)
        .doc("Device name of an edge node's own metrics ({group}, {node}).")
        .example("{group}.{node}");
    s.option("device_device", &P::device_device)
        .doc("Device name of a device's metrics ({group}, {node}, {device}).")
        .example("{group}.{node}.{device}");
    s.check([](const P& p, Checker& k) {
      checkNameTemplate(p.node_device, false, "node_device", k);
      checkNameTemplate(p.device_device, true, "device_device", k);
      if (p.host_id.find_first_of("/+#") != std::string::npos) {
        k.error("host_id", "must not contain '/', '+' or '#'");
      }
    });
    return s;
  }();
  return spec;
}

const Spec<MqttConfig>& mqttSpec() {
  static const Spec<MqttConfig> spec = [] {
    using M = MqttConfig;
    Spec<M> s("mqtt",
              "Subscribes to an MQTT 3.1.1/5 broker and maps messages (JSON, plain values, "
              "Sparkplug B, ChirpStack/TTS LoRaWAN uplinks) to records. QoS 1/2 messages are "
              "acknowledged only once their records are durable in the local log.");
    s.option("name", &M::name)
        .required()
        .nonEmpty()
        .doc("Instance name, unique per gateway.")
        .example("plant_broker");
    s.option("host", &M::host)
        .required()
        .nonEmpty()
        .doc("Broker host name or address.")
        .example("10.0.0.20");
    s.option("port", &M::port).range(1, 65535).doc("Broker port (8883 is usual for TLS).");
    s.option("version", &M::version,
             {{"5", ProtocolVersion::kV5}, {"3.1.1", ProtocolVersion::kV311}})
        .doc("MQTT protocol version.");
    s.option("client_id", &M::client_id)
        .doc(
            "Client identifier; keep it stable for persistent sessions. Empty: "
            "streamforge-<gateway>-<name>.")
        .example("sf-gw1-plant");
    s.option("clean_start", &M::clean_start)
        .doc(
            "Start a new session at every connect. false (default): the broker keeps the "
            "session and queues QoS 1/2 messages while the gateway is away.");
    s.option("session_expiry", &M::session_expiry)
        .range(0s, std::chrono::seconds(0xFFFFFFFFu))
        .doc(
            "v5: how long the broker keeps the session after a disconnect (3.1.1: as long as "
            "the broker is configured to).")
        .example("7d");
    s.option("keep_alive", &M::keep_alive)
        .range(0s, std::chrono::seconds(65535))
        .doc("Keep-alive interval; 0 turns it off.")
        .example("30s");
    s.option("connect_timeout", &M::connect_timeout)
        .min(1ms)
        .doc("Bound on TCP connect + TLS handshake + CONNACK.")
        .example("10s");
    s.option("username", &M::username).doc("User name.").example("gateway1");
    s.option("password", &M::password).secret().doc("Password.").example("${MQTT_PASSWORD}");
    s.option("tls", &M::tls, tlsSpec()).doc("TLS settings; absent: plain TCP.");
    s.option("max_inflight", &M::max_inflight)
        .range(1, 65535)
        .doc(
            "Messages received and not yet durable; beyond it the adapter stops reading "
            "(backpressure). v5: sent to the broker as Receive Maximum.");
    s.option("max_message_size", &M::max_message_size)
        .min(config::ByteSize{1})
        .doc("Larger payloads are acknowledged, skipped unbuffered, counted and logged.")
        .example("1MiB");
    s.option("bad_input_log_interval", &M::bad_input_log_interval)
        .advanced()
        .min(0ms)
        .doc(
            "Bad input (invalid JSON, unknown alias, ...) is always counted; `log` records "
            "about it are limited to bad_input_log_burst per this interval and reason.");
    s.option("bad_input_log_burst", &M::bad_input_log_burst)
        .advanced()
        .doc("See bad_input_log_interval.");
    s.option("subscriptions", &M::subscriptions, subscriptionSpec())
        .required()
        .nonEmpty()
        .doc("Topic filters and their mapping; a message is mapped by the first that matches.")
        .example(Json::array(
            {Json{{"topic", "plant/{site}/{device}/telemetry"},
                  {"qos", 1},
                  {"timestamp", "ts"},
                  {"fields", Json::array({Json{{"tag", "temperature"}, {"value", "data.temp"}},
                                          Json{{"tag", "pressure"}, {"value", "data.press"}}})}},
             Json{{"topic", "spBv1.0/Plant1/#"}, {"format", "sparkplug"}},
             Json{{"topic", "application/+/device/+/event/up"},
                  {"format", "chirpstack"},
                  {"decoders", Json::array({Json{{"fport", 1}, {"type", "lpp"}}})}}}));
    s.option("sparkplug", &M::sparkplug, sparkplugSpec())
        .doc("Sparkplug B host options (defaults apply when absent).");
    s.option("tags", &M::tags, tagSpec())
        .doc(
            "Pipeline options (scale, deadband, alarms, ...) for tags whose device is not "
            "fixed by a subscription.")
        .example(Json::array({Json{{"device", "Plant1.edge1"}, {"tag", "Inputs/Temp"}}}));
    s.check([](const M& m, Checker& k) {
      if (m.name.find('/') != std::string::npos) k.error("name", "must not contain '/'");
      if (m.version == ProtocolVersion::kV311 && !m.password.empty() && m.username.empty()) {
        k.error("password", "MQTT 3.1.1 sends a password only with a username");
      }
      if (m.max_message_size.bytes > 256ull * 1024 * 1024) {
        k.error("max_message_size", "MQTT packets are at most 256MiB");
      }
      std::set<std::pair<std::string, std::string>> seen;
      for (size_t i = 0; i < m.tags.size(); ++i) {
        if (!seen.insert({m.tags[i].device, m.tags[i].tag}).second) {
          k.error("tags/" + std::to_string(i),
                  "duplicate device/tag '" + m.tags[i].device + "/" + m.tags[i].tag + "'");
        }
      }
      for (size_t i = 0; i < m.subscriptions.size(); ++i) {
        const auto& s = m.subscriptions[i];
        if (s.format == PayloadFormat::kSparkplug && !s.share_group.empty()) {
          k.error("subscriptions/" + std::to_string(i) + "/share_group",
                  "Sparkplug B needs every message of an edge node in order (seq, aliases): "
                  "do not share it");
        }
      }
    });
    return s;
  }();
  return spec;
}

std::vector<pipeline::TagPipelineConfig> declaredTags(const MqttConfig& config) {
  std::vector<pipeline::TagPipelineConfig> out;
  std::set<std::pair<std::string, std::string>> seen;
  auto add = [&](pipeline::TagPipelineConfig t) {
    t.adapter = config.name;
    if (t.device.empty() || t.tag.empty()) return;
    if (!seen.insert({t.device, t.tag}).second) return;
    out.push_back(std::move(t));
  };
  for (const auto& t : config.tags) add(t);
  for (const auto& sub : config.subscriptions) {
    for (const auto& f : sub.fields) {
      pipeline::TagPipelineConfig t = f;
      if (!t.device.empty()) {
        add(t);
      } else if (!sub.device.empty()) {
        t.device = sub.device;
        add(t);
      } else {
        for (const auto& d : sub.devices) {
          t.device = d;
          add(t);
        }
      }
    }
  }
  return out;
}

}  // namespace sf::mqtt
