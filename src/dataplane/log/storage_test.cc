#include "dataplane/log/storage.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "dataplane/log/fault_storage.h"
#include "dataplane/log/test_util.h"

namespace sf::log {
namespace {

using testing::TempDir;

TEST(PosixStorage, FileOperations) {
  TempDir dir;
  auto st = posixStorage();
  std::string path = dir.sub("a");
  auto f = st->open(path, OpenMode::kCreate);
  ASSERT_TRUE(f);
  ASSERT_TRUE(appendAll(**f, "hello ", 6));
  ASSERT_TRUE(appendAll(**f, "world", 5));
  ASSERT_TRUE(writeAll(**f, 0, "J", 1));
  ASSERT_TRUE((*f)->fsync());
  EXPECT_EQ(*(*f)->size(), 11u);
  char buf[32] = {};
  EXPECT_EQ(*(*f)->read(0, buf, sizeof buf), 11u);
  EXPECT_EQ(std::string(buf, 11), "Jello world");
  ASSERT_TRUE((*f)->truncate(5));
  ASSERT_TRUE(appendAll(**f, "!", 1));
  EXPECT_EQ(testing::readBytes(path), "Jello!");
  EXPECT_EQ(*st->fileSize(path), 6u);
  ASSERT_TRUE(st->rename(path, dir.sub("b")));
  ASSERT_TRUE(st->fsyncDir(dir.path()));
  EXPECT_FALSE(st->exists(path));
  EXPECT_EQ(*st->list(dir.path()), std::vector<std::string>{"b"});
  ASSERT_TRUE(st->remove(dir.sub("b")));
  EXPECT_TRUE(st->list(dir.path())->empty());
  EXPECT_GT(*st->freeSpace(dir.path()), 0u);
}

TEST(PosixStorage, ErrorsAreClassified) {
  TempDir dir;
  auto st = posixStorage();
  auto f = st->open(dir.sub("missing"), OpenMode::kRead);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, core::Errc::kNotFound);
  EXPECT_EQ(ioError("x", ENOSPC).code, core::Errc::kResourceExhausted);
  EXPECT_EQ(ioError("x", EIO).code, core::Errc::kUnavailable);
}

TEST(PosixStorage, LockIsExclusive) {
  TempDir dir;
  auto st = posixStorage();
  auto a = st->lock(dir.sub("LOCK"));
  ASSERT_TRUE(a);
  auto b = st->lock(dir.sub("LOCK"));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, core::Errc::kUnavailable);
  a->reset();
  EXPECT_TRUE(st->lock(dir.sub("LOCK")));
}

TEST(PosixStorage, CreateDirsAndAtomicWrite) {
  TempDir dir;
  auto st = posixStorage();
  std::string deep = dir.sub("x/y/z");
  ASSERT_TRUE(st->createDirs(deep));
  ASSERT_TRUE(writeFileAtomic(*st, deep + "/f", "one"));
  ASSERT_TRUE(writeFileAtomic(*st, deep + "/f", "two"));
  EXPECT_EQ(*readFile(*st, deep + "/f"), "two");
  EXPECT_EQ(testing::listDir(deep), std::vector<std::string>{"f"});
}

TEST(FaultStorage, FailNextAndCounts) {
  TempDir dir;
  auto st = std::make_shared<FaultInjectingStorage>();
  auto f = st->open(dir.sub("a"), OpenMode::kCreate);
  ASSERT_TRUE(f);
  st->failNext(FaultOp::kWrite, ENOSPC);
  auto w = (*f)->append("abc", 3);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, core::Errc::kResourceExhausted);
  EXPECT_TRUE((*f)->append("abc", 3));
  st->failNext(FaultOp::kFsync, EIO, 2);
  EXPECT_FALSE((*f)->fsync());
  EXPECT_FALSE((*f)->fsync());
  EXPECT_TRUE((*f)->fsync());
  EXPECT_EQ(st->calls(FaultOp::kFsync), 3u);
  st->failNext(FaultOp::kRename, EIO, 1, "nomatch");
  EXPECT_TRUE(st->rename(dir.sub("a"), dir.sub("b")));
}

