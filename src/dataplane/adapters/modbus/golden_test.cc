// Golden cases (testcases/<case>/): config.yaml (a modbus_tcp component), device.json (what the
// device holds, its refused ranges and limits) and expected.json (the records a poll yields,
// and optionally how many requests a poll takes once the device's limits are learned). The
// device is served by an in-process Modbus TCP server over that map; the adapter polls it.
// A regression test is a new folder.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "dataplane/adapters/modbus/test_util.h"

namespace sf::modbus {
namespace {

using namespace testing;
namespace fs = std::filesystem;

std::vector<std::string> caseNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(SF_MODBUS_TESTCASES)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void expectRecord(const nlohmann::json& want, const std::vector<model::Record>& got) {
  const std::string device = want.at("device"), tag = want.at("tag");
  const model::Record* r = nullptr;
  for (const auto& x : got) {
    if (x.device == device && x.tag == tag) r = &x;
  }
  ASSERT_NE(r, nullptr) << "no record for " << device << "/" << tag;
  SCOPED_TRACE(device + "/" + tag);
  EXPECT_EQ(r->adapter, "golden");
  EXPECT_GT(r->source_ts_ns, 0);
  if (want.at("quality") == "bad") {
    EXPECT_EQ(r->quality.level, model::QualityLevel::kBad) << r->quality.text;
    EXPECT_EQ(r->quality.code, want.at("code").get<uint32_t>()) << r->quality.text;
    return;
  }
  ASSERT_EQ(r->quality.level, model::QualityLevel::kGood) << r->quality.text;
  const std::string type = want.at("type");
  const auto& v = want.at("value");
  if (type == "double") {
    ASSERT_NE(r->value.get<double>(), nullptr);
    EXPECT_EQ(*r->value.get<double>(), v.get<double>());
  } else if (type == "int64") {
    ASSERT_NE(r->value.get<int64_t>(), nullptr);
    EXPECT_EQ(*r->value.get<int64_t>(), v.get<int64_t>());
  } else if (type == "uint64") {
    ASSERT_NE(r->value.get<uint64_t>(), nullptr);
    EXPECT_EQ(*r->value.get<uint64_t>(), v.get<uint64_t>());
  } else if (type == "bool") {
    ASSERT_NE(r->value.get<bool>(), nullptr);
    EXPECT_EQ(*r->value.get<bool>(), v.get<bool>());
  } else if (type == "string") {
    ASSERT_NE(r->value.get<std::string>(), nullptr);
    EXPECT_EQ(*r->value.get<std::string>(), v.get<std::string>());
  } else {
    FAIL() << "unknown expected type " << type;
  }
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, PollYieldsTheExpectedRecords) {
  const fs::path dir = fs::path(SF_MODBUS_TESTCASES) / GetParam();
  auto registry = modbusRegistry();
  config::ParseOptions po;
  po.file = (dir / "config.yaml").string();
  po.registry = &registry;
  auto cc = config::parseComponentYaml(readFile((dir / "config.yaml").string()),
                                       config::ComponentKind::kAdapter, po);
  ASSERT_TRUE(cc) << cc.errorText();
  const auto* cfg = cc->as<ModbusTcpConfig>();
  ASSERT_NE(cfg, nullptr);
  const auto device = nlohmann::json::parse(readFile((dir / "device.json").string()));
  const auto expected = nlohmann::json::parse(readFile((dir / "expected.json").string()));

  MapServer server;
  server.backend.load(device);
  ModbusTcpConfig c = *cfg;
  c.port = server.port();
  IoThread io;
  AdapterUnderTest a(io, c, "golden");
  ASSERT_TRUE(a.connect());

  a.pollOnce();  // the first poll learns the device's limits on the way
  auto records = a.emitter.take();
  for (const auto& want : expected.at("records")) expectRecord(want, records);
  size_t telemetry = 0;
  for (const auto& r : records) telemetry += r.recordClass() == model::RecordClass::kTelemetry;
  EXPECT_EQ(telemetry, expected.at("records").size());

  server.backend.clearReads();
  a.pollOnce();  // with what was learned
  records = a.emitter.take();
  for (const auto& want : expected.at("records")) expectRecord(want, records);
  if (expected.contains("requests_per_poll")) {
    EXPECT_EQ(server.backend.reads().size(), expected.at("requests_per_poll").get<size_t>());
  }
}

INSTANTIATE_TEST_SUITE_P(Modbus, Golden, ::testing::ValuesIn(caseNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sf::modbus
