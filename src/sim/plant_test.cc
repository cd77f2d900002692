#include "sim/plant.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace sf::sim {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Plant> makePlant(PlantOptions o = {}, const core::Clock* clock = nullptr) {
  auto p = Plant::create(std::move(o), clock);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return std::move(p).value();
}

PlantOptions frozenAt(double t) {
  PlantOptions o;
  o.seed = 17;
  o.units = {1, 2};
  o.frozen_time = t;
  return o;
}

const TagSpec& findTag(const std::vector<TagSpec>& tags, uint8_t unit, const std::string& name) {
  for (const auto& t : tags) {
    if (t.unit_id == unit && t.tag == name) return t;
  }
  ADD_FAILURE() << "no tag " << name;
  static TagSpec none;
  return none;
}

TEST(Plant, MapLayoutMatchesTheDocumentedRules) {
  PlantOptions o;
  o.pumps = 3;
  o.tanks = 2;
  o.compressors = 2;
  o.units = {1, 5};
  o.scale_registers = 20;
  auto tags = gatewayTags(o, TagSet::kAll);
  auto primary = gatewayTags(o, TagSet::kPrimary);
  EXPECT_LT(primary.size(), tags.size());
  // Per unit: every (table, address) is used by at most one tag; names are unique.
  std::map<std::tuple<int, int, int>, std::string> used;
  std::set<std::pair<int, std::string>> names;
  for (const auto& t : tags) {
    EXPECT_TRUE(names.insert({t.unit_id, t.tag}).second) << t.tag;
    uint16_t n = std::max<uint16_t>(1, registerCount(t.type));
    for (uint16_t i = 0; i < n; ++i) {
      auto key = std::make_tuple(t.unit_id, static_cast<int>(t.table), t.address + i);
      EXPECT_TRUE(used.emplace(key, t.tag).second) << t.tag << " overlaps " << used[key];
    }
    EXPECT_EQ(t.device, "sim-u" + std::to_string(t.unit_id));
    EXPECT_EQ(t.word_order.empty(), registerCount(t.type) != 2) << t.tag;
    if (t.table == Table::kCoil || t.table == Table::kDiscreteInput) {
      EXPECT_EQ(t.type, DataType::kBool);
    } else {
      EXPECT_NE(t.type, DataType::kBool);
    }
  }
  // The documented addresses.
  auto hr = [&](const std::string& name) { return findTag(tags, 5, name); };
  EXPECT_EQ(hr("pump1.flow").address, 0);
  EXPECT_EQ(hr("pump1.flow").table, Table::kHoldingRegister);
  EXPECT_EQ(hr("pump1.flow").type, DataType::kFloat32);
  EXPECT_EQ(hr("pump3.discharge_pressure").address, 22);
  EXPECT_EQ(hr("pump2.status").address, 18);
  EXPECT_EQ(hr("pump2.fault_code").address, 19);
  EXPECT_EQ(hr("pump1.flow_ir").table, Table::kInputRegister);
  EXPECT_EQ(hr("pump1.flow_ir").type, DataType::kInt16);
  EXPECT_DOUBLE_EQ(hr("pump1.flow_ir").scale, 0.1);
  EXPECT_EQ(hr("pump1.running").table, Table::kDiscreteInput);
  EXPECT_EQ(hr("pump1.run_enable").table, Table::kCoil);
  EXPECT_TRUE(hr("pump1.run_enable").writable);
  EXPECT_EQ(hr("tank2.level").address, 1010);
  EXPECT_EQ(hr("tank2.status").table, Table::kInputRegister);
  EXPECT_EQ(hr("tank2.status").address, 1015);
  EXPECT_EQ(hr("tank1.high_level_switch").address, 1000);
  EXPECT_TRUE(hr("tank1.high_level_switch").alarm_when_true);
  EXPECT_EQ(hr("compressor2.vibration").address, 2014);
  EXPECT_EQ(hr("compressor1.run_enable").address, 2000);
  EXPECT_EQ(hr("plant.sim_time").address, 3000);
  EXPECT_EQ(hr("plant.sim_time").type, DataType::kUInt32);
  EXPECT_EQ(hr("load.hr10019").address, 10019);
  EXPECT_EQ(hr("load.ir10000").table, Table::kInputRegister);
  // Limits come with the analog signals that have them.
  const auto& level = hr("tank1.level");
  EXPECT_EQ(level.limits.hi_hi, 95);
  EXPECT_EQ(level.limits.lo_lo, 5);
  EXPECT_EQ(level.unit, "%");
  EXPECT_TRUE(hr("compressor1.discharge_temp").limits.hi);
  EXPECT_FALSE(hr("pump1.flow").limits.any());
  // Primary has no input-register copies and no load block.
  for (const auto& t : primary) {
    EXPECT_TRUE(t.primary);
    EXPECT_EQ(t.tag.find("_ir"), std::string::npos);
    EXPECT_NE(t.asset, "load");
  }
}

