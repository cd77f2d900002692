#include "dataplane/adapters/mqtt/packet.h"

#include <array>
#include <cstdio>

namespace sf::mqtt {

using core::Errc;
using core::fail;

namespace {

core::Unexpected<core::Error> malformed(std::string what) {
  return fail(Errc::kInvalidData, "malformed MQTT packet: " + std::move(what));
}

// A bounds-checked cursor over a packet body. Every read reports failure instead of reading
// past the end; callers turn that into kInvalidData naming the field.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

  bool u8(uint8_t& out) {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool u16(uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& out) {
    if (remaining() < 4) return false;
    out = (static_cast<uint32_t>(data_[pos_]) << 24) |
          (static_cast<uint32_t>(data_[pos_ + 1]) << 16) |
          (static_cast<uint32_t>(data_[pos_ + 2]) << 8) | static_cast<uint32_t>(data_[pos_ + 3]);
    pos_ += 4;
    return true;
  }
  // Variable Byte Integer: at most 4 bytes.
  bool varint(uint32_t& out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t b = 0;
      if (!u8(b)) return false;
      value |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        out = value;
        return true;
      }
    }
    return false;
  }
  bool bytes(size_t n, std::string_view& out) {
    if (remaining() < n) return false;
    out = std::string_view(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  // Two-byte length then the bytes (UTF-8 strings and binary data).
  bool lengthPrefixed(std::string_view& out) {
    uint16_t n = 0;
    return u16(n) && bytes(n, out);
  }
  std::string_view rest() {
    std::string_view out(reinterpret_cast<const char*>(data_.data() + pos_), remaining());
    pos_ = data_.size();
    return out;
  }
  // A sub-reader over the next n bytes (property blocks).
  bool sub(size_t n, Reader& out) {
    if (remaining() < n) return false;
    out = Reader(data_.subspan(pos_, n));
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// One v5 property as read: the numeric ones in `number`, strings/binary in `text`.
struct Property {
  uint8_t id = 0;
  uint32_t number = 0;
  std::string_view text;
  std::string_view text2;  // user property value
};

enum class PropKind { kByte, kTwo, kFour, kVarint, kString, kBinary, kPair, kUnknown };

PropKind propKind(uint8_t id) {
  switch (id) {
    case 0x01:
    case 0x17:
    case 0x19:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return PropKind::kByte;
    case 0x13:
    case 0x21:
    case 0x22:
    case 0x23:
      return PropKind::kTwo;
    case 0x02:
    case 0x11:
    case 0x18:
    case 0x27:
      return PropKind::kFour;
    case 0x0B:
      return PropKind::kVarint;
    case 0x03:
    case 0x08:
    case 0x12:
    case 0x15:
    case 0x1A:
    case 0x1C:
    case 0x1F:
      return PropKind::kString;
    case 0x09:
    case 0x16:
      return PropKind::kBinary;
    case 0x26:
      return PropKind::kPair;
    default:
      return PropKind::kUnknown;
  }
}

// Reads a v5 property block (length varint + properties) and calls `visit` for each. Strings
// must be valid MQTT UTF-8.
template <class Visit>
core::Status readProperties(Reader& r, const char* packet, Visit&& visit) {
  uint32_t length = 0;
  if (!r.varint(length)) return malformed(std::string(packet) + " property length");
  Reader props(std::span<const uint8_t>{});
  if (!r.sub(length, props)) return malformed(std::string(packet) + " properties truncated");
  while (!props.empty()) {
    uint32_t id32 = 0;
    if (!props.varint(id32) || id32 > 0xff) return malformed(std::string(packet) + " property id");
    Property p;
    p.id = static_cast<uint8_t>(id32);
    bool ok = true;
    switch (propKind(p.id)) {
      case PropKind::kByte: {
        uint8_t v = 0;
        ok = props.u8(v);
        p.number = v;
        break;
      }
      case PropKind::kTwo: {
        uint16_t v = 0;
        ok = props.u16(v);
        p.number = v;
        break;
      }
      case PropKind::kFour:
        ok = props.u32(p.number);
        break;
      case PropKind::kVarint:
        ok = props.varint(p.number);
        break;
      case PropKind::kString:
        ok = props.lengthPrefixed(p.text) && isMqttUtf8(p.text);
        break;
      case PropKind::kBinary:
        ok = props.lengthPrefixed(p.text);
        break;
      case PropKind::kPair:
        ok = props.lengthPrefixed(p.text) && props.lengthPrefixed(p.text2) && isMqttUtf8(p.text) &&
             isMqttUtf8(p.text2);
        break;
      case PropKind::kUnknown: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", p.id);
        return malformed(std::string(packet) + " unknown property " + buf);
      }
    }
    if (!ok) return malformed(std::string(packet) + " property " + std::to_string(p.id));
    SF_TRY(visit(p));
  }
  return core::ok();
}

core::Result<Packet> decodeConnack(const FixedHeader& h, Reader& r, Version version) {
  if (h.flags != 0) return malformed("CONNACK flags");
  Connack c;
  uint8_t ack_flags = 0;
  if (!r.u8(ack_flags) || !r.u8(c.reason)) return malformed("CONNACK too short");
  if ((ack_flags & 0xfe) != 0) return malformed("CONNACK reserved flag bits");
  c.session_present = (ack_flags & 1) != 0;
  if (version == Version::kV5) {
    SF_TRY(readProperties(r, "CONNACK", [&](const Property& p) -> core::Status {
      switch (p.id) {
        case 0x11:
          c.session_expiry = p.number;
          break;
        case 0x21:
          if (p.number == 0) return malformed("CONNACK receive maximum 0");
          c.receive_maximum = static_cast<uint16_t>(p.number);
          break;
        case 0x24:
          if (p.number > 1) return malformed("CONNACK maximum QoS");
          c.maximum_qos = static_cast<uint8_t>(p.number);
          break;
        case 0x25:
          c.retain_available = p.number != 0;
          break;
        case 0x27:
          c.maximum_packet_size = p.number;
          break;
        case 0x12:
          c.assigned_client_id = std::string(p.text);
          break;
        case 0x13:
          c.server_keep_alive = static_cast<uint16_t>(p.number);
          break;
        case 0x1F:
          c.reason_string = std::string(p.text);
          break;
        case 0x2A:
          c.shared_subscription_available = p.number != 0;
          break;
        case 0x28:
          c.wildcard_subscription_available = p.number != 0;
          break;
        default:
          break;
      }
      return core::ok();
    }));
  }
  if (!r.empty()) return malformed("CONNACK trailing bytes");
  return Packet(std::move(c));
}

core::Result<Packet> decodePublish(const FixedHeader& h, Reader& r, Version version) {
  Publish p;
  p.dup = (h.flags & 0x08) != 0;
  p.qos = static_cast<uint8_t>((h.flags >> 1) & 3);
  p.retain = (h.flags & 1) != 0;
  if (p.qos == 3) return malformed("PUBLISH QoS 3");
  if (!r.lengthPrefixed(p.topic)) return malformed("PUBLISH topic");
  if (p.qos > 0) {
    if (!r.u16(p.packet_id)) return malformed("PUBLISH packet id");
    if (p.packet_id == 0) return malformed("PUBLISH packet id 0");
  }
  if (version == Version::kV5) {
    SF_TRY(readProperties(r, "PUBLISH", [&](const Property& prop) -> core::Status {
      switch (prop.id) {
        case 0x23:
          if (prop.number == 0) return malformed("PUBLISH topic alias 0");
          p.topic_alias = static_cast<uint16_t>(prop.number);
          break;
        case 0x01:
          p.payload_format = static_cast<uint8_t>(prop.number);
          break;
        case 0x03:
          p.content_type = prop.text;
          break;
        default:
          break;
      }
      return core::ok();
    }));
  }
  if (p.topic.empty() && !p.topic_alias) return malformed("PUBLISH empty topic");
  p.payload = r.rest();
  return Packet(p);
}

core::Result<Packet> decodeAck(const FixedHeader& h, Reader& r, Version version) {
  uint8_t want_flags = h.type == PacketType::kPubrel ? 2 : 0;
  const std::string name(packetTypeName(h.type));
  if (h.flags != want_flags) return malformed(name + " flags");
  Ack a;
  a.type = h.type;
  if (!r.u16(a.packet_id)) return malformed(name + " packet id");
  if (a.packet_id == 0) return malformed(name + " packet id 0");
  if (version == Version::kV5) {
    if (h.type == PacketType::kUnsuback) {
      SF_TRY(readProperties(r, "UNSUBACK", [](const Property&) { return core::ok(); }));
      r.rest();  // one reason per filter, not kept
      return Packet(a);
    }
    if (!r.empty()) {
      if (!r.u8(a.reason)) return malformed(name + " reason");
      if (!r.empty())
        SF_TRY(readProperties(r, name.c_str(), [](const Property&) { return core::ok(); }));
    }
  }
  if (!r.empty()) return malformed(name + " trailing bytes");
  return Packet(a);
}

core::Result<Packet> decodeSuback(const FixedHeader& h, Reader& r, Version version) {
  if (h.flags != 0) return malformed("SUBACK flags");
  Suback s;
  if (!r.u16(s.packet_id)) return malformed("SUBACK packet id");
  if (version == Version::kV5) {
    SF_TRY(readProperties(r, "SUBACK", [](const Property&) { return core::ok(); }));
  }
  std::string_view codes = r.rest();
  if (codes.empty()) return malformed("SUBACK without reason codes");
  s.reasons.assign(codes.begin(), codes.end());
  return Packet(std::move(s));
}

core::Result<Packet> decodeDisconnect(const FixedHeader& h, Reader& r, Version version) {
  if (h.flags != 0) return malformed("DISCONNECT flags");
  Disconnect d;
  if (version == Version::kV5 && !r.empty()) {
    if (!r.u8(d.reason)) return malformed("DISCONNECT reason");
    if (!r.empty()) {
      SF_TRY(readProperties(r, "DISCONNECT", [&](const Property& p) {
        if (p.id == 0x1F) d.reason_string = std::string(p.text);
        return core::ok();
      }));
    }
  }
  if (!r.empty()) return malformed("DISCONNECT trailing bytes");
  return Packet(std::move(d));
}

// ---------------------------------------------------------------------------------------------
// Encoding.

void putU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void putU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}
void putVarint(std::string& out, uint32_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v);
}
core::Status putString(std::string& out, std::string_view s, const char* field) {
  if (s.size() > 0xffff)
    return fail(Errc::kInvalidData, std::string(field) + " longer than 65535 bytes");
  putU16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
  return core::ok();
}
// Fixed header + body.
core::Status frame(uint8_t byte0, const std::string& body, std::string& out) {
  if (body.size() > kMaxRemainingLength)
    return fail(Errc::kInvalidData, "packet too large for MQTT");
  out.push_back(static_cast<char>(byte0));
  putVarint(out, static_cast<uint32_t>(body.size()));
  out.append(body);
  return core::ok();
}

}  // namespace

