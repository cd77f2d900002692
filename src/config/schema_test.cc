#include "config/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "config/test_components.h"

namespace sf::config {
namespace {

using namespace std::chrono_literals;

struct Small {
  std::string name;
  uint16_t port = 8080;
  std::chrono::milliseconds interval{500};
  std::string token;
  std::vector<std::string> tags;
  bool verbose = false;
};

Spec<Small> smallSpec() {
  Spec<Small> s("small", "A small sample.");
  s.option("name", &Small::name).required().doc("Name.").example("a");
  s.option("port", &Small::port).range(1024, 65535).doc("Port.");
  s.option("interval", &Small::interval).min(10ms).doc("Interval.");
  s.option("token", &Small::token).secret().doc("Token.").example("${TOKEN}");
  s.option("tags", &Small::tags).nonEmpty().doc("Tags.");
  s.option("verbose", &Small::verbose).advanced().doc("Verbose.");
  return s;
}

TEST(Schema, SmallSpecExactly) {
  Json expected = Json::parse(R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamforge.example/schemas/small.json",
  "title": "small",
  "type": "object",
  "description": "A small sample.",
  "properties": {
    "name": {"type": "string", "description": "Name.", "examples": ["a"]},
    "port": {"type": "integer", "minimum": 1024, "maximum": 65535, "description": "Port.",
             "default": 8080},
    "interval": {"type": "string",
                 "pattern": "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h|d))+)$",
                 "x-type": "duration", "x-minimum": "10ms", "description": "Interval.",
                 "default": "500ms"},
    "token": {"type": "string", "description": "Token.", "examples": ["${TOKEN}"],
              "writeOnly": true, "x-secret": true},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1,
             "description": "Tags.", "default": []},
    "verbose": {"type": "boolean", "description": "Verbose.", "default": false,
                "x-advanced": true}
  },
  "required": ["name"],
  "additionalProperties": false
})");
  Json got =
      jsonSchema(smallSpec().object(),
                 SchemaOptions{nullptr, "https://streamforge.example/schemas/small.json", ""});
  EXPECT_EQ(got, expected) << got.dump(2);  // ordered: key order is part of determinism
}

TEST(Schema, PolymorphicListsAreOneOfWithConstDiscriminator) {
  Registry registry = testing::demoRegistry();
  Json s = jsonSchema(testing::demoGatewaySpec().object(), SchemaOptions{&registry, "", ""});
  const Json& items = s["properties"]["adapters"]["items"];
  EXPECT_EQ(items["oneOf"], Json::parse(R"([{"$ref": "#/$defs/adapter.demo_modbus"},
                                            {"$ref": "#/$defs/adapter.demo_mqtt"}])"));
  EXPECT_EQ(s["properties"]["outputs"]["items"]["oneOf"],
            Json::parse(R"([{"$ref": "#/$defs/output.demo_kafka"}])"));
  const Json& modbus = s["$defs"]["adapter.demo_modbus"];
  EXPECT_EQ(modbus["title"], "demo_modbus");
  EXPECT_EQ(modbus["properties"]["type"]["const"], "demo_modbus");
  EXPECT_EQ(modbus["required"], Json::parse(R"(["type", "host", "devices"])"));
  EXPECT_EQ(modbus["additionalProperties"], false);
  // Nested lists of objects are inlined with their own required/additionalProperties.
  const Json& registers =
      modbus["properties"]["devices"]["items"]["properties"]["registers"]["items"];
  EXPECT_EQ(registers["additionalProperties"], false);
  EXPECT_EQ(registers["required"], Json::parse(R"(["tag", "address"])"));
  EXPECT_EQ(registers["properties"]["table"]["enum"], (Json{"holding", "input", "coil"}));
  EXPECT_EQ(registers["properties"]["address"]["maximum"], 65535);  // from uint16_t
  EXPECT_EQ(modbus["properties"]["unlock_code"]["writeOnly"], true);
  EXPECT_EQ(modbus["properties"]["unlock_code"].contains("default"), false);
  EXPECT_EQ(modbus["properties"]["tls"]["x-advanced"], true);
  EXPECT_EQ(modbus["properties"]["tls"]["properties"]["key_password"]["x-secret"], true);
  EXPECT_EQ(modbus["properties"]["labels"]["additionalProperties"], (Json{{"type", "string"}}));
  const Json& kafka = s["$defs"]["output.demo_kafka"];
  EXPECT_EQ(kafka["properties"]["batch_bytes"]["minimum"], 1024);
  EXPECT_EQ(kafka["properties"]["batch_bytes"]["maximum"], 64 << 20);
  EXPECT_EQ(kafka["properties"]["batch_bytes"]["x-maximum"], "64MiB");
  EXPECT_EQ(kafka["properties"]["batch_bytes"]["default"], "1MiB");
  // Deterministic.
  EXPECT_EQ(
      s.dump(),
      jsonSchema(testing::demoGatewaySpec().object(), SchemaOptions{&registry, "", ""}).dump());
}

TEST(Schema, WithoutRegistryComponentsNeedAStringType) {
  Json s = jsonSchema(testing::demoGatewaySpec().object());
  EXPECT_EQ(s["properties"]["adapters"]["items"],
            Json::parse(R"({"type": "object", "properties": {"type": {"type": "string"}},
                            "required": ["type"]})"));
  EXPECT_FALSE(s.contains("$defs"));
}

TEST(Schema, ComponentSchemaStandsAlone) {
  Registry registry = testing::demoRegistry();
  Json s = componentSchema(*registry.find(ComponentKind::kAdapter, "demo_mqtt"));
  EXPECT_EQ(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(s["title"], "demo_mqtt");
  EXPECT_EQ(s["properties"]["type"]["const"], "demo_mqtt");
  EXPECT_EQ(s["properties"]["format"]["enum"], Json::parse(R"(["json", "sparkplug_b"])"));
  EXPECT_EQ(s["properties"]["qos"]["minimum"], 0);
  EXPECT_EQ(s["properties"]["qos"]["maximum"], 2);
}

// The patterns the UI validates with must agree with what the parser accepts.
TEST(Schema, PatternsAgreeWithParsers) {
  std::regex duration{std::string(kDurationPattern)};
  for (const char* s :
       {"250ms", "5s", "1m30s", "1.5h", "7d", "0", "100us", "5", "5 s", "-1s", "1x", "", "s"}) {
    EXPECT_EQ(std::regex_match(s, duration), parseDuration(s).has_value()) << s;
  }
  std::regex bytes{std::string(kByteSizePattern)};
  for (const char* s :
       {"64MiB", "10MB", "512", "512B", "1.5GiB", "64 MiB", "64M", "-1", "MiB", "1kB", "1KB", ""}) {
    EXPECT_EQ(std::regex_match(s, bytes), parseByteSize(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace sf::config
