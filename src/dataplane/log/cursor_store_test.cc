#include "dataplane/log/cursor_store.h"

#include <gtest/gtest.h>

#include "dataplane/log/fault_storage.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::TempDir;

TEST(CursorStore, EncodeDecode) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{42}, UINT64_MAX}) {
    EXPECT_EQ(*CursorStore::decode(CursorStore::encode(v)), v);
  }
  std::string text = CursorStore::encode(1234);
  for (size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(CursorStore::decode(bad)) << i;
  }
  EXPECT_FALSE(CursorStore::decode(""));
  EXPECT_FALSE(CursorStore::decode(text.substr(0, text.size() - 1)));
}

TEST(CursorStore, Names) {
  EXPECT_TRUE(CursorStore::validateName("kafka-edge_1.a"));
  EXPECT_FALSE(CursorStore::validateName(""));
  EXPECT_FALSE(CursorStore::validateName(".hidden"));
  EXPECT_FALSE(CursorStore::validateName("a/b"));
  EXPECT_FALSE(CursorStore::validateName(std::string(101, 'a')));
}

TEST(CursorStore, SaveLoadAndDamagedFiles) {
  TempDir dir;
  auto st = posixStorage();
  CursorStore store(*st, dir.path());
  ASSERT_TRUE(store.save("a", 5));
  ASSERT_TRUE(store.save("b", 7));
  ASSERT_TRUE(store.save("a", 6));
  testing::writeBytes(dir.sub("c.cursor"), "garbage");
  std::vector<std::string> bad;
  auto all = store.load(&bad);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::map<std::string, uint64_t>{{"a", 6}, {"b", 7}}));
  EXPECT_EQ(bad, std::vector<std::string>{"c"});
  ASSERT_TRUE(store.remove("a"));
  ASSERT_TRUE(store.remove("a"));
  EXPECT_EQ(store.load(nullptr)->size(), 1u);
}

TEST(CursorStore, AFailedSaveKeepsThePreviousValue) {
  TempDir dir;
  auto st = std::make_shared<FaultInjectingStorage>();
  CursorStore store(*st, dir.path());
  ASSERT_TRUE(store.save("out", 10));
  for (FaultOp op : {FaultOp::kWrite, FaultOp::kFsync, FaultOp::kRename, FaultOp::kFsyncDir}) {
    st->failNext(op);
    EXPECT_FALSE(store.save("out", 20));
    auto all = CursorStore(*posixStorage(), dir.path()).load(nullptr);
    ASSERT_TRUE(all);
    // The rename is the commit point: before it the old value stays; a failed directory fsync
    // comes after it (the new value is there, reported as not yet durable).
    EXPECT_EQ(all->at("out"), op == FaultOp::kFsyncDir ? 20u : 10u);
    ASSERT_TRUE(store.save("out", 10));
  }
}

}  // namespace
}  // namespace sf::log
