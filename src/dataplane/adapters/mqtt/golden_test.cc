// Golden cases (testcases/<case>/): a subscription (subscription.yaml), the messages a broker
// would deliver (input.json: topic + payload as JSON, payload_text or payload_hex), and what must
// come out (expected.json: records in order, fields compared when present, attributes as a
// subset; the problems' reasons in order). A regression test is a new folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/parse.h"
#include "dataplane/adapters/mqtt/json_mapper.h"
#include "dataplane/adapters/mqtt/lorawan/uplink.h"
#include "model/record_json.h"

#ifndef SF_MQTT_TESTCASES
#error "SF_MQTT_TESTCASES must point at the testcases folder"
#endif

namespace sf::mqtt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fromHex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

bool sameJson(const json& want, const json& got) {
  if (want.is_number() && got.is_number()) {
    double a = want.get<double>(), b = got.get<double>();
    return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
  }
  return want == got;
}

void runCase(const fs::path& dir) {
  SCOPED_TRACE(dir.filename().string());
  auto sub = config::parseYaml(readFile(dir / "subscription.yaml"), subscriptionSpec());
  ASSERT_TRUE(sub.has_value()) << sub.errorText();
  const SubscriptionConfig& s = sub.value();
  auto declared = std::make_shared<DeclaredTags>();
  std::unique_ptr<JsonMapper> json_mapper;
  std::unique_ptr<lorawan::LoraMapper> lora_mapper;
  if (s.format == PayloadFormat::kChirpstack || s.format == PayloadFormat::kTts) {
    auto m = lorawan::LoraMapper::create(s, "golden", declared);
    ASSERT_TRUE(m);
    lora_mapper = std::move(*m);
  } else {
    auto m = JsonMapper::create(s, "golden", declared);
    ASSERT_TRUE(m) << m.error().message;
    json_mapper = std::move(*m);
  }
  json input = json::parse(readFile(dir / "input.json"));
  json expected = json::parse(readFile(dir / "expected.json"));
  std::vector<model::Record> records;
  std::vector<Problem> problems;
  for (const auto& msg : input) {
    std::string payload;
    if (msg.contains("payload_text")) {
      payload = msg["payload_text"].get<std::string>();
    } else if (msg.contains("payload_hex")) {
      payload = fromHex(msg["payload_hex"].get<std::string>());
    } else {
      payload = msg["payload"].dump();
    }
    const std::string topic = msg["topic"].get<std::string>();
    MapOutput out;
    MessageView view{topic, payload, false, 1'800'000'000'000'000'000};
    if (json_mapper) {
      json_mapper->map(view, out);
    } else {
      lora_mapper->map(view, out);
    }
    for (auto& r : out.records) records.push_back(std::move(r));
    for (auto& p : out.problems) problems.push_back(std::move(p));
  }
  const json& want_records = expected["records"];
  ASSERT_EQ(records.size(), want_records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    records[i].gateway = "gw";
    ASSERT_TRUE(model::validate(records[i])) << model::validate(records[i]).error().message;
    json got = json::parse(model::toJson(records[i]));
    const json& want = want_records[i];
    for (const char* key : {"site", "device", "tag", "unit", "value_type", "source_ts_ns"}) {
      if (want.contains(key)) {
        EXPECT_EQ(want[key], got[key]) << key;
      }
    }
    if (want.contains("value")) {
      EXPECT_TRUE(sameJson(want["value"], got["value"])) << "value " << got["value"];
    }
    if (want.contains("quality")) {
      EXPECT_EQ(want["quality"], got["quality"]["level"]);
    }
    if (want.contains("attributes")) {
      for (auto it = want["attributes"].begin(); it != want["attributes"].end(); ++it) {
        EXPECT_EQ(it.value(), got["attributes"][it.key()]) << "attribute " << it.key();
      }
    }
  }
  std::vector<std::string> reasons;
  for (const auto& p : problems) reasons.emplace_back(issueName(p.issue));
  EXPECT_EQ(reasons, expected["problems"].get<std::vector<std::string>>());
  if (expected.contains("problem_text")) {
    const auto texts = expected["problem_text"].get<std::vector<std::string>>();
    ASSERT_EQ(texts.size(), problems.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_NE(problems[i].message.find(texts[i]), std::string::npos) << problems[i].message;
    }
  }
}

TEST(MqttGolden, EveryTestcaseFolder) {
  size_t cases = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(SF_MQTT_TESTCASES)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    runCase(d);
    ++cases;
  }
  EXPECT_GE(cases, 8u);
}

}  // namespace
}  // namespace sf::mqtt
