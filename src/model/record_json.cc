#include "model/record_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "model/base64.h"

namespace sf::model {
namespace {

// --- writing ----------------------------------------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";

// Appends the body of a JSON string literal (no quotes): escapes what JSON requires, replaces
// bytes that are not UTF-8 with U+FFFD so the output is always valid JSON.
void appendStringBody(std::string_view s, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Copy the longest run that needs nothing.
    const auto* run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default: {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(esc, 6);
        }
      }
      ++p;
      continue;
    }
    // A multi-byte sequence: copy it when it is valid UTF-8, else one U+FFFD per bad byte.
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n != 0 && static_cast<size_t>(end - p) >= n &&
        isValidUtf8(std::string_view(reinterpret_cast<const char*>(p), n))) {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++p;
    }
  }
}

void appendString(std::string_view s, std::string& out) {
  out.push_back('"');
  appendStringBody(s, out);
  out.push_back('"');
}

template <class Int>
void appendInt(Int v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void appendDouble(double d, std::string& out) {
  if (std::isnan(d)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(d)) {
    out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out.append(text);
  // Keep doubles recognisable as such (and -0.0 signed) in every JSON reader.
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

void appendBool(bool b, std::string& out) { out.append(b ? "true" : "false"); }

void appendBytes(std::string_view b, std::string& out) {
  out.push_back('"');
  appendBase64(b, out);
  out.push_back('"');
}

// ,"name":
void key(std::string_view name, std::string& out) {
  out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
}

void appendValue(const Value& v, std::string& out) {
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out.append("null");
        } else if constexpr (std::is_same_v<T, bool>) {
          appendBool(x, out);
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
          appendInt(x, out);
        } else if constexpr (std::is_same_v<T, double>) {
          appendDouble(x, out);
        } else if constexpr (std::is_same_v<T, std::string>) {
          appendString(x, out);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          appendBytes(x.data, out);
        } else {
          out.push_back('[');
          bool first = true;
          for (const auto& e : x) {
            if (!first) out.push_back(',');
            first = false;
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, std::vector<bool>>) {
              appendBool(e, out);
            } else if constexpr (std::is_same_v<E, int64_t> || std::is_same_v<E, uint64_t>) {
              appendInt(e, out);
            } else if constexpr (std::is_same_v<E, double>) {
              appendDouble(e, out);
            } else if constexpr (std::is_same_v<E, std::string>) {
              appendString(e, out);
            } else {
              appendBytes(e.data, out);
            }
          }
          out.push_back(']');
        }
      },
      v.storage());
}

// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

void appendDigits(uint64_t v, int width, std::string& out) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

// --- reading ----------------------------------------------------------------------------------

using Json = nlohmann::json;

core::Unexpected<core::Error> bad(std::string_view path, std::string_view why) {
  std::string msg = "record json: ";
  msg += path;
  msg += ": ";
  msg += why;
  return core::fail(core::Errc::kInvalidData, std::move(msg));
}

// The member `name` of object `obj`, or nullptr.
const Json* member(const Json& obj, const char* name) {
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

core::Result<const Json*> required(const Json& obj, const char* name, std::string_view path) {
  const Json* j = member(obj, name);
  if (j == nullptr) return bad(std::string(path) + name, "missing");
  return j;
}

core::Result<std::string> getString(const Json& obj, const char* name, std::string_view path) {
  SF_ASSIGN_OR_RETURN(const Json* j, required(obj, name, path));
  if (!j->is_string()) return bad(std::string(path) + name, "want a string");
  return j->get_ref<const std::string&>();
}

core::Result<int64_t> toInt64(const Json& j, std::string_view path) {
  if (j.is_number_unsigned()) {
    auto u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return bad(path, "integer out of int64 range");
    }
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return bad(path, "want an integer");
}

core::Result<uint64_t> toUInt64(const Json& j, std::string_view path) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  return bad(path, "want a non-negative integer");
}

core::Result<int64_t> getInt64(const Json& obj, const char* name, std::string_view path) {
  SF_ASSIGN_OR_RETURN(const Json* j, required(obj, name, path));
  return toInt64(*j, std::string(path) + name);
}

