// The Modbus adapters against pymodbus servers (an independent implementation) that each test
// starts and scripts: Modbus TCP, RTU framing over TCP, and RTU on a serial line made of a socat
// pseudo-terminal pair. Register maps, exceptions, delays and silent units come from the tests.

#include <gtest/gtest.h>

#include "dataplane/adapters/modbus/test_util.h"
#include "integration/modbus/peer.h"

namespace sf::modbus {
namespace {

using namespace testing;
using namespace itest;

class PymodbusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto missing = missingPrerequisite();
    if (missing.empty()) return;
    if (envOr("SF_ALLOW_SKIP") == "1") GTEST_SKIP() << missing;
    FAIL() << missing << " (set SF_ALLOW_SKIP=1 to skip)";
  }
};

// float32 1234.5 = 0x449A5000; CDAB puts the low word first. Unit 2 holds 1.0f = 0x3F800000
// big-endian (ABCD) at address 0.
constexpr const char* kPlantMap = R"({"units": {
  "1": {"holding": {"0": [20480, 17562, 65534, 4660, 0, 7], "100": [16706, 17220]},
        "input": {"0": [100, 200]}, "coils": {"0": [1, 0, 1]}, "discrete_inputs": {"10": [1]},
        "exceptions": [{"table": "holding", "from": 3, "to": 4, "code": 2}]},
  "2": {"holding": {"0": [16256, 0, 1, 2, 3, 4]}}
}})";

constexpr const char* kPlantTags = R"(
    tags:
      - {name: flow, address: 0, type: float32, word_order: CDAB}
      - {name: temp, address: 2, type: int16}
      - {name: bad, address: 3}
      - {name: count, address: 4, type: uint32}
      - {name: label, address: 100, type: string, length: 2}
      - {name: ir0, table: input, address: 0}
      - {name: ir1, table: input, address: 1}
      - {name: run, table: coil, address: 0}
      - {name: stop, table: coil, address: 1}
      - {name: door, table: discrete_input, address: 10}
)";

void expectPlant(const std::vector<model::Record>& rs) {
  // The record of a tag if it is good (its value is checked next), else null (a failure).
  auto good = [&](const char* tag) -> const model::Record* {
    const auto* r = findRecord(rs, tag);
    EXPECT_NE(r, nullptr) << tag;
    if (r == nullptr) return nullptr;
    EXPECT_EQ(r->quality.level, model::QualityLevel::kGood) << tag << ": " << r->quality.text;
    return r->quality.level == model::QualityLevel::kGood ? r : nullptr;
  };
  if (auto* r = good("flow")) {
    EXPECT_EQ(*r->value.get<double>(), 1234.5);
  }
  if (auto* r = good("temp")) {
    EXPECT_EQ(*r->value.get<int64_t>(), -2);
  }
  if (auto* r = good("count")) {
    EXPECT_EQ(*r->value.get<uint64_t>(), 7u);
  }
  if (auto* r = good("label")) {
    EXPECT_EQ(*r->value.get<std::string>(), "ABCD");
  }
  if (auto* r = good("ir1")) {
    EXPECT_EQ(*r->value.get<uint64_t>(), 200u);
  }
  if (auto* r = good("run")) {
    EXPECT_TRUE(*r->value.get<bool>());
  }
  if (auto* r = good("stop")) {
    EXPECT_FALSE(*r->value.get<bool>());
  }
  if (auto* r = good("door")) {
    EXPECT_TRUE(*r->value.get<bool>());
  }
  const auto* bad = findRecord(rs, "bad");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->quality.level, model::QualityLevel::kBad);
  EXPECT_EQ(bad->quality.code, ex::kIllegalDataAddress);
}

