#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace sf::core {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return fail(Errc::kInvalidData, "not positive: " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  SF_ASSIGN_OR_RETURN(int x, parsePositive(v));
  return x * 2;
}

Status check(int v) {
  SF_TRY(parsePositive(v));
  return ok();
}

TEST(Result, ValueAndError) {
  auto good = parsePositive(3);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 3);
  auto bad = parsePositive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidData);
  EXPECT_EQ(bad.error().toString(), "invalid_data: not positive: -1");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, PropagationMacros) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(0).error().message, "not positive: 0");
  EXPECT_TRUE(check(1));
  EXPECT_FALSE(check(-5));
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, WrapAndClassify) {
  Error e(Errc::kTimeout, "no answer");
  EXPECT_EQ(e.wrap("unit 3").message, "unit 3: no answer");
  EXPECT_TRUE(isRetriable(Errc::kTimeout));
  EXPECT_TRUE(isRetriable(Errc::kUnavailable));
  EXPECT_FALSE(isRetriable(Errc::kInvalidConfig));
  EXPECT_FALSE(isRetriable(Errc::kDataLoss));
}

}  // namespace
}  // namespace sf::core
