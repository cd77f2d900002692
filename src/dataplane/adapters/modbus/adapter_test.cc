// The Modbus TCP adapter against in-process peers: the simulator's server over scripted register
// maps (coalescing, unit routing, per-device back-off, fairness, overruns, writes) and a raw
// scripted peer for what well-behaved servers never send (late and foreign responses, wrong byte
// counts, malformed MBAP headers, frames split into single bytes).

#include <gtest/gtest.h>

#include "dataplane/adapters/modbus/test_util.h"

namespace sf::modbus {
namespace {

using namespace testing;

constexpr const char* kTwoBlocks = R"(
name: t
host: 127.0.0.1
timeout: 200ms
devices:
  - name: plc
    unit_id: 1
    max_gap_registers: 4
    tags:
      - {name: a, address: 0, type: uint16}
      - {name: b, address: 1, type: int16}
      - {name: c, address: 2, type: float32}
      - {name: d, address: 7, type: uint16}
      - {name: e, address: 100, type: uint32}
)";

MapBackend::Unit denseUnit(uint16_t n, uint16_t base_value = 0) {
  MapBackend::Unit u;
  for (uint16_t a = 0; a < n; ++a) u.holding[a] = static_cast<uint16_t>(base_value + a);
  return u;
}

TEST(ModbusAdapter, CoalescesReadsAndReportsThePlan) {
  MapServer server;
  server.backend.setUnit(1, denseUnit(200));
  IoThread io;
  AdapterUnderTest a(io, tcpConfig(kTwoBlocks, server.port()));
  ASSERT_TRUE(a.connect());
  a.pollOnce();
  auto reads = server.backend.reads();
  ASSERT_EQ(reads.size(), 2u);  // 0..7 read through the gap 4..6, and 100..101
  EXPECT_EQ(reads[0], std::make_tuple(uint8_t{1}, uint16_t{0}, uint16_t{8}));
  EXPECT_EQ(reads[1], std::make_tuple(uint8_t{1}, uint16_t{100}, uint16_t{2}));
  auto rs = a.emitter.take();
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(*findRecord(rs, "a")->value.get<uint64_t>(), 0u);
  EXPECT_EQ(*findRecord(rs, "d")->value.get<uint64_t>(), 7u);
  EXPECT_EQ(*findRecord(rs, "e")->value.get<uint64_t>(), (100u << 16) | 101u);
  EXPECT_EQ(findRecord(rs, "a")->device, "plc");
  EXPECT_EQ(findRecord(rs, "a")->adapter, "mb1");
  EXPECT_EQ(findRecord(rs, "a")->site, "site1");
  auto plan = planAdapter(a.config_);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].reads.size(), 2u);
  EXPECT_NE(describePlan(a.config_, plan).find("FC3 holding            0 +8"), std::string::npos)
      << describePlan(a.config_, plan);
}

TEST(ModbusAdapter, LateResponseAfterTimeoutIsDroppedNotPoisoning) {
  // The first response is held back and sent just before the second one: the client must drop
  // it by its transaction id (no reconnect) and accept the second.
  std::mutex mu;
  std::vector<uint8_t> held;
  int n = 0;
  ScriptedServer peer([&](const std::vector<uint8_t>& req) {
    std::lock_guard lock(mu);
    auto resp = echoAddressResponse(req);
    if (n++ == 0) {
      held = resp;
      return std::vector<uint8_t>{};
    }
    std::vector<uint8_t> out = held;
    held.clear();
    out.insert(out.end(), resp.begin(), resp.end());
    return out;
  });
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 500ms
devices: [{name: plc, tags: [{name: a, address: 5}]}]
)",
                       peer.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.pollOnce();
  auto all = a.emitter.take();
  auto rs = telemetry(all);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].quality.level, model::QualityLevel::kBad);
  EXPECT_EQ(rs[0].quality.code, quality::kTimeout);
  EXPECT_EQ(stateChanges(all), std::vector<std::string>{"plc:degraded"});
  a.pollOnce();
  all = a.emitter.take();
  rs = telemetry(all);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].quality.level, model::QualityLevel::kGood) << rs[0].quality.text;
  EXPECT_EQ(*rs[0].value.get<uint64_t>(), 5u);
  EXPECT_EQ(stateChanges(all), std::vector<std::string>{"plc:connected"});
  EXPECT_EQ(a.metric("sf_modbus_late_responses_total"), 1);
  EXPECT_EQ(a.metric("sf_modbus_timeouts_total"), 1);
  EXPECT_EQ(peer.connections(), 1);
}

