#include "dataplane/adapters/mqtt/json_mapper.h"

#include <gtest/gtest.h>

namespace sf::mqtt {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000'000;

MapOutput run(const SubscriptionConfig& sub, std::string_view topic, std::string_view payload,
              std::shared_ptr<const DeclaredTags> declared = std::make_shared<DeclaredTags>()) {
  auto m = JsonMapper::create(sub, "mq", std::move(declared));
  EXPECT_TRUE(m) << (m ? "" : m.error().message);
  MapOutput out;
  if (m) (*m)->map(MessageView{topic, payload, false, kNow}, out);
  for (auto& r : out.records) {
    r.gateway = "gw";
    EXPECT_TRUE(model::validate(r)) << model::validate(r).error().message;
  }
  return out;
}

TEST(JsonPath, DottedIndexedAndPointer) {
  auto doc = nlohmann::json::parse(R"({"a":{"b":[{"c":1},{"c":2}]},"x.y":3,"/k":4})");
  auto p = JsonPath::parse("a.b[1].c");
  ASSERT_TRUE(p);
  ASSERT_NE(p->find(doc), nullptr);
  EXPECT_EQ(*p->find(doc), 2);
  EXPECT_EQ(*JsonPath::parse("/a/b/0/c")->find(doc), 1);
  EXPECT_EQ(*JsonPath::parse("[\"x.y\"]")->find(doc), 3);
  EXPECT_EQ(*JsonPath::parse("/~1k")->find(doc), 4);
  EXPECT_EQ(JsonPath::parse("a.b[5].c")->find(doc), nullptr);
  EXPECT_EQ(JsonPath::parse("a.z")->find(doc), nullptr);
  EXPECT_EQ(JsonPath::parse("")->find(doc), &doc);
  EXPECT_FALSE(JsonPath::parse("a..b"));
  EXPECT_FALSE(JsonPath::parse("a["));
  EXPECT_FALSE(JsonPath::parse("a[x]"));
  EXPECT_FALSE(JsonPath::parse("a."));
}

TEST(JsonValues, Timestamps) {
  EXPECT_EQ(*parseRfc3339("2024-05-01T12:00:00Z"), 1714564800LL * 1'000'000'000);
  EXPECT_EQ(*parseRfc3339("2024-05-01T14:00:00.5+02:00"),
            1714564800LL * 1'000'000'000 + 500'000'000);
  EXPECT_EQ(*parseRfc3339("2024-05-01 12:00:00.123456789"),
            1714564800LL * 1'000'000'000 + 123456789);
  EXPECT_FALSE(parseRfc3339("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("yesterday"));
  using nlohmann::json;
  EXPECT_EQ(*timestampFromJson(json(1714564800), TimestampUnit::kAuto),
            1714564800LL * 1'000'000'000);
  EXPECT_EQ(*timestampFromJson(json(1714564800123LL), TimestampUnit::kAuto),
            1714564800123LL * 1'000'000);
  EXPECT_EQ(*timestampFromJson(json(1714564800123456LL), TimestampUnit::kAuto),
            1714564800123456LL * 1'000);
  EXPECT_EQ(*timestampFromJson(json(1714564800.25), TimestampUnit::kSeconds),
            1714564800250000000LL);
  EXPECT_EQ(*timestampFromJson(json("1714564800"), TimestampUnit::kAuto),
            1714564800LL * 1'000'000'000);
  EXPECT_FALSE(timestampFromJson(json(9e30), TimestampUnit::kSeconds));
  EXPECT_FALSE(timestampFromJson(json::object(), TimestampUnit::kAuto));
}

TEST(JsonValues, Qualities) {
  using nlohmann::json;
  EXPECT_EQ(qualityFromJson(json(true))->level, model::QualityLevel::kGood);
  EXPECT_EQ(qualityFromJson(json("BAD"))->level, model::QualityLevel::kBad);
  EXPECT_EQ(qualityFromJson(json("Uncertain_LastUsable"))->level, model::QualityLevel::kUncertain);
  EXPECT_EQ(qualityFromJson(json(192))->level, model::QualityLevel::kGood);
  EXPECT_EQ(qualityFromJson(json(0))->level, model::QualityLevel::kBad);
  EXPECT_EQ(qualityFromJson(json(0x80000000u))->level, model::QualityLevel::kBad);
  EXPECT_EQ(qualityFromJson(json(0x80000000u))->code, 0x80000000u);
  EXPECT_EQ(qualityFromJson(json(0x40000000u))->level, model::QualityLevel::kUncertain);
  EXPECT_FALSE(qualityFromJson(json("meh")));
  EXPECT_FALSE(qualityFromJson(json(-1)));
}

TEST(JsonValues, Conversions) {
  using nlohmann::json;
  EXPECT_EQ(*valueFromJson(json(5), ValueKind::kAuto), model::Value::ofInt64(5));
  EXPECT_EQ(*valueFromJson(json(18446744073709551615ull), ValueKind::kAuto),
            model::Value::ofUInt64(18446744073709551615ull));
  EXPECT_EQ(*valueFromJson(json(2.5), ValueKind::kAuto), model::Value::ofDouble(2.5));
  EXPECT_EQ(*valueFromJson(json("12.5"), ValueKind::kDouble), model::Value::ofDouble(12.5));
  EXPECT_EQ(*valueFromJson(json(3.0), ValueKind::kInt), model::Value::ofInt64(3));
  EXPECT_FALSE(valueFromJson(json(3.5), ValueKind::kInt));
  EXPECT_EQ(*valueFromJson(json("on"), ValueKind::kBool), model::Value::ofBool(true));
  EXPECT_EQ(*valueFromJson(json(1.5), ValueKind::kString), model::Value::ofString("1.5"));
  EXPECT_EQ(*valueFromJson(json::array({1, 2}), ValueKind::kAuto),
            model::Value::ofInt64Array({1, 2}));
  EXPECT_EQ(*valueFromJson(json::array({1, 2.5}), ValueKind::kAuto),
            model::Value::ofDoubleArray({1, 2.5}));
  EXPECT_FALSE(valueFromJson(json::array({1, "a"}), ValueKind::kAuto));
  EXPECT_FALSE(valueFromJson(json::object(), ValueKind::kAuto));
  EXPECT_FALSE(valueFromJson(json("abc"), ValueKind::kDouble));
  EXPECT_EQ(*valueFromText(" 42\n", ValueKind::kAuto), model::Value::ofInt64(42));
  EXPECT_EQ(*valueFromText("-1.5e3", ValueKind::kAuto), model::Value::ofDouble(-1500));
  EXPECT_EQ(*valueFromText("TRUE", ValueKind::kAuto), model::Value::ofBool(true));
  EXPECT_EQ(*valueFromText("running", ValueKind::kAuto), model::Value::ofString("running"));
  EXPECT_EQ(*valueFromText("\xff\xfe", ValueKind::kAuto), model::Value::ofBytes("\xff\xfe"));
  EXPECT_FALSE(valueFromText("x", ValueKind::kInt));
}

TEST(JsonMapper, FieldsWithPathsTimestampQualityUnitAndTemplate) {
  SubscriptionConfig sub;
  sub.topic = "plant/{site}/{device}/data";
  sub.timestamp = "ts";
  JsonFieldConfig temp;
  temp.tag = "temperature";
  temp.value = "values.t";
  temp.quality = "values.tq";
  temp.unit_path = "units.t";
  JsonFieldConfig pressure;
  pressure.tag = "pressure";
  pressure.value = "/values/p";
  pressure.timestamp = "values.pts";
  sub.fields = {temp, pressure};
  auto out = run(
      sub, "plant/s1/boiler1/data",
      R"({"ts":1714564800000,"values":{"t":21.5,"tq":"good","p":3,"pts":"2024-05-01T12:00:01Z"},"units":{"t":"degC"}})");
  ASSERT_TRUE(out.problems.empty()) << out.problems[0].message;
  ASSERT_EQ(out.records.size(), 2u);
  const auto& t = out.records[0];
  EXPECT_EQ(t.site, "s1");
  EXPECT_EQ(t.device, "boiler1");
  EXPECT_EQ(t.tag, "temperature");
  EXPECT_EQ(t.adapter, "mq");
  EXPECT_EQ(t.value, model::Value::ofDouble(21.5));
  EXPECT_EQ(t.unit, "degC");
  EXPECT_EQ(t.source_ts_ns, 1714564800000LL * 1'000'000);
  EXPECT_EQ(t.gateway_ts_ns, kNow);
  EXPECT_EQ(*t.attributes.find("topic"), "plant/s1/boiler1/data");
  EXPECT_EQ(out.records[1].value, model::Value::ofInt64(3));
  EXPECT_EQ(out.records[1].source_ts_ns, 1714564801LL * 1'000'000'000);
}

TEST(JsonMapper, BadInputIsReportedNotThrown) {
  SubscriptionConfig sub;
  sub.topic = "d/{device}";
  JsonFieldConfig f;
  f.tag = "v";
  f.value = "v";
  f.type = ValueKind::kDouble;
  JsonFieldConfig opt;
  opt.tag = "o";
  opt.value = "o";
  opt.optional = true;
  sub.fields = {f, opt};
  auto out = run(sub, "d/x", "{not json");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kInvalidJson);
  EXPECT_NE(out.problems[0].message.find("parse error"), std::string::npos)
      << out.problems[0].message;
  out = run(sub, "d/x", R"({"v":"abc"})");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kWrongType);
  EXPECT_TRUE(out.records.empty());
  out = run(sub, "d/x", R"({"w":1})");
  ASSERT_EQ(out.problems.size(), 1u);  // `o` is optional
  EXPECT_EQ(out.problems[0].issue, Issue::kMissingField);
  out = run(sub, "d/x", R"({"v":{"nested":1}})");
  EXPECT_EQ(out.problems[0].issue, Issue::kWrongType);
  out = run(sub, "d/x", "\xff\xfe");
  EXPECT_EQ(out.problems[0].issue, Issue::kInvalidJson);
  std::string deep(100000, '[');
  out = run(sub, "d/x", deep);
  EXPECT_EQ(out.problems[0].issue, Issue::kInvalidJson);
}

TEST(JsonMapper, AutoMappingTakesEveryScalar) {
  SubscriptionConfig sub;
  sub.topic = "sensors/{device}";
  sub.timestamp = "time";
  sub.quality = "q";
  auto out = run(
      sub, "sensors/s7",
      R"({"time":"2024-05-01T12:00:00Z","q":192,"temp":20.5,"on":true,"name":"x","env":{"hum":40,"deep":{"a":1}},"arr":[1,2]})");
  ASSERT_TRUE(out.problems.empty()) << out.problems[0].message;
  std::map<std::string, model::Value> got;
  for (const auto& r : out.records) {
    got[r.tag] = r.value;
    EXPECT_EQ(r.device, "s7");
    EXPECT_EQ(r.source_ts_ns, 1714564800LL * 1'000'000'000);
    EXPECT_EQ(r.quality.level, model::QualityLevel::kGood);
  }
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(got["temp"], model::Value::ofDouble(20.5));
  EXPECT_EQ(got["on"], model::Value::ofBool(true));
  EXPECT_EQ(got["env.hum"], model::Value::ofInt64(40));
  EXPECT_EQ(got["env.deep.a"], model::Value::ofInt64(1));
  EXPECT_EQ(got["arr"], model::Value::ofInt64Array({1, 2}));
  EXPECT_EQ(got.count("time"), 0u);
}

TEST(JsonMapper, ScalarPayloadTagFromTemplateOrLastLevel) {
  SubscriptionConfig sub;
  sub.topic = "plant/{site}/{device}/{tag}";
  auto out = run(sub, "plant/s/d/flow", "12.5");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].tag, "flow");
  EXPECT_EQ(out.records[0].value, model::Value::ofDouble(12.5));
  sub.topic = "x/#";
  sub.device = "dev";
  out = run(sub, "x/a/b/level", "7");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].tag, "level");
  EXPECT_EQ(out.records[0].device, "dev");
}

TEST(JsonMapper, ValueFormatAndClasses) {
  SubscriptionConfig sub;
  sub.topic = "state/{device}/{tag}";
  sub.format = PayloadFormat::kValue;
  sub.cls = pipeline::TagClass::kEvent;
  auto out = run(sub, "state/pump/mode", "RUN");
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_NE(out.records[0].event(), nullptr);
  EXPECT_EQ(out.records[0].event()->to, "RUN");
  // A declared tag stays telemetry: the pipeline classifies it.
  auto declared = std::make_shared<DeclaredTags>();
  declared->emplace("pump", "mode");
  out = run(sub, "state/pump/mode", "RUN", declared);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].recordClass(), model::RecordClass::kTelemetry);
  sub.cls = pipeline::TagClass::kLog;
  out = run(sub, "state/pump/msg", "door open");
  ASSERT_NE(out.records[0].log(), nullptr);
  EXPECT_EQ(out.records[0].log()->message, "door open");
  sub.type = ValueKind::kInt;
  out = run(sub, "state/pump/msg", "door open");
  EXPECT_EQ(out.problems[0].issue, Issue::kWrongType);
}

TEST(JsonMapper, NullValueIsBadQualityAndBadTimestampFallsBack) {
  SubscriptionConfig sub;
  sub.topic = "t/{device}";
  sub.timestamp = "ts";
  JsonFieldConfig f;
  f.tag = "v";
  f.value = "v";
  sub.fields = {f};
  auto out = run(sub, "t/d", R"({"v":null,"ts":"never"})");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].quality.level, model::QualityLevel::kBad);
  EXPECT_EQ(out.records[0].source_ts_ns, kNow);
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kBadTimestamp);
}

TEST(JsonMapper, ExtraCapturesBecomeAttributes) {
  SubscriptionConfig sub;
  sub.topic = "f/{line}/{device}";
  sub.topic_attribute = false;
  auto out = run(sub, "f/l3/m1", R"({"rpm":1200})");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(*out.records[0].attributes.find("line"), "l3");
  EXPECT_EQ(out.records[0].attributes.find("topic"), nullptr);
}

}  // namespace
}  // namespace sf::mqtt
