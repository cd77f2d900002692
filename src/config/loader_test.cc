#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "config/test_components.h"

namespace sf::config {
namespace {

using ::testing::HasSubstr;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sf_config_loader_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  LoadOptions options(const std::map<std::string, std::string>& env = {}) {
    LoadOptions o;
    o.registry = &registry_;
    o.env = [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }

  std::filesystem::path dir_;
  Registry registry_ = testing::demoRegistry();
};

TEST_F(LoaderTest, LoadsTypedConfigWithEnvironment) {
  auto path = write("gateway.yaml", R"(site: plant1
adapters:
  - type: demo_mqtt
    broker: tcp://broker:1883
    topics: [a/#]
    password: ${MQTT_PASSWORD}
)");
  auto r = loadConfigFile(path, testing::demoGatewaySpec(), options({{"MQTT_PASSWORD", "pw"}}));
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->adapters[0].as<testing::DemoMqttConfig>()->password, "pw");
}

TEST_F(LoaderTest, ErrorsNameTheFile) {
  auto path = write("gateway.yaml", "site: plant1\nadapters:\n  - type: demo_mqtt\n    prot: 1\n");
  auto r = loadConfigFile(path, testing::demoGatewaySpec(), options());
  ASSERT_FALSE(r);
  ASSERT_EQ(r.errors().size(), 3u) << r.errorText();
  EXPECT_EQ(r.errors()[0].toString(),
            path.string() + ":3:5: /adapters/0/broker: missing required option 'broker'");
  EXPECT_EQ(r.errors()[2].toString(),
            path.string() +
                ":4:5: /adapters/0/prot: unknown option 'prot' (expected one of: broker, "
                "client_id, topics, qos, format, password)");
}

TEST_F(LoaderTest, MissingEnvironmentVariableIsNamed) {
  auto path = write("gateway.yaml", "site: ${SITE_NAME}\n");
  auto r = loadConfigFile(path, testing::demoGatewaySpec(), options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].toString(),
            path.string() + ":1:7: /site: environment variable 'SITE_NAME' is not set");
  LoadOptions literal = options();
  literal.expand_env = false;
  auto kept = loadConfigFile(path, testing::demoGatewaySpec(), literal);
  ASSERT_TRUE(kept) << kept.errorText();
  EXPECT_EQ(kept->site, "${SITE_NAME}");
}

TEST_F(LoaderTest, ProcessEnvironmentIsTheDefault) {
  ::setenv("SF_CONFIG_LOADER_TEST_SITE", "from_env", 1);  // NOLINT(concurrency-mt-unsafe)
  auto path = write("gateway.yaml", "site: ${SF_CONFIG_LOADER_TEST_SITE}\n");
  auto r = loadConfigFile(path, testing::demoGatewaySpec());
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->site, "from_env");
}

TEST_F(LoaderTest, UnreadableFiles) {
  auto missing = loadConfigFile(dir_ / "nope.yaml", testing::demoGatewaySpec(), options());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.errors()[0].code, ConfigErrc::kIo);
  EXPECT_EQ(missing.errors()[0].toString(),
            (dir_ / "nope.yaml").string() + ": cannot open: No such file or directory");
  auto directory = loadConfigFile(dir_, testing::demoGatewaySpec(), options());
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.errors()[0].reason, HasSubstr("is a directory"));
  LoadOptions tiny = options();
  tiny.max_bytes = 4;
  auto big = loadConfigFile(write("big.yaml", "site: plant1\n"), testing::demoGatewaySpec(), tiny);
  ASSERT_FALSE(big);
  EXPECT_THAT(big.errors()[0].reason, HasSubstr("more than the limit of 4"));
}

TEST_F(LoaderTest, JsonFilesLoadToo) {
  auto path = write("gateway.json", R"({"site": "plant1", "retention": "2d",
  "adapters": [{"type": "demo_mqtt", "broker": "b", "topics": ["t"], "qos": "2"}]})");
  auto r = loadConfigFile(path, testing::demoGatewaySpec(), options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors()[0].toString(),
            path.string() + ":2:77: /adapters/0/qos: expected an integer, got the string '2'");
}

}  // namespace
}  // namespace sf::config
