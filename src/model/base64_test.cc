#include "model/base64.h"

#include <gtest/gtest.h>

namespace sf::model {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(encodeBase64(plain), encoded);
    auto decoded = decodeBase64(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 7) {
    std::string s = all.substr(0, len);
    auto decoded = decodeBase64(encodeBase64(s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(encodeBase64("\xfb\xff"), "+/8=");
}

TEST(Base64Test, DecodeIsStrict) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9v",
                          "Zg==Zg==", "=Zg=", "Zm9v\n", "Zm9-", "Zm9_"}) {
    auto r = decodeBase64(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, core::Errc::kInvalidData);
    }
  }
}

}  // namespace
}  // namespace sf::model
