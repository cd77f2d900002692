#include "config/parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "config/test_components.h"

namespace sf::config {
namespace {

using namespace std::chrono_literals;
using testing::DemoGatewayConfig;
using testing::demoGatewaySpec;
using testing::DemoKafkaConfig;
using testing::DemoModbusConfig;
using testing::DemoMqttConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ParseTest : public ::testing::Test {
 protected:
  ParseOptions options() const { return ParseOptions{"gateway.yaml", &registry_, {}}; }
  ConfigResult<DemoGatewayConfig> parse(std::string_view yaml) const {
    return parseYaml(yaml, demoGatewaySpec(), options());
  }
  // Every error as "file:line:col: path: reason".
  std::vector<std::string> errorsOf(std::string_view yaml) const {
    auto r = parse(yaml);
    EXPECT_FALSE(r.has_value()) << "expected errors for:\n" << yaml;
    std::vector<std::string> out;
    for (const auto& e : r.errors()) out.push_back(e.toString());
    return out;
  }

  Registry registry_ = testing::demoRegistry();
};

TEST_F(ParseTest, ValidConfigFillsTypedStructsAndDefaults) {
  auto r = parse(R"(site: plant1
adapters:
  - type: demo_modbus
    host: 10.0.0.5
    poll_interval: 250ms
    labels: {line: "3"}
    devices:
      - name: pump
        unit_id: 3
        registers:
          - tag: pressure
            address: 0x10
            table: input
            scale: 0.1
          - tag: flow
            address: 2
  - type: demo_mqtt
    broker: tcp://10.0.0.9:1883
    topics: [plant/+/telemetry]
    format: sparkplug_b
outputs:
  - type: demo_kafka
    brokers: [kafka:9092]
    batch_bytes: 4MiB
log_quota: 10GiB
retention: 36h
)");
  ASSERT_TRUE(r) << r.errorText();
  const DemoGatewayConfig& g = *r;
  EXPECT_EQ(g.site, "plant1");
  EXPECT_EQ(g.log_quota, ByteSize::gib(10));
  EXPECT_EQ(g.retention, 36h);
  ASSERT_EQ(g.adapters.size(), 2u);
  EXPECT_EQ(g.adapters[0].kind, ComponentKind::kAdapter);
  EXPECT_EQ(g.adapters[0].type, "demo_modbus");
  EXPECT_EQ(g.adapters[0].as<DemoMqttConfig>(), nullptr);
  const auto* m = g.adapters[0].as<DemoModbusConfig>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host, "10.0.0.5");
  EXPECT_EQ(m->port, 502);             // default
  EXPECT_EQ(m->poll_interval, 250ms);  // parsed duration
  EXPECT_EQ(m->timeout, 5s);           // default
  EXPECT_TRUE(m->enabled);
  EXPECT_EQ(m->retries, 3);
  EXPECT_FALSE(m->tls.has_value());
  EXPECT_EQ(m->labels, (StringMap{{"line", "3"}}));
  ASSERT_EQ(m->devices.size(), 1u);
  EXPECT_EQ(m->devices[0].unit_id, 3);
  ASSERT_EQ(m->devices[0].registers.size(), 2u);
  EXPECT_EQ(m->devices[0].registers[0].address, 16);
  EXPECT_EQ(m->devices[0].registers[0].table, testing::Table::kInput);
  EXPECT_DOUBLE_EQ(m->devices[0].registers[0].scale, 0.1);
  EXPECT_EQ(m->devices[0].registers[1].table, testing::Table::kHolding);  // default
  EXPECT_DOUBLE_EQ(m->devices[0].registers[1].scale, 1.0);
  const auto* q = g.adapters[1].as<DemoMqttConfig>();
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->qos, 1);
  EXPECT_EQ(q->format, "sparkplug_b");
  EXPECT_EQ(q->topics, std::vector<std::string>{"plant/+/telemetry"});
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].as<DemoKafkaConfig>()->batch_bytes, ByteSize::mib(4));
  EXPECT_EQ(g.outputs[0].as<DemoKafkaConfig>()->topic_template, "sf.<site>.<class>");
}

TEST_F(ParseTest, DefaultsComeFromTheSpecPrototype) {
  auto r = parse("site: s\n");
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_TRUE(r->adapters.empty());
  EXPECT_EQ(r->log_quota, ByteSize::gib(1));
  EXPECT_EQ(r->retention, std::chrono::hours(24 * 7));
  // The documented default is what parsing applies.
  const ObjectSpec& spec = demoGatewaySpec().object();
  EXPECT_EQ(*spec.defaultOf(*spec.find("log_quota")), Json("1GiB"));
  EXPECT_EQ(*spec.defaultOf(*spec.find("retention")), Json("7d"));
  EXPECT_FALSE(spec.defaultOf(*spec.find("site")).has_value());  // required: no default
}

