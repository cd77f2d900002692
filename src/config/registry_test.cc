#include "config/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/test_components.h"

namespace sf::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Registry, ListsByKindThenTypeRegardlessOfOrderAdded) {
  Registry r;
  ASSERT_TRUE(r.add(ComponentKind::kOutput, "demo_kafka", "k", testing::demoKafkaSpec()));
  ASSERT_TRUE(r.add(ComponentKind::kAdapter, "demo_mqtt", "m", testing::demoMqttSpec()));
  ASSERT_TRUE(r.add(ComponentKind::kAdapter, "demo_modbus", "b", testing::demoModbusSpec()));
  EXPECT_EQ(r.size(), 3u);
  EXPECT_THAT(r.typeNames(ComponentKind::kAdapter), ElementsAre("demo_modbus", "demo_mqtt"));
  EXPECT_THAT(r.typeNames(ComponentKind::kSink), ElementsAre());
  std::vector<std::string> all;
  for (const auto* info : r.all()) all.push_back(info->type);
  EXPECT_THAT(all, ElementsAre("demo_modbus", "demo_mqtt", "demo_kafka"));
  const ComponentInfo* found = r.find(ComponentKind::kAdapter, "demo_mqtt");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->spec.get(), testing::demoMqttSpec().shared().get());
  EXPECT_EQ(r.find(ComponentKind::kOutput, "demo_mqtt"), nullptr);  // kinds are separate
}

TEST(Registry, RejectsInvalidRegistrations) {
  Registry r;
  ASSERT_TRUE(r.add(ComponentKind::kAdapter, "demo_mqtt", "m", testing::demoMqttSpec()));
  auto dup = r.add(ComponentKind::kAdapter, "demo_mqtt", "again", testing::demoMqttSpec());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, core::Errc::kInvalidConfig);
  EXPECT_THAT(dup.error().message, HasSubstr("registered twice"));
  // Same type name under another kind is fine.
  EXPECT_TRUE(r.add(ComponentKind::kSink, "demo_mqtt", "m", testing::demoMqttSpec()));
  EXPECT_FALSE(r.add(ComponentKind::kAdapter, "Modbus-TCP", "m", testing::demoMqttSpec()));
  EXPECT_FALSE(r.add(ComponentKind::kAdapter, "x", "", testing::demoMqttSpec()));
  EXPECT_FALSE(r.add(ComponentInfo{ComponentKind::kAdapter, "y", "s", nullptr}));

  struct WithType {
    std::string type;
  };
  Spec<WithType> reserved;
  reserved.option("type", &WithType::type).doc("clashes with the discriminator");
  auto clash = r.add(ComponentKind::kAdapter, "z", "s", reserved);
  ASSERT_FALSE(clash);
  EXPECT_THAT(clash.error().message, HasSubstr("'type' is reserved"));
}

TEST(Registry, KindNames) {
  EXPECT_EQ(componentKindName(ComponentKind::kAdapter), "adapter");
  EXPECT_EQ(componentKindName(ComponentKind::kTransform), "transform");
  EXPECT_EQ(componentKindPlural(ComponentKind::kSink), "sinks");
  EXPECT_EQ(componentKindPlural(ComponentKind::kOutput), "outputs");
}

TEST(Suggestions, ClosestMatch) {
  std::vector<std::string> names = {"host", "port", "poll_interval", "unit_id"};
  EXPECT_EQ(closestMatch("prot", names), "port");  // transposition
  EXPECT_EQ(closestMatch("Port", names), "port");  // case
  EXPECT_EQ(closestMatch("unit-id", names), "unit_id");
  EXPECT_EQ(closestMatch("poll", names), "poll_interval");  // prefix
  EXPECT_EQ(closestMatch("pol_interval", names), "poll_interval");
  EXPECT_EQ(closestMatch("colour", names), std::nullopt);
  EXPECT_EQ(closestMatch("x", names), std::nullopt);
}

TEST(Pointer, EscapesPerRfc6901) {
  EXPECT_EQ(appendPointer("", "adapters"), "/adapters");
  EXPECT_EQ(appendPointer("/labels", "a/b~c"), "/labels/a~1b~0c");
}

TEST(Lint, FindsUndocumentedAndInvalidDeclarations) {
  struct Bad {
    std::string Host;
    int port = 0;
    std::string mode = "fast";
    int level = 50;
  };
  Spec<Bad> s;
  s.option("Host", &Bad::Host).required();
  s.option("port", &Bad::port).range(1, 10).doc("Port.").example(99);
  s.option("mode", &Bad::mode).oneOf({"slow", "normal"}).doc("Mode.");
  s.option("level", &Bad::level).max(10).doc("Level.");
  s.option("port", &Bad::port).doc("again");
  EXPECT_THAT(lintSpec(s.object()),
              ElementsAre("option 'Host': name is not snake_case", "option 'Host': no doc string",
                          "option 'Host': required but has no example",
                          "option 'port': example does not validate: 99 is above the maximum 10",
                          "option 'port': default does not validate: 0 is below the minimum 1",
                          "option 'mode': default does not validate: 'fast' is not one of slow, "
                          "normal",
                          "option 'level': default does not validate: 50 is above the maximum 10",
                          "option 'port': declared twice"));
  EXPECT_THAT(lintSpec(testing::demoGatewaySpec().object()), ElementsAre());
  EXPECT_THAT(lintSpec(testing::demoModbusSpec().object()), ElementsAre());
}

}  // namespace
}  // namespace sf::config