core::Result<bool> getBool(const Json& obj, const char* name, std::string_view path) {
  SF_ASSIGN_OR_RETURN(const Json* j, required(obj, name, path));
  if (!j->is_boolean()) return bad(std::string(path) + name, "want true or false");
  return j->get<bool>();
}

template <class E, class Parse>
core::Result<E> getEnum(const Json& obj, const char* name, std::string_view path, Parse parse) {
  SF_ASSIGN_OR_RETURN(std::string text, getString(obj, name, path));
  auto e = parse(text);
  if (!e) return bad(std::string(path) + name, e.error().message);
  return *e;
}

core::Result<const Json*> getObject(const Json& obj, const char* name, std::string_view path) {
  SF_ASSIGN_OR_RETURN(const Json* j, required(obj, name, path));
  if (!j->is_object()) return bad(std::string(path) + name, "want an object");
  return j;
}

core::Result<double> toDouble(const Json& j, std::string_view path) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return bad(path, "want a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
}

core::Result<std::string> toBytes(const Json& j, std::string_view path) {
  if (!j.is_string()) return bad(path, "want a base64 string");
  auto b = decodeBase64(j.get_ref<const std::string&>());
  if (!b) return bad(path, b.error().message);
  return std::move(b).value();
}

core::Result<std::string> toString(const Json& j, std::string_view path) {
  if (!j.is_string()) return bad(path, "want a string");
  return j.get_ref<const std::string&>();
}

core::Result<bool> toBool(const Json& j, std::string_view path) {
  if (!j.is_boolean()) return bad(path, "want true or false");
  return j.get<bool>();
}

template <class T, class Convert>
core::Result<Value> toArray(const Json& j, Convert convert) {
  if (!j.is_array()) return bad("/value", "want an array");
  std::vector<T> items;
  items.reserve(j.size());
  for (const Json& e : j) {
    SF_ASSIGN_OR_RETURN(auto item, convert(e, "/value[]"));
    items.push_back(T{std::move(item)});
  }
  return Value(Value::Storage(std::move(items)));
}

core::Result<Value> toValue(ValueType type, const Json& j) {
  constexpr std::string_view kPath = "/value";
  switch (type) {
    case ValueType::kNull:
      if (!j.is_null()) return bad(kPath, "want null for value_type null");
      return Value();
    case ValueType::kBool: {
      SF_ASSIGN_OR_RETURN(bool b, toBool(j, kPath));
      return Value::ofBool(b);
    }
    case ValueType::kInt64: {
      SF_ASSIGN_OR_RETURN(int64_t v, toInt64(j, kPath));
      return Value::ofInt64(v);
    }
    case ValueType::kUInt64: {
      SF_ASSIGN_OR_RETURN(uint64_t v, toUInt64(j, kPath));
      return Value::ofUInt64(v);
    }
    case ValueType::kDouble: {
      SF_ASSIGN_OR_RETURN(double v, toDouble(j, kPath));
      return Value::ofDouble(v);
    }
    case ValueType::kString: {
      SF_ASSIGN_OR_RETURN(std::string v, toString(j, kPath));
      return Value::ofString(std::move(v));
    }
    case ValueType::kBytes: {
      SF_ASSIGN_OR_RETURN(std::string v, toBytes(j, kPath));
      return Value::ofBytes(std::move(v));
    }
    case ValueType::kBoolArray: {
      if (!j.is_array()) return bad(kPath, "want an array");
      std::vector<bool> items;
      items.reserve(j.size());
      for (const Json& e : j) {
        SF_ASSIGN_OR_RETURN(bool b, toBool(e, "/value[]"));
        items.push_back(b);
      }
      return Value::ofBoolArray(std::move(items));
    }
    case ValueType::kInt64Array:
      return toArray<int64_t>(j, toInt64);
    case ValueType::kUInt64Array:
      return toArray<uint64_t>(j, toUInt64);
    case ValueType::kDoubleArray:
      return toArray<double>(j, toDouble);
    case ValueType::kStringArray:
      return toArray<std::string>(j, toString);
    case ValueType::kBytesArray:
      return toArray<Bytes>(j, toBytes);
  }
  return bad(kPath, "unknown value_type");
}