TEST_F(ParseTest, DefaultValueOverridesTheMemberInitializer) {
  struct S {
    int a = 1;
  };
  Spec<S> spec;
  spec.option("a", &S::a).defaultValue(7).doc("A.");
  EXPECT_EQ(parseYaml("{}", spec)->a, 7);
  EXPECT_EQ(*spec.object().defaultOf(spec.object().options()[0]), Json(7));
}

TEST_F(ParseTest, BaseClassMembersBindDirectly) {
  struct Common {
    std::string name;
    std::chrono::milliseconds timeout{100};
  };
  struct Tcp : Common {
    std::string host;
  };
  Spec<Tcp> spec("tcp");
  spec.option("name", &Common::name).required().doc("n").example("a");
  spec.option("timeout", &Common::timeout).doc("t");
  spec.option("host", &Tcp::host).doc("h");
  auto r = parseYaml("name: a\nhost: h\n", spec);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->name, "a");
  EXPECT_EQ(r->timeout, 100ms);
  EXPECT_EQ(r->host, "h");
  EXPECT_EQ(render(spec, *r), (Json{{"name", "a"}, {"timeout", "100ms"}, {"host", "h"}}));
}

TEST_F(ParseTest, ErrorCarriesFileLineColumnAndPointer) {
  auto r = parse(R"(site: plant1
adapters:
  - type: demo_mqtt
    broker: a
    topics: [t]
  - type: demo_mqtt
    broker: b
    topics: [t]
  - type: demo_modbus
    host: 10.0.0.5
    devices:
      - name: d
        registers: [{tag: a, address: 1}]
    port: 70000
)");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.errors().size(), 1u);
  const ConfigError& e = r.errors()[0];
  EXPECT_EQ(e.code, ConfigErrc::kRange);
  EXPECT_EQ(e.file, "gateway.yaml");
  EXPECT_EQ(e.mark, (Mark{14, 11}));
  EXPECT_EQ(e.path, "/adapters/2/port");
  EXPECT_EQ(e.toString(), "gateway.yaml:14:11: /adapters/2/port: 70000 is above the maximum 65535");
  // core::Result bridge: one kInvalidConfig error listing everything.
  auto as_result = std::move(r).toResult();
  ASSERT_FALSE(as_result);
  EXPECT_EQ(as_result.error().code, core::Errc::kInvalidConfig);
  EXPECT_EQ(as_result.error().message, e.toString());
}