TEST(ModbusAdapter, BadFramesAreCountedAndTheStreamRecovers) {
  // Request 1: wrong byte count; 2: a foreign unit; 3: a frame with protocol id 7 (skipped)
  // then nothing (timeout); 4: good, written one byte at a time (partial frames).
  int n = 0;
  ScriptedServer peer([&](const std::vector<uint8_t>& req) -> std::vector<uint8_t> {
    auto good = echoAddressResponse(req);
    switch (n++) {
      case 0: {
        auto bad = good;
        bad[8] = 4;  // byte count 4 for one register
        return bad;
      }
      case 1: {
        auto bad = good;
        bad[6] = 99;  // unit 99
        return bad;
      }
      case 2: {
        auto bad = good;
        bad[3] = 7;  // protocol id 7
        return bad;
      }
      default:
        return good;
    }
  });
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 500ms
devices: [{name: plc, tags: [{name: a, address: 9}]}]
)",
                       peer.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  for (int i = 0; i < 3; ++i) a.pollOnce();
  peer.byte_by_byte = true;
  a.pollOnce();
  auto all = a.emitter.take();
  // Bad for three polls, then good: one state change each way (log records).
  EXPECT_EQ(stateChanges(all), (std::vector<std::string>{"plc:degraded", "plc:connected"}));
  auto rs = telemetry(all);
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].quality.code, quality::kInvalidResponse);
  EXPECT_EQ(rs[1].quality.code, quality::kInvalidResponse);
  EXPECT_EQ(rs[2].quality.code, quality::kTimeout);
  EXPECT_EQ(rs[3].quality.level, model::QualityLevel::kGood);
  EXPECT_EQ(a.metric("sf_modbus_malformed_frames_total"), 2);  // byte count, protocol id
  EXPECT_EQ(a.metric("sf_modbus_foreign_responses_total"), 1);
  EXPECT_EQ(peer.connections(), 1);
}

TEST(ModbusAdapter, MalformedMbapHeaderBreaksTheConnectionForAReconnect) {
  ScriptedServer peer([](const std::vector<uint8_t>& req) {
    std::vector<uint8_t> out{req[0], req[1], 0, 0, 0xFF, 0xFF, 1, 3};  // length 65535
    return out;
  });
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 300ms
poll_interval: 20ms
devices: [{name: plc, tags: [{name: a, address: 1}]}]
)",
                       peer.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] { return a.runResult().has_value(); }));
  auto st = *a.runResult();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kInvalidData) << st.error().toString();
  EXPECT_EQ(a.metric("sf_modbus_malformed_frames_total"), 1);
  auto rs = a.emitter.take();
  ASSERT_FALSE(rs.empty());
  EXPECT_EQ(rs.back().quality.code, quality::kNotConnected);
  // A new connect() works (the supervisor's reconnect). The peer counts the connection when its
  // accept completes, which may be after our connect() returned.
  ASSERT_TRUE(a.connect());
  EXPECT_TRUE(eventually([&] { return peer.connections() == 2; })) << peer.connections();
}

