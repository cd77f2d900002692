#include "model/record_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "model/record_samples.h"

namespace sf::model {
namespace {

std::string encode(const Record& r) {
  std::string out;
  encodeBinary(r, out);
  return out;
}

std::string hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void expectInvalid(std::string_view bytes) {
  auto r = decodeBinary(bytes);
  ASSERT_FALSE(r) << hex(bytes);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidData);
}

TEST(RecordCodecTest, EveryShapeRoundTrips) {
  for (const Record& r : samples::allShapes()) {
    std::string bytes = encode(r);
    auto back = decodeBinary(bytes);
    ASSERT_TRUE(back) << back.error().toString();
    EXPECT_EQ(*back, r) << hex(bytes);
    EXPECT_EQ(encode(*back), bytes);
  }
}

TEST(RecordCodecTest, AppendsToOut) {
  auto recs = samples::exampleRecords();
  std::string out = "prefix";
  encodeBinary(recs[0], out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), encode(recs[0]));
}

// Format version 1 is frozen: records in a log written by any v1 gateway must stay readable.
// If this fails, you changed the format: bump kBinaryFormatVersion and keep decoding version 1.
TEST(RecordCodecTest, FormatV1IsFrozen) {
  Record r = samples::exampleRecords()[2];  // an alarm: exercises most fields
  EXPECT_EQ(
      hex(encode(r)),
      std::string("0102012c06706c616e743103677731046d61696e076d6f646275733107626f696c6572310c626f69"
                  "6c6572312e74656d70154dbfff995bcb17fe88e5010000000464656743040000000000e056400104"
                  "72756c650c626f696c6572312d74656d7011626f696c6572312e74656d702e6869686901a0060104"
                  "0000000000004055401e426f696c657220312074656d706572617475726520766572792068696768"
                  "00"));
  auto back = decodeBinary(encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(RecordCodecTest, IsCompact) {
  // The example telemetry record: names, two timestamps, a double, two attributes.
  Record r = samples::exampleRecords()[0];
  EXPECT_LE(encode(r).size(), 120u) << hex(encode(r));
  r.attributes.clear();
  r.gateway_ts_ns = r.source_ts_ns + 1000;  // 1 us later: 2-byte delta
  EXPECT_LE(encode(r).size(), 80u);
}

TEST(RecordCodecTest, EveryTruncationFailsCleanly) {
  for (const Record& r : samples::allShapes()) {
    std::string bytes = encode(r);
    for (size_t len = 0; len < bytes.size(); ++len) {
      auto back = decodeBinary(std::string_view(bytes).substr(0, len));
      // A prefix may only parse when what was cut off looked like extensions (it cannot here:
      // the detail is always last and non-empty for a complete record).
      if (back) {
        ADD_FAILURE() << "prefix of " << len << " of " << bytes.size() << " bytes decoded";
        break;
      }
      EXPECT_EQ(back.error().code, core::Errc::kInvalidData);
    }
  }
}

TEST(RecordCodecTest, RejectsBadHeaders) {
  std::string good = encode(samples::exampleRecords()[0]);
  expectInvalid("");
  std::string b = good;
  b[0] = 2;  // unknown version
  expectInvalid(b);
  auto r = decodeBinary(b);
  EXPECT_NE(r.error().message.find("version 2"), std::string::npos);
  b = good;
  b[1] = 4;  // unknown class
  expectInvalid(b);
  b = good;
  b[2] = 3;  // unknown flag
  expectInvalid(b);
}

TEST(RecordCodecTest, RejectsOutOfRangeFields) {
  Record r;
  r.gateway = "g";
  r.tag = "t";
  r.value = Value::ofBool(true);
  std::string good = encode(r);
  // version, class, flags(0), 6 empty-or-short names, ts(8), delta(1), quality(3), unit(1),
  // value type, bool byte, attribute count.
  size_t value_at = good.size() - 3;
  ASSERT_EQ(static_cast<uint8_t>(good[value_at]), static_cast<uint8_t>(ValueType::kBool));
  std::string b = good;
  b[value_at + 1] = 2;  // bool must be 0 or 1
  expectInvalid(b);
  b = good;
  b[value_at] = static_cast<char>(kValueTypeCount);  // unknown value type
  expectInvalid(b);
  size_t quality_at = value_at - 4;
  b = good;
  b[quality_at] = 3;  // unknown quality level
  expectInvalid(b);
}

TEST(RecordCodecTest, RejectsHugeCountsWithoutAllocating) {
  Record r;
  r.gateway = "g";
  r.tag = "t";
  r.value = Value::ofDoubleArray({1.0});
  std::string b = encode(r);
  // Replace the count (1) by 2^62: must fail on bounds, not try to reserve 2^62 doubles.
  size_t count_at = b.size() - 1 - 8 - 1;
  ASSERT_EQ(b[count_at], 1);
  std::string huge = b.substr(0, count_at) + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40") +
                     b.substr(count_at + 1);
  expectInvalid(huge);
  // A string length beyond the input.
  Record s;
  s.gateway = "g";
  std::string sb = encode(s);
  sb[3] = 0x7f;  // site length
  expectInvalid(sb);
}

TEST(RecordCodecTest, RejectsUnsortedAttributes) {
  Record r;
  r.gateway = "g";
  r.attributes.set("a", "1");
  r.attributes.set("b", "2");
  std::string b = encode(r);
  size_t a_at = b.find(
      "\x01"
      "a"
      "\x01"
      "1");
  size_t b_at = b.find(
      "\x01"
      "b"
      "\x01"
      "2");
  ASSERT_NE(a_at, std::string::npos);
  std::swap(b[a_at + 1], b[b_at + 1]);  // keys b, a
  expectInvalid(b);
  b[a_at + 1] = 'a';
  b[b_at + 1] = 'a';  // duplicate keys
  expectInvalid(b);
}

TEST(RecordCodecTest, SkipsUnknownExtensions) {
  Record r = samples::exampleRecords()[1];
  std::string b = encode(r);
  b += std::string("\x05\x03xyz", 5);   // tag 5, 3 bytes
  b += std::string("\x90\x01\x00", 3);  // tag 144, empty
  auto back = decodeBinary(b);
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(*back, r);
  expectInvalid(encode(r) + std::string("\x00\x00", 2));     // tag 0 is reserved
  expectInvalid(encode(r) + std::string("\x05\x04xyz", 5));  // length beyond the end
  expectInvalid(encode(r) + std::string("\x05", 1));
}

TEST(RecordCodecTest, RejectsOverlongVarints) {
  Record r;
  r.gateway = "g";
  r.offset = 1;
  std::string b = encode(r);
  // Offset varint at byte 3: replace "01" by an 11-byte varint.
  std::string bad = b.substr(0, 3) + std::string(10, '\x81') + std::string("\x01", 1) + b.substr(4);
  expectInvalid(bad);
  // 10 bytes whose last carries bits beyond 64.
  bad = b.substr(0, 3) + std::string(9, '\xff') + std::string("\x02", 1) + b.substr(4);
  expectInvalid(bad);
  // uint64 max is fine.
  r.offset = UINT64_MAX;
  auto back = decodeBinary(encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->offset, UINT64_MAX);
}

TEST(RecordCodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string b(rng() % 64, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    if (!b.empty() && rng() % 2) b[0] = 1;  // get past the version byte half the time
    if (b.size() > 1 && rng() % 2) b[1] = static_cast<char>(rng() % 4);
    (void)decodeBinary(b);
  }
}

}  // namespace
}  // namespace sf::model