TEST_F(ParseTest, UnknownKeysAreRejectedWithSuggestion) {
  EXPECT_THAT(
      errorsOf(R"(site: plant1
adapters:
  - type: demo_modbus
    host: h
    prot: 502
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
  - type: demo_mqtt
    broker: b
    topics: [t]
    colour: red
adapter: []
)"),
      ElementsAre("gateway.yaml:5:5: /adapters/0/prot: unknown option 'prot'; did you mean "
                  "'port'?",
                  "gateway.yaml:10:5: /adapters/1/colour: unknown option 'colour' (expected one "
                  "of: broker, client_id, topics, qos, format, password)",
                  "gateway.yaml:11:1: /adapter: unknown option 'adapter'; did you mean "
                  "'adapters'?"));
  auto r = parse("site: s\nPoll: 1\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].code, ConfigErrc::kUnknownKey);
}

TEST_F(ParseTest, TypeErrorsNameExpectedAndActual) {
  EXPECT_THAT(
      errorsOf(R"(site: plant1
adapters:
  - type: demo_modbus
    host: 10.0.0.5
    port: abc
    enabled: yes
    poll_interval: 5 sec
    timeout: 1500ms
    labels: [a]
    devices: {}
  - type: demo_mqtt
    broker: [x]
    topics: t
    qos: "1"
log_quota: 64M
)"),
      ElementsAre(
          "gateway.yaml:5:11: /adapters/0/port: expected an integer, got 'abc'",
          "gateway.yaml:6:14: /adapters/0/enabled: expected true or false, got 'yes' (YAML 1.1 "
          "yes/no/on/off are not booleans)",
          "gateway.yaml:7:20: /adapters/0/poll_interval: '5 sec' is not a duration: unknown unit "
          "' sec' (use ns, us, ms, s, m, h or d)",
          "gateway.yaml:8:14: /adapters/0/timeout: 1500ms is finer than this option's resolution "
          "of 1s",
          "gateway.yaml:9:13: /adapters/0/labels: expected a map of strings, got a list",
          "gateway.yaml:10:14: /adapters/0/devices: expected a list, got an object",
          "gateway.yaml:12:13: /adapters/1/broker: expected a string, got a list",
          "gateway.yaml:13:13: /adapters/1/topics: expected a list, got 't'",
          "gateway.yaml:14:10: /adapters/1/qos: expected an integer, got the string '1'",
          "gateway.yaml:15:12: /log_quota: '64M' is not a byte size: unknown unit 'M' (expected "
          "e.g. 512B, 64KiB, 10MB, 1GiB)"));
}

TEST_F(ParseTest, RangeErrorsUseTheDocumentedLimits) {
  EXPECT_THAT(errorsOf(R"(site: plant1
adapters:
  - type: demo_modbus
    host: ""
    port: 0
    poll_interval: 5ms
    retries: -1
    devices:
      - name: d
        unit_id: 300
        registers: []
  - type: demo_mqtt
    broker: b
    topics: [t]
    qos: 3
outputs:
  - type: demo_kafka
    brokers: [k]
    batch_bytes: 128MiB
)"),
              ElementsAre("gateway.yaml:4:11: /adapters/0/host: must not be empty",
                          "gateway.yaml:5:11: /adapters/0/port: 0 is below the minimum 1",
                          "gateway.yaml:6:20: /adapters/0/poll_interval: 5ms is below the "
                          "minimum 10ms",
                          "gateway.yaml:7:14: /adapters/0/retries: -1 is below the minimum 0",
                          "gateway.yaml:10:18: /adapters/0/devices/0/unit_id: 300 is above the "
                          "maximum 247",
                          "gateway.yaml:11:20: /adapters/0/devices/0/registers: must not be empty",
                          "gateway.yaml:15:10: /adapters/1/qos: 3 is above the maximum 2",
                          "gateway.yaml:19:18: /outputs/0/batch_bytes: 128MiB is above the "
                          "maximum 64MiB"));
}

TEST_F(ParseTest, EnumErrorsListValuesAndSuggest) {
  EXPECT_THAT(errorsOf(R"(site: plant1
adapters:
  - type: demo_modbus
    host: h
    devices:
      - name: d
        registers:
          - tag: a
            address: 1
            table: holdin
  - type: demo_mqtt
    broker: b
    topics: [t]
    format: xml
)"),
              ElementsAre("gateway.yaml:10:20: /adapters/0/devices/0/registers/0/table: 'holdin' "
                          "is not one of holding, input, coil; did you mean 'holding'?",
                          "gateway.yaml:14:13: /adapters/1/format: 'xml' is not one of json, "
                          "sparkplug_b"));
}

TEST_F(ParseTest, MissingRequiredOptionsPointAtTheObject) {
  auto r = parse(R"(adapters:
  - type: demo_modbus
    devices:
      - name: d
        registers:
          - address: 1
)");
  ASSERT_FALSE(r);
  std::vector<std::string> got;
  for (const auto& e : r.errors()) {
    EXPECT_EQ(e.code, ConfigErrc::kMissing);
    got.push_back(e.toString());
  }
  EXPECT_THAT(got, ElementsAre("gateway.yaml:1:1: /site: missing required option 'site'",
                               "gateway.yaml:2:5: /adapters/0/host: missing required option 'host'",
                               "gateway.yaml:6:13: /adapters/0/devices/0/registers/0/tag: missing "
                               "required option 'tag'"));
}

TEST_F(ParseTest, EveryErrorIsCollectedNotJustTheFirst) {
  auto r = parse(R"(site: [x]
adapters:
  - type: demo_modbus
    port: 70000
    bogus: 1
    devices: [{name: d, registers: [{tag: a, address: -1}]}]
  - type: nope
  - host: h
outputs: {}
retention: 1x
)");
  ASSERT_FALSE(r);
  std::vector<std::pair<ConfigErrc, std::string>> got;
  for (const auto& e : r.errors()) got.emplace_back(e.code, e.path);
  EXPECT_THAT(
      got, ElementsAre(std::pair(ConfigErrc::kType, "/site"),
                       std::pair(ConfigErrc::kMissing, "/adapters/0/host"),
                       std::pair(ConfigErrc::kRange, "/adapters/0/port"),
                       std::pair(ConfigErrc::kUnknownKey, "/adapters/0/bogus"),
                       std::pair(ConfigErrc::kRange, "/adapters/0/devices/0/registers/0/address"),
                       std::pair(ConfigErrc::kUnknownType, "/adapters/1/type"),
                       std::pair(ConfigErrc::kMissing, "/adapters/2/type"),
                       std::pair(ConfigErrc::kType, "/outputs"),
                       std::pair(ConfigErrc::kType, "/retention")));
}

TEST_F(ParseTest, PolymorphicTypeDispatchAndUnknownType) {
  EXPECT_THAT(errorsOf(R"(site: s
adapters:
  - type: demo_modbuss
    host: h
  - type: opcua
  - host: h
  - type: [demo_mqtt]
outputs:
  - type: demo_mqtt
    broker: b
    topics: [t]
)"),
              ElementsAre("gateway.yaml:3:11: /adapters/0/type: unknown adapter type "
                          "'demo_modbuss'; did you mean 'demo_modbus'?",
                          "gateway.yaml:5:11: /adapters/1/type: unknown adapter type 'opcua' "
                          "(registered: demo_modbus, demo_mqtt)",
                          "gateway.yaml:6:5: /adapters/2/type: missing required option 'type' "
                          "(the adapter type: one of demo_modbus, demo_mqtt)",
                          "gateway.yaml:7:11: /adapters/3/type: expected a string, got a list",
                          // an adapter type is not an output type
                          "gateway.yaml:9:11: /outputs/0/type: unknown output type 'demo_mqtt' "
                          "(registered: demo_kafka)"));
  // Each type's own spec validates its object: `topics` is fine for mqtt, unknown for modbus.
  auto r = parse(R"(site: s
adapters:
  - type: demo_modbus
    host: h
    topics: [t]
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].toString(),
            "gateway.yaml:5:5: /adapters/0/topics: unknown option 'topics' (expected one of: "
            "host, port, poll_interval, timeout, enabled, unlock_code, tls, labels, devices, "
            "retries)");
}