TEST(ModbusAdapter, SilentDeviceIsBackedOffAndOthersKeepTheirSchedule) {
  MapServer server(sim::UnknownUnitPolicy::kSilence);
  server.backend.setUnit(1, denseUnit(10, 100));
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 200ms
poll_interval: 50ms
devices:
  - name: good
    unit_id: 1
    tags: [{name: a, address: 0}, {name: b, address: 5}]
  - name: silent
    unit_id: 9
    failures_before_backoff: 2
    backoff_initial: 3s
    tags: [{name: a, address: 0}, {name: b, address: 50}]
)",
                       server.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] { return a.metric("sf_modbus_skipped_backoff_total") >= 5; }));
  auto status = a.adapter->devices();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].state, runtime::DeviceState::kConnected);
  EXPECT_EQ(status[1].state, runtime::DeviceState::kFailing);
  EXPECT_NE(status[1].last_error.find("no response"), std::string::npos) << status[1].last_error;
  // The silent device timed out twice and was then left alone: the good device kept polling.
  const auto timeouts = a.metric("sf_modbus_timeouts_total");
  EXPECT_EQ(timeouts, 2);
  // Its state changes are log records: degraded after the first timeout, failing (backed off)
  // after the second.
  EXPECT_EQ(stateChanges(a.emitter.take()),
            (std::vector<std::string>{"silent:degraded", "silent:failing"}));
  // The good device keeps polling (5 more polls, 2 good tags each; about 250 ms unless the
  // machine is very busy) while the silent one, backed off for 3 s, is not asked at all.
  auto goodRecords = [&] {
    size_t n = 0;
    for (const auto& r : a.emitter.snapshot()) {
      if (r.device == "good" && r.quality.level == model::QualityLevel::kGood) ++n;
    }
    return n;
  };
  EXPECT_TRUE(eventually([&] { return goodRecords() >= 10; }));
  auto rs = a.emitter.take();
  size_t silent = 0;
  for (const auto& r : rs) {
    if (r.device == "silent") ++silent;
  }
  EXPECT_EQ(silent, 0u);
  EXPECT_EQ(a.metric("sf_modbus_timeouts_total"), 2);
  EXPECT_EQ(a.metric("sf_modbus_devices_backoff"), 1);
  // The device comes back: after the back-off, the probe succeeds and it polls again.
  server.backend.setUnit(9, denseUnit(60, 7));
  ASSERT_TRUE(eventually(
      [&] { return a.adapter->devices()[1].state == runtime::DeviceState::kConnected; }));
  EXPECT_EQ(a.metric("sf_modbus_devices_backoff"), 0);
  a.stop();
  auto st = a.runResult();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->error().code, core::Errc::kCancelled);
}

TEST(ModbusAdapter, DeviceStateChangesAreLogRecords) {
  MapServer server(sim::UnknownUnitPolicy::kGatewayTargetFailed);
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 100ms
poll_interval: 20ms
devices:
  - name: gone
    unit_id: 4
    failures_before_backoff: 1
    backoff_initial: 10s
    tags: [{name: a, address: 0}]
)",
                       server.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] {
    for (const auto& r : a.emitter.snapshot()) {
      if (r.log() && r.tag == "_device") return true;
    }
    return false;
  }));
  a.stop();
  for (const auto& r : a.emitter.snapshot()) {
    if (r.log()) {
      EXPECT_EQ(r.device, "gone");
      EXPECT_EQ(*r.attributes.find("to"), "failing");
      EXPECT_NE(r.log()->message.find("exception 0B"), std::string::npos) << r.log()->message;
    } else {
      EXPECT_EQ(r.quality.code, ex::kGatewayTargetFailed);
    }
  }
}