TEST(FaultStorage, ShortWriteAndCapacity) {
  TempDir dir;
  auto st = std::make_shared<FaultInjectingStorage>();
  auto f = st->open(dir.sub("a"), OpenMode::kCreate);
  ASSERT_TRUE(f);
  st->shortNextWrite(2);
  EXPECT_EQ(*(*f)->append("abcdef", 6), 2u);
  ASSERT_TRUE(appendAll(**f, "cdef", 4));
  EXPECT_EQ(testing::readBytes(dir.sub("a")), "abcdef");
  st->setCapacity(10);
  EXPECT_EQ(*(*f)->append("0123456789", 10), 4u);  // short, then full
  auto w = (*f)->append("x", 1);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, core::Errc::kResourceExhausted);
  EXPECT_EQ(*st->freeSpace(dir.path()), 0u);
  ASSERT_TRUE((*f)->truncate(4));
  EXPECT_EQ(*st->freeSpace(dir.path()), 6u);
}

TEST(Storage, PreallocateSetsSpaceAsideOrFailsCleanly) {
  TempDir dir;
  auto posix = posixStorage();
  ASSERT_TRUE(posix->preallocate(dir.sub("r"), 100'000));
  EXPECT_EQ(*posix->fileSize(dir.sub("r")), 100'000u);
  // The default (zeros through open/write), under a capacity: all or nothing.
  auto st = std::make_shared<FaultInjectingStorage>();
  st->setCapacity(50'000);
  auto full = st->preallocate(dir.sub("big"), 60'000);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, core::Errc::kResourceExhausted);
  EXPECT_FALSE(st->exists(dir.sub("big"))) << "a partial reserve is removed";
  ASSERT_TRUE(st->preallocate(dir.sub("small"), 40'000));
  EXPECT_EQ(*st->freeSpace(dir.path()), 10'000u);
}

TEST(FaultStorage, PowerLossDropsWhatWasNotSynced) {
  TempDir dir;
  auto st = std::make_shared<FaultInjectingStorage>();
  {
    auto f = st->open(dir.sub("old"), OpenMode::kCreate);
    ASSERT_TRUE(appendAll(**f, "durable", 7));
    ASSERT_TRUE((*f)->fsync());
    ASSERT_TRUE(st->fsyncDir(dir.path()));
    ASSERT_TRUE(appendAll(**f, "-lost", 5));
    auto g = st->open(dir.sub("new"), OpenMode::kCreate);  // directory entry never synced
    ASSERT_TRUE(appendAll(**g, "x", 1));
    ASSERT_TRUE((*g)->fsync());
  }
  st->simulatePowerLoss();
  EXPECT_FALSE(st->open(dir.sub("old"), OpenMode::kRead));  // dead until revive()
  st->revive();
  EXPECT_EQ(testing::readBytes(dir.sub("old")), "durable");
  EXPECT_FALSE(st->exists(dir.sub("new")));
}

TEST(FaultStorage, FailedFsyncCanZeroUnsyncedBytes) {
  TempDir dir;
  auto st = std::make_shared<FaultInjectingStorage>();
  st->setZeroUnsyncedOnFsyncFailure(true);
  auto f = st->open(dir.sub("a"), OpenMode::kCreate);
  ASSERT_TRUE(appendAll(**f, "keep", 4));
  ASSERT_TRUE((*f)->fsync());
  ASSERT_TRUE(appendAll(**f, "gone", 4));
  st->failNext(FaultOp::kFsync);
  EXPECT_FALSE((*f)->fsync());
  EXPECT_EQ(testing::readBytes(dir.sub("a")), std::string("keep") + std::string(4, '\0'));
}

}  // namespace
}  // namespace sf::log
