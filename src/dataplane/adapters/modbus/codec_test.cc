#include "dataplane/adapters/modbus/codec.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sf::modbus {
namespace {

// Registers as they arrive on the wire (each big-endian).
std::vector<uint8_t> wire(std::initializer_list<uint16_t> regs) {
  std::vector<uint8_t> out;
  for (uint16_t r : regs) {
    out.push_back(static_cast<uint8_t>(r >> 8));
    out.push_back(static_cast<uint8_t>(r & 0xFF));
  }
  return out;
}

model::Value decode(DataType t, ByteOrder o, std::initializer_list<uint16_t> regs, int bit = -1,
                    uint16_t length = 0) {
  auto v = decodeRegisters(TagCodec{Table::kHolding, t, o, bit, length}, wire(regs));
  EXPECT_TRUE(v) << v.error().toString();
  return v ? *v : model::Value();
}

TEST(Codec, Float32InEveryByteOrder) {
  // 123.456f = 0x42F6E979: A=42 B=F6 C=E9 D=79.
  const double want = static_cast<double>(123.456f);
  EXPECT_EQ(*decode(DataType::kFloat32, ByteOrder::kABCD, {0x42F6, 0xE979}).get<double>(), want);
  EXPECT_EQ(*decode(DataType::kFloat32, ByteOrder::kCDAB, {0xE979, 0x42F6}).get<double>(), want);
  EXPECT_EQ(*decode(DataType::kFloat32, ByteOrder::kBADC, {0xF642, 0x79E9}).get<double>(), want);
  EXPECT_EQ(*decode(DataType::kFloat32, ByteOrder::kDCBA, {0x79E9, 0xF642}).get<double>(), want);
}

TEST(Codec, IntegersAndSigns) {
  EXPECT_EQ(*decode(DataType::kInt16, ByteOrder::kABCD, {0xFFFE}).get<int64_t>(), -2);
  EXPECT_EQ(*decode(DataType::kInt16, ByteOrder::kBADC, {0xFEFF}).get<int64_t>(), -2);
  EXPECT_EQ(*decode(DataType::kUInt16, ByteOrder::kABCD, {0xFFFE}).get<uint64_t>(), 65534u);
  EXPECT_EQ(*decode(DataType::kInt32, ByteOrder::kABCD, {0xFFFF, 0xFFFD}).get<int64_t>(), -3);
  EXPECT_EQ(*decode(DataType::kUInt32, ByteOrder::kCDAB, {0x5678, 0x1234}).get<uint64_t>(),
            0x12345678u);
  EXPECT_EQ(*decode(DataType::kUInt64, ByteOrder::kABCD, {0x0102, 0x0304, 0x0506, 0x0708})
                 .get<uint64_t>(),
            0x0102030405060708u);
  EXPECT_EQ(*decode(DataType::kUInt64, ByteOrder::kCDAB, {0x0708, 0x0506, 0x0304, 0x0102})
                 .get<uint64_t>(),
            0x0102030405060708u);
  EXPECT_EQ(*decode(DataType::kUInt64, ByteOrder::kDCBA, {0x0807, 0x0605, 0x0403, 0x0201})
                 .get<uint64_t>(),
            0x0102030405060708u);
  EXPECT_EQ(
      *decode(DataType::kInt64, ByteOrder::kBADC, {0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF}).get<int64_t>(),
      -2);
  EXPECT_EQ(
      *decode(DataType::kFloat64, ByteOrder::kABCD, {0x4009, 0x21FB, 0x5444, 0x2D18}).get<double>(),
      3.141592653589793);
}

TEST(Codec, BitsStringsAndBcd) {
  EXPECT_TRUE(*decode(DataType::kBool, ByteOrder::kABCD, {0x0008}, 3).get<bool>());
  EXPECT_FALSE(*decode(DataType::kBool, ByteOrder::kABCD, {0x0008}, 2).get<bool>());
  EXPECT_TRUE(*decode(DataType::kBool, ByteOrder::kABCD, {0x8000}, 15).get<bool>());
  // Byte-swapped register: bit 3 of the value 0x0008 arrives as 0x0800.
  EXPECT_TRUE(*decode(DataType::kBool, ByteOrder::kBADC, {0x0800}, 3).get<bool>());
  EXPECT_EQ(*decode(DataType::kString, ByteOrder::kABCD, {0x4142, 0x4344, 0x4500}, -1, 3)
                 .get<std::string>(),
            "ABCDE");
  EXPECT_EQ(*decode(DataType::kString, ByteOrder::kBADC, {0x4241, 0x4443, 0x2045}, -1, 3)
                 .get<std::string>(),
            "ABCDE");
  EXPECT_EQ(
      *decode(DataType::kString, ByteOrder::kABCD, {0x4F4B, 0x2020}, -1, 2).get<std::string>(),
      "OK");
  EXPECT_EQ(
      *decode(DataType::kString, ByteOrder::kABCD, {0xC328, 0x4100}, -1, 2).get<std::string>(),
      "?(A");
  EXPECT_EQ(*decode(DataType::kBcd16, ByteOrder::kABCD, {0x1234}).get<uint64_t>(), 1234u);
  EXPECT_EQ(*decode(DataType::kBcd32, ByteOrder::kCDAB, {0x5678, 0x1234}).get<uint64_t>(),
            12345678u);
  auto bad = decodeRegisters(TagCodec{Table::kHolding, DataType::kBcd16}, wire({0x12A4}));
  EXPECT_FALSE(bad);
}

TEST(Codec, EncodeIsTheInverseOfDecode) {
  const ByteOrder orders[] = {ByteOrder::kABCD, ByteOrder::kCDAB, ByteOrder::kBADC,
                              ByteOrder::kDCBA};
  struct Case {
    DataType type;
    model::Value value;
  };
  const Case cases[] = {
      {DataType::kInt16, model::Value::ofInt64(-1234)},
      {DataType::kUInt16, model::Value::ofUInt64(54321)},
      {DataType::kInt32, model::Value::ofInt64(-123456789)},
      {DataType::kUInt32, model::Value::ofUInt64(4000000000u)},
      {DataType::kInt64, model::Value::ofInt64(-1234567890123456789LL)},
      {DataType::kUInt64, model::Value::ofUInt64(18000000000000000000ULL)},
      {DataType::kFloat32, model::Value::ofDouble(-0.5)},
      {DataType::kFloat64, model::Value::ofDouble(6.02214076e23)},
      {DataType::kBcd16, model::Value::ofUInt64(9876)},
      {DataType::kBcd32, model::Value::ofUInt64(87654321)},
  };
  for (ByteOrder o : orders) {
    for (const auto& c : cases) {
      TagCodec codec{Table::kHolding, c.type, o};
      auto regs = encodeRegisters(codec, c.value);
      ASSERT_TRUE(regs) << dataTypeName(c.type) << ": " << regs.error().toString();
      std::vector<uint8_t> w;
      for (uint16_t r : *regs) {
        w.push_back(static_cast<uint8_t>(r >> 8));
        w.push_back(static_cast<uint8_t>(r & 0xFF));
      }
      auto back = decodeRegisters(codec, w);
      ASSERT_TRUE(back);
      EXPECT_EQ(back->asDouble(), c.value.asDouble())
          << dataTypeName(c.type) << " " << byteOrderName(o);
    }
    TagCodec s{Table::kHolding, DataType::kString, o, -1, 4};
    auto regs = encodeRegisters(s, model::Value::ofString("pump 7"));
    ASSERT_TRUE(regs);
    std::vector<uint8_t> w;
    for (uint16_t r : *regs) {
      w.push_back(static_cast<uint8_t>(r >> 8));
      w.push_back(static_cast<uint8_t>(r & 0xFF));
    }
    EXPECT_EQ(*decodeRegisters(s, w)->get<std::string>(), "pump 7");
  }
}

TEST(Codec, EncodeRefusesWhatTheTypeCannotHold) {
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kInt16}, model::Value::ofInt64(40000)));
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kUInt16}, model::Value::ofInt64(-1)));
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kUInt16}, model::Value::ofDouble(1.5)));
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kBcd16}, model::Value::ofInt64(10000)));
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kFloat32}, model::Value::ofString("x")));
  EXPECT_FALSE(encodeRegisters({Table::kHolding, DataType::kString, ByteOrder::kABCD, -1, 1},
                               model::Value::ofString("abc")));
  EXPECT_FALSE(
      encodeRegisters({Table::kHolding, DataType::kFloat32}, model::Value::ofDouble(1e300)));
  EXPECT_TRUE(encodeRegisters({Table::kHolding, DataType::kUInt16}, model::Value::ofDouble(7.0)));
}

}  // namespace
}  // namespace sf::modbus