std::string_view versionName(Version v) { return v == Version::kV5 ? "5" : "3.1.1"; }

std::string_view packetTypeName(PacketType t) {
  static constexpr std::array<std::string_view, 16> kNames = {
      "RESERVED", "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
      "PUBREL",   "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
      "PINGREQ",  "PINGRESP", "DISCONNECT", "AUTH"};
  auto i = static_cast<size_t>(t);
  return i < kNames.size() ? kNames[i] : "RESERVED";
}

core::Result<std::optional<FixedHeader>> parseFixedHeader(std::span<const uint8_t> data) {
  if (data.empty()) return std::optional<FixedHeader>();
  FixedHeader h;
  uint8_t type = data[0] >> 4;
  if (type == 0) return malformed("reserved packet type 0");
  h.type = static_cast<PacketType>(type);
  h.flags = data[0] & 0x0f;
  uint32_t value = 0;
  for (size_t i = 1; i <= 4; ++i) {
    if (i >= data.size()) return std::optional<FixedHeader>();
    uint8_t b = data[i];
    value |= static_cast<uint32_t>(b & 0x7f) << (7 * (i - 1));
    if ((b & 0x80) == 0) {
      h.remaining = value;
      h.header_size = static_cast<uint8_t>(i + 1);
      return std::optional<FixedHeader>(h);
    }
  }
  return malformed("remaining length longer than 4 bytes");
}

