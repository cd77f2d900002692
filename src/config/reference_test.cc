#include "config/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/parse.h"
#include "config/test_components.h"

namespace sf::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Endpoint {
  std::string url;
  std::chrono::seconds timeout{30};
};

struct Small {
  std::string name;
  uint16_t port = 8080;
  std::string token;
  std::optional<Endpoint> webhook;
  std::vector<Endpoint> mirrors;
  bool verbose = false;
};

Spec<Small> smallSpec() {
  Spec<Endpoint> endpoint("endpoint", "An HTTP endpoint.");
  endpoint.option("url", &Endpoint::url).required().doc("URL.").example("https://x.example/hook");
  endpoint.option("timeout", &Endpoint::timeout).doc("Request timeout.");
  Spec<Small> s("small", "A small sample.");
  s.option("name", &Small::name).required().doc("Name. Shown in the UI.").example("a|b");
  s.option("port", &Small::port).range(1024, 65535).doc("Port.");
  s.option("token", &Small::token).secret().doc("Token.").example("${TOKEN}");
  s.option("webhook", &Small::webhook, endpoint).doc("Where to post.");
  s.option("mirrors", &Small::mirrors, endpoint).doc("Copies.");
  s.option("verbose", &Small::verbose).advanced().doc("Verbose.");
  return s;
}

TEST(Reference, MarkdownForASpecExactly) {
  const std::string expected =
      R"(<!-- Generated from the C++ option specs (src/config/reference.h). Do not edit: change the spec and regenerate. -->

# Small

Intro text.

A small sample.

## Options

| Option | Type | Default | Required | Description | Example |
| --- | --- | --- | --- | --- | --- |
| `name` | string | — | yes | Name. Shown in the UI. | `"a\|b"` |
| `port` | integer, 1024 to 65535 | `8080` | no | Port. |  |
| `token` | string | — | no | Token. **Secret:** shown as `***`; set it with `${VAR}`. | `${TOKEN}` |
| `webhook` | object | — | no | Where to post. See [`webhook`](#webhook). |  |
| `mirrors` | list of object | `[]` | no | Copies. See [`mirrors[]`](#mirrors). |  |
| `verbose` | bool | `false` | no | Verbose. *Advanced.* |  |

### `webhook`

An HTTP endpoint.

| Option | Type | Default | Required | Description | Example |
| --- | --- | --- | --- | --- | --- |
| `url` | string | — | yes | URL. | `https://x.example/hook` |
| `timeout` | duration | `30s` | no | Request timeout. |  |

### `mirrors[]`

An HTTP endpoint.

| Option | Type | Default | Required | Description | Example |
| --- | --- | --- | --- | --- | --- |
| `url` | string | — | yes | URL. | `https://x.example/hook` |
| `timeout` | duration | `30s` | no | Request timeout. |  |

## Example

```yaml
# Name.
name: "a|b"
# Token.
token: ${TOKEN}
# Where to post.
webhook:
  # URL.
  url: https://x.example/hook
# Copies.
mirrors:
  # URL.
  - url: https://x.example/hook
```
)";
  EXPECT_EQ(markdownReference(smallSpec().object(), "Small", "Intro text."), expected);
}

TEST(Reference, ExampleOfASpecValidates) {
  auto spec = smallSpec();
  auto parsed = parseYaml(exampleYaml(spec.object()), spec);
  ASSERT_TRUE(parsed) << parsed.errorText() << "\n" << exampleYaml(spec.object());
  EXPECT_EQ(parsed->name, "a|b");
  ASSERT_TRUE(parsed->webhook);
  EXPECT_EQ(parsed->webhook->timeout, 30s);
  EXPECT_EQ(parsed->mirrors.size(), 1u);
}

TEST(Reference, EveryRegisteredComponentIsConformant) {
  Registry registry = testing::demoRegistry();
  ASSERT_EQ(registry.size(), 3u);
  for (const ComponentInfo* info : registry.all()) {
    EXPECT_THAT(checkComponent(*info, registry), ElementsAre()) << info->type;
    // The generated example loads back as that component.
    auto parsed = parseComponentYaml(exampleYaml(*info), info->kind,
                                     ParseOptions{"example.yaml", &registry, {}});
    ASSERT_TRUE(parsed) << parsed.errorText() << "\n" << exampleYaml(*info);
    EXPECT_EQ(parsed->type, info->type);
  }
}

TEST(Reference, RootExampleHasOneItemPerRegisteredTypeAndValidates) {
  Registry registry = testing::demoRegistry();
  const std::string yaml = exampleYaml(testing::demoGatewaySpec().object(), &registry);
  auto parsed =
      parseYaml(yaml, testing::demoGatewaySpec(), ParseOptions{"example.yaml", &registry, {}});
  ASSERT_TRUE(parsed) << parsed.errorText() << "\n" << yaml;
  ASSERT_EQ(parsed->adapters.size(), 2u);
  EXPECT_EQ(parsed->adapters[0].type, "demo_modbus");
  EXPECT_EQ(parsed->adapters[1].type, "demo_mqtt");
  ASSERT_EQ(parsed->outputs.size(), 1u);
  EXPECT_EQ(parsed->outputs[0].as<testing::DemoKafkaConfig>()->brokers,
            std::vector<std::string>{"kafka-1:9092"});
  EXPECT_THAT(yaml, HasSubstr("adapters:\n  - type: demo_modbus\n    # IP address or host name "
                              "of the server.\n    host: 10.0.0.5\n"));
  // Without a registry the polymorphic lists are left out and the rest still validates.
  EXPECT_EQ(exampleYaml(testing::demoGatewaySpec().object()), "# Site name.\nsite: plant1\n");
}

TEST(Reference, ConformanceCatchesBadComponents) {
  struct Bad {
    std::string host;
    int level = 5;
  };
  Spec<Bad> spec("bad", "A bad one.");
  spec.option("host", &Bad::host).required();  // no doc, no example
  spec.option("level", &Bad::level).range(0, 3).doc("Level.").example(9);
  Registry registry;
  ASSERT_TRUE(registry.add(ComponentKind::kSink, "bad", "Bad sink.", spec));
  auto problems = checkComponent(*registry.find(ComponentKind::kSink, "bad"), registry);
  EXPECT_THAT(problems,
              ElementsAre("sink 'bad': option 'host': no doc string",
                          "sink 'bad': option 'host': required but has no example",
                          "sink 'bad': option 'level': example does not validate: 9 is above the "
                          "maximum 3",
                          "sink 'bad': option 'level': default does not validate: 5 is above the "
                          "maximum 3",
                          "sink 'bad': generated example does not validate: bad example:2:1: "
                          "/host: missing required option 'host'",
                          "sink 'bad': generated example does not validate: bad example:5:8: "
                          "/level: 9 is above the maximum 3"));
}

TEST(Reference, DocsAreDeterministicAndIndependentOfRegistrationOrder) {
  Registry a = testing::demoRegistry();
  Registry b;
  ASSERT_TRUE(b.add(ComponentKind::kOutput, "demo_kafka", "Delivers the local log to Kafka.",
                    testing::demoKafkaSpec()));
  ASSERT_TRUE(b.add(ComponentKind::kAdapter, "demo_mqtt", "Subscribes to MQTT topics.",
                    testing::demoMqttSpec()));
  ASSERT_TRUE(b.add(ComponentKind::kAdapter, "demo_modbus",
                    "Polls registers from a Modbus TCP server.", testing::demoModbusSpec()));
  std::vector<RootDoc> roots = {RootDoc{"gateway.md", "Gateway configuration",
                                        "The file `streamforge gateway` reads.",
                                        &testing::demoGatewaySpec().object()}};
  auto docs = renderReferenceDocs(a, roots);
  EXPECT_EQ(docs, renderReferenceDocs(a, roots));
  EXPECT_EQ(docs, renderReferenceDocs(b, roots));
  std::vector<std::string> names;
  for (const auto& [name, content] : docs) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("README.md", "adapters/demo_modbus.md", "adapters/demo_mqtt.md",
                                 "gateway.md", "outputs/demo_kafka.md"));
  EXPECT_THAT(docs["README.md"], HasSubstr("| [Gateway configuration](gateway.md) | The file "
                                           "`streamforge gateway` reads. |"));
  EXPECT_THAT(docs["gateway.md"],
              HasSubstr("| `adapters` | list of adapter | `[]` | no | Southbound connections. "
                        "Each is one of the registered adapters, selected by its `type`; see the "
                        "[adapters](README.md#adapters). |  |"));
  EXPECT_THAT(docs["README.md"],
              HasSubstr("| [`demo_modbus`](adapters/demo_modbus.md) | Polls registers from a "
                        "Modbus TCP server. |\n| [`demo_mqtt`](adapters/demo_mqtt.md) |"));
  const std::string& modbus = docs["adapters/demo_modbus.md"];
  EXPECT_THAT(modbus, HasSubstr("# `demo_modbus` adapter\n"));
  EXPECT_THAT(modbus, HasSubstr("| `type` | string | — | yes | Selects this adapter: "
                                "`demo_modbus`. | `demo_modbus` |\n| `host` |"));
  EXPECT_THAT(modbus, HasSubstr("### `devices[].registers[]`"));
  EXPECT_THAT(modbus, HasSubstr("| `retries` | integer, 0 to 10 | `3` | no | Retries \\| before "
                                "giving up. *Advanced.* |  |"));
  EXPECT_THAT(modbus, HasSubstr("| `poll_interval` | duration, 10ms to 1h | `1s` | no |"));
  EXPECT_THAT(modbus, HasSubstr("```yaml\n# demo_modbus adapter: Polls registers from a Modbus "
                                "TCP server.\ntype: demo_modbus\n"));
}

