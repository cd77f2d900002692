#include "dataplane/adapters/mqtt/packet.h"

#include <gtest/gtest.h>

#include "dataplane/adapters/mqtt/topic.h"

namespace sf::mqtt {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

core::Result<Packet> decodeAll(const std::string& wire, Version v) {
  auto h = parseFixedHeader(bytes(wire));
  if (!h) return core::fail(h.error());
  if (!*h) return core::fail(core::Errc::kInvalidData, "incomplete");
  return decodePacket(**h, bytes(wire).subspan((*h)->header_size), v);
}

TEST(MqttPacket, FixedHeaderNeedsMoreBytesThenParses) {
  std::string wire = "\x30";
  auto h = parseFixedHeader(bytes(wire));
  ASSERT_TRUE(h);
  EXPECT_FALSE(*h);
  wire = std::string("\x30\xC1", 2);  // continuation bit set, next byte missing
  h = parseFixedHeader(bytes(wire));
  ASSERT_TRUE(h);
  EXPECT_FALSE(*h);
  wire = std::string("\x30\xC1\x02", 3);  // 65 + 2*128 = 321
  h = parseFixedHeader(bytes(wire));
  ASSERT_TRUE(h && *h);
  EXPECT_EQ((*h)->remaining, 321u);
  EXPECT_EQ((*h)->header_size, 3);
  EXPECT_EQ((*h)->type, PacketType::kPublish);
}

TEST(MqttPacket, FixedHeaderRejectsFiveByteLengthAndTypeZero) {
  std::string wire("\x30\xFF\xFF\xFF\xFF\x01", 6);
  EXPECT_FALSE(parseFixedHeader(bytes(wire)));
  wire = std::string("\x00\x00", 2);
  EXPECT_FALSE(parseFixedHeader(bytes(wire)));
  wire = std::string("\x30\xFF\xFF\xFF\x7F", 5);
  auto h = parseFixedHeader(bytes(wire));
  ASSERT_TRUE(h && *h);
  EXPECT_EQ((*h)->remaining, kMaxRemainingLength);
}

TEST(MqttPacket, ConnectV311WithCredentialsAndWill) {
  ConnectOptions o;
  o.version = Version::kV311;
  o.client_id = "gw1";
  o.clean_start = false;
  o.keep_alive_s = 30;
  o.username = "u";
  o.password = "p";
  o.will = Will{"t/w", "bye", 1, true};
  std::string out;
  ASSERT_TRUE(encodeConnect(o, out));
  // 10 0x?? 00 04 MQTT 04 flags 00 1e ...
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x10);
  EXPECT_EQ(out.substr(2, 6), std::string("\x00\x04MQTT", 6));
  EXPECT_EQ(out[8], 4);
  // username, password, will retain, will QoS 1, will flag; clean session off.
  EXPECT_EQ(static_cast<uint8_t>(out[9]), 0x80 | 0x40 | 0x20 | 0x08 | 0x04);
  EXPECT_EQ(static_cast<uint8_t>(out[10]), 0);
  EXPECT_EQ(static_cast<uint8_t>(out[11]), 30);
  EXPECT_NE(out.find("gw1"), std::string::npos);
  EXPECT_NE(out.find("bye"), std::string::npos);
}

TEST(MqttPacket, ConnectV5CarriesSessionExpiryAndReceiveMaximum) {
  ConnectOptions o;
  o.version = Version::kV5;
  o.client_id = "c";
  o.clean_start = true;
  o.session_expiry_s = 3600;
  o.receive_maximum = 100;
  std::string out;
  ASSERT_TRUE(encodeConnect(o, out));
  EXPECT_EQ(out[8], 5);
  EXPECT_EQ(static_cast<uint8_t>(out[9]), 0x02);
  // properties: length 8: 0x11 + 4 bytes, 0x21 + 2 bytes
  EXPECT_EQ(out[12], 8);
  EXPECT_EQ(out.substr(13, 8), std::string("\x11\x00\x00\x0E\x10\x21\x00\x64", 8));
}

TEST(MqttPacket, ConnectV311PasswordWithoutUserIsRefused) {
  ConnectOptions o;
  o.version = Version::kV311;
  o.password = "p";
  std::string out;
  EXPECT_FALSE(encodeConnect(o, out));
}