core::Result<Packet> decodePacket(const FixedHeader& h, std::span<const uint8_t> body,
                                  Version version) {
  if (body.size() != h.remaining) return malformed("body size differs from remaining length");
  Reader r(body);
  switch (h.type) {
    case PacketType::kConnack:
      return decodeConnack(h, r, version);
    case PacketType::kPublish:
      return decodePublish(h, r, version);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
    case PacketType::kUnsuback:
      return decodeAck(h, r, version);
    case PacketType::kSuback:
      return decodeSuback(h, r, version);
    case PacketType::kPingresp:
      if (h.flags != 0 || h.remaining != 0) return malformed("PINGRESP with body or flags");
      return Packet(Pingresp{});
    case PacketType::kDisconnect:
      return decodeDisconnect(h, r, version);
    case PacketType::kAuth:
      return fail(Errc::kUnsupported, "AUTH packets (enhanced authentication) are not supported");
    default:
      return fail(Errc::kUnsupported,
                  "a server never sends " + std::string(packetTypeName(h.type)) + " to a client");
  }
}

core::Result<std::optional<PublishHead>> decodePublishHead(uint8_t flags,
                                                           std::span<const uint8_t> prefix) {
  PublishHead head;
  head.qos = static_cast<uint8_t>((flags >> 1) & 3);
  if (head.qos == 3) return malformed("PUBLISH QoS 3");
  Reader r(prefix);
  std::string_view topic;
  if (!r.lengthPrefixed(topic)) return std::optional<PublishHead>();
  if (head.qos > 0) {
    if (!r.u16(head.packet_id)) return std::optional<PublishHead>();
    if (head.packet_id == 0) return malformed("PUBLISH packet id 0");
  }
  head.topic = std::string(topic);
  return std::optional<PublishHead>(std::move(head));
}

