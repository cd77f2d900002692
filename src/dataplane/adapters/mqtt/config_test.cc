#include "dataplane/adapters/mqtt/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/parse.h"
#include "config/reference.h"
#include "config/registry.h"
#include "dataplane/adapters/mqtt/adapter.h"

namespace sf::mqtt {
namespace {

config::ConfigResult<MqttConfig> parse(const std::string& yaml) {
  return config::parseYaml(yaml, mqttSpec());
}

TEST(MqttConfig, SpecIsConformant) {
  auto problems = config::lintSpec(mqttSpec().object());
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  config::Registry registry;
  auto factory = mqttFactory();
  ASSERT_TRUE(registry.add(factory.info));
  auto issues =
      config::checkComponent(*registry.find(config::ComponentKind::kAdapter, "mqtt"), registry);
  EXPECT_TRUE(issues.empty()) << ::testing::PrintToString(issues);
}

TEST(MqttConfig, FullExampleParses) {
  auto c = parse(R"(
name: plant_broker
host: 10.0.0.20
port: 8883
version: "3.1.1"
client_id: sf-gw1
session_expiry: 2d
keep_alive: 20s
username: gw
password: secret
tls:
  ca_file: /etc/ca.pem
  cert_file: /etc/gw.crt
  key_file: /etc/gw.key
subscriptions:
  - topic: plant/{site}/{device}/{tag}
    qos: 2
    share_group: gws
    format: value
  - topic: spBv1.0/Plant1/#
    format: sparkplug
  - topic: application/+/device/+/event/up
    format: chirpstack
    decoders:
      - {fport: 1, type: lpp}
      - type: layout
        fields: [{name: t, offset: 0, type: i16, scale: 0.1}]
  - topic: lines/{device}
    devices: [m1, m2]
    fields:
      - {tag: speed, value: s}
sparkplug:
  host_id: gw1
  rebirth_interval: 10s
tags:
  - {device: Plant1.edge1, tag: Inputs/Temp}
)");
  ASSERT_TRUE(c.has_value()) << c.errorText();
  EXPECT_EQ(c->version, ProtocolVersion::kV311);
  EXPECT_EQ(c->session_expiry, std::chrono::hours(48));
  EXPECT_EQ(c->subscriptions[0].qos, 2);
  EXPECT_EQ(c->subscriptions[1].format, PayloadFormat::kSparkplug);
  EXPECT_EQ(c->subscriptions[2].decoders[1].fields[0].type, LayoutType::kI16);
  ASSERT_TRUE(c->tls);
  EXPECT_TRUE(c->tls->verify_hostname);
  auto tags = declaredTags(*c);
  ASSERT_EQ(tags.size(), 3u);  // the explicit tag + speed for m1 and m2
  EXPECT_EQ(tags[0].adapter, "plant_broker");
  EXPECT_EQ(tags[1].device, "m1");
  EXPECT_EQ(tags[2].device, "m2");
  EXPECT_EQ(tags[2].tag, "speed");

  auto opts = MqttAdapter::clientOptions(*c, "gw1");
  EXPECT_EQ(opts.subscriptions[0].filter, "$share/gws/plant/+/+/+");
  EXPECT_EQ(opts.subscriptions[0].qos, 2);
  EXPECT_EQ(opts.subscriptions.back().filter, "spBv1.0/STATE/gw1");  // not covered by Plant1/#
  EXPECT_EQ(opts.connect.version, Version::kV311);
  EXPECT_FALSE(opts.connect.clean_start);
  EXPECT_EQ(opts.connect.session_expiry_s, 172800u);
  EXPECT_EQ(*opts.connect.password, "secret");
}

TEST(MqttConfig, ErrorsAreLocated) {
  auto c = parse(R"(
name: b
host: h
subscriptions:
  - topic: a/{x}/b{y}
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("/subscriptions/0/topic"), std::string::npos) << c.errorText();

  c = parse(R"(
name: b
host: h
subscriptions:
  - topic: a/b
    fields: [{tag: t, value: v}]
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("/subscriptions/0/fields/0/device"), std::string::npos)
      << c.errorText();

  c = parse(R"(
name: b
host: h
subscriptions:
  - topic: spBv1.0/#
    format: sparkplug
    share_group: g
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("share_group"), std::string::npos) << c.errorText();

  c = parse(R"(
name: b
host: h
version: "3.1.1"
password: p
subscriptions: [{topic: a, format: value}]
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("/password"), std::string::npos) << c.errorText();
  c = parse(R"(
name: b
host: h
subscriptions: [{topic: a, format: value, decoders: [{type: lpp}]}]
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("/subscriptions/0/decoders"), std::string::npos) << c.errorText();

  c = parse(R"(
name: b
host: h
unknown_key: 1
subscriptions: [{topic: a}]
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("unknown_key"), std::string::npos);

  c = parse(R"(
name: b
host: h
subscriptions:
  - topic: t
    format: tts
    decoders: [{type: layout, fields: [{name: a, type: u8, bit: 3}]}]
)");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.errorText().find("bit"), std::string::npos) << c.errorText();
}

TEST(MqttConfig, SecretsAreRedacted) {
  auto c = parse(R"(
name: b
host: h
username: u
password: hunter2
subscriptions: [{topic: a}]
)");
  ASSERT_TRUE(c.has_value());
  auto rendered = config::render(mqttSpec(), *c).dump();
  EXPECT_EQ(rendered.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace sf::mqtt
