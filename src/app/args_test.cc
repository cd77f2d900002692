#include "app/args.h"

#include <gtest/gtest.h>

namespace sf::app {
namespace {

Args makeArgs() {
  Args a("demo", "A demo command");
  a.option("config", "FILE", "Config file", "sf.yaml")
      .flag("dry-run", "Only show")
      .positional("DIR", "A dir");
  return a;
}

TEST(Args, OptionsFlagsPositionals) {
  auto a = makeArgs();
  ASSERT_TRUE(a.parse({"--config", "x.yaml", "--dry-run", "/tmp"}));
  EXPECT_EQ(a.get("config"), "x.yaml");
  EXPECT_TRUE(a.has("dry-run"));
  ASSERT_EQ(a.positionals().size(), 1u);
  EXPECT_EQ(a.positionals()[0], "/tmp");
}

TEST(Args, DefaultsAndInlineValues) {
  auto a = makeArgs();
  ASSERT_TRUE(a.parse({"--config=y.yaml", "d"}));
  EXPECT_EQ(a.get("config"), "y.yaml");
  auto b = makeArgs();
  ASSERT_TRUE(b.parse({"d"}));
  EXPECT_EQ(b.get("config"), "sf.yaml");
  EXPECT_FALSE(b.has("config"));
}

TEST(Args, Errors) {
  EXPECT_FALSE(makeArgs().parse({"--bogus", "d"}));
  EXPECT_FALSE(makeArgs().parse({"--config"}));
  EXPECT_FALSE(makeArgs().parse({}));  // missing DIR
  EXPECT_FALSE(makeArgs().parse({"--dry-run=yes", "d"}));
  EXPECT_FALSE(makeArgs().parse({"a", "b"}));
}

TEST(Args, Help) {
  auto a = makeArgs();
  ASSERT_TRUE(a.parse({"--help"}));
  EXPECT_TRUE(a.helpRequested());
  auto text = a.helpText();
  EXPECT_NE(text.find("--config FILE"), std::string::npos);
  EXPECT_NE(text.find("(default: sf.yaml)"), std::string::npos);
}

}  // namespace
}  // namespace sf::app