TEST_F(ParseTest, PolymorphicOptionWithoutRegistryIsAnInternalError) {
  auto r = parseYaml("site: s\nadapters: [{type: demo_mqtt}]\n", demoGatewaySpec(),
                     ParseOptions{"g.yaml", nullptr, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].code, ConfigErrc::kInternal);
  EXPECT_EQ(r.errors()[0].path, "/adapters/0/type");
}

TEST_F(ParseTest, CrossFieldChecksReportAtTheOffendingValue) {
  EXPECT_THAT(errorsOf(R"(site: s
adapters:
  - type: demo_modbus
    host: h
    devices:
      - name: d
        registers:
          - tag: level
            address: 1
          - tag: level
            address: 2
)"),
              ElementsAre("gateway.yaml:10:18: /adapters/0/devices/0/registers/1/tag: duplicate "
                          "tag 'level' (also registers/0)"));
}

TEST_F(ParseTest, EnclosingChecksStillRunAfterNestedCheckFindings) {
  struct Item {
    std::string name;
    int lo = 0;
    int hi = 0;
  };
  struct Root {
    std::vector<Item> items;
  };
  Spec<Item> item("item");
  item.option("name", &Item::name).doc("n");
  item.option("lo", &Item::lo).doc("l");
  item.option("hi", &Item::hi).doc("h");
  item.check([](const Item& i, Checker& k) {
    if (i.lo > i.hi) k.error("hi", "must be at least lo");
  });
  Spec<Root> root("root");
  root.option("items", &Root::items, item).doc("i");
  root.check([](const Root& r, Checker& k) {
    for (size_t i = 1; i < r.items.size(); ++i) {
      if (r.items[i].name == r.items[0].name) {
        k.error("items/" + std::to_string(i) + "/name", "duplicate name");
      }
    }
  });
  auto both = parseYaml("items:\n  - {name: a, lo: 5, hi: 1}\n  - {name: a}\n", root);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.errorText(),
            "2:26: /items/0/hi: must be at least lo\n3:12: /items/1/name: duplicate name");
  // A value that did not decode keeps its default; checks above it would judge a fiction.
  auto typed = parseYaml("items:\n  - {name: a, lo: x}\n  - {name: a}\n", root);
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.errorText(), "2:19: /items/0/lo: expected an integer, got 'x'");
}