core::Result<Record> fromJsonDoc(const Json& doc) {
  if (!doc.is_object()) return bad("/", "want an object");
  Record r;
  SF_ASSIGN_OR_RETURN(std::string schema, getString(doc, "schema", "/"));
  if (schema != kRecordSchema) {
    return bad("/schema", "'" + schema + "' is not " + std::string(kRecordSchema));
  }
  SF_ASSIGN_OR_RETURN(RecordClass cls, getEnum<RecordClass>(doc, "class", "/", parseRecordClass));
  SF_ASSIGN_OR_RETURN(r.site, getString(doc, "site", "/"));
  SF_ASSIGN_OR_RETURN(r.gateway, getString(doc, "gateway", "/"));
  SF_ASSIGN_OR_RETURN(r.stream, getString(doc, "stream", "/"));
  if (const Json* off = member(doc, "offset")) {
    SF_ASSIGN_OR_RETURN(int64_t offset, toInt64(*off, "/offset"));
    if (offset < 0) return bad("/offset", "negative");
    r.offset = static_cast<uint64_t>(offset);
  }
  SF_ASSIGN_OR_RETURN(r.adapter, getString(doc, "adapter", "/"));
  SF_ASSIGN_OR_RETURN(r.device, getString(doc, "device", "/"));
  SF_ASSIGN_OR_RETURN(r.tag, getString(doc, "tag", "/"));
  SF_ASSIGN_OR_RETURN(r.source_ts_ns, getInt64(doc, "source_ts_ns", "/"));
  SF_ASSIGN_OR_RETURN(r.gateway_ts_ns, getInt64(doc, "gateway_ts_ns", "/"));
  SF_ASSIGN_OR_RETURN(ValueType vt, getEnum<ValueType>(doc, "value_type", "/", parseValueType));
  SF_ASSIGN_OR_RETURN(const Json* value, required(doc, "value", "/"));
  SF_ASSIGN_OR_RETURN(r.value, toValue(vt, *value));

  SF_ASSIGN_OR_RETURN(const Json* q, getObject(doc, "quality", "/"));
  SF_ASSIGN_OR_RETURN(r.quality.level,
                      getEnum<QualityLevel>(*q, "level", "/quality/", parseQualityLevel));
  SF_ASSIGN_OR_RETURN(int64_t code, getInt64(*q, "code", "/quality/"));
  if (code < 0 || code > UINT32_MAX) return bad("/quality/code", "not in 0..2^32-1");
  r.quality.code = static_cast<uint32_t>(code);
  SF_ASSIGN_OR_RETURN(r.quality.text, getString(*q, "text", "/quality/"));
  SF_ASSIGN_OR_RETURN(r.unit, getString(doc, "unit", "/"));

  SF_ASSIGN_OR_RETURN(const Json* attrs, getObject(doc, "attributes", "/"));
  r.attributes.reserve(attrs->size());
  for (auto it = attrs->begin(); it != attrs->end(); ++it) {
    if (!it.value().is_string()) return bad("/attributes/" + it.key(), "want a string");
    r.attributes.set(it.key(), it.value().get_ref<const std::string&>());
  }

  const char* detail_names[] = {nullptr, "event", "alarm", "log"};
  for (int c = 1; c < kRecordClassCount; ++c) {
    if (c != static_cast<int>(cls) && member(doc, detail_names[c]) != nullptr) {
      return bad(std::string("/") + detail_names[c],
                 "present on a record of class " + std::string(recordClassName(cls)));
    }
  }
  switch (cls) {
    case RecordClass::kTelemetry:
      break;
    case RecordClass::kEvent: {
      SF_ASSIGN_OR_RETURN(const Json* e, getObject(doc, "event", "/"));
      EventInfo info;
      SF_ASSIGN_OR_RETURN(info.type, getString(*e, "type", "/event/"));
      SF_ASSIGN_OR_RETURN(info.from, getString(*e, "from", "/event/"));
      SF_ASSIGN_OR_RETURN(info.to, getString(*e, "to", "/event/"));
      r.detail = std::move(info);
      break;
    }
    case RecordClass::kAlarm: {
      SF_ASSIGN_OR_RETURN(const Json* a, getObject(doc, "alarm", "/"));
      constexpr std::string_view p = "/alarm/";
      AlarmInfo info;
      SF_ASSIGN_OR_RETURN(info.alarm_id, getString(*a, "alarm_id", p));
      SF_ASSIGN_OR_RETURN(info.condition,
                          getEnum<AlarmCondition>(*a, "condition", p, parseAlarmCondition));
      SF_ASSIGN_OR_RETURN(int64_t severity, getInt64(*a, "severity", p));
      if (!isValidSeverity(static_cast<int>(std::clamp<int64_t>(severity, -1, 1001)))) {
        return bad("/alarm/severity", "not in 1..1000");
      }
      info.severity = static_cast<uint16_t>(severity);
      SF_ASSIGN_OR_RETURN(info.state, getEnum<AlarmState>(*a, "state", p, parseAlarmState));
      SF_ASSIGN_OR_RETURN(info.shelved, getBool(*a, "shelved", p));
      SF_ASSIGN_OR_RETURN(info.suppressed, getBool(*a, "suppressed", p));
      SF_ASSIGN_OR_RETURN(info.transition,
                          getEnum<AlarmTransition>(*a, "transition", p, parseAlarmTransition));
      if (const Json* limit = member(*a, "limit")) {
        if (!limit->is_number()) return bad("/alarm/limit", "want a number");
        info.limit = limit->get<double>();
      }
      SF_ASSIGN_OR_RETURN(info.message, getString(*a, "message", p));
      SF_ASSIGN_OR_RETURN(info.actor, getString(*a, "actor", p));
      r.detail = std::move(info);
      break;
    }
    case RecordClass::kLog: {
      SF_ASSIGN_OR_RETURN(const Json* l, getObject(doc, "log", "/"));
      LogInfo info;
      SF_ASSIGN_OR_RETURN(info.level, getEnum<LogLevel>(*l, "level", "/log/", parseLogLevel));
      SF_ASSIGN_OR_RETURN(info.message, getString(*l, "message", "/log/"));
      SF_ASSIGN_OR_RETURN(info.origin, getString(*l, "origin", "/log/"));
      r.detail = std::move(info);
      break;
    }
  }

  if (const Json* id = member(doc, "id")) {
    if (!id->is_string()) return bad("/id", "want a string");
    if (!r.offset) return bad("/id", "present without offset");
    if (id->get_ref<const std::string&>() != formatRecordId(r.gateway, r.stream, *r.offset)) {
      return bad("/id", "does not match <gateway>/<stream>/<offset>");
    }
  } else if (r.offset) {
    return bad("/id", "missing while offset is set");
  }

  auto valid = validate(r);
  if (!valid) return core::fail(valid.error().wrap("record json"));
  return r;
}

}  // namespace

