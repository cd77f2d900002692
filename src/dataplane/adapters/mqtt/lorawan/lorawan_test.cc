#include <gtest/gtest.h>

#include "dataplane/adapters/mqtt/lorawan/decoders.h"
#include "dataplane/adapters/mqtt/lorawan/uplink.h"

namespace sf::mqtt::lorawan {
namespace {

std::string hex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

double num(const model::Value& v) { return v.asDouble().value_or(-1e300); }

TEST(CayenneLpp, SpecificationExamples) {
  // Examples of the Cayenne LPP documentation: two temperatures, a negative one, GPS,
  // accelerometer.
  auto d = decodeLpp(hex("03670110056700FF"));
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].tag, "temperature_3");
  EXPECT_NEAR(num((*d)[0].value), 27.2, 1e-9);
  EXPECT_EQ((*d)[0].unit, "degC");
  EXPECT_EQ((*d)[1].tag, "temperature_5");
  EXPECT_NEAR(num((*d)[1].value), 25.5, 1e-9);
  d = decodeLpp(hex("0167FFD7"));
  ASSERT_TRUE(d);
  EXPECT_NEAR(num((*d)[0].value), -4.1, 1e-9);
  d = decodeLpp(hex("018806765FF2960A0003E8"));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].tag, "gps_1_latitude");
  EXPECT_NEAR(num((*d)[0].value), 42.3519, 1e-9);
  EXPECT_NEAR(num((*d)[1].value), -87.9094, 1e-9);
  EXPECT_NEAR(num((*d)[2].value), 10, 1e-9);
  d = decodeLpp(hex("067104D2FB2E0000"));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].tag, "accelerometer_6_x");
  EXPECT_NEAR(num((*d)[0].value), 1.234, 1e-9);
  EXPECT_NEAR(num((*d)[1].value), -1.234, 1e-9);
  EXPECT_NEAR(num((*d)[2].value), 0, 1e-9);
  d = decodeLpp(hex("020001030101"));  // digital input 1 (ch 2), digital output 1 (ch 3)
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[0].value, model::Value::ofInt64(1));
}

TEST(CayenneLpp, TruncatedAndUnknownAreErrors) {
  EXPECT_FALSE(decodeLpp(hex("0167FF")));            // temperature needs 2 bytes
  EXPECT_FALSE(decodeLpp(hex("01")));                // lone channel byte
  EXPECT_FALSE(decodeLpp(hex("01FE0000")));          // unknown type 254
  EXPECT_FALSE(decodeLpp(hex("018806765FF2960A")));  // GPS short
  auto empty = decodeLpp("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ByteLayout, TypesEndiannessScaleBits) {
  std::vector<LayoutFieldConfig> f(7);
  f[0] = {"be16", 0, LayoutType::kI16, Endian::kBig, std::nullopt, 0.5, 1, "x"};
  f[1] = {"le16", 0, LayoutType::kU16, Endian::kLittle, std::nullopt, 1, 0, ""};
  f[2] = {"i24", 2, LayoutType::kI24, Endian::kBig, std::nullopt, 1, 0, ""};
  f[3] = {"f32", 5, LayoutType::kF32, Endian::kBig, std::nullopt, 1, 0, ""};
  f[4] = {"bit7", 2, LayoutType::kBool, Endian::kBig, 7, 1, 0, ""};
  f[5] = {"u64", 9, LayoutType::kU64, Endian::kLittle, std::nullopt, 1, 0, ""};
  f[6] = {"i8", 2, LayoutType::kI8, Endian::kBig, std::nullopt, 1, 0, ""};
  std::string frame =
      hex("FFFE"
          "FFFFFE"
          "3FC00000"
          "FFFFFFFFFFFFFFFF");
  auto d = decodeLayout(f, frame);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].value, model::Value::ofDouble(-2 * 0.5 + 1));
  EXPECT_EQ((*d)[0].unit, "x");
  EXPECT_EQ((*d)[1].value, model::Value::ofInt64(0xFEFF));
  EXPECT_EQ((*d)[2].value, model::Value::ofInt64(-2));
  EXPECT_EQ((*d)[3].value, model::Value::ofDouble(1.5));
  EXPECT_EQ((*d)[4].value, model::Value::ofBool(true));
  EXPECT_EQ((*d)[5].value, model::Value::ofUInt64(18446744073709551615ull));
  EXPECT_EQ((*d)[6].value, model::Value::ofInt64(-1));
  auto shorter = decodeLayout(f, frame.substr(0, 10));
  ASSERT_FALSE(shorter);
  EXPECT_NE(shorter.error().message.find("field 'u64' needs bytes 9..16, the frame has 10 bytes"),
            std::string::npos)
      << shorter.error().message;
}