TEST_F(ParseTest, YamlSyntaxErrorHasLineAndColumn) {
  auto r = parse("site: plant1\nadapters: [\n  {type: demo_mqtt\n");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.errors().size(), 1u);
  EXPECT_EQ(r.errors()[0].code, ConfigErrc::kSyntax);
  EXPECT_EQ(r.errors()[0].file, "gateway.yaml");
  EXPECT_TRUE(r.errors()[0].mark.known());
  EXPECT_EQ(r.errors()[0].mark.line, 4);
  EXPECT_THAT(r.errors()[0].toString(), HasSubstr("gateway.yaml:4:1: YAML syntax error: "));

  auto bad_indent = parse("site: plant1\n  adapters: []\n");
  ASSERT_FALSE(bad_indent);
  EXPECT_EQ(bad_indent.errors()[0].toString(),
            "gateway.yaml:2:11: YAML syntax error: illegal map value");

  auto two_docs = parse("site: a\n---\nsite: b\n");
  ASSERT_FALSE(two_docs);
  EXPECT_THAT(two_docs.errors()[0].reason, HasSubstr("expected a single YAML document"));
}

TEST_F(ParseTest, DuplicateKeysAndUnsupportedTags) {
  EXPECT_THAT(errorsOf("site: a\nlog_quota: 1GiB\nsite: b\nretention: !include x.yaml\n"),
              ElementsAre("gateway.yaml:3:1: /site: duplicate key 'site' (first at line 1)",
                          "gateway.yaml:4:12: /retention: unsupported YAML tag '!include'"));
}

TEST_F(ParseTest, EmptyDocumentIsAnEmptyObject) {
  auto r = parse("# nothing yet\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].toString(), "gateway.yaml:1:1: /site: missing required option 'site'");
  auto root_list = parse("- a\n");
  ASSERT_FALSE(root_list);
  EXPECT_EQ(root_list.errors()[0].toString(), "gateway.yaml:1:1: expected an object, got a list");
}

TEST_F(ParseTest, SecretsAreRedactedWhenRenderedAndNeverQuotedInErrors) {
  auto r = parse(R"(site: s
adapters:
  - type: demo_mqtt
    broker: b
    topics: [t]
    password: hunter2
  - type: demo_modbus
    host: h
    tls: {ca_file: /ca.pem, key_password: k3y}
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
outputs:
  - type: demo_kafka
    brokers: [k]
)");
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->adapters[0].as<DemoMqttConfig>()->password, "hunter2");  // the value is usable
  const std::string dumped = dumpYaml(demoGatewaySpec(), *r);
  EXPECT_THAT(dumped, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(dumped, ::testing::Not(HasSubstr("k3y")));
  EXPECT_THAT(dumped, HasSubstr("password: \"***\""));
  EXPECT_THAT(dumped, HasSubstr("key_password: \"***\""));
  EXPECT_THAT(dumped, HasSubstr("ca_file: /ca.pem"));
  Json rendered = render(demoGatewaySpec(), *r);
  EXPECT_EQ(rendered["adapters"][0]["password"], "***");
  // Empty secrets stay empty so "not set" is visible; unset stays unset.
  EXPECT_EQ(rendered["outputs"][0]["sasl_password"], "");
  EXPECT_EQ(rendered["adapters"][1]["unlock_code"], "***");
  // Unredacted rendering is for the process itself (e.g. diffing), on request only.
  EXPECT_EQ(render(demoGatewaySpec(), *r, RenderOptions{false})["adapters"][0]["password"],
            "hunter2");

  // A bad secret value is never echoed.
  auto bad = parse(R"(site: s
adapters:
  - type: demo_modbus
    host: h
    unlock_code: 123456
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
  - type: demo_modbus
    host: h
    unlock_code: s3cr3t
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
)");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.errorText(), ::testing::Not(HasSubstr("123456")));
  EXPECT_THAT(bad.errorText(), ::testing::Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(bad.errors()[0].reason, "the value is above the maximum 9999");
  EXPECT_EQ(bad.errors()[1].reason, "expected an integer, got a value");
}

TEST_F(ParseTest, EnvironmentExpansion) {
  std::map<std::string, std::string> env = {{"MQTT_PASSWORD", "pa$$"}, {"PORT", "1502"}};
  ParseOptions opts = options();
  opts.env = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  const char* yaml = R"(site: ${SITE:-plant9}
adapters:
  - type: demo_mqtt
    broker: tcp://${BROKER_HOST}:1883
    topics: ["$${literal}", "a${MISSING_TOO}"]
    password: ${MQTT_PASSWORD}
  - type: demo_modbus
    host: h
    port: ${PORT}
    devices: [{name: d, registers: [{tag: a, address: 1}]}]
)";
  auto r = parseYaml(yaml, demoGatewaySpec(), opts);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.errorText(),
              ::testing::Eq("gateway.yaml:4:13: /adapters/0/broker: environment variable "
                            "'BROKER_HOST' is not set\n"
                            "gateway.yaml:5:29: /adapters/0/topics/1: environment variable "
                            "'MISSING_TOO' is not set"));
  EXPECT_EQ(r.errors()[0].code, ConfigErrc::kEnv);

  env["BROKER_HOST"] = "10.0.0.9";
  env["MISSING_TOO"] = "b";
  auto ok = parseYaml(yaml, demoGatewaySpec(), opts);
  ASSERT_TRUE(ok) << ok.errorText();
  EXPECT_EQ(ok->site, "plant9");  // ${VAR:-default}
  const auto* mqtt = ok->adapters[0].as<DemoMqttConfig>();
  EXPECT_EQ(mqtt->broker, "tcp://10.0.0.9:1883");
  EXPECT_EQ(mqtt->topics, (std::vector<std::string>{"${literal}", "ab"}));
  EXPECT_EQ(mqtt->password, "pa$$");  // expanded values are not expanded again
  EXPECT_EQ(ok->adapters[1].as<DemoModbusConfig>()->port, 1502);  // typed after expansion

  // Without an env lookup (e.g. the control plane validating a gateway's file) text stays.
  auto literal = parseYaml("site: ${SITE}\n", demoGatewaySpec(), options());
  ASSERT_TRUE(literal);
  EXPECT_EQ(literal->site, "${SITE}");

  auto malformed = parseYaml("site: ${SITE\n", demoGatewaySpec(), opts);
  ASSERT_FALSE(malformed);
  EXPECT_THAT(malformed.errors()[0].reason, HasSubstr("invalid environment variable reference"));
}