TEST(ModbusAdapter, FairTurnTakingBetweenUnitsOnOneLink) {
  // Unit 1 needs 10 reads per poll (limit 2 registers per read, no gaps), unit 2 one read. With
  // a 5 ms response delay, unit 2's read must not wait behind all of unit 1's.
  MapServer server;
  server.backend.setUnit(1, denseUnit(40));
  server.backend.setUnit(2, denseUnit(40));
  server.server.setResponseDelay(5ms);
  std::string yaml = R"(
name: t
host: x
timeout: 500ms
poll_interval: 60ms
devices:
  - name: busy
    unit_id: 1
    max_read_registers: 2
    max_gap_registers: 0
    tags: [)";
  for (int i = 0; i < 20; ++i)
    yaml += (i ? ", " : "") + std::string("{name: r") + std::to_string(i) +
            ", address: " + std::to_string(i) + "}";
  yaml += R"(]
  - name: quick
    unit_id: 2
    tags: [{name: x, address: 3}]
)";
  IoThread io;
  AdapterUnderTest a(io, tcpConfig(yaml, server.port()));
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] { return a.metric("sf_modbus_polls_total") >= 8; }));
  a.stop();
  // Unit 1's rounds (polls) run from its read of address 0 to the next one: 10 reads. Unit 2's
  // reads are served in the middle of them, not only after the last. Only rounds that ran to
  // the end count (the stop cuts the last one short); under load a round may outlast unit 2's
  // interval and hold two of its reads.
  auto reads = server.backend.reads();
  auto show = [&](size_t from, size_t to) {
    std::string out;
    for (size_t k = from; k < std::min(to, reads.size()); ++k) {
      out +=
          " " + std::to_string(std::get<0>(reads[k])) + ":" + std::to_string(std::get<1>(reads[k]));
    }
    return out;
  };
  auto roundStart = [&](size_t k) {
    return std::get<0>(reads[k]) == 1 && std::get<1>(reads[k]) == 0;
  };
  std::optional<size_t> first_round, last_round;
  for (size_t k = 0; k < reads.size(); ++k) {
    if (!roundStart(k)) continue;
    if (!first_round) first_round = k;
    last_round = k;
  }
  ASSERT_TRUE(first_round && last_round) << show(0, reads.size());
  size_t checked = 0;
  for (size_t i = *first_round; i < *last_round; ++i) {
    if (std::get<0>(reads[i]) != 2) continue;
    size_t before = 0, after = 0;  // unit 1's reads of this round before and after it
    for (size_t j = i; j-- > 0;) {
      if (std::get<0>(reads[j]) == 1) ++before;
      if (roundStart(j)) break;
    }
    for (size_t j = i + 1; j < reads.size() && !roundStart(j); ++j) {
      if (std::get<0>(reads[j]) == 1) ++after;
    }
    EXPECT_EQ(before + after, 10u)
        << "unit:address around read " << i << ":" << show(i > 12 ? i - 12 : 0, i + 12);
    if (after > 0) ++checked;  // served while unit 1's round was in progress
  }
  EXPECT_GE(checked, 1u) << show(0, reads.size());
}

TEST(ModbusAdapter, OverrunsAreCountedAndNeverQueued) {
  MapServer server;
  server.backend.setUnit(1, denseUnit(10));
  server.server.setResponseDelay(60ms);
  auto cfg = tcpConfig(R"(
name: t
host: x
timeout: 1s
poll_interval: 20ms
devices: [{name: plc, tags: [{name: a, address: 0}]}]
)",
                       server.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.start();
  std::this_thread::sleep_for(600ms);
  a.stop();
  const double requests = a.metric("sf_modbus_requests_total");
  const double overruns = a.metric("sf_modbus_overruns_total");
  EXPECT_GE(overruns, 2 * (requests - 1));  // each 60 ms poll skips 2..3 slots of 20 ms
  EXPECT_LE(requests, 12);                  // ~10 polls in 600 ms, never a backlog
}