TEST(Plant, RegistersEncodeTheSignalModel) {
  const double t = 1234.56;
  auto plant = makePlant(frozenAt(t));
  const double tq = Plant::timeOfTick(Plant::tickOf(t));
  EXPECT_DOUBLE_EQ(tq, 1234.5);
  const auto& assets = *plant->assetsOf(2);
  ASSERT_EQ(assets.size(), 5u);
  std::vector<double> pump2 = assets[1].sample(tq);
  std::vector<uint16_t> regs;
  ASSERT_EQ(plant->readRegisters(2, Table::kHoldingRegister, 10, 10, regs), ModbusException::kNone);
  auto f32 = [&](size_t i) {
    return std::bit_cast<float>(static_cast<uint32_t>((uint32_t{regs[i]} << 16) | regs[i + 1]));
  };
  EXPECT_EQ(f32(0), static_cast<float>(pump2[pump::kFlow]));
  EXPECT_EQ(f32(2), static_cast<float>(pump2[pump::kDischargePressure]));
  EXPECT_EQ(f32(4), static_cast<float>(pump2[pump::kMotorCurrent]));
  EXPECT_EQ(f32(6), static_cast<float>(pump2[pump::kWindingTemp]));
  uint16_t status = regs[8];
  EXPECT_EQ(regs[9], pump2[pump::kFaultCode]);

  // The status word mirrors the discrete inputs; the int16 copies the floats.
  std::vector<uint8_t> bits;
  ASSERT_EQ(plant->readBits(2, Table::kDiscreteInput, 10, 3, bits), ModbusException::kNone);
  for (int b = 0; b < 3; ++b) EXPECT_EQ((status >> b) & 1, bits[static_cast<size_t>(b)]);
  EXPECT_EQ(bits[0], pump2[pump::kRunning]);
  std::vector<uint16_t> ir;
  ASSERT_EQ(plant->readRegisters(2, Table::kInputRegister, 10, 10, ir), ModbusException::kNone);
  EXPECT_NEAR(static_cast<int16_t>(ir[0]) * 0.1, pump2[pump::kFlow], 0.05 + 1e-9);
  EXPECT_NEAR(static_cast<int16_t>(ir[1]) * 0.01, pump2[pump::kDischargePressure], 0.005 + 1e-9);
  EXPECT_EQ(ir[4], status);
  for (size_t i = 6; i < 10; ++i) EXPECT_EQ(ir[i], 0) << "reserved";

  // Plant block.
  ASSERT_EQ(plant->readRegisters(2, Table::kHoldingRegister, 3000, 10, regs),
            ModbusException::kNone);
  EXPECT_EQ((uint32_t{regs[0]} << 16) | regs[1], 1234u);
  EXPECT_EQ(regs[2], 12345);
  EXPECT_EQ(regs[3], 2);
  EXPECT_EQ(regs[4], 2);
  EXPECT_EQ(regs[5], 2);
  EXPECT_EQ(regs[6], 1);

  // Units differ.
  std::vector<uint16_t> other;
  ASSERT_EQ(plant->readRegisters(1, Table::kHoldingRegister, 10, 10, other),
            ModbusException::kNone);
  ASSERT_EQ(plant->readRegisters(2, Table::kHoldingRegister, 10, 10, regs), ModbusException::kNone);
  EXPECT_NE(other, regs);
}