TEST_F(ParseTest, JsonInputIsStrictAndHasPointersWithoutLines) {
  nlohmann::json body = {
      {"site", "plant1"},
      {"adapters",
       {{{"type", "demo_modbus"},
         {"host", "h"},
         {"port", "502"},
         {"devices", {{{"name", "d"}, {"registers", {{{"tag", 5}, {"address", 1.5}}}}}}}}}}};
  auto r = parseJson(body, demoGatewaySpec(), ParseOptions{"", &registry_, {}});
  ASSERT_FALSE(r);
  std::vector<std::string> got;
  for (const auto& e : r.errors()) got.push_back(e.toString());
  // nlohmann::json objects iterate in key order: devices < port, address < tag.
  EXPECT_THAT(got, ElementsAre("/adapters/0/devices/0/registers/0/address: expected an integer, "
                               "got the number 1.5",
                               "/adapters/0/devices/0/registers/0/tag: expected a string, got "
                               "the number 5",
                               "/adapters/0/port: expected an integer, got the string '502'"));
  body["adapters"][0]["port"] = 1502;
  body["adapters"][0]["devices"][0]["registers"][0] = {{"tag", "t"}, {"address", 1}};
  auto ok = parseJson(body, demoGatewaySpec(), ParseOptions{"", &registry_, {}});
  ASSERT_TRUE(ok) << ok.errorText();
  EXPECT_EQ(ok->adapters[0].as<DemoModbusConfig>()->port, 1502);
  // The type-erased validation entry point runs the same code.
  EXPECT_TRUE(validateJson(Json(body), demoGatewaySpec().object(), {"", &registry_, {}}).empty());
  body["adapters"][0]["port"] = 0;
  auto errors = validateJson(Json(body), demoGatewaySpec().object(), {"", &registry_, {}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].toString(), "/adapters/0/port: 0 is below the minimum 1");
}