core::Status encodeConnect(const ConnectOptions& o, std::string& out) {
  std::string body;
  SF_TRY(putString(body, "MQTT", "protocol name"));
  body.push_back(static_cast<char>(o.version));
  uint8_t flags = 0;
  if (o.clean_start) flags |= 0x02;
  if (o.will) {
    if (o.will->qos > 2) return fail(Errc::kInvalidData, "will QoS above 2");
    flags |= 0x04 | static_cast<uint8_t>(o.will->qos << 3);
    if (o.will->retain) flags |= 0x20;
  }
  if (o.password) flags |= 0x40;
  if (o.username) flags |= 0x80;
  if (o.password && !o.username && o.version == Version::kV311) {
    return fail(Errc::kInvalidData, "MQTT 3.1.1 needs a username to send a password");
  }
  body.push_back(static_cast<char>(flags));
  putU16(body, o.keep_alive_s);
  if (o.version == Version::kV5) {
    std::string props;
    if (o.session_expiry_s != 0) {
      props.push_back(0x11);
      putU32(props, o.session_expiry_s);
    }
    if (o.receive_maximum != 65535) {
      if (o.receive_maximum == 0) return fail(Errc::kInvalidData, "receive maximum 0");
      props.push_back(0x21);
      putU16(props, o.receive_maximum);
    }
    if (o.maximum_packet_size) {
      props.push_back(0x27);
      putU32(props, *o.maximum_packet_size);
    }
    putVarint(body, static_cast<uint32_t>(props.size()));
    body.append(props);
  }
  SF_TRY(putString(body, o.client_id, "client id"));
  if (o.will) {
    if (o.version == Version::kV5) putVarint(body, 0);  // no will properties
    SF_TRY(putString(body, o.will->topic, "will topic"));
    SF_TRY(putString(body, o.will->payload, "will payload"));
  }
  if (o.username) SF_TRY(putString(body, *o.username, "username"));
  if (o.password) SF_TRY(putString(body, *o.password, "password"));
  return frame(0x10, body, out);
}

core::Status encodeSubscribe(uint16_t packet_id, const std::vector<SubscribeFilter>& filters,
                             Version version, std::string& out) {
  if (filters.empty()) return fail(Errc::kInvalidData, "SUBSCRIBE without filters");
  if (packet_id == 0) return fail(Errc::kInvalidData, "packet id 0");
  std::string body;
  putU16(body, packet_id);
  if (version == Version::kV5) putVarint(body, 0);
  for (const auto& f : filters) {
    if (f.qos > 2) return fail(Errc::kInvalidData, "subscription QoS above 2");
    SF_TRY(putString(body, f.filter, "topic filter"));
    uint8_t opts = f.qos;
    if (version == Version::kV5) {
      if (f.no_local) opts |= 0x04;
      if (f.retain_as_published) opts |= 0x08;
      opts |= static_cast<uint8_t>((f.retain_handling & 3) << 4);
    }
    body.push_back(static_cast<char>(opts));
  }
  return frame(0x82, body, out);
}

