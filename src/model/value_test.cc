#include "model/value.h"

#include <gtest/gtest.h>

#include <limits>
#include <type_traits>

namespace sf::model {
namespace {

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.isNull());
  EXPECT_EQ(v.type(), ValueType::kNull);
  EXPECT_EQ(v, Value::null());
}

TEST(ValueTest, FactoriesSetTheType) {
  EXPECT_EQ(Value::ofBool(true).type(), ValueType::kBool);
  EXPECT_EQ(Value::ofInt64(-3).type(), ValueType::kInt64);
  EXPECT_EQ(Value::ofUInt64(3).type(), ValueType::kUInt64);
  EXPECT_EQ(Value::ofDouble(3).type(), ValueType::kDouble);
  EXPECT_EQ(Value::ofString("x").type(), ValueType::kString);
  EXPECT_EQ(Value::ofBytes("x").type(), ValueType::kBytes);
  EXPECT_EQ(Value::ofBoolArray({true}).type(), ValueType::kBoolArray);
  EXPECT_EQ(Value::ofInt64Array({1}).type(), ValueType::kInt64Array);
  EXPECT_EQ(Value::ofUInt64Array({1}).type(), ValueType::kUInt64Array);
  EXPECT_EQ(Value::ofDoubleArray({1}).type(), ValueType::kDoubleArray);
  EXPECT_EQ(Value::ofStringArray({"a"}).type(), ValueType::kStringArray);
  EXPECT_EQ(Value::ofBytesArray({Bytes{"a"}}).type(), ValueType::kBytesArray);
  EXPECT_EQ(*Value::ofInt64(-3).get<int64_t>(), -3);
  EXPECT_EQ(Value::ofInt64(-3).get<double>(), nullptr);
  EXPECT_EQ(Value::ofBytes("ab").get<Bytes>()->data, "ab");
}

TEST(ValueTest, TypeNamesRoundTrip) {
  for (int i = 0; i < kValueTypeCount; ++i) {
    auto t = static_cast<ValueType>(i);
    auto parsed = parseValueType(valueTypeName(t));
    ASSERT_TRUE(parsed) << i;
    EXPECT_EQ(*parsed, t);
    EXPECT_EQ(isArray(t), i >= 7);
  }
  EXPECT_EQ(valueTypeName(ValueType::kDoubleArray), "double_array");
  auto bad = parseValueType("float");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::Errc::kInvalidData);
  EXPECT_NE(bad.error().message.find("double_array"), std::string::npos);
}

TEST(ValueTest, DoublesCompareBySameValue) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(sameDouble(nan, -nan));
  EXPECT_FALSE(sameDouble(0.0, -0.0));
  EXPECT_TRUE(sameDouble(1.5, 1.5));
  EXPECT_FALSE(sameDouble(nan, 1.0));
  EXPECT_EQ(Value::ofDouble(nan), Value::ofDouble(nan));
  EXPECT_NE(Value::ofDouble(0.0), Value::ofDouble(-0.0));
  EXPECT_EQ(Value::ofDoubleArray({nan, 1}), Value::ofDoubleArray({nan, 1}));
  EXPECT_NE(Value::ofDoubleArray({nan, 1}), Value::ofDoubleArray({nan}));
  EXPECT_NE(Value::ofInt64(1), Value::ofUInt64(1));  // the type is part of the value
  EXPECT_NE(Value::ofString("a"), Value::ofBytes("a"));
}

TEST(ValueTest, AsDouble) {
  EXPECT_EQ(Value::ofBool(true).asDouble(), 1.0);
  EXPECT_EQ(Value::ofInt64(-2).asDouble(), -2.0);
  EXPECT_EQ(Value::ofUInt64(2).asDouble(), 2.0);
  EXPECT_EQ(Value::ofDouble(2.5).asDouble(), 2.5);
  EXPECT_FALSE(Value::ofString("2").asDouble());
  EXPECT_FALSE(Value().asDouble());
  EXPECT_FALSE(Value::ofDoubleArray({1}).asDouble());
}

TEST(ValueTest, IsSmallAndCheapToMove) {
  static_assert(std::is_nothrow_move_constructible_v<Value>);
  static_assert(std::is_nothrow_move_assignable_v<Value>);
  EXPECT_LE(sizeof(Value), 48u);
  Value a = Value::ofDoubleArray(std::vector<double>(1000, 1.0));
  const double* data = a.get<std::vector<double>>()->data();
  Value b = std::move(a);
  EXPECT_EQ(b.get<std::vector<double>>()->data(), data);  // moved, not copied
}

}  // namespace
}  // namespace sf::model