TEST(MqttPacket, ConnackBothVersions) {
  auto p = decodeAll(std::string("\x20\x02\x01\x00", 4), Version::kV311);
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::get<Connack>(*p).session_present);
  // v5: session present, success, properties: receive maximum 10, assigned id "x", max qos 1
  std::string v5("\x20\x0C\x01\x00\x09\x21\x00\x0A\x12\x00\x01x\x24\x01", 14);
  p = decodeAll(v5, Version::kV5);
  ASSERT_TRUE(p) << p.error().message;
  const auto& c = std::get<Connack>(*p);
  EXPECT_EQ(c.receive_maximum, 10);
  EXPECT_EQ(c.assigned_client_id, "x");
  EXPECT_EQ(c.maximum_qos, 1);
  // Reserved flag bits set -> malformed.
  EXPECT_FALSE(decodeAll(std::string("\x20\x02\x02\x00", 4), Version::kV311));
  // Unknown property -> malformed.
  EXPECT_FALSE(decodeAll(std::string("\x20\x05\x00\x00\x02\x7F\x00", 7), Version::kV5));
}

TEST(MqttPacket, PublishRoundTripV311AndV5) {
  for (Version v : {Version::kV311, Version::kV5}) {
    std::string wire;
    ASSERT_TRUE(encodePublish("a/b", "payload", 1, true, true, 7, v, wire));
    auto p = decodeAll(wire, v);
    ASSERT_TRUE(p) << p.error().message;
    const auto& pub = std::get<Publish>(*p);
    EXPECT_EQ(pub.topic, "a/b");
    EXPECT_EQ(pub.payload, "payload");
    EXPECT_EQ(pub.qos, 1);
    EXPECT_TRUE(pub.retain);
    EXPECT_TRUE(pub.dup);
    EXPECT_EQ(pub.packet_id, 7);
  }
}

TEST(MqttPacket, PublishV5PropertiesAndErrors) {
  // QoS 0, topic "t", properties: payload format 1, content type "a/j", user property k=v.
  std::string body = std::string("\x00\x01t", 3) +
                     std::string(
                         "\x0F\x01\x01\x03\x00\x03"
                         "a/j"
                         "\x26\x00\x01k\x00\x01v",
                         16) +
                     "xyz";
  std::string wire = std::string(1, '\x30') + std::string(1, static_cast<char>(body.size())) + body;
  auto p = decodeAll(wire, Version::kV5);
  ASSERT_TRUE(p) << p.error().message;
  const auto& pub = std::get<Publish>(*p);
  EXPECT_EQ(pub.content_type, "a/j");
  EXPECT_EQ(pub.payload_format, 1);
  EXPECT_EQ(pub.payload, "xyz");
  // QoS 3 is malformed, packet id 0 too.
  EXPECT_FALSE(decodeAll(std::string("\x36\x05\x00\x01t\x00\x01", 7), Version::kV311));
  EXPECT_FALSE(decodeAll(std::string("\x32\x05\x00\x01t\x00\x00", 7), Version::kV311));
  // Truncated topic.
  EXPECT_FALSE(decodeAll(std::string("\x30\x02\x00\x05", 4), Version::kV311));
}

TEST(MqttPacket, AcksSubackDisconnect) {
  std::string out;
  encodeAck(PacketType::kPuback, 0x1234, Version::kV5, out);
  EXPECT_EQ(out, std::string("\x40\x02\x12\x34", 4));
  out.clear();
  encodeAck(PacketType::kPubrel, 1, Version::kV311, out);
  EXPECT_EQ(out, std::string("\x62\x02\x00\x01", 4));
  auto p = decodeAll(std::string("\x62\x02\x00\x09", 4), Version::kV311);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<Ack>(*p).type, PacketType::kPubrel);
  EXPECT_EQ(std::get<Ack>(*p).packet_id, 9);
  // PUBREL with wrong flags.
  EXPECT_FALSE(decodeAll(std::string("\x60\x02\x00\x09", 4), Version::kV311));
  // v5 PUBACK with reason and empty properties.
  p = decodeAll(std::string("\x40\x04\x00\x02\x10\x00", 6), Version::kV5);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<Ack>(*p).reason, 0x10);
  // SUBACK granting 1 and refusing the second.
  p = decodeAll(std::string("\x90\x04\x00\x05\x01\x80", 6), Version::kV311);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<Suback>(*p).reasons, (std::vector<uint8_t>{1, 0x80}));
  p = decodeAll(std::string("\xE0\x02\x8E\x00", 4), Version::kV5);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<Disconnect>(*p).reason, 0x8E);
  EXPECT_FALSE(decodeAll(std::string("\xD0\x01\x00", 3), Version::kV311));  // PINGRESP with body
  EXPECT_EQ(decodeAll(std::string("\x10\x00", 2), Version::kV311).error().code,
            core::Errc::kUnsupported);
}

