#include "model/record.h"

#include <gtest/gtest.h>

#include <limits>
#include <type_traits>

#include "model/record_samples.h"

namespace sf::model {
namespace {

Record telemetry() {
  Record r;
  r.gateway = "gw1";
  r.stream = "main";
  r.tag = "t";
  r.value = Value::ofDouble(1.0);
  return r;
}

TEST(RecordTest, ClassFollowsDetail) {
  Record r;
  EXPECT_EQ(r.recordClass(), RecordClass::kTelemetry);
  EXPECT_EQ(r.alarm(), nullptr);
  r.detail = EventInfo{"connection", "up", "down"};
  EXPECT_EQ(r.recordClass(), RecordClass::kEvent);
  EXPECT_EQ(r.event()->to, "down");
  r.detail = AlarmInfo{};
  EXPECT_EQ(r.recordClass(), RecordClass::kAlarm);
  r.alarm()->severity = 900;
  EXPECT_EQ(std::get<AlarmInfo>(r.detail).severity, 900);
  r.detail = LogInfo{LogLevel::kError, "m", "o"};
  EXPECT_EQ(r.recordClass(), RecordClass::kLog);
  EXPECT_EQ(r.log()->level, LogLevel::kError);
}

TEST(RecordTest, EnumNamesRoundTrip) {
  for (int i = 0; i < kRecordClassCount; ++i) {
    auto c = static_cast<RecordClass>(i);
    EXPECT_EQ(*parseRecordClass(recordClassName(c)), c);
  }
  for (int i = 0; i < kQualityLevelCount; ++i) {
    auto q = static_cast<QualityLevel>(i);
    EXPECT_EQ(*parseQualityLevel(qualityLevelName(q)), q);
  }
  for (int i = 0; i < kLogLevelCount; ++i) {
    auto l = static_cast<LogLevel>(i);
    EXPECT_EQ(*parseLogLevel(logLevelName(l)), l);
  }
  EXPECT_EQ(recordClassName(RecordClass::kTelemetry), "telemetry");
  EXPECT_EQ(qualityLevelName(QualityLevel::kUncertain), "uncertain");
  EXPECT_EQ(logLevelName(LogLevel::kWarning), "warning");
  EXPECT_FALSE(parseRecordClass("Telemetry"));
  EXPECT_FALSE(parseLogLevel("warn"));
}

TEST(RecordTest, CheapToMove) {
  static_assert(std::is_nothrow_move_constructible_v<Record>);
  static_assert(std::is_nothrow_move_assignable_v<Record>);
  // Keep an eye on the footprint of the hot-path type; raise deliberately, not by accident.
  EXPECT_LE(sizeof(Record), 512u);
}

TEST(RecordTest, AttributesStaySortedAndUnique) {
  Attributes a;
  EXPECT_TRUE(a.empty());
  a.set("b", "2");
  a.set("a", "1");
  a.set("c", "3");
  a.set("b", "two");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.entries()[0].first, "a");
  EXPECT_EQ(a.entries()[1].second, "two");
  EXPECT_EQ(a.entries()[2].first, "c");
  ASSERT_NE(a.find("b"), nullptr);
  EXPECT_EQ(*a.find("b"), "two");
  EXPECT_EQ(a.find("z"), nullptr);
  EXPECT_TRUE(a.erase("a"));
  EXPECT_FALSE(a.erase("a"));
  EXPECT_FALSE(a.tryAppend("a", "x"));  // would break the order
  EXPECT_FALSE(a.tryAppend("c", "x"));  // duplicate
  EXPECT_TRUE(a.tryAppend("d", "4"));
  EXPECT_EQ(a, (Attributes{{"d", "4"}, {"c", "3"}, {"b", "two"}}));
}

TEST(RecordTest, RecordIds) {
  EXPECT_EQ(formatRecordId("gw1", "main", 42), "gw1/main/42");
  EXPECT_EQ(formatRecordId("gw1", "main", 0), "gw1/main/0");
  auto id = parseRecordId("gw1/main/42");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, (RecordId{"gw1", "main", 42}));
  auto max = parseRecordId("g/s/9223372036854775807");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->offset, 9223372036854775807u);
  for (const char* bad : {"", "gw1", "gw1/main", "gw1/main/", "/main/1", "gw1//1", "gw1/main/x",
                          "gw1/main/-1", "gw1/main/01", "gw1/main/1 ", "a/b/c/1",
                          "g/s/9223372036854775808", "g/s/99999999999999999999"}) {
    EXPECT_FALSE(parseRecordId(bad)) << bad;
  }

  Record r = telemetry();
  EXPECT_EQ(r.id(), std::nullopt);
  r.offset = 7;
  EXPECT_EQ(r.id(), "gw1/main/7");
}