void encodeAck(PacketType type, uint16_t packet_id, Version version, std::string& out,
               uint8_t reason) {
  uint8_t byte0 = static_cast<uint8_t>(static_cast<uint8_t>(type) << 4);
  if (type == PacketType::kPubrel) byte0 |= 0x02;
  out.push_back(static_cast<char>(byte0));
  if (version == Version::kV5 && reason != 0) {
    out.push_back(3);
    putU16(out, packet_id);
    out.push_back(static_cast<char>(reason));
  } else {
    out.push_back(2);
    putU16(out, packet_id);
  }
}

core::Status encodePublish(std::string_view topic, std::string_view payload, uint8_t qos,
                           bool retain, bool dup, uint16_t packet_id, Version version,
                           std::string& out) {
  if (qos > 2) return fail(Errc::kInvalidData, "PUBLISH QoS above 2");
  if (qos > 0 && packet_id == 0) return fail(Errc::kInvalidData, "packet id 0");
  std::string body;
  body.reserve(topic.size() + payload.size() + 8);
  SF_TRY(putString(body, topic, "topic"));
  if (qos > 0) putU16(body, packet_id);
  if (version == Version::kV5) putVarint(body, 0);
  body.append(payload);
  uint8_t byte0 = static_cast<uint8_t>(0x30 | (qos << 1));
  if (retain) byte0 |= 1;
  if (dup) byte0 |= 0x08;
  return frame(byte0, body, out);
}

void encodePingreq(std::string& out) {
  out.push_back(static_cast<char>(0xC0));
  out.push_back(0);
}

void encodeDisconnect(Version version, uint8_t reason, std::string& out) {
  out.push_back(static_cast<char>(0xE0));
  if (version == Version::kV5 && reason != 0) {
    out.push_back(1);
    out.push_back(static_cast<char>(reason));
  } else {
    out.push_back(0);
  }
}

std::string reasonCodeText(uint8_t code) {
  const char* text = "unknown reason";
  switch (code) {
    case 0x00:
      text = "success";
      break;
    case 0x04:
      text = "disconnect with will message";
      break;
    case 0x80:
      text = "unspecified error";
      break;
    case 0x81:
      text = "malformed packet";
      break;
    case 0x82:
      text = "protocol error";
      break;
    case 0x83:
      text = "implementation specific error";
      break;
    case 0x84:
      text = "unsupported protocol version";
      break;
    case 0x85:
      text = "client identifier not valid";
      break;
    case 0x86:
      text = "bad user name or password";
      break;
    case 0x87:
      text = "not authorized";
      break;
    case 0x88:
      text = "server unavailable";
      break;
    case 0x89:
      text = "server busy";
      break;
    case 0x8A:
      text = "banned";
      break;
    case 0x8B:
      text = "server shutting down";
      break;
    case 0x8C:
      text = "bad authentication method";
      break;
    case 0x8D:
      text = "keep alive timeout";
      break;
    case 0x8E:
      text = "session taken over";
      break;
    case 0x8F:
      text = "topic filter invalid";
      break;
    case 0x90:
      text = "topic name invalid";
      break;
    case 0x93:
      text = "receive maximum exceeded";
      break;
    case 0x94:
      text = "topic alias invalid";
      break;
    case 0x95:
      text = "packet too large";
      break;
    case 0x97:
      text = "quota exceeded";
      break;
    case 0x99:
      text = "payload format invalid";
      break;
    case 0x9A:
      text = "retain not supported";
      break;
    case 0x9B:
      text = "QoS not supported";
      break;
    case 0x9C:
      text = "use another server";
      break;
    case 0x9D:
      text = "server moved";
      break;
    case 0x9E:
      text = "shared subscriptions not supported";
      break;
    case 0x9F:
      text = "connection rate exceeded";
      break;
    case 0xA1:
      text = "subscription identifiers not supported";
      break;
    case 0xA2:
      text = "wildcard subscriptions not supported";
      break;
    default:
      break;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", code);
  return std::string(buf) + " " + text;
}

std::string connackReasonText(Version version, uint8_t code) {
  if (version == Version::kV5) return reasonCodeText(code);
  switch (code) {
    case 0:
      return "accepted";
    case 1:
      return "unacceptable protocol version";
    case 2:
      return "identifier rejected";
    case 3:
      return "server unavailable";
    case 4:
      return "bad user name or password";
    case 5:
      return "not authorized";
    default:
      return "return code " + std::to_string(code);
  }
}

bool isMqttUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace sf::mqtt