TEST_F(ParseTest, ComponentEqualityIgnoresLayoutAndSeesEveryChange) {
  auto a = parse("site: s\nadapters:\n  - {type: demo_mqtt, broker: b, topics: [t], qos: 1}\n");
  auto b = parse(
      "# a comment\nsite: s\nadapters:\n  - type: demo_mqtt   # same words, other layout\n"
      "    broker: b\n    topics:\n      - t\n    qos: 1\n");
  // qos 1 is the default: other words, the same value.
  auto same_meaning = parse("site: s\nadapters:\n  - {type: demo_mqtt, broker: b, topics: [t]}\n");
  auto changed =
      parse("site: s\nadapters:\n  - {type: demo_mqtt, broker: b, topics: [t], qos: 2}\n");
  ASSERT_TRUE(a) << a.errorText();
  ASSERT_TRUE(b) << b.errorText();
  ASSERT_TRUE(same_meaning) << same_meaning.errorText();
  ASSERT_TRUE(changed) << changed.errorText();
  EXPECT_FALSE(a->adapters[0].source.empty());
  EXPECT_EQ(a->adapters[0].source, b->adapters[0].source);
  EXPECT_EQ(a->adapters, b->adapters);
  EXPECT_NE(a->adapters[0].source, same_meaning->adapters[0].source);
  EXPECT_EQ(a->adapters, same_meaning->adapters);
  EXPECT_NE(a->adapters, changed->adapters);
  // Mutable access forgets the source: a value changed in code is compared by value.
  auto edited = a->adapters[0];
  edited.as<DemoMqttConfig>()->qos = 2;
  EXPECT_TRUE(edited.source.empty());
  EXPECT_NE(a->adapters[0], edited);
}

TEST_F(ParseTest, RenderedConfigParsesBackEqual) {
  auto r = parse(R"(site: plant1
adapters:
  - type: demo_modbus
    host: 10.0.0.5
    poll_interval: 1m30s
    tls: {ca_file: /ca.pem, key_password: "k: #1"}
    labels: {"a b": "yes", n: "007"}
    devices: [{name: d, registers: [{tag: a, address: 1, table: coil, scale: 2.5}]}]
outputs:
  - type: demo_kafka
    brokers: [k]
    batch_bytes: 2000
retention: 90m
)");
  ASSERT_TRUE(r) << r.errorText();
  const std::string yaml = dumpYaml(demoGatewaySpec(), *r, RenderOptions{false});
  auto again = parse(yaml);
  ASSERT_TRUE(again) << again.errorText() << "\n" << yaml;
  EXPECT_EQ(render(demoGatewaySpec(), *again, RenderOptions{false}),
            render(demoGatewaySpec(), *r, RenderOptions{false}));
  EXPECT_EQ(again->adapters, r->adapters);  // ComponentConfig equality: what a diff uses
  EXPECT_EQ(again->adapters[0].as<DemoModbusConfig>()->tls->key_password, "k: #1");
  EXPECT_EQ(again->adapters[0].as<DemoModbusConfig>()->labels.at("a b"), "yes");
  EXPECT_EQ(again->outputs[0].as<DemoKafkaConfig>()->batch_bytes.bytes, 2000u);
  EXPECT_THAT(yaml, HasSubstr("batch_bytes: 2kB\n"));
  EXPECT_THAT(yaml, HasSubstr("retention: 90m\n"));
  EXPECT_THAT(yaml, HasSubstr("key_password: \"k: #1\"\n"));
  EXPECT_THAT(yaml, HasSubstr("\"n\": \"007\"\n"));  // YAML 1.1 reads a bare n as false
  // JSON rendering round-trips too.
  auto from_json =
      parseJson(render(demoGatewaySpec(), *r, RenderOptions{false}), demoGatewaySpec(), options());
  ASSERT_TRUE(from_json) << from_json.errorText();
  EXPECT_EQ(from_json->adapters, r->adapters);
}

TEST_F(ParseTest, ComponentConfigEqualityDetectsChanges) {
  const char* base = R"(site: s
adapters:
  - type: demo_mqtt
    broker: b
    topics: [t]
  - type: demo_mqtt
    broker: b
    topics: [t]
)";
  auto r = parse(base);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->adapters[0], r->adapters[1]);
  auto changed = r->adapters[1];
  changed.as<DemoMqttConfig>()->qos = 2;
  EXPECT_NE(r->adapters[0], changed);
  auto secret_changed = r->adapters[1];
  secret_changed.as<DemoMqttConfig>()->password = "new";  // secrets count for diffs
  EXPECT_NE(r->adapters[0], secret_changed);
}

TEST_F(ParseTest, SingleComponentParsing) {
  ParseOptions opts = options();
  opts.file = "adapter.yaml";
  auto r = parseComponentYaml("type: demo_mqtt\nbroker: b\ntopics: [t]\n", ComponentKind::kAdapter,
                              opts);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->type, "demo_mqtt");
  EXPECT_EQ(r->toJson()["broker"], "b");
  auto bad = parseComponentJson(Json{{"type", "demo_mqtt"}, {"broker", "b"}},
                                ComponentKind::kAdapter, opts);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.errors()[0].toString(), "adapter.yaml: /topics: missing required option 'topics'");
}