TEST(ModbusAdapter, WritesAreRefusedUnlessEnabledThenEncoded) {
  MapServer server;
  auto u = denseUnit(20);
  u.coils[3] = false;
  server.backend.setUnit(1, u);
  auto cfg = tcpConfig(R"(
name: t
host: x
devices:
  - name: ro
    unit_id: 1
    tags: [{name: sp, address: 0}]
  - name: rw
    unit_id: 1
    writes_enabled: true
    tags:
      - {name: sp, address: 0, type: int16}
      - {name: flow, address: 2, type: float32, word_order: CDAB}
      - {name: run, table: coil, address: 3}
      - {name: flag, address: 10, type: bool, bit: 4}
      - {name: label, address: 12, type: string, length: 3}
      - {name: level, table: input, address: 0}
)",
                       server.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  auto st = a.write("ro", "sp", model::Value::ofInt64(5));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kUnsupported);
  EXPECT_FALSE(a.write("rw", "nope", model::Value::ofInt64(5)));
  EXPECT_FALSE(a.write("rw", "level", model::Value::ofInt64(5)));   // input table
  EXPECT_FALSE(a.write("rw", "sp", model::Value::ofInt64(40000)));  // int16 range
  ASSERT_TRUE(a.write("rw", "sp", model::Value::ofInt64(-7)));
  ASSERT_TRUE(a.write("rw", "flow", model::Value::ofDouble(1234.5)));
  ASSERT_TRUE(a.write("rw", "run", model::Value::ofBool(true)));
  ASSERT_TRUE(a.write("rw", "flag", model::Value::ofBool(true)));
  ASSERT_TRUE(a.write("rw", "label", model::Value::ofString("ab")));
  auto after = server.backend.unit(1);
  EXPECT_EQ(after.holding[0], 0xFFF9);
  EXPECT_EQ(after.holding[2], 0x5000);  // 1234.5f = 0x449A5000, CDAB: low word first
  EXPECT_EQ(after.holding[3], 0x449A);
  EXPECT_TRUE(after.coils[3]);
  EXPECT_EQ(after.holding[10], 10 | 0x10);  // bit 4 set, the other bits kept
  EXPECT_EQ(after.holding[12], 0x6162);
  EXPECT_EQ(after.holding[13], 0);
  // A refused write (exception) is an error naming the exception.
  auto faulty = server.backend.unit(1);
  faulty.faults.push_back(
      {sim::Table::kHoldingRegister, 0, 1, sim::ModbusException::kIllegalDataAddress});
  server.backend.setUnit(1, faulty);
  st = a.write("rw", "sp", model::Value::ofInt64(1));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("exception 02"), std::string::npos) << st.error().message;
}

TEST(ModbusAdapter, PipelinedRequestsMatchByTransactionId) {
  MapServer server;
  server.backend.setUnit(1, denseUnit(200));
  server.backend.setUnit(2, denseUnit(200, 1000));
  auto cfg = tcpConfig(R"(
name: t
host: x
max_in_flight: 4
poll_interval: 30ms
devices:
  - {name: u1, unit_id: 1, max_read_registers: 10, max_gap_registers: 0, tags: [{name: a, address: 0}, {name: b, address: 50}, {name: c, address: 100}]}
  - {name: u2, unit_id: 2, max_read_registers: 10, max_gap_registers: 0, tags: [{name: a, address: 0}, {name: b, address: 50}, {name: c, address: 100}]}
)",
                       server.port());
  IoThread io;
  AdapterUnderTest a(io, cfg);
  ASSERT_TRUE(a.connect());
  a.start();
  ASSERT_TRUE(eventually([&] { return a.metric("sf_modbus_polls_total") >= 10; }));
  a.stop();
  for (const auto& r : a.emitter.snapshot()) {
    if (r.recordClass() != model::RecordClass::kTelemetry) continue;
    ASSERT_EQ(r.quality.level, model::QualityLevel::kGood) << r.quality.text;
    const uint64_t base = r.device == "u1" ? 0 : 1000;
    const uint64_t addr = r.tag == "a" ? 0 : r.tag == "b" ? 50 : 100;
    EXPECT_EQ(*r.value.get<uint64_t>(), base + addr);
  }
}

}  // namespace
}  // namespace sf::modbus