TEST(Reference, DriftCheckAgainstCommittedFiles) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sf_config_reference_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Registry registry = testing::demoRegistry();
  auto docs = renderReferenceDocs(registry);
  EXPECT_THAT(compareReferenceDocs(dir, docs),
              ElementsAre("README.md: missing", "adapters/demo_modbus.md: missing",
                          "adapters/demo_mqtt.md: missing", "outputs/demo_kafka.md: missing"));
  ASSERT_TRUE(writeReferenceDocs(dir, docs));
  EXPECT_THAT(compareReferenceDocs(dir, docs), ElementsAre());
  // A hand edit, a removed component's leftover page, and a hand-written page.
  std::ofstream(dir / "adapters/demo_mqtt.md", std::ios::app) << "edited\n";
  std::ofstream(dir / "sinks/old.md") << "";
  std::filesystem::create_directories(dir / "sinks");
  std::ofstream(dir / "sinks/old.md") << docs["outputs/demo_kafka.md"];
  std::ofstream(dir / "NOTES.md") << "hand-written, not generated\n";
  EXPECT_THAT(compareReferenceDocs(dir, docs),
              ElementsAre("adapters/demo_mqtt.md: out of date",
                          "sinks/old.md: stale (no registered component generates it)"));
  ASSERT_TRUE(writeReferenceDocs(dir, docs));
  EXPECT_THAT(compareReferenceDocs(dir, docs), ElementsAre());
  EXPECT_TRUE(std::filesystem::exists(dir / "NOTES.md"));
  EXPECT_FALSE(std::filesystem::exists(dir / "sinks/old.md"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sf::config
