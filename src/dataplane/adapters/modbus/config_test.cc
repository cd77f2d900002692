#include "dataplane/adapters/modbus/config.h"

#include <gtest/gtest.h>

#include "config/parse.h"
#include "config/reference.h"
#include "dataplane/adapters/modbus/factory.h"
#include "dataplane/adapters/modbus/test_util.h"

namespace sf::modbus {
namespace {

TEST(ModbusConfig, ParsesAFullTcpConfig) {
  auto r = config::parseYaml(R"(
name: line1
host: 10.0.0.5
port: 1502
framing: rtu
timeout: 250ms
poll_interval: 2s
poll_groups: [{name: fast, interval: 100ms}]
devices:
  - name: pump1
    unit_id: 3
    writes_enabled: true
    max_read_registers: 60
    tags:
      - {name: flow, address: 100, type: float32, word_order: CDAB, poll_group: fast}
      - {name: running, table: coil, address: 4}
      - {name: alarm, address: 7, type: bool, bit: 12}
      - {name: label, address: 20, type: string, length: 8, word_order: BADC}
)",
                             tcpSpec());
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r->framing, Framing::kRtu);
  EXPECT_EQ(r->timeout, std::chrono::milliseconds(250));
  ASSERT_EQ(r->devices.size(), 1u);
  const auto& d = r->devices[0];
  EXPECT_EQ(d.unit_id, 3);
  EXPECT_EQ(d.max_read_registers, 60);
  ASSERT_EQ(d.tags.size(), 4u);
  EXPECT_EQ(d.tags[0].tag, "flow");
  EXPECT_EQ(d.tags[0].word_order, ByteOrder::kCDAB);
  EXPECT_EQ(d.tags[1].resolvedType(), DataType::kBool);
  EXPECT_EQ(*d.tags[2].bit, 12);
  EXPECT_EQ(quantityOf(d.tags[3].codec()), 8);
  auto tags = pipelineTags(*r);
  ASSERT_EQ(tags.size(), 4u);
  EXPECT_EQ(tags[0].adapter, "line1");
  EXPECT_EQ(tags[0].device, "pump1");
  EXPECT_EQ(tags[0].tag, "flow");
}

TEST(ModbusConfig, RejectsInconsistentTagsWithTheirPath) {
  auto r = config::parseYaml(R"(
name: x
host: h
devices:
  - name: d
    tags:
      - {name: a, address: 1, type: bool}
      - {name: a, table: coil, address: 2, type: float32}
      - {name: s, address: 3, type: string}
      - {name: big, address: 65535, type: uint32}
      - {name: g, address: 5, poll_group: nope}
      - {name: w, address: 6, word_order: XYZW}
)",
                             tcpSpec());
  ASSERT_FALSE(r);
  const auto text = r.errorText();
  EXPECT_NE(text.find("/devices/0/tags/0/bit"), std::string::npos) << text;
  EXPECT_NE(text.find("/devices/0/tags/1/type"), std::string::npos) << text;
  EXPECT_NE(text.find("/devices/0/tags/2/length"), std::string::npos) << text;
  EXPECT_NE(text.find("/devices/0/tags/3/address"), std::string::npos) << text;
  EXPECT_NE(text.find("/devices/0/tags/5/word_order"), std::string::npos) << text;
}

TEST(ModbusConfig, CrossFieldRules) {
  auto dup = config::parseYaml(R"(
name: x
host: h
poll_groups: [{name: default, interval: 1s}]
devices:
  - {name: d, tags: [{name: a, address: 1}, {name: a, address: 2}, {name: b, address: 3, poll_group: nope}]}
  - {name: d, tags: [{name: a, address: 1}]}
)",
                               tcpSpec());
  ASSERT_FALSE(dup);
  const auto text = dup.errorText();
  EXPECT_NE(text.find("duplicate tag 'a'"), std::string::npos) << text;
  EXPECT_NE(text.find("duplicate device 'd'"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown poll group 'nope'"), std::string::npos) << text;
  EXPECT_NE(text.find("implicit group"), std::string::npos) << text;
  auto rtu = config::parseYaml(R"(
name: x
serial_port: /dev/ttyUSB0
baud_rate: 12345
devices: [{name: d, unit_id: 0, tags: [{name: a, address: 1}]}]
)",
                               rtuSpec());
  ASSERT_FALSE(rtu);
  EXPECT_NE(rtu.errorText().find("unsupported baud rate"), std::string::npos);
  EXPECT_NE(rtu.errorText().find("/devices/0/unit_id"), std::string::npos);
  auto rtu_ok = config::parseYaml(R"(
name: x
serial_port: /dev/ttyUSB0
devices: [{name: d, unit_id: 1, tags: [{name: a, address: 1}]}]
)",
                                  rtuSpec());
  ASSERT_TRUE(rtu_ok) << rtu_ok.errorText();
  EXPECT_EQ(rtu_ok->timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(rtu_ok->parity, Parity::kEven);
  EXPECT_EQ(rtu_ok->bitsPerChar(), 11);
  auto pipelined_rtu = config::parseYaml(R"(
name: x
host: h
framing: rtu
max_in_flight: 4
devices: [{name: d, tags: [{name: a, address: 1}]}]
)",
                                         tcpSpec());
  ASSERT_FALSE(pipelined_rtu);
}

TEST(ModbusConfig, FactoriesAreConformant) {
  auto registry = testing::modbusRegistry();
  ASSERT_EQ(registry.size(), 2u);
  for (const auto* info : registry.all()) {
    auto problems = config::checkComponent(*info, registry);
    EXPECT_TRUE(problems.empty()) << info->type << ":\n"
                                  << [&] {
                                       std::string s;
                                       for (const auto& p : problems) s += p + "\n";
                                       return s;
                                     }();
  }
  EXPECT_EQ(modbusTcpFactory().info.type, "modbus_tcp");
  EXPECT_EQ(modbusRtuFactory().info.type, "modbus_rtu");
}

TEST(ModbusConfig, FactoryCreatesWithoutIo) {
  auto registry = testing::modbusRegistry();
  config::ParseOptions po;
  po.registry = &registry;
  auto cc = config::parseComponentYaml(R"(
type: modbus_tcp
name: line1
host: 192.0.2.1
devices: [{name: d, tags: [{name: a, address: 1}]}]
)",
                                       config::ComponentKind::kAdapter, po);
  ASSERT_TRUE(cc) << cc.errorText();
  EXPECT_EQ(modbusTcpFactory().name(*cc), "line1");
  EXPECT_EQ(modbusTcpFactory().tags(*cc).size(), 1u);
  asio::io_context io;
  core::MetricsRegistry metrics;
  runtime::AdapterContext ctx{"line1", "modbus_tcp", "s", "g", asio::make_strand(io), nullptr};
  ctx.metrics = &metrics;
  auto a = modbusTcpFactory().create(*cc, ctx);
  ASSERT_TRUE(a);
  auto devices = (*a)->devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].state, runtime::DeviceState::kConnecting);
  // close() before connect() is fine, and idempotent.
  bool closed = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await (*a)->close();
        co_await (*a)->close();
        closed = true;
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace sf::modbus

namespace sf::modbus {
namespace {}  // namespace
}  // namespace sf::modbus
