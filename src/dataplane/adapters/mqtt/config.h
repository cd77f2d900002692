#pragma once
// The `mqtt` adapter's configuration, declared once (config/spec.h): connection, session, TLS,
// subscriptions with their payload mapping (JSON, plain value, Sparkplug B, ChirpStack v4, The
// Things Stack v3), Sparkplug host options and per-tag pipeline options. README.md in this folder
// carries the generated option table; docs/MQTT.md explains the choices.
//
// Plain values; the specs are built once (function-local statics) and only read afterwards.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/spec.h"
#include "config/units.h"
#include "dataplane/pipeline/tag_config.h"

namespace sf::mqtt {

enum class ProtocolVersion : uint8_t { kV311 = 4, kV5 = 5 };

enum class PayloadFormat : uint8_t {
  kJson,        // JSON object/array/scalar, fields picked by path
  kValue,       // the payload is the value: a number, true/false, or text
  kSparkplug,   // Sparkplug B (spBv1.0 topics, protobuf payloads)
  kChirpstack,  // ChirpStack v4 MQTT integration events (JSON)
  kTts,         // The Things Stack v3 MQTT integration messages (JSON)
};

// How a value is read from JSON or text. auto keeps what the payload says.
enum class ValueKind : uint8_t { kAuto, kDouble, kInt, kBool, kString };

enum class TimestampUnit : uint8_t { kAuto, kSeconds, kMillis, kMicros, kNanos };

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string key_password;
  bool verify_hostname = true;
  bool insecure_skip_verify = false;
  std::string server_name;
  bool operator==(const TlsConfig&) const = default;
};

// One tag of a JSON mapping. Derives from the pipeline's per-tag options so scale, deadband,
// class, alarms, ... sit flat beside the JSON paths (`device` and `tag` are the identity).
struct JsonFieldConfig : pipeline::TagPipelineConfig {
  std::string value;      // path of the value; empty: the whole payload
  std::string timestamp;  // path; empty: the subscription's `timestamp`
  std::string quality;    // path; empty: the subscription's `quality`
  std::string unit_path;  // path of a unit text in the payload
  ValueKind type = ValueKind::kAuto;
  bool optional = false;  // an absent value is skipped instead of counted as bad input
  bool operator==(const JsonFieldConfig&) const = default;
};

// Declared pipeline options for tags this adapter produces whose device is not fixed by a
// mapping (Sparkplug metrics, LoRaWAN fields, devices taken from the topic).
struct TagConfig : pipeline::TagPipelineConfig {
  bool operator==(const TagConfig&) const = default;
};

enum class LoraDecoderType : uint8_t {
  kObject,  // the network server's decoded object (ChirpStack `object`, TTS `decoded_payload`)
  kLpp,     // Cayenne LPP
  kLayout,  // the declarative byte layout in `fields`
  kRaw,     // the frame payload as one bytes value (tag `payload`)
};

enum class LayoutType : uint8_t {
  kU8,
  kI8,
  kU16,
  kI16,
  kU24,
  kI24,
  kU32,
  kI32,
  kU64,
  kI64,
  kF32,
  kF64,
  kBool
};
enum class Endian : uint8_t { kBig, kLittle };

struct LayoutFieldConfig {
  std::string name;     // the tag
  uint32_t offset = 0;  // byte offset in the frame payload
  LayoutType type = LayoutType::kU8;
  Endian endian = Endian::kBig;
  std::optional<uint8_t> bit;  // bool: the bit (0 = least significant) of the byte at offset
  double scale = 1.0;          // value = raw * scale + add
  double add = 0.0;
  std::string unit;
  bool operator==(const LayoutFieldConfig&) const = default;
};

struct LoraDecoderConfig {
  std::optional<uint32_t> fport;  // applies to uplinks on this port only; absent: any port
  LoraDecoderType type = LoraDecoderType::kObject;
  std::vector<LayoutFieldConfig> fields;
  bool operator==(const LoraDecoderConfig&) const = default;
};

enum class LoraDeviceName : uint8_t { kName, kDevEui };

struct SubscriptionConfig {
  std::string topic;  // a filter or a template with {site}/{device}/{tag} captures
  uint8_t qos = 1;
  std::string share_group;  // subscribe as $share/<group>/<filter>
  PayloadFormat format = PayloadFormat::kJson;
  pipeline::TagClass cls = pipeline::TagClass::kTelemetry;  // class of undeclared tags' records
  std::string site;    // fixed site (else {site} or the gateway's)
  std::string device;  // fixed device (else {device})
  std::string tag;     // fixed tag for scalar payloads (else {tag} or the last topic level)
  // Devices a template maps, so fields' pipeline options apply to them ({device} captures).
  std::vector<std::string> devices;
  // json / value.
  std::vector<JsonFieldConfig> fields;  // empty: every scalar of the payload becomes a tag
  std::string timestamp;
  TimestampUnit timestamp_unit = TimestampUnit::kAuto;
  std::string quality;
  ValueKind type = ValueKind::kAuto;
  bool topic_attribute = true;  // add the topic as attribute `topic`
  // chirpstack / tts.
  std::vector<LoraDecoderConfig> decoders;  // first match by fport; empty: object, else raw
  LoraDeviceName device_name = LoraDeviceName::kName;
  bool operator==(const SubscriptionConfig&) const = default;
};

struct SparkplugConfig {
  std::string host_id;  // set: publish the host application STATE (birth + will)
  bool request_rebirth = true;
  std::chrono::milliseconds rebirth_interval{5000};  // at most one NCMD rebirth per node per this
  std::string node_device = "{group}.{node}";
  std::string device_device = "{group}.{node}.{device}";
  bool operator==(const SparkplugConfig&) const = default;
};

struct MqttConfig {
  std::string name;
  std::string host;
  uint16_t port = 1883;
  ProtocolVersion version = ProtocolVersion::kV5;
  std::string client_id;  // empty: "streamforge-<gateway>-<name>"
  bool clean_start = false;
  std::chrono::seconds session_expiry{std::chrono::hours(24 * 7)};
  std::chrono::seconds keep_alive{30};
  std::chrono::milliseconds connect_timeout{10'000};
  std::string username;
  std::string password;
  std::optional<TlsConfig> tls;
  uint32_t max_inflight = 1000;
  config::ByteSize max_message_size = config::ByteSize::mib(1);
  std::chrono::milliseconds bad_input_log_interval{10'000};
  uint32_t bad_input_log_burst = 10;
  std::vector<SubscriptionConfig> subscriptions;
  std::optional<SparkplugConfig> sparkplug;
  std::vector<TagConfig> tags;
  bool operator==(const MqttConfig&) const = default;
};

const config::Spec<TlsConfig>& tlsSpec();
const config::Spec<JsonFieldConfig>& jsonFieldSpec();
const config::Spec<TagConfig>& tagSpec();
const config::Spec<LayoutFieldConfig>& layoutFieldSpec();
const config::Spec<LoraDecoderConfig>& loraDecoderSpec();
const config::Spec<SubscriptionConfig>& subscriptionSpec();
const config::Spec<SparkplugConfig>& sparkplugSpec();
const config::Spec<MqttConfig>& mqttSpec();

// The tags the configuration declares with pipeline options (AdapterFactory::tags): `tags`, and
// every JSON field whose device is known (fixed, or each of `devices`). `adapter` is `name`.
std::vector<pipeline::TagPipelineConfig> declaredTags(const MqttConfig& config);

std::string_view payloadFormatName(PayloadFormat f);
// The byte size of a layout type.
uint32_t layoutTypeSize(LayoutType t);

}  // namespace sf::mqtt
