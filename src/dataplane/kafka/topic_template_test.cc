#include "dataplane/kafka/topic_template.h"

#include <gtest/gtest.h>

namespace sf::kafka {
namespace {

model::Record telemetry(std::string site) {
  model::Record r;
  r.site = std::move(site);
  r.tag = "t";
  return r;
}

const ForwarderIdentity kId{"gw1", "main"};

TEST(TopicTemplateTest, DefaultTemplateIsPerSiteAndClass) {
  auto t = TopicTemplate::parse("sf.{site}.{class}");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->render(telemetry("plant1"), kId), "sf.plant1.telemetry");
  model::Record alarm = telemetry("plant1");
  alarm.detail = model::AlarmInfo{};
  EXPECT_EQ(t->render(alarm, kId), "sf.plant1.alarm");
  model::Record log = telemetry("plant1");
  log.detail = model::LogInfo{};
  EXPECT_EQ(t->render(log, kId), "sf.plant1.log");
  model::Record event = telemetry("plant1");
  event.detail = model::EventInfo{};
  EXPECT_EQ(t->render(event, kId), "sf.plant1.event");
}

TEST(TopicTemplateTest, GatewayAndStreamPlaceholders) {
  auto t = TopicTemplate::parse("{gateway}-{stream}_{class}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(telemetry("x"), kId), "gw1-main_telemetry");
  auto lit = TopicTemplate::parse("all-records");
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->render(telemetry("x"), kId), "all-records");
}

TEST(TopicTemplateTest, ValuesAreMadeLegalTopicNames) {
  auto t = TopicTemplate::parse("sf.{site}.{class}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(telemetry("Plant 1/Hall #2"), kId), "sf.Plant_1_Hall__2.telemetry");
  EXPECT_EQ(t->render(telemetry(""), kId), "sf._.telemetry");
  EXPECT_EQ(t->render(telemetry("Zürich"), kId), "sf.Z__rich.telemetry");
  auto only = TopicTemplate::parse("{site}");
  ASSERT_TRUE(only);
  EXPECT_EQ(only->render(telemetry(".."), kId), "_");
}

TEST(TopicTemplateTest, LongNamesAreShortenedWithAHash) {
  auto t = TopicTemplate::parse("sf.{site}.{class}");
  ASSERT_TRUE(t);
  std::string a = t->render(telemetry(std::string(300, 'a')), kId);
  std::string b = t->render(telemetry(std::string(299, 'a') + "b"), kId);
  EXPECT_EQ(a.size(), kMaxTopicLength);
  EXPECT_EQ(b.size(), kMaxTopicLength);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, t->render(telemetry(std::string(300, 'a')), kId)) << "deterministic";
}

TEST(TopicTemplateTest, RejectsBadTemplates) {
  for (const char* bad : {"", "sf.{site", "sf.site}", "sf.{tag}", "sf {site}", "sf/{class}", "."}) {
    auto t = TopicTemplate::parse(bad);
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error().code, core::Errc::kInvalidConfig);
    }
  }
  auto t = TopicTemplate::parse("sf.{tag}");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("{tag}"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace sf::kafka