TEST(Plant, TagValuesDecodeWhatTheRegistersHold) {
  auto plant = makePlant(frozenAt(777.7));
  auto tags = plant->tags(TagSet::kAll);
  auto values = plant->tagValues(tags, 777.7);
  ASSERT_EQ(values.size(), tags.size());
  const auto& assets = *plant->assetsOf(1);
  auto tank1 = assets[2].sample(777.7);
  for (size_t i = 0; i < tags.size(); ++i) {
    ASSERT_FALSE(std::isnan(values[i])) << tags[i].tag;
    if (tags[i].unit_id == 1 && tags[i].tag == "tank1.level") {
      EXPECT_EQ(values[i], static_cast<float>(tank1[tank::kLevel]));
    }
    if (tags[i].unit_id == 1 && tags[i].tag == "tank1.level_ir") {
      EXPECT_NEAR(values[i], tank1[tank::kLevel], 0.05 + 1e-9);
    }
  }
  // JSON round trip keeps the values exactly.
  auto json = nlohmann::json::parse(renderMapJson(plant->options(), tags, &values, 777.7));
  ASSERT_EQ(json["tags"].size(), tags.size());
  EXPECT_EQ(json["simulator"]["seed"], 17);
  for (size_t i = 0; i < tags.size(); ++i) {
    EXPECT_EQ(json["tags"][i]["value"].get<double>(), values[i]);
    EXPECT_EQ(json["tags"][i]["tag"], tags[i].tag);
  }
  const auto& first = json["tags"][0];
  EXPECT_EQ(first["function"], 3);
  EXPECT_EQ(first["word_order"], "ABCD");
  EXPECT_EQ(first["count"], 2);
  auto table = renderMapTable(tags, &values);
  EXPECT_NE(table.find("tank1.level"), std::string::npos);
  EXPECT_NE(table.find("LL=5 L=10 H=85 HH=95"), std::string::npos);
}