TEST_F(ParseTest, OptionalNestedObjectAndNullHandling) {
  const char* device = "    devices: [{name: d, registers: [{tag: a, address: 1}]}]\n";
  auto absent =
      parse(std::string("site: s\nadapters:\n  - type: demo_modbus\n    host: h\n") + device);
  ASSERT_TRUE(absent) << absent.errorText();
  EXPECT_FALSE(absent->adapters[0].as<DemoModbusConfig>()->tls);
  auto null_tls = parse(std::string("site: s\nadapters:\n  - type: demo_modbus\n    host: h\n"
                                    "    tls:\n") +
                        device);
  ASSERT_TRUE(null_tls) << null_tls.errorText();
  EXPECT_FALSE(null_tls->adapters[0].as<DemoModbusConfig>()->tls);
  auto present = parse(std::string("site: s\nadapters:\n  - type: demo_modbus\n    host: h\n"
                                   "    tls: {ca_file: /x}\n") +
                       device);
  ASSERT_TRUE(present) << present.errorText();
  ASSERT_TRUE(present->adapters[0].as<DemoModbusConfig>()->tls);
  EXPECT_EQ(present->adapters[0].as<DemoModbusConfig>()->tls->ca_file, "/x");
  // A null for a non-optional value is a type error, located at the key.
  EXPECT_THAT(errorsOf("site:\nretention: 1h\n"),
              ElementsAre("gateway.yaml:1:1: /site: expected a string, got null"));
}

TEST_F(ParseTest, ScalarStylesResolveByOptionType) {
  struct S {
    std::string version;
    double ratio = 0;
    bool flag = false;
    int64_t big = 0;
    uint64_t ubig = 0;
  };
  Spec<S> spec;
  spec.option("version", &S::version).doc("v");
  spec.option("ratio", &S::ratio).doc("r");
  spec.option("flag", &S::flag).doc("f");
  spec.option("big", &S::big).doc("b");
  spec.option("ubig", &S::ubig).doc("u");
  auto r = parseYaml(
      "version: 1.10\nratio: 1e3\nflag: True\nbig: -9223372036854775808\nubig: "
      "18446744073709551615\n",
      spec);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->version, "1.10");  // a plain scalar stays text for a string option
  EXPECT_DOUBLE_EQ(r->ratio, 1000);
  EXPECT_TRUE(r->flag);
  EXPECT_EQ(r->big, INT64_MIN);
  EXPECT_EQ(r->ubig, UINT64_MAX);
  auto bad = parseYaml("ratio: .nan\nbig: 9223372036854775808\nubig: 18446744073709551616\n", spec);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.errorText(),
            "1:8: /ratio: expected a number, got '.nan'\n"
            "2:6: /big: 9223372036854775808 is above the maximum 9223372036854775807\n"
            "3:7: /ubig: 18446744073709551616 is above the maximum 18446744073709551615");
}

TEST_F(ParseTest, InvalidUtf8IsRenderedNotThrown) {
  auto r = parse("site: \"a\\xff\"\n");  // YAML escape for byte 0xff -> U+00FF, valid
  ASSERT_TRUE(r) << r.errorText();
  DemoGatewayConfig g = *r;
  g.site = std::string("bad\xff\xfe");
  EXPECT_THAT(dumpYaml(demoGatewaySpec(), g), HasSubstr("site: \"bad\xEF\xBF\xBD\xEF\xBF\xBD\"\n"));
}

TEST_F(ParseTest, NeverThrowsOnHostileInput) {
  for (const char* text : {"\x01\x02\xff", "{{{{", "a: &x [*x]", "? [a]\n: b\n",
                           "site: !!binary AAAA", "]]", "'unterminated", "site: *nope", "\t- a"}) {
    auto r = parse(text);
    EXPECT_FALSE(r.has_value()) << text;
  }
  std::string deep(2000, '[');
  EXPECT_FALSE(parse(deep).has_value());
  // Recursive and exponentially expanding aliases are cut off with an error.
  auto recursive = parse("site: s\nlog_quota: &x [*x]\n");
  ASSERT_FALSE(recursive);
  EXPECT_THAT(recursive.errorText(), HasSubstr("nested deeper than 64 levels"));
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 7; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += (j ? ", " : "") + prev;
    laughs += "]\n";
  }
  auto bomb = parse(laughs);
  ASSERT_FALSE(bomb);
  EXPECT_THAT(bomb.errorText(), HasSubstr("more than 1000000 values"));
}

}  // namespace
}  // namespace sf::config
