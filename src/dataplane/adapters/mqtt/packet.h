#pragma once
// MQTT 3.1.1 and 5.0 control packets: the encoders for what the gateway sends and a decoder for
// what a broker sends. Pure functions over bytes, no I/O, no exceptions, no assertion on input:
// every byte from the network is checked and a malformed packet is kInvalidData naming the
// field. Fuzzed (packet_fuzz.cc). Thread-safe (no state).
//
// The decoder never copies payloads: a decoded Publish points into the caller's buffer, which
// must outlive it. Only what the gateway needs from broker packets is kept (CONNACK limits,
// PUBLISH, acknowledgements, SUBACK codes, DISCONNECT reason); other v5 properties are checked
// for well-formedness and skipped.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace sf::mqtt {

// The protocol level byte of CONNECT.
enum class Version : uint8_t { kV311 = 4, kV5 = 5 };
std::string_view versionName(Version v);  // "3.1.1", "5"

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};
std::string_view packetTypeName(PacketType t);  // "PUBLISH"

// The largest Remaining Length MQTT can express (4 varint bytes).
inline constexpr uint32_t kMaxRemainingLength = 268'435'455;

// The fixed header of one packet: type, the low nibble of byte 0, and the body length.
struct FixedHeader {
  PacketType type = PacketType::kConnect;
  uint8_t flags = 0;
  uint32_t remaining = 0;   // bytes after the fixed header
  uint8_t header_size = 0;  // 2..5
  size_t total() const { return header_size + static_cast<size_t>(remaining); }
};

// Parses a fixed header at the start of `data`. nullopt: more bytes are needed. kInvalidData:
// a reserved packet type or a Remaining Length longer than 4 bytes.
core::Result<std::optional<FixedHeader>> parseFixedHeader(std::span<const uint8_t> data);

// ---------------------------------------------------------------------------------------------
// Packets from the broker.

struct Connack {
  bool session_present = false;
  uint8_t reason = 0;  // v3.1.1 return code (0..5) or v5 reason code
  // v5 properties (defaults are the spec's when absent).
  std::optional<uint32_t> session_expiry;
  uint16_t receive_maximum = 65535;
  uint8_t maximum_qos = 2;
  bool retain_available = true;
  std::optional<uint32_t> maximum_packet_size;
  std::string assigned_client_id;
  std::optional<uint16_t> server_keep_alive;
  bool shared_subscription_available = true;
  bool wildcard_subscription_available = true;
  std::string reason_string;
};

struct Publish {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string_view topic;  // may be empty with a v5 topic alias
  uint16_t packet_id = 0;  // 0 for QoS 0
  std::string_view payload;
  // v5 properties the mappers use.
  std::optional<uint16_t> topic_alias;
  std::optional<uint8_t> payload_format;  // 1: UTF-8 text
  std::string_view content_type;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK (the latter's reason list is not kept).
struct Ack {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  uint8_t reason = 0;  // v5; 0 (success) in v3.1.1
};

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> reasons;  // one per filter: granted QoS 0..2 or a failure code >= 0x80
};

struct Pingresp {};

struct Disconnect {
  uint8_t reason = 0;
  std::string reason_string;
};

using Packet = std::variant<Connack, Publish, Ack, Suback, Pingresp, Disconnect>;

// Decodes one whole packet (`body` is exactly header.remaining bytes). kInvalidData for any
// malformed field; kUnsupported for packets a client never receives (CONNECT, SUBSCRIBE, ...)
// and AUTH (no enhanced authentication).
core::Result<Packet> decodePacket(const FixedHeader& header, std::span<const uint8_t> body,
                                  Version version);

// The topic and packet id of a PUBLISH whose body is only partly at hand (the gateway reads the
// start of an oversized message, acknowledges it and discards the rest unbuffered). `prefix` is
// the body's first bytes. nullopt when the prefix is too short to hold them.
struct PublishHead {
  std::string topic;
  uint16_t packet_id = 0;
  uint8_t qos = 0;
};
core::Result<std::optional<PublishHead>> decodePublishHead(uint8_t flags,
                                                           std::span<const uint8_t> prefix);

// ---------------------------------------------------------------------------------------------
// Packets to the broker. Each appends the whole packet to `out`.

struct Will {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
};

struct ConnectOptions {
  Version version = Version::kV5;
  std::string client_id;
  bool clean_start = true;
  uint16_t keep_alive_s = 30;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<Will> will;
  // v5 only.
  uint32_t session_expiry_s = 0;  // 0xFFFFFFFF: never expires
  uint16_t receive_maximum = 65535;
  std::optional<uint32_t> maximum_packet_size;
};
// kInvalidData when a field does not fit MQTT (strings over 65535 bytes, QoS > 2).
core::Status encodeConnect(const ConnectOptions& options, std::string& out);

struct SubscribeFilter {
  std::string filter;
  uint8_t qos = 1;
  // v5 subscription options.
  bool no_local = false;
  bool retain_as_published = false;
  uint8_t retain_handling = 0;  // 0 send retained, 1 only for a new subscription, 2 never
};
core::Status encodeSubscribe(uint16_t packet_id, const std::vector<SubscribeFilter>& filters,
                             Version version, std::string& out);

// PUBACK, PUBREC, PUBREL or PUBCOMP (v5: reason code 0 keeps the short 2-byte form).
void encodeAck(PacketType type, uint16_t packet_id, Version version, std::string& out,
               uint8_t reason = 0);

core::Status encodePublish(std::string_view topic, std::string_view payload, uint8_t qos,
                           bool retain, bool dup, uint16_t packet_id, Version version,
                           std::string& out);

void encodePingreq(std::string& out);
// v3.1.1 ignores the reason.
void encodeDisconnect(Version version, uint8_t reason, std::string& out);

// ---------------------------------------------------------------------------------------------
// Helpers shared with the client.

// Human text for a CONNACK code ("not authorized") in either version.
std::string connackReasonText(Version version, uint8_t code);
// Human text for a v5 reason code ("0x87 not authorized").
std::string reasonCodeText(uint8_t code);
// True when `s` is valid MQTT UTF-8 (well-formed, no U+0000).
bool isMqttUtf8(std::string_view s);

}  // namespace sf::mqtt
