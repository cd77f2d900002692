#include "dataplane/adapters/modbus/plan.h"

#include <gtest/gtest.h>

namespace sf::modbus {
namespace {

PlanItem reg(uint32_t tag, uint16_t address, uint16_t q = 1, Table t = Table::kHolding) {
  return PlanItem{tag, t, address, q};
}

std::vector<std::pair<uint16_t, uint16_t>> spans(const std::vector<PlannedRead>& reads) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  for (const auto& r : reads) out.emplace_back(r.request.address, r.request.count);
  return out;
}

TEST(Plan, MergesWithinTheGapAndLengthLimits) {
  PlanLimits l;
  l.gap_registers = 2;
  auto reads = planReads({reg(0, 0, 2), reg(1, 2, 2), reg(2, 6, 1), reg(3, 10, 1)}, l);
  // 0..3 contiguous, 6 after a gap of 2 (merged), 10 after a gap of 3 (not).
  EXPECT_EQ(spans(reads), (std::vector<std::pair<uint16_t, uint16_t>>{{0, 7}, {10, 1}}));
  EXPECT_EQ(reads[0].tags, (std::vector<uint32_t>{0, 1, 2}));
  l.max_registers = 4;
  EXPECT_EQ(spans(planReads({reg(0, 0, 2), reg(1, 2, 2), reg(2, 4, 2)}, l)),
            (std::vector<std::pair<uint16_t, uint16_t>>{{0, 4}, {4, 2}}));
}

TEST(Plan, OverlappingTagsShareRegisters) {
  PlanLimits l;
  // A status word and three bits of it, a float and its high word as an int16.
  auto reads = planReads({reg(0, 10), reg(1, 10), reg(2, 10), reg(3, 11, 2), reg(4, 11, 1)}, l);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].request.address, 10);
  EXPECT_EQ(reads[0].request.count, 3);
}

TEST(Plan, TablesAreSeparateAndBitsUseBitLimits) {
  PlanLimits l;
  l.gap_bits = 16;
  auto reads = planReads({reg(0, 0, 1, Table::kCoil), reg(1, 15, 1, Table::kCoil),
                          reg(2, 40, 1, Table::kCoil), reg(3, 0), reg(4, 0, 1, Table::kInput)},
                         l);
  ASSERT_EQ(reads.size(), 4u);
  EXPECT_EQ(reads[0].request.table, Table::kCoil);
  EXPECT_EQ(reads[0].request.count, 16);
  EXPECT_EQ(reads[1].request.address, 40);
  EXPECT_EQ(reads[2].request.table, Table::kHolding);
  EXPECT_EQ(reads[3].request.table, Table::kInput);
  l.max_bits = 2000;
  std::vector<PlanItem> many;
  for (uint32_t i = 0; i < 3000; ++i)
    many.push_back(reg(i, static_cast<uint16_t>(i), 1, Table::kDiscreteInput));
  EXPECT_EQ(spans(planReads(many, l)),
            (std::vector<std::pair<uint16_t, uint16_t>>{{0, 2000}, {2000, 1000}}));
}

TEST(Plan, CoalescingOffIsOneReadPerTag) {
  PlanLimits l;
  l.coalesce = false;
  EXPECT_EQ(planReads({reg(0, 0), reg(1, 1), reg(2, 2)}, l).size(), 3u);
}

TEST(Plan, LearnedSplitsAndIsolatedTags) {
  PlanLimits l;
  l.gap_registers = 10;
  Learned learned;
  learned.splits.insert({Table::kHolding, 5});
  auto reads = planReads({reg(0, 0), reg(1, 3), reg(2, 5), reg(3, 8)}, l, learned);
  EXPECT_EQ(spans(reads), (std::vector<std::pair<uint16_t, uint16_t>>{{0, 4}, {5, 4}}));
  // A split in another table does not apply.
  Learned other;
  other.splits.insert({Table::kInput, 5});
  EXPECT_EQ(planReads({reg(0, 0), reg(1, 8)}, l, other).size(), 1u);
  Learned iso;
  iso.isolated.insert(1);
  reads = planReads({reg(0, 0), reg(1, 1), reg(2, 2), reg(3, 3)}, l, iso);
  EXPECT_EQ(spans(reads), (std::vector<std::pair<uint16_t, uint16_t>>{{0, 1}, {1, 1}, {2, 2}}));
}

TEST(Plan, AdapterPlanPerDeviceAndGroup) {
  ModbusTcpConfig c;
  c.poll_interval = std::chrono::milliseconds(1000);
  c.poll_groups.push_back({"fast", std::chrono::milliseconds(100)});
  ModbusDeviceConfig d;
  d.name = "pump";
  d.unit_id = 3;
  ModbusTagConfig t;
  t.tag = "flow";
  t.address = 0;
  t.type = DataType::kFloat32;
  t.poll_group = "fast";
  d.tags.push_back(t);
  t.tag = "total";
  t.address = 2;
  t.poll_group = "";
  d.tags.push_back(t);
  c.devices.push_back(d);
  auto plans = planAdapter(c);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].group, "default");
  EXPECT_EQ(plans[0].interval_ms, 1000);
  EXPECT_EQ(plans[1].group, "fast");
  EXPECT_EQ(plans[1].interval_ms, 100);
  const auto text = describePlan(c, plans);
  EXPECT_NE(text.find("device pump (unit 3) group fast every 100 ms: 1 tags in 1 request"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("11.0 requests/s"), std::string::npos) << text;
  EXPECT_NE(planJson(c, plans).find("\"flow\""), std::string::npos);
}

}  // namespace
}  // namespace sf::modbus