TEST(MqttPacket, SubscribeEncodesOptions) {
  std::string out;
  ASSERT_TRUE(
      encodeSubscribe(3, {{"a/+", 1, false, false, 1}, {"$share/g/b/#", 2}}, Version::kV5, out));
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x82);
  EXPECT_EQ(out.substr(2, 3), std::string("\x00\x03\x00", 3));
  EXPECT_EQ(out.substr(5, 6), std::string("\x00\x03"
                                          "a/+"
                                          "\x11",
                                          6));
  out.clear();
  EXPECT_FALSE(encodeSubscribe(0, {{"a", 1}}, Version::kV5, out));
  EXPECT_FALSE(encodeSubscribe(1, {}, Version::kV5, out));
}

TEST(MqttPacket, PublishHeadOfOversizedMessage) {
  std::string prefix(
      "\x00\x03"
      "a/b"
      "\x00\x2A",
      7);
  auto h = decodePublishHead(0x02, bytes(prefix));
  ASSERT_TRUE(h && *h);
  EXPECT_EQ((*h)->topic, "a/b");
  EXPECT_EQ((*h)->packet_id, 42);
  auto partial = decodePublishHead(0x02, bytes(prefix.substr(0, 4)));
  ASSERT_TRUE(partial);
  EXPECT_FALSE(*partial);
}

TEST(MqttPacket, Utf8Validation) {
  EXPECT_TRUE(isMqttUtf8("plant/1/temp"));
  EXPECT_TRUE(isMqttUtf8("\xC3\xA4"));
  EXPECT_FALSE(isMqttUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(isMqttUtf8("\xC3"));
  EXPECT_FALSE(isMqttUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(isMqttUtf8("\xC0\x80"));      // overlong
}

TEST(MqttTopic, FilterMatching) {
  EXPECT_TRUE(topicMatches("a/b", "a/b"));
  EXPECT_TRUE(topicMatches("a/+", "a/b"));
  EXPECT_FALSE(topicMatches("a/+", "a/b/c"));
  EXPECT_TRUE(topicMatches("a/#", "a"));
  EXPECT_TRUE(topicMatches("a/#", "a/b/c"));
  EXPECT_TRUE(topicMatches("#", "x/y"));
  EXPECT_FALSE(topicMatches("#", "$SYS/x"));
  EXPECT_FALSE(topicMatches("+/x", "$SYS/x"));
  EXPECT_TRUE(topicMatches("$SYS/#", "$SYS/x"));
  EXPECT_TRUE(topicMatches("+/+", "/finance"));
  EXPECT_TRUE(topicMatches("a/+/c", "a//c"));
  EXPECT_FALSE(topicMatches("a/b", "a/b/"));
  EXPECT_TRUE(topicMatches("a/b/+", "a/b/"));
  EXPECT_FALSE(topicMatches("a/+", "a"));
}

TEST(MqttTopic, FilterValidation) {
  EXPECT_TRUE(validateFilter("a/+/#"));
  EXPECT_FALSE(validateFilter("a/#/b"));
  EXPECT_FALSE(validateFilter("a/b#"));
  EXPECT_FALSE(validateFilter("a/b+/c"));
  EXPECT_FALSE(validateFilter(""));
  EXPECT_EQ(*sharedFilter("gw", "a/+"), "$share/gw/a/+");
  EXPECT_FALSE(sharedFilter("g/w", "a"));
}

TEST(MqttTopic, TemplatesCapture) {
  auto t = TopicTemplate::parse("plant/{site}/{device}/{tag}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->filter(), "plant/+/+/+");
  std::vector<Capture> c;
  ASSERT_TRUE(t->match("plant/s1/pump1/temp", c));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].name, "site");
  EXPECT_EQ(c[0].value, "s1");
  EXPECT_EQ(c[2].value, "temp");
  EXPECT_FALSE(t->match("plant/s1/pump1", c));

  auto rest = TopicTemplate::parse("sensors/{device}/{tag#}");
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->filter(), "sensors/+/#");
  ASSERT_TRUE(rest->match("sensors/d1/a/b/c", c));
  EXPECT_EQ(c[1].value, "a/b/c");
  EXPECT_FALSE(rest->match("sensors/d1", c));

  EXPECT_FALSE(TopicTemplate::parse("a/{x#}/b"));
  EXPECT_FALSE(TopicTemplate::parse("a/pre{x}"));
  EXPECT_FALSE(TopicTemplate::parse("a/{Bad}"));
  EXPECT_FALSE(TopicTemplate::parse("a/{x}/{x}"));
  auto plain = TopicTemplate::parse("a/+/#");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->match("a/b/c/d", c));
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace sf::mqtt