TEST(Plant, UnmappedAndReadOnlyAddressesAreExceptions) {
  PlantOptions o = frozenAt(10);
  o.scale_registers = 100;
  auto plant = makePlant(o);
  std::vector<uint16_t> regs;
  std::vector<uint8_t> bits;
  using E = ModbusException;
  const auto HR = Table::kHoldingRegister;
  const auto IR = Table::kInputRegister;
  EXPECT_EQ(plant->readRegisters(1, HR, 0, 20, regs), E::kNone);                // two pumps
  EXPECT_EQ(plant->readRegisters(1, HR, 0, 21, regs), E::kIllegalDataAddress);  // no pump 3
  EXPECT_EQ(plant->readRegisters(1, HR, 20, 1, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, HR, 999, 2, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, HR, 2010, 1, regs), E::kIllegalDataAddress);  // 1 compressor
  EXPECT_EQ(plant->readRegisters(1, HR, 3009, 1, regs), E::kNone);
  EXPECT_EQ(plant->readRegisters(1, HR, 3010, 1, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, IR, 3000, 1, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, HR, 4000, 100, regs), E::kNone);
  EXPECT_EQ(plant->readRegisters(1, HR, 4099, 2, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, IR, 4000, 1, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, IR, 10000, 100, regs), E::kNone);
  EXPECT_EQ(plant->readRegisters(1, HR, 10099, 2, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(1, HR, 65535, 1, regs), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readRegisters(9, HR, 0, 1, regs), E::kGatewayTargetFailed);
  EXPECT_EQ(plant->readBits(1, Table::kCoil, 0, 20, bits), E::kNone);
  EXPECT_EQ(plant->readBits(1, Table::kCoil, 0, 21, bits), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readBits(1, Table::kCoil, 4000, 100, bits), E::kNone);
  EXPECT_EQ(plant->readBits(1, Table::kDiscreteInput, 4000, 1, bits), E::kIllegalDataAddress);
  EXPECT_EQ(plant->readBits(1, Table::kDiscreteInput, 1000, 20, bits), E::kNone);
  // Writes: only the scratch area and the run commands.
  uint16_t one = 1;
  EXPECT_EQ(plant->writeRegisters(1, 0, std::span(&one, 1)), E::kIllegalDataAddress);
  EXPECT_EQ(plant->writeRegisters(1, 3000, std::span(&one, 1)), E::kIllegalDataAddress);
  EXPECT_EQ(plant->writeRegisters(1, 10000, std::span(&one, 1)), E::kIllegalDataAddress);
  std::vector<uint16_t> two = {1, 2};
  EXPECT_EQ(plant->writeRegisters(1, 4099, two), E::kIllegalDataAddress);
  uint8_t on = 1;
  EXPECT_EQ(plant->writeCoils(1, 1, std::span(&on, 1)), E::kIllegalDataAddress);     // reserved
  EXPECT_EQ(plant->writeCoils(1, 1000, std::span(&on, 1)), E::kIllegalDataAddress);  // tank
  // All-or-nothing: a write that fails part-way changes nothing.
  std::vector<uint8_t> coils(2, 1);
  EXPECT_EQ(plant->writeCoils(1, 4099, coils), E::kIllegalDataAddress);
  ASSERT_EQ(plant->readBits(1, Table::kCoil, 4099, 1, bits), E::kNone);
  EXPECT_EQ(bits[0], 0);
}

TEST(Plant, ScratchAreaAndLoadBlock) {
  core::ManualClock clock;
  PlantOptions o;
  o.scale_registers = 5000;
  auto plant = makePlant(o, &clock);
  std::vector<uint16_t> values = {0xBEEF, 0, 65535};
  ASSERT_EQ(plant->writeRegisters(1, 4050, values), ModbusException::kNone);
  std::vector<uint16_t> regs;
  ASSERT_EQ(plant->readRegisters(1, Table::kHoldingRegister, 4050, 3, regs),
            ModbusException::kNone);
  EXPECT_EQ(regs, values);
  std::vector<uint8_t> coils = {1, 0, 1};
  ASSERT_EQ(plant->writeCoils(1, 4000, coils), ModbusException::kNone);
  std::vector<uint8_t> bits;
  ASSERT_EQ(plant->readBits(1, Table::kCoil, 4000, 3, bits), ModbusException::kNone);
  EXPECT_EQ(bits, coils);

  clock.advance(std::chrono::seconds(42));
  ASSERT_EQ(plant->readRegisters(1, Table::kHoldingRegister, 14990, 10, regs),
            ModbusException::kNone);
  for (uint16_t i = 0; i < 10; ++i) EXPECT_EQ(regs[i], 4990 + i + 42);
  ASSERT_EQ(plant->readRegisters(1, Table::kInputRegister, 10000, 1, regs), ModbusException::kNone);
  EXPECT_EQ(regs[0], 0xFFFF - 42);
}

TEST(Plant, RunEnableCoilStopsThePump) {
  core::ManualClock clock;
  PlantOptions o;
  o.signal.fault_probability = 0;
  auto plant = makePlant(o, &clock);
  // Move to a time when pump 1 runs.
  std::vector<uint8_t> bits;
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(plant->readBits(1, Table::kDiscreteInput, 0, 1, bits), ModbusException::kNone);
    if (bits[0]) break;
    clock.advance(std::chrono::seconds(10));
  }
  ASSERT_EQ(bits[0], 1);
  uint8_t off = 0;
  ASSERT_EQ(plant->writeCoils(1, 0, std::span(&off, 1)), ModbusException::kNone);
  ASSERT_EQ(plant->readBits(1, Table::kCoil, 0, 1, bits), ModbusException::kNone);
  EXPECT_EQ(bits[0], 0);
  ASSERT_EQ(plant->readBits(1, Table::kDiscreteInput, 0, 1, bits), ModbusException::kNone);
  EXPECT_EQ(bits[0], 0);  // stopped at once; the flow coasts down
  clock.advance(std::chrono::seconds(6));
  std::vector<uint16_t> regs;
  ASSERT_EQ(plant->readRegisters(1, Table::kHoldingRegister, 0, 2, regs), ModbusException::kNone);
  EXPECT_EQ(regs[0], 0);
  EXPECT_EQ(regs[1], 0);
  uint8_t on = 1;
  ASSERT_EQ(plant->writeCoils(1, 0, std::span(&on, 1)), ModbusException::kNone);
  clock.advance(std::chrono::seconds(6));
  ASSERT_EQ(plant->readBits(1, Table::kDiscreteInput, 0, 1, bits), ModbusException::kNone);
  EXPECT_EQ(bits[0], 1);
}