TEST_F(PymodbusTest, TcpDecodesLearnsBadAddressesAndWrites) {
  PymodbusPeer peer(kPlantMap, {"tcp"});
  IoThread io;
  auto cfg = tcpConfig(std::string(R"(
name: plant
host: x
timeout: 1s
devices:
  - name: pump
    unit_id: 1
    writes_enabled: true
)") + kPlantTags,
                       peer.port());
  AdapterUnderTest a(io, cfg, "plant");
  ASSERT_TRUE(a.connect());
  a.pollOnce();
  expectPlant(a.emitter.take());
  EXPECT_GE(a.metric("sf_modbus_read_splits_total"), 1);
  const double requests = a.metric("sf_modbus_requests_total");
  a.pollOnce();  // learned: the bad register is not asked again
  expectPlant(a.emitter.take());
  EXPECT_LE(a.metric("sf_modbus_requests_total") - requests, 6);
  // Writes: FC 16 (float32), FC 6 (int16), FC 5 (coil); read back from the server.
  ASSERT_TRUE(a.write("pump", "flow", model::Value::ofDouble(-2.5)));
  ASSERT_TRUE(a.write("pump", "temp", model::Value::ofInt64(300)));
  ASSERT_TRUE(a.write("pump", "stop", model::Value::ofBool(true)));
  const auto dump = nlohmann::json::parse(peer.dump(1));
  // -2.5f = 0xC0200000 -> CDAB: 0x0000, 0xC020.
  EXPECT_EQ(dump["holding"]["0"], 0);
  EXPECT_EQ(dump["holding"]["1"], 0xC020);
  EXPECT_EQ(dump["holding"]["2"], 300);
  EXPECT_EQ(dump["coils"]["1"], 1);
  auto st = a.write("pump", "bad", model::Value::ofInt64(1));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("exception 02"), std::string::npos) << st.error().message;
}

TEST_F(PymodbusTest, TcpGatewayRoutesUnitsAndBacksOffAnOfflineOne) {
  PymodbusPeer peer(kPlantMap, {"tcp"});
  IoThread io;
  auto cfg = tcpConfig(R"(
name: gw
host: x
timeout: 1s
poll_interval: 100ms
devices:
  - name: u1
    unit_id: 1
    tags: [{name: flow, address: 0, type: float32, word_order: CDAB}]
  - name: u2
    unit_id: 2
    tags: [{name: v, address: 0, type: float32}]
  - name: u9
    unit_id: 9
    failures_before_backoff: 2
    backoff_initial: 5s
    tags: [{name: v, address: 0}]
)",
                       peer.port());
  AdapterUnderTest a(io, cfg, "gw");
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] { return a.metric("sf_modbus_skipped_backoff_total") >= 3; }));
  auto status = a.adapter->devices();
  EXPECT_EQ(status[0].state, runtime::DeviceState::kConnected);
  EXPECT_EQ(status[1].state, runtime::DeviceState::kConnected);
  EXPECT_EQ(status[2].state, runtime::DeviceState::kFailing);
  a.stop();
  auto rs = a.emitter.take();
  size_t u1 = 0, u2 = 0, u9_bad = 0;
  for (const auto& r : rs) {
    if (r.recordClass() != model::RecordClass::kTelemetry) continue;
    if (r.device == "u1" && r.quality.level == model::QualityLevel::kGood) {
      ++u1;
      EXPECT_EQ(*r.value.get<double>(), 1234.5);
    }
    if (r.device == "u2" && r.quality.level == model::QualityLevel::kGood) {
      ++u2;
      EXPECT_EQ(*r.value.get<double>(), 1.0);  // 0x3F800000 on unit 2 at the same address
    }
    if (r.device == "u9") {
      ++u9_bad;
      EXPECT_EQ(r.quality.code, ex::kGatewayTargetFailed);  // pymodbus: no such device id
    }
  }
  EXPECT_GE(u1, 3u);
  EXPECT_GE(u2, 3u);
  EXPECT_EQ(u9_bad, 2u);
}

TEST_F(PymodbusTest, TcpSlowDeviceTimesOutThenRecoversWithoutReconnect) {
  PymodbusPeer peer(kPlantMap, {"tcp"});
  IoThread io;
  auto cfg = tcpConfig(R"(
name: slow
host: x
timeout: 500ms
devices:
  - name: u2
    unit_id: 2
    tags: [{name: v, address: 2}]
)",
                       peer.port());
  AdapterUnderTest a(io, cfg, "slow");
  ASSERT_TRUE(a.connect());
  peer.command(R"({"unit": 2, "delay": 1.5})");
  a.pollOnce();
  auto all = a.emitter.take();
  auto rs = telemetry(all);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].quality.code, quality::kTimeout);
  EXPECT_EQ(stateChanges(all), std::vector<std::string>{"u2:degraded"});
  peer.command(R"({"unit": 2, "delay": 0})");
  // The late answer arrives (1.5 s after the request) and is dropped by its transaction id.
  ASSERT_TRUE(eventually([&] { return a.metric("sf_modbus_late_responses_total") >= 1; }));
  a.pollOnce();
  all = a.emitter.take();
  rs = telemetry(all);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].quality.level, model::QualityLevel::kGood) << rs[0].quality.text;
  EXPECT_EQ(*rs[0].value.get<uint64_t>(), 1u);
  EXPECT_EQ(stateChanges(all), std::vector<std::string>{"u2:connected"});
  EXPECT_EQ(a.metric("sf_modbus_late_responses_total"), 1);
}

