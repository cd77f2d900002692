#include "model/record_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/record_codec.h"
#include "model/record_samples.h"

namespace sf::model {
namespace {

using Json = nlohmann::json;

Record minimal() {
  Record r;
  r.gateway = "gw1";
  r.stream = "main";
  r.tag = "t";
  return r;
}

std::string valueJson(const Value& v) {
  Record r = minimal();
  r.value = v;
  Json j = Json::parse(toJson(r));
  std::string s = toJson(r);
  size_t at = s.find("\"value\":") + 8;
  size_t end = s.find(",\"quality\"");
  return s.substr(at, end - at);
}

// Edits the canonical JSON of `r` as a nlohmann document and parses the result.
template <class Edit>
core::Result<Record> fromEdited(const Record& r, Edit edit) {
  Json j = Json::parse(toJson(r));
  edit(j);
  return fromJson(j.dump());
}

void expectInvalid(const core::Result<Record>& r, std::string_view what) {
  ASSERT_FALSE(r) << "expected failure naming " << what;
  EXPECT_EQ(r.error().code, core::Errc::kInvalidData);
  EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
}

TEST(RecordJsonTest, EveryShapeRoundTrips) {
  for (const Record& r : samples::allShapes()) {
    std::string json = toJson(r);
    ASSERT_TRUE(Json::accept(json)) << json;
    auto back = fromJson(json);
    ASSERT_TRUE(back) << back.error().toString() << "\n" << json;
    EXPECT_EQ(*back, r) << json;
    EXPECT_EQ(toJson(*back), json);
  }
}

// The examples in schemas/record/v1/examples/ (shown in docs/RECORD.md) are the canonical JSON
// of samples::exampleRecords(), byte for byte.
TEST(RecordJsonTest, ExamplesAreCanonical) {
  const char* names[] = {"telemetry", "event", "alarm", "log"};
  auto examples = samples::exampleRecords();
  ASSERT_EQ(examples.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    std::string path = std::string(SF_SCHEMAS_DIR) + "/record/v1/examples/" + names[i] + ".json";
    std::ifstream f(path);
    ASSERT_TRUE(f) << path;
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    EXPECT_EQ(toJson(examples[i]), text) << path;
    auto parsed = fromJson(text);
    ASSERT_TRUE(parsed) << parsed.error().toString();
    EXPECT_EQ(*parsed, examples[i]);
    EXPECT_EQ(recordClassName(parsed->recordClass()), names[i]);
  }
}

TEST(RecordJsonTest, FieldOrderAndShape) {
  Record r = samples::exampleRecords()[0];
  EXPECT_EQ(toJson(r),
            R"({"schema":"sf.record/1","id":"gw1/main/42","class":"telemetry","site":"plant1",)"
            R"("gateway":"gw1","stream":"main","offset":42,"adapter":"modbus1","device":"boiler1",)"
            R"("tag":"boiler1.temp","source_ts_ns":1714564800123456789,)"
            R"("gateway_ts_ns":1714564800125333332,"ts":"2024-05-01T12:00:00.123456789Z",)"
            R"("value_type":"double","value":87.25,"quality":{"level":"good","code":0,"text":""},)"
            R"("unit":"degC","attributes":{"modbus.address":"40001","modbus.unit_id":"3"}})");
  r.offset.reset();
  std::string json = toJson(r);
  EXPECT_EQ(json.find("\"id\""), std::string::npos);
  EXPECT_EQ(json.find("\"offset\""), std::string::npos);
  std::string out = "x";
  appendJson(r, out);
  EXPECT_EQ(out, "x" + json);
}

TEST(RecordJsonTest, Numbers) {
  EXPECT_EQ(valueJson(Value::ofDouble(3.0)), "3.0");
  EXPECT_EQ(valueJson(Value::ofDouble(-0.0)), "-0.0");
  EXPECT_EQ(valueJson(Value::ofDouble(0.1)), "0.1");
  EXPECT_EQ(valueJson(Value::ofDouble(1e21)), "1e+21");
  EXPECT_EQ(valueJson(Value::ofDouble(std::numeric_limits<double>::quiet_NaN())), "\"NaN\"");
  EXPECT_EQ(valueJson(Value::ofDouble(std::numeric_limits<double>::infinity())), "\"Infinity\"");
  EXPECT_EQ(valueJson(Value::ofDouble(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
  EXPECT_EQ(valueJson(Value::ofUInt64(std::numeric_limits<uint64_t>::max())),
            "18446744073709551615");
  EXPECT_EQ(valueJson(Value::ofInt64(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(valueJson(Value::ofDoubleArray({1.0, 2.5})), "[1.0,2.5]");
  EXPECT_EQ(valueJson(Value::ofBoolArray({true, false})), "[true,false]");
  EXPECT_EQ(valueJson(Value::ofUInt64Array({})), "[]");
  EXPECT_EQ(valueJson(Value()), "null");
}

TEST(RecordJsonTest, Strings) {
  EXPECT_EQ(valueJson(Value::ofBytes("foobar")), "\"Zm9vYmFy\"");
  EXPECT_EQ(valueJson(Value::ofBytesArray({Bytes{"f"}, Bytes{""}})), "[\"Zg==\",\"\"]");
  EXPECT_EQ(valueJson(Value::ofString("a\"b\\c\n\t\x01\x1f\x7f/")),
            "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f/\"");
  EXPECT_EQ(valueJson(Value::ofString("Grüße")), "\"Grüße\"");
  // Not UTF-8 (validate() rejects it; toJson still writes valid JSON).
  EXPECT_EQ(valueJson(Value::ofString("a\xff"
                                      "b\xc3")),
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
  EXPECT_EQ(valueJson(Value::ofString("\xed\xa0\x80")), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  Record r = minimal();
  r.site = std::string("\xc0\xaf", 2);
  EXPECT_TRUE(Json::accept(toJson(r)));
}

TEST(RecordJsonTest, Timestamps) {
  auto ts = [](int64_t ns) {
    std::string out;
    appendRfc3339(ns, out);
    return out;
  };
  EXPECT_EQ(ts(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(ts(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(ts(1714564800123456789), "2024-05-01T12:00:00.123456789Z");
  EXPECT_EQ(ts(951782400000000000), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(ts(4107542399999999999), "2100-02-28T23:59:59.999999999Z");
  EXPECT_EQ(ts(std::numeric_limits<int64_t>::max()), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(ts(std::numeric_limits<int64_t>::min()), "1677-09-21T00:12:43.145224192Z");
}

TEST(RecordJsonTest, AlarmFields) {
  Record r = samples::exampleRecords()[2];
  Json j = Json::parse(toJson(r));
  EXPECT_EQ(j["alarm"]["severity"], 800);
  EXPECT_EQ(j["alarm"]["severity_band"], "critical");
  EXPECT_EQ(j["alarm"]["condition"], "hihi");
  EXPECT_EQ(j["alarm"]["state"], "active_unacked");
  EXPECT_EQ(j["alarm"]["transition"], "activate");
  EXPECT_EQ(j["alarm"]["limit"], 85.0);
  EXPECT_FALSE(j.contains("event"));
  r.alarm()->limit.reset();
  EXPECT_FALSE(Json::parse(toJson(r))["alarm"].contains("limit"));
}

TEST(RecordJsonTest, DerivedFieldsAreIgnoredOnInput) {
  Record r = samples::exampleRecords()[2];
  auto back = fromEdited(r, [](Json& j) {
    j["ts"] = "whatever";
    j["alarm"]["severity_band"] = "low";
  });
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(*back, r);
  back = fromEdited(r, [](Json& j) {
    j.erase("ts");
    j["alarm"].erase("severity_band");
  });
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(RecordJsonTest, UnknownFieldsAreIgnored) {
  Record r = samples::exampleRecords()[3];
  auto back = fromEdited(r, [](Json& j) {
    j["added_in_1_1"] = {{"x", 1}};
    j["log"]["thread"] = "main";
    j["quality"]["vendor"] = 7;
  });
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(*back, r);
}

TEST(RecordJsonTest, AcceptsIntegersForDoubles) {
  Record r = minimal();
  r.value = Value::ofDouble(3.0);
  auto back = fromEdited(r, [](Json& j) { j["value"] = 3; });
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(RecordJsonTest, RejectsMalformed) {
  expectInvalid(fromJson(""), "not valid JSON");
  expectInvalid(fromJson("{"), "not valid JSON");
  expectInvalid(fromJson("[]"), "want an object");
  expectInvalid(fromJson("{\"schema\":\"sf.record/1\"} x"), "not valid JSON");
  const Record alarm = samples::exampleRecords()[2];
  const Record tele = samples::exampleRecords()[0];
  expectInvalid(fromEdited(tele, [](Json& j) { j["schema"] = "sf.record/2"; }), "/schema");
  expectInvalid(fromEdited(tele, [](Json& j) { j.erase("gateway"); }), "/gateway: missing");
  expectInvalid(fromEdited(tele, [](Json& j) { j.erase("unit"); }), "/unit: missing");
  expectInvalid(fromEdited(tele, [](Json& j) { j["site"] = 1; }), "/site: want a string");
  expectInvalid(fromEdited(tele, [](Json& j) { j["class"] = "metric"; }), "/class");
  expectInvalid(fromEdited(tele, [](Json& j) { j["value_type"] = "float"; }), "/value_type");
  expectInvalid(fromEdited(tele, [](Json& j) { j["value_type"] = "int64"; }), "/value");
  expectInvalid(fromEdited(tele, [](Json& j) { j["value"] = "NaNa"; }), "/value");
  expectInvalid(fromEdited(tele, [](Json& j) { j["source_ts_ns"] = 1.5; }), "/source_ts_ns");
  expectInvalid(fromEdited(tele, [](Json& j) { j["source_ts_ns"] = 9223372036854775808u; }),
                "/source_ts_ns");
  expectInvalid(fromEdited(tele, [](Json& j) { j["offset"] = -1; }), "/offset");
  expectInvalid(fromEdited(tele, [](Json& j) { j["id"] = "gw1/main/43"; }), "/id");
  expectInvalid(fromEdited(tele, [](Json& j) { j.erase("id"); }), "/id");
  expectInvalid(fromEdited(tele, [](Json& j) { j.erase("offset"); }), "/id");
  expectInvalid(fromEdited(tele, [](Json& j) { j["quality"]["level"] = "ok"; }), "/quality/level");
  expectInvalid(fromEdited(tele, [](Json& j) { j["quality"]["code"] = 4294967296u; }),
                "/quality/code");
  expectInvalid(fromEdited(tele, [](Json& j) { j["attributes"]["n"] = 1; }), "/attributes/n");
  expectInvalid(fromEdited(tele, [](Json& j) { j["log"] = Json::object(); }), "/log: present");
  expectInvalid(fromEdited(tele, [](Json& j) { j["tag"] = ""; }), "tag: empty");
  expectInvalid(fromEdited(alarm, [](Json& j) { j.erase("alarm"); }), "/alarm: missing");
  expectInvalid(fromEdited(alarm, [](Json& j) { j["alarm"]["severity"] = 0; }), "severity");
  expectInvalid(fromEdited(alarm, [](Json& j) { j["alarm"]["severity"] = 70000; }), "severity");
  expectInvalid(fromEdited(alarm, [](Json& j) { j["alarm"]["state"] = "active"; }), "/alarm/state");
  expectInvalid(fromEdited(alarm, [](Json& j) { j["alarm"]["limit"] = "NaN"; }), "/alarm/limit");
  expectInvalid(fromEdited(alarm, [](Json& j) { j["alarm"]["shelved"] = 0; }), "/alarm/shelved");
  Record bytes = minimal();
  bytes.value = Value::ofBytes("ab");
  expectInvalid(fromEdited(bytes, [](Json& j) { j["value"] = "YWI"; }), "base64");
  Record arr = minimal();
  arr.value = Value::ofUInt64Array({1});
  expectInvalid(fromEdited(arr, [](Json& j) { j["value"] = Json::array({1, -1}); }), "/value[]");
  expectInvalid(fromEdited(arr, [](Json& j) { j["value"] = 1; }), "want an array");
  // Invalid UTF-8 inside a JSON string is not JSON.
  std::string bad_utf8 = toJson(tele);
  bad_utf8.replace(bad_utf8.find("plant1"), 6, "plan\xff\xfe");
  expectInvalid(fromJson(bad_utf8), "not valid JSON");
}

TEST(RecordJsonTest, DeepNestingDoesNotCrash) {
  std::string deep(100000, '[');
  EXPECT_FALSE(fromJson(deep));
  deep += std::string(100000, ']');
  EXPECT_FALSE(fromJson(deep));
}

TEST(RecordJsonTest, JsonAndBinaryAgree) {
  for (const Record& r : samples::allShapes()) {
    std::string bin;
    encodeBinary(r, bin);
    auto from_bin = decodeBinary(bin);
    ASSERT_TRUE(from_bin);
    EXPECT_EQ(toJson(*from_bin), toJson(r));
  }
}

}  // namespace
}  // namespace sf::model
