#include "model/record_samples.h"

#include <limits>
#include <string>

namespace sf::model::samples {
namespace {

constexpr int64_t kT0 = 1714564800123456789;  // 2024-05-01T12:00:00.123456789Z

Record base(RecordClass cls, uint64_t offset) {
  Record r;
  r.site = "plant1";
  r.gateway = "gw1";
  r.stream = "main";
  r.offset = offset;
  r.adapter = "modbus1";
  r.device = "boiler1";
  r.tag = "boiler1.temp";
  r.source_ts_ns = kT0;
  r.gateway_ts_ns = kT0 + 1'876'543;
  r.value = Value::ofDouble(87.25);
  r.unit = "degC";
  switch (cls) {
    case RecordClass::kTelemetry:
      break;
    case RecordClass::kEvent:
      r.detail = EventInfo{"state_change", "running", "stopped"};
      break;
    case RecordClass::kAlarm: {
      AlarmInfo a;
      a.alarm_id = "boiler1.temp.hihi";
      a.condition = AlarmCondition::kHiHi;
      a.severity = 800;
      a.state = AlarmState::kActiveUnacked;
      a.transition = AlarmTransition::kActivate;
      a.limit = 85.0;
      a.message = "Boiler 1 temperature very high";
      r.detail = std::move(a);
      break;
    }
    case RecordClass::kLog:
      r.detail = LogInfo{LogLevel::kWarning, "message", "dataplane.log"};
      break;
  }
  return r;
}

}  // namespace

std::vector<Record> exampleRecords() {
  std::vector<Record> out;

  Record t = base(RecordClass::kTelemetry, 42);
  t.attributes.set("modbus.unit_id", "3");
  t.attributes.set("modbus.address", "40001");
  out.push_back(std::move(t));

  Record e = base(RecordClass::kEvent, 43);
  e.adapter = "opcua1";
  e.device = "line2.press";
  e.tag = "line2.press.mode";
  e.value = Value::ofString("maintenance");
  e.unit = "";
  e.detail = EventInfo{"mode_change", "production", "maintenance"};
  out.push_back(std::move(e));

  Record a = base(RecordClass::kAlarm, 44);
  a.value = Value::ofDouble(91.5);
  a.attributes.set("rule", "boiler1-temp");
  out.push_back(std::move(a));

  Record l = base(RecordClass::kLog, 45);
  l.adapter = "";
  l.device = "";
  l.tag = "";
  l.value = Value();
  l.unit = "";
  l.quality = Quality::good();
  l.detail = LogInfo{LogLevel::kWarning, "disk quota reached: dropped 1200 telemetry records",
                     "dataplane.log.quota"};
  l.attributes.set("dropped", "1200");
  out.push_back(std::move(l));
  return out;
}

std::vector<Record> allShapes() {
  std::vector<Record> out = exampleRecords();
  uint64_t offset = 1000;
  auto telemetry = [&](Value v) {
    Record r = base(RecordClass::kTelemetry, offset++);
    r.value = std::move(v);
    out.push_back(std::move(r));
  };

  using L64 = std::numeric_limits<int64_t>;
  using LU = std::numeric_limits<uint64_t>;
  using LD = std::numeric_limits<double>;

  // Every value type with edge values.
  telemetry(Value());
  telemetry(Value::ofBool(true));
  telemetry(Value::ofBool(false));
  for (int64_t v :
       {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{9007199254740993}, L64::min(), L64::max()}) {
    telemetry(Value::ofInt64(v));
  }
  for (uint64_t v :
       {uint64_t{0}, uint64_t{1} << 53, (uint64_t{1} << 53) + 1, uint64_t{1} << 63, LU::max()}) {
    telemetry(Value::ofUInt64(v));
  }
  for (double v : {0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e-7, 123456789.125, LD::max(), LD::lowest(),
                   LD::min(), LD::denorm_min(), LD::quiet_NaN(), LD::infinity(), -LD::infinity()}) {
    telemetry(Value::ofDouble(v));
  }
  telemetry(Value::ofString(""));
  telemetry(Value::ofString("plain ascii"));
  telemetry(Value::ofString("quote \" backslash \\ slash / tab \t newline \n cr \r bell \a nul " +
                            std::string(1, '\0') + " del \x7f"));
  telemetry(Value::ofString("unicode: Grüße, 温度, emoji 🌡, U+2028 \u2028"));
  telemetry(Value::ofBytes(""));
  telemetry(Value::ofBytes("a"));
  telemetry(Value::ofBytes("ab"));
  telemetry(Value::ofBytes("abc"));
  telemetry(Value::ofBytes(std::string("\x00\xff\xfe\x80\x7f binary", 12)));
  telemetry(Value::ofBoolArray({}));
  telemetry(Value::ofBoolArray({true, false, true}));
  telemetry(Value::ofInt64Array({}));
  telemetry(Value::ofInt64Array({0, -1, L64::min(), L64::max()}));
  telemetry(Value::ofUInt64Array({0, LU::max()}));
  telemetry(Value::ofDoubleArray({}));
  telemetry(Value::ofDoubleArray({1.5, -0.0, LD::quiet_NaN(), LD::infinity(), -LD::infinity()}));
  telemetry(Value::ofStringArray({"", "a", "Grüße", "\"\\"}));
  telemetry(Value::ofBytesArray({Bytes{""}, Bytes{"x"}, Bytes{std::string("\0\1\2", 3)}}));

  // Every quality level, codes up to 2^32-1.
  {
    Record r = base(RecordClass::kTelemetry, offset++);
    r.quality = Quality::uncertain(0x40000000, "Uncertain_LastUsableValue");
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, offset++);
    r.quality = Quality::bad(0xFFFFFFFF, "");
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, offset++);
    r.quality = Quality::bad(4, "modbus exception 4: server device failure");
    r.value = Value();
    out.push_back(std::move(r));
  }

  // Envelope edge cases: no offset (before append), empty strings, extreme timestamps, attributes.
  {
    Record r = base(RecordClass::kTelemetry, 0);
    r.offset.reset();
    r.stream = "";
    r.site = "";
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, 0);  // offset 0 is a real offset
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, static_cast<uint64_t>(L64::max()));
    r.source_ts_ns = L64::min();
    r.gateway_ts_ns = L64::max();
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, offset++);
    r.source_ts_ns = -1;  // 1969-12-31T23:59:59.999999999Z
    r.gateway_ts_ns = 0;
    out.push_back(std::move(r));
    r = base(RecordClass::kTelemetry, offset++);
    for (int i = 0; i < 40; ++i) r.attributes.set("k" + std::to_string(i), std::to_string(i * i));
    r.attributes.set("", "empty key");
    r.attributes.set("unicode ключ", "значение \"quoted\"");
    out.push_back(std::move(r));
  }

  // Every alarm condition, state, transition, band edge, with and without limit and flags.
  for (int c = 0; c < kAlarmConditionCount; ++c) {
    Record r = base(RecordClass::kAlarm, offset++);
    r.alarm()->condition = static_cast<AlarmCondition>(c);
    if (r.alarm()->condition == AlarmCondition::kDiscrete) {
      r.value = Value::ofBool(true);
      r.alarm()->limit.reset();
    }
    out.push_back(std::move(r));
  }
  for (int s = 0; s < kAlarmStateCount; ++s) {
    for (int t = 0; t < kAlarmTransitionCount; ++t) {
      Record r = base(RecordClass::kAlarm, offset++);
      r.alarm()->state = static_cast<AlarmState>(s);
      r.alarm()->transition = static_cast<AlarmTransition>(t);
      r.alarm()->shelved = (s + t) % 2 == 0;
      r.alarm()->suppressed = (s + t) % 3 == 0;
      if (t == static_cast<int>(AlarmTransition::kAcknowledge)) r.alarm()->actor = "operator.jane";
      out.push_back(std::move(r));
    }
  }
  for (int severity : {1, 250, 251, 500, 501, 750, 751, 1000}) {
    Record r = base(RecordClass::kAlarm, offset++);
    r.alarm()->severity = static_cast<uint16_t>(severity);
    r.alarm()->limit = -0.0;
    out.push_back(std::move(r));
  }
  {
    Record r = base(RecordClass::kAlarm, offset++);
    r.alarm()->condition = AlarmCondition::kCustom;
    r.alarm()->limit.reset();
    r.alarm()->message = "";
    r.tag = "";
    r.value = Value();
    r.quality = Quality::bad(1, "sensor open circuit");
    out.push_back(std::move(r));
  }

  // Events: empty from/to, values of other types.
  {
    Record r = base(RecordClass::kEvent, offset++);
    r.detail = EventInfo{"connection", "", "connected"};
    r.value = Value();
    out.push_back(std::move(r));
    r = base(RecordClass::kEvent, offset++);
    r.detail = EventInfo{"counter_reset", "4294967295", "0"};
    r.value = Value::ofUInt64(0);
    out.push_back(std::move(r));
  }

  // Every log level.
  for (int l = 0; l < kLogLevelCount; ++l) {
    Record r = base(RecordClass::kLog, offset++);
    r.detail = LogInfo{static_cast<LogLevel>(l), "level " + std::to_string(l) + "\nsecond line",
                       "app.test"};
    r.value = Value();
    r.tag = "";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sf::model::samples