TEST_F(PymodbusTest, RtuOverTcpFraming) {
  PymodbusPeer peer(kPlantMap, {"tcp", "--framer", "rtu"});
  IoThread io;
  auto cfg = tcpConfig(std::string(R"(
name: rtutcp
host: x
framing: rtu
timeout: 1s
devices:
  - name: pump
    unit_id: 1
)") + kPlantTags,
                       peer.port());
  AdapterUnderTest a(io, cfg, "rtutcp");
  ASSERT_TRUE(a.connect());
  a.pollOnce();
  expectPlant(a.emitter.take());
  EXPECT_EQ(a.metric("sf_modbus_crc_errors_total"), 0);
}

ModbusRtuConfig rtuConfig(const std::string& yaml, const std::string& port) {
  auto r = config::parseYaml(yaml, rtuSpec());
  if (!r) throw std::runtime_error(r.errorText());
  ModbusRtuConfig c = *r;
  c.serial_port = port;
  return c;
}

TEST_F(PymodbusTest, RtuSerialLineOverAPtyPair) {
  // A pseudo-terminal has no parity: Linux clears PARENB on a pty, and Debian's glibc then fails
  // a tcsetattr() whose only change is PARENB with EINVAL (pyserial issue 196), which is what
  // pyserial does when pymodbus reconfigures the port. So the line runs without parity; baud and
  // framing are still configured on both ends.
  PtyPair line;
  PymodbusPeer peer(kPlantMap, {"serial", "--port", line.b(), "--baud", "19200", "--parity", "N"});
  IoThread io;
  auto cfg = rtuConfig(std::string(R"(
name: bus
serial_port: x
baud_rate: 19200
parity: none
timeout: 500ms
poll_interval: 200ms
devices:
  - name: u2
    unit_id: 2
    tags: [{name: v, address: 0, type: float32}]
  - name: pump
    unit_id: 1
    writes_enabled: true
)") + kPlantTags,
                       line.a());
  auto c = cfg;
  AdapterUnderTest a(
      io, static_cast<const ModbusCommonConfig&>(cfg),
      [c](Executor ex, Counters& k) { return makeSerialTransport(c, ex, k); }, "modbus_rtu");
  ASSERT_TRUE(a.connect());
  a.pollOnce();
  auto rs = a.emitter.take();
  expectPlant(rs);
  ASSERT_NE(findRecord(rs, "v"), nullptr);
  ASSERT_TRUE(a.write("pump", "count", model::Value::ofUInt64(123456)));
  const auto dump = nlohmann::json::parse(peer.dump(1));
  EXPECT_EQ(dump["holding"]["4"], 1);
  EXPECT_EQ(dump["holding"]["5"], 123456 - 65536);
  // A silent unit on the shared bus: backed off, the other keeps its turn.
  peer.command(R"({"unit": 2, "silent": true})");
  a.start();
  ASSERT_TRUE(eventually(
      [&] { return a.adapter->devices()[0].state == runtime::DeviceState::kFailing; }, 15s));
  a.emitter.take();
  auto pumpGood = [&] {
    size_t n = 0;
    for (const auto& r : a.emitter.snapshot()) {
      if (r.device == "pump" && r.tag == "flow" && r.quality.level == model::QualityLevel::kGood)
        ++n;
    }
    return n;
  };
  EXPECT_TRUE(eventually([&] { return pumpGood() >= 3; }, 15s)) << pumpGood();
  a.stop();
  EXPECT_EQ(a.metric("sf_modbus_crc_errors_total"), 0);
}

}  // namespace
}  // namespace sf::modbus