void appendRfc3339(int64_t unix_ns, std::string& out) {
  int64_t secs = unix_ns / 1'000'000'000;
  int64_t nanos = unix_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t year;
  unsigned month, day;
  civilFromDays(days, year, month, day);
  // int64 nanoseconds span the years 1677..2262: always four digits.
  appendDigits(static_cast<uint64_t>(year), 4, out);
  out.push_back('-');
  appendDigits(month, 2, out);
  out.push_back('-');
  appendDigits(day, 2, out);
  out.push_back('T');
  appendDigits(static_cast<uint64_t>(sod / 3600), 2, out);
  out.push_back(':');
  appendDigits(static_cast<uint64_t>(sod / 60 % 60), 2, out);
  out.push_back(':');
  appendDigits(static_cast<uint64_t>(sod % 60), 2, out);
  out.push_back('.');
  appendDigits(static_cast<uint64_t>(nanos), 9, out);
  out.push_back('Z');
}

void appendJson(const Record& r, std::string& out) {
  out.append("{\"schema\":\"");
  out.append(kRecordSchema);
  out.push_back('"');
  if (r.offset) {
    // Written in place (no temporary): "<gateway>/<stream>/<offset>", as formatRecordId().
    key("id", out);
    out.push_back('"');
    appendStringBody(r.gateway, out);
    out.push_back('/');
    appendStringBody(r.stream, out);
    out.push_back('/');
    appendInt(*r.offset, out);
    out.push_back('"');
  }
  key("class", out);
  out.push_back('"');
  out.append(recordClassName(r.recordClass()));
  out.push_back('"');
  key("site", out);
  appendString(r.site, out);
  key("gateway", out);
  appendString(r.gateway, out);
  key("stream", out);
  appendString(r.stream, out);
  if (r.offset) {
    key("offset", out);
    appendInt(*r.offset, out);
  }
  key("adapter", out);
  appendString(r.adapter, out);
  key("device", out);
  appendString(r.device, out);
  key("tag", out);
  appendString(r.tag, out);
  key("source_ts_ns", out);
  appendInt(r.source_ts_ns, out);
  key("gateway_ts_ns", out);
  appendInt(r.gateway_ts_ns, out);
  key("ts", out);
  out.push_back('"');
  appendRfc3339(r.source_ts_ns, out);
  out.push_back('"');
  key("value_type", out);
  out.push_back('"');
  out.append(valueTypeName(r.value.type()));
  out.push_back('"');
  key("value", out);
  appendValue(r.value, out);
  out.append(",\"quality\":{\"level\":\"");
  out.append(qualityLevelName(r.quality.level));
  out.append("\",\"code\":");
  appendInt(r.quality.code, out);
  out.append(",\"text\":");
  appendString(r.quality.text, out);
  out.push_back('}');
  key("unit", out);
  appendString(r.unit, out);
  key("attributes", out);
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : r.attributes) {
    if (!first) out.push_back(',');
    first = false;
    appendString(k, out);
    out.push_back(':');
    appendString(v, out);
  }
  out.push_back('}');
  switch (r.recordClass()) {
    case RecordClass::kTelemetry:
      break;
    case RecordClass::kEvent: {
      const EventInfo& e = *r.event();
      out.append(",\"event\":{\"type\":");
      appendString(e.type, out);
      out.append(",\"from\":");
      appendString(e.from, out);
      out.append(",\"to\":");
      appendString(e.to, out);
      out.push_back('}');
      break;
    }
    case RecordClass::kAlarm: {
      const AlarmInfo& a = *r.alarm();
      out.append(",\"alarm\":{\"alarm_id\":");
      appendString(a.alarm_id, out);
      out.append(",\"condition\":\"");
      out.append(alarmConditionName(a.condition));
      out.append("\",\"severity\":");
      appendInt(a.severity, out);
      out.append(",\"severity_band\":\"");
      out.append(severityBandName(severityBand(a.severity)));
      out.append("\",\"state\":\"");
      out.append(alarmStateName(a.state));
      out.append("\",\"shelved\":");
      appendBool(a.shelved, out);
      out.append(",\"suppressed\":");
      appendBool(a.suppressed, out);
      out.append(",\"transition\":\"");
      out.append(alarmTransitionName(a.transition));
      out.push_back('"');
      if (a.limit) {
        key("limit", out);
        appendDouble(*a.limit, out);
      }
      out.append(",\"message\":");
      appendString(a.message, out);
      out.append(",\"actor\":");
      appendString(a.actor, out);
      out.push_back('}');
      break;
    }
    case RecordClass::kLog: {
      const LogInfo& l = *r.log();
      out.append(",\"log\":{\"level\":\"");
      out.append(logLevelName(l.level));
      out.append("\",\"message\":");
      appendString(l.message, out);
      out.append(",\"origin\":");
      appendString(l.origin, out);
      out.push_back('}');
      break;
    }
  }
  out.push_back('}');
}

std::string toJson(const Record& record) {
  std::string out;
  out.reserve(384);
  appendJson(record, out);
  return out;
}

core::Result<Record> fromJson(std::string_view json) {
  // No exceptions cross the data plane: parse without them, and read only what was type-checked.
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("/", "not valid JSON");
  return fromJsonDoc(doc);
}

}  // namespace sf::model
