#include "dataplane/log/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sf::log {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // RFC 3720 (iSCSI) B.4.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(inc), 0x46DD794Eu);
  std::string dec;
  for (int i = 31; i >= 0; --i) dec.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(dec), 0x113FDB5Cu);
}

TEST(Crc32c, HardwareAndPortableAgreeAtEveryAlignmentAndLength) {
  std::mt19937 rng(7);
  std::string data(4096 + 16, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t align = 0; align < 16; ++align) {
    for (size_t len = 0; len < 300; ++len) {
      const char* p = data.data() + align;
      ASSERT_EQ(crc32c(0, p, len), crc32cPortable(0, p, len)) << align << " " << len;
    }
  }
  EXPECT_EQ(crc32c(0, data.data(), data.size()), crc32cPortable(0, data.data(), data.size()));
}

TEST(Crc32c, ExtendsInPieces) {
  std::string s = "The quick brown fox jumps over the lazy dog, again and again and again.";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = crc32c(0, s.data(), cut);
    EXPECT_EQ(crc32c(a, s.data() + cut, s.size() - cut), crc32c(s));
    uint32_t b = crc32cPortable(0, s.data(), cut);
    EXPECT_EQ(crc32cPortable(b, s.data() + cut, s.size() - cut), crc32c(s));
  }
}

}  // namespace
}  // namespace sf::log