TEST(FrameCounter, GapsDuplicatesResets) {
  FcntTracker t;
  EXPECT_EQ(t.track("a", 10).verdict, FcntTracker::Verdict::kFirst);
  EXPECT_EQ(t.track("a", 11).verdict, FcntTracker::Verdict::kNext);
  EXPECT_EQ(t.track("a", 11).verdict, FcntTracker::Verdict::kDuplicate);
  auto gap = t.track("a", 15);
  EXPECT_EQ(gap.verdict, FcntTracker::Verdict::kGap);
  EXPECT_EQ(gap.lost, 3u);
  EXPECT_EQ(gap.expected, 12u);
  EXPECT_EQ(t.track("a", 10).verdict, FcntTracker::Verdict::kDuplicate);  // seen recently
  EXPECT_EQ(t.track("a", 2).verdict, FcntTracker::Verdict::kReset);
  EXPECT_EQ(t.track("a", 3).verdict, FcntTracker::Verdict::kNext);
  EXPECT_EQ(t.track("b", 3).verdict, FcntTracker::Verdict::kFirst);
  FcntTracker small(2);
  small.track("x", 1);
  small.track("y", 1);
  small.track("z", 1);  // bounded: starts over
  EXPECT_LE(small.devices(), 2u);
}

TEST(Uplinks, MissingFieldsAreInvalidNotFatal) {
  auto j = nlohmann::json::parse(R"({"deviceInfo":{}})");
  EXPECT_FALSE(parseChirpstackUplink(j));
  j = nlohmann::json::parse(R"({"deviceInfo":{"devEui":"01"},"fPort":300})");
  EXPECT_FALSE(parseChirpstackUplink(j));
  j = nlohmann::json::parse(R"({"deviceInfo":{"devEui":"01"},"data":"not base64!"})");
  EXPECT_FALSE(parseChirpstackUplink(j));
  j = nlohmann::json::parse(R"({"deviceInfo":{"devEui":"0A"}})");
  auto u = parseChirpstackUplink(j);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->dev_eui, "0a");
  EXPECT_EQ(u->f_cnt, 0u);  // omitted zero
  EXPECT_FALSE(u->f_port);
  j = nlohmann::json::parse(R"({"end_device_ids":{"device_id":"d"}})");
  EXPECT_FALSE(parseTtsUplink(j));  // no uplink_message
  j = nlohmann::json::parse(
      R"({"end_device_ids":{"device_id":"d"},"uplink_message":{"settings":{"frequency":"868100000"}}})");
  u = parseTtsUplink(j);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->frequency, 868100000u);
  EXPECT_EQ(u->dev_eui, "d");
  EXPECT_TRUE(isChirpstackUplinkTopic("application/x/device/y/event/up"));
  EXPECT_FALSE(isChirpstackUplinkTopic("application/x/device/y/event/join"));
  EXPECT_TRUE(isTtsUplinkTopic("v3/a@t/devices/d/up"));
  EXPECT_FALSE(isTtsUplinkTopic("v3/a@t/devices/d/down/ack"));
}

}  // namespace
}  // namespace sf::mqtt::lorawan
