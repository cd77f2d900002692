#include "dataplane/pipeline/transform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sf::pipeline {
namespace {

using model::Value;

TEST(Transform, ScalesNumbersToDoubles) {
  LinearTransform t{0.1, -40.0, std::nullopt, std::nullopt};
  EXPECT_EQ(transformValue(Value::ofInt64(1234), t), Value::ofDouble(1234 * 0.1 - 40.0));
  EXPECT_EQ(transformValue(Value::ofUInt64(500), t), Value::ofDouble(500 * 0.1 - 40.0));
  EXPECT_EQ(transformValue(Value::ofDouble(2.5), t), Value::ofDouble(2.5 * 0.1 - 40.0));
}

TEST(Transform, IdentityKeepsTheType) {
  LinearTransform t;
  ASSERT_TRUE(t.isIdentity());
  EXPECT_EQ(transformValue(Value::ofInt64(7), t), Value::ofInt64(7));
  EXPECT_EQ(transformValue(Value::ofUInt64(7), t), Value::ofUInt64(7));
}

TEST(Transform, ClampsToTheLimits) {
  LinearTransform t{2.0, 0.0, 0.0, 100.0};
  EXPECT_EQ(transformValue(Value::ofDouble(60), t), Value::ofDouble(100));
  EXPECT_EQ(transformValue(Value::ofDouble(-5), t), Value::ofDouble(0));
  EXPECT_EQ(transformValue(Value::ofDouble(25), t), Value::ofDouble(50));
  // Clamping alone (scale 1, offset 0) is not an identity: integers become doubles.
  LinearTransform c{1.0, 0.0, std::nullopt, 10.0};
  EXPECT_EQ(transformValue(Value::ofInt64(12), c), Value::ofDouble(10));
}

TEST(Transform, LeavesNonNumbersAndNaNAlone) {
  LinearTransform t{2.0, 1.0, 0.0, 10.0};
  EXPECT_EQ(transformValue(Value::ofBool(true), t), Value::ofBool(true));
  EXPECT_EQ(transformValue(Value::ofString("x"), t), Value::ofString("x"));
  EXPECT_EQ(transformValue(Value(), t), Value());
  auto nan = transformValue(Value::ofDouble(std::numeric_limits<double>::quiet_NaN()), t);
  ASSERT_NE(nan.get<double>(), nullptr);
  EXPECT_TRUE(std::isnan(*nan.get<double>()));
}

TEST(Deadband, ComparesNumbersAgainstTheBand) {
  EXPECT_FALSE(exceedsDeadband(Value::ofDouble(10), Value::ofDouble(10.5), 0.5));
  EXPECT_TRUE(exceedsDeadband(Value::ofDouble(10), Value::ofDouble(10.51), 0.5));
  EXPECT_TRUE(exceedsDeadband(Value::ofDouble(10), Value::ofDouble(9.4), 0.5));
  EXPECT_FALSE(exceedsDeadband(Value::ofInt64(10), Value::ofInt64(10), 0));
  EXPECT_TRUE(exceedsDeadband(Value::ofInt64(10), Value::ofInt64(11), 0));
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(exceedsDeadband(Value::ofDouble(1), Value::ofDouble(nan), 5));
  EXPECT_FALSE(exceedsDeadband(Value::ofDouble(nan), Value::ofDouble(nan), 5));
}

TEST(Deadband, OtherTypesReportOnChange) {
  EXPECT_FALSE(exceedsDeadband(Value::ofBool(true), Value::ofBool(true), 5));
  EXPECT_TRUE(exceedsDeadband(Value::ofBool(true), Value::ofBool(false), 5));
  EXPECT_TRUE(exceedsDeadband(Value::ofString("a"), Value::ofString("b"), 5));
  EXPECT_TRUE(exceedsDeadband(Value::ofInt64(1), Value::ofDouble(1), 5));  // type change
}

TEST(ValueText, IsTheCanonicalStateKey) {
  EXPECT_EQ(valueText(Value::ofBool(true)), "true");
  EXPECT_EQ(valueText(Value::ofInt64(-3)), "-3");
  EXPECT_EQ(valueText(Value::ofUInt64(18446744073709551615ULL)), "18446744073709551615");
  EXPECT_EQ(valueText(Value::ofDouble(3.0)), "3");
  EXPECT_EQ(valueText(Value::ofDouble(2.5)), "2.5");
  EXPECT_EQ(valueText(Value::ofString("RUN")), "RUN");
  EXPECT_EQ(valueText(Value()), "");
}

}  // namespace
}  // namespace sf::pipeline