TEST(RecordTest, ValidateAcceptsEverySample) {
  for (const Record& r : samples::allShapes()) {
    auto s = validate(r);
    EXPECT_TRUE(s) << s.error().toString();
  }
}

TEST(RecordTest, ValidateRejects) {
  auto expectInvalid = [](const Record& r, std::string_view what) {
    auto s = validate(r);
    ASSERT_FALSE(s) << what;
    EXPECT_EQ(s.error().code, core::Errc::kInvalidData);
    EXPECT_NE(s.error().message.find(what), std::string::npos) << s.error().message;
  };
  EXPECT_TRUE(validate(telemetry()));

  Record r = telemetry();
  r.gateway = "";
  expectInvalid(r, "gateway");
  r = telemetry();
  r.gateway = "a/b";
  expectInvalid(r, "gateway");
  r = telemetry();
  r.stream = "a/b";
  expectInvalid(r, "stream");
  r = telemetry();
  r.stream = "";
  EXPECT_TRUE(validate(r));  // no offset yet: no stream needed
  r.offset = 1;
  expectInvalid(r, "stream");
  r = telemetry();
  r.offset = uint64_t{1} << 63;
  expectInvalid(r, "offset");
  r = telemetry();
  r.tag = "";
  expectInvalid(r, "tag");
  r = telemetry();
  r.unit = "\xff";
  expectInvalid(r, "unit");
  r = telemetry();
  r.value = Value::ofStringArray({"ok", "\xc3"});
  expectInvalid(r, "value");
  r = telemetry();
  r.value = Value::ofBytes("\xff");  // bytes are not text
  EXPECT_TRUE(validate(r));
  r = telemetry();
  r.attributes.set("k", "\xed\xa0\x80");  // a UTF-16 surrogate
  expectInvalid(r, "attributes.k");

  r = telemetry();
  r.detail = EventInfo{};
  expectInvalid(r, "event.type");

  r = telemetry();
  AlarmInfo a;
  a.alarm_id = "x";
  r.detail = a;
  EXPECT_TRUE(validate(r));
  r.alarm()->severity = 0;
  expectInvalid(r, "alarm.severity");
  r.alarm()->severity = 1001;
  expectInvalid(r, "alarm.severity");
  r.alarm()->severity = 1;
  r.alarm()->limit = std::numeric_limits<double>::infinity();
  expectInvalid(r, "alarm.limit");
  r.alarm()->limit.reset();
  r.alarm()->alarm_id = "";
  expectInvalid(r, "alarm.alarm_id");

  r = telemetry();
  r.tag = "";
  r.detail = LogInfo{LogLevel::kInfo, "no tag needed", "x"};
  EXPECT_TRUE(validate(r));
}

TEST(RecordTest, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(isValidUtf8("Grüße 温度 🌡"));
  EXPECT_TRUE(isValidUtf8(std::string_view("\0", 1)));
  EXPECT_TRUE(isValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("abc\xc3"));           // truncated
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("12345678\xff"));
}

}  // namespace
}  // namespace sf::model