TEST(Plant, TimeFollowsTheClock) {
  core::ManualClock clock;
  PlantOptions o;
  o.time_offset = 100;
  o.speed = 10;
  auto plant = makePlant(o, &clock);
  EXPECT_DOUBLE_EQ(plant->simTime(), 100);
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_DOUBLE_EQ(plant->simTime(), 115);
  std::vector<uint16_t> regs;
  ASSERT_EQ(plant->readRegisters(1, Table::kHoldingRegister, 3000, 3, regs),
            ModbusException::kNone);
  EXPECT_EQ(regs[1], 115);
  EXPECT_EQ(regs[2], 1150);
}

TEST(Plant, OptionsAndUnitLists) {
  EXPECT_TRUE(PlantOptions{}.validate());
  PlantOptions o;
  o.pumps = 101;
  EXPECT_FALSE(o.validate());
  o = {};
  o.units = {};
  EXPECT_FALSE(o.validate());
  o.units = {2, 1};
  EXPECT_FALSE(o.validate());
  o = {};
  o.scale_registers = kMaxLoadRegisters + 1;
  EXPECT_FALSE(o.validate());
  o = {};
  o.speed = 0;
  EXPECT_FALSE(o.validate());
  EXPECT_FALSE(Plant::create(o));

  auto units = parseUnitList("1-4,7,10-10,3");
  ASSERT_TRUE(units);
  EXPECT_EQ(*units, (std::vector<uint8_t>{1, 2, 3, 4, 7, 10}));
  EXPECT_EQ(formatUnitList(*units), "1-4,7,10");
  EXPECT_EQ(parseUnitList("0-255")->size(), 256u);
  for (const char* bad : {"", "x", "1,", "4-1", "256", "1-", "-1", "1,,2", " 1"}) {
    EXPECT_FALSE(parseUnitList(bad)) << bad;
  }
}

TEST(Plant, ManyUnitsAndLargeLoadBlock) {
  PlantOptions o;
  o.units = *parseUnitList("1-247");
  o.scale_registers = kMaxLoadRegisters;
  o.frozen_time = 50;
  auto plant = makePlant(o);
  std::vector<uint16_t> regs;
  for (uint8_t unit = 1; unit <= 247; ++unit) {
    ASSERT_EQ(plant->readRegisters(unit, Table::kHoldingRegister, 65411, 125, regs),
              ModbusException::kNone);
    EXPECT_EQ(regs[124], static_cast<uint16_t>(55535 + 50));
  }
  o.units = {1, 2, 3};
  EXPECT_EQ(gatewayTags(o, TagSet::kAll).size() - gatewayTags(o, TagSet::kPrimary).size(),
            3u * (2 * kMaxLoadRegisters + 2 * 6 + 2 * 5 + 6 + 4));
}

// docs/SIMULATOR.md documents every signal, fault and block base.
TEST(Plant, DocumentationMentionsEverySignal) {
  std::ifstream in(std::string(SF_SOURCE_DIR) + "/docs/SIMULATOR.md");
  ASSERT_TRUE(in) << "docs/SIMULATOR.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (AssetKind kind : kAssetKinds) {
    for (const auto& s : signalsOf(kind)) {
      EXPECT_NE(doc.find("`" + std::string(s.name) + "`"), std::string::npos) << s.name;
    }
  }
  for (uint16_t f = 1; f <= 7; ++f) {
    auto name = std::string(faultKindName(static_cast<FaultKind>(f)));
    EXPECT_NE(doc.find(name), std::string::npos) << name;
  }
  for (const char* text : {"3000", "4000", "10000", "ABCD", "0x0B"}) {
    EXPECT_NE(doc.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace sf::sim
