#include "dataplane/adapters/mqtt/json_mapper.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace sf::mqtt {

using core::Errc;
using core::fail;
using nlohmann::json;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool parseInt(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parseDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

core::Result<bool> boolFromText(std::string_view s) {
  if (iequals(s, "true") || s == "1" || iequals(s, "on") || iequals(s, "yes")) return true;
  if (iequals(s, "false") || s == "0" || iequals(s, "off") || iequals(s, "no")) return false;
  return fail(Errc::kInvalidData, "'" + std::string(s.substr(0, 40)) + "' is not a boolean");
}

core::Unexpected<core::Error> wrongType(std::string_view want, const json& j) {
  return fail(Errc::kInvalidData,
              "expected " + std::string(want) + ", got " + std::string(jsonTypeName(j)));
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

core::Result<JsonPath> JsonPath::parse(std::string_view text) {
  JsonPath p;
  p.text_ = std::string(text);
  if (text.empty() || text == "$" || text == "/") {
    if (text == "/") {
      // JSON Pointer "/" is the member "" of the root.
      p.steps_.push_back(Step{false, 0, ""});
    }
    return p;
  }
  if (text[0] == '/') {
    size_t pos = 1;
    while (true) {
      size_t end = text.find('/', pos);
      std::string_view raw =
          text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
      std::string token;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
          token.push_back(raw[i + 1] == '0' ? '~' : '/');
          ++i;
        } else if (raw[i] == '~') {
          return fail(Errc::kInvalidConfig, "JSON Pointer '" + std::string(text) + "': bad escape");
        } else {
          token.push_back(raw[i]);
        }
      }
      Step s;
      s.key = token;
      // A numeric token addresses an array element or an object member: decided at lookup.
      int64_t idx = 0;
      if (!token.empty() && token.size() < 12 && parseInt(token, idx) && idx >= 0 &&
          (token == "0" || token[0] != '0')) {
        s.is_index = true;
        s.index = static_cast<size_t>(idx);
      }
      p.steps_.push_back(std::move(s));
      if (end == std::string_view::npos) break;
      pos = end + 1;
    }
    return p;
  }
  // Dotted form: a.b[0].c, ["a.b"] for keys with dots.
  size_t i = 0;
  if (text[0] == '$') i = 1;
  bool expect_key = true;
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      if (expect_key && i != 1)
        return fail(Errc::kInvalidConfig, "path '" + std::string(text) + "': empty key");
      ++i;
      expect_key = true;
      continue;
    }
    if (c == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) {
        return fail(Errc::kInvalidConfig, "path '" + std::string(text) + "': missing ']'");
      }
      std::string_view inner = text.substr(i + 1, close - i - 1);
      Step s;
      if (inner.size() >= 2 && (inner.front() == '"' || inner.front() == '\'') &&
          inner.back() == inner.front()) {
        s.key = std::string(inner.substr(1, inner.size() - 2));
      } else {
        int64_t idx = 0;
        if (!parseInt(inner, idx) || idx < 0) {
          return fail(Errc::kInvalidConfig, "path '" + std::string(text) + "': [" +
                                                std::string(inner) + "] is not an index");
        }
        s.is_index = true;
        s.index = static_cast<size_t>(idx);
      }
      p.steps_.push_back(std::move(s));
      i = close + 1;
      expect_key = false;
      continue;
    }
    size_t end = text.find_first_of(".[", i);
    if (end == std::string_view::npos) end = text.size();
    Step s;
    s.key = std::string(text.substr(i, end - i));
    p.steps_.push_back(std::move(s));
    i = end;
    expect_key = false;
  }
  if (expect_key && !p.steps_.empty()) {
    return fail(Errc::kInvalidConfig, "path '" + std::string(text) + "' ends with '.'");
  }
  return p;
}

const json* JsonPath::find(const json& root) const {
  const json* cur = &root;
  for (const auto& s : steps_) {
    if (cur->is_object()) {
      auto it = cur->find(s.key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && s.is_index) {
      if (s.index >= cur->size()) return nullptr;
      cur = &(*cur)[s.index];
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string_view JsonPath::firstKey() const {
  if (steps_.empty() || steps_[0].is_index) return {};
  return steps_[0].key;
}

// ---------------------------------------------------------------------------------------------

std::string_view jsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::binary:
      return "binary";
    case json::value_t::discarded:
      return "invalid";
    case json::value_t::null:
      return "null";
  }
  return "null";
}

core::Result<json> parseJson(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    auto close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    if (what.size() > 200) what.resize(200);
    return fail(Errc::kInvalidData, "invalid JSON: " + what);
  } catch (const std::exception& e) {
    return fail(Errc::kInvalidData, std::string("invalid JSON: ") + e.what());
  }
}

core::Result<int64_t> parseRfc3339(std::string_view s) {
  auto bad = [&] {
    return fail(Errc::kInvalidData,
                "'" + std::string(s.substr(0, 40)) + "' is not an RFC 3339 time");
  };
  auto num = [&](size_t pos, size_t len, int64_t& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int64_t y, mo, d, h, mi, sec;
  if (!num(0, 4, y) || s.size() < 19 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) ||
      s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, sec)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac_ns = frac_ns * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return bad();
    for (int k = digits; k < 9; ++k) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size()) {
    char z = s[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      int64_t oh = 0, om = 0;
      if (!num(pos + 1, 2, oh)) return bad();
      size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      if (!num(mpos, 2, om)) return bad();
      if (oh > 23 || om > 59) return bad();
      offset_s = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
      pos = mpos + 2;
    } else {
      return bad();
    }
  }
  if (pos != s.size()) return bad();
  int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  // Years 0..9999 keep this far from int64 overflow (±2.9e11 s < 9.2e9 s... checked anyway).
  if (secs > std::numeric_limits<int64_t>::max() / 1'000'000'000 - 1 ||
      secs < std::numeric_limits<int64_t>::min() / 1'000'000'000 + 1) {
    return bad();
  }
  return secs * 1'000'000'000 + frac_ns;
}

core::Result<int64_t> timestampFromNumber(double v, TimestampUnit unit) {
  if (!std::isfinite(v)) return fail(Errc::kInvalidData, "timestamp is not finite");
  double scale = 1;
  switch (unit) {
    case TimestampUnit::kSeconds:
      scale = 1e9;
      break;
    case TimestampUnit::kMillis:
      scale = 1e6;
      break;
    case TimestampUnit::kMicros:
      scale = 1e3;
      break;
    case TimestampUnit::kNanos:
      scale = 1;
      break;
    case TimestampUnit::kAuto: {
      double a = std::fabs(v);
      scale = a < 1e11 ? 1e9 : a < 1e14 ? 1e6 : a < 1e17 ? 1e3 : 1;
      break;
    }
  }
  // Whole and fractional parts apart: 1714564800.25 s is exactly ...250000000 ns, which
  // v * 1e9 in one double is not.
  double whole = 0;
  const double frac = std::modf(v, &whole);
  if (!(std::fabs(whole * scale) < 9.2e18))
    return fail(Errc::kInvalidData, "timestamp out of range");
  return static_cast<int64_t>(whole) * static_cast<int64_t>(scale) +
         static_cast<int64_t>(std::llround(frac * scale));
}

core::Result<int64_t> timestampFromJson(const json& j, TimestampUnit unit) {
  if (j.is_number_integer()) {
    // Exact for integers (a double would round nanoseconds).
    int64_t v = j.is_number_unsigned() ? 0 : j.get<int64_t>();
    if (j.is_number_unsigned()) {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail(Errc::kInvalidData, "timestamp out of range");
      }
      v = static_cast<int64_t>(u);
    }
    int64_t mul = 1;
    switch (unit) {
      case TimestampUnit::kSeconds:
        mul = 1'000'000'000;
        break;
      case TimestampUnit::kMillis:
        mul = 1'000'000;
        break;
      case TimestampUnit::kMicros:
        mul = 1'000;
        break;
      case TimestampUnit::kNanos:
        mul = 1;
        break;
      case TimestampUnit::kAuto: {
        uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        mul = a < 100'000'000'000ull           ? 1'000'000'000
              : a < 100'000'000'000'000ull     ? 1'000'000
              : a < 100'000'000'000'000'000ull ? 1'000
                                               : 1;
        break;
      }
    }
    if (v > std::numeric_limits<int64_t>::max() / mul ||
        v < std::numeric_limits<int64_t>::min() / mul) {
      return fail(Errc::kInvalidData, "timestamp out of range");
    }
    return v * mul;
  }
  if (j.is_number_float()) return timestampFromNumber(j.get<double>(), unit);
  if (j.is_string()) {
    std::string_view s = j.get_ref<const std::string&>();
    int64_t iv = 0;
    double dv = 0;
    if (parseInt(trim(s), iv)) return timestampFromJson(json(iv), unit);
    if (parseDouble(trim(s), dv)) return timestampFromNumber(dv, unit);
    return parseRfc3339(trim(s));
  }
  return wrongType("a timestamp (number or RFC 3339 text)", j);
}

core::Result<model::Quality> qualityFromJson(const json& j) {
  if (j.is_boolean()) return j.get<bool>() ? model::Quality::good() : model::Quality::bad();
  if (j.is_string()) {
    std::string_view s = j.get_ref<const std::string&>();
    if (istartsWith(s, "good"))
      return model::Quality{model::QualityLevel::kGood, 0, std::string(s)};
    if (istartsWith(s, "uncertain")) return model::Quality::uncertain(0, std::string(s));
    if (istartsWith(s, "bad")) return model::Quality::bad(0, std::string(s));
    return fail(Errc::kInvalidData,
                "quality '" + std::string(s.substr(0, 40)) + "' is not good, uncertain or bad");
  }
  if (j.is_number_integer() || j.is_number_unsigned()) {
    if (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0) {
      return fail(Errc::kInvalidData, "negative quality code");
    }
    uint64_t v = j.get<uint64_t>();
    if (v > 0xFFFFFFFFull) return fail(Errc::kInvalidData, "quality code above 32 bits");
    auto code = static_cast<uint32_t>(v);
    if (v > 255) {
      // OPC UA StatusCode: the two top bits are the severity.
      switch (code >> 30) {
        case 0:
          return model::Quality{model::QualityLevel::kGood, code, ""};
        case 1:
          return model::Quality::uncertain(code);
        default:
          return model::Quality::bad(code);
      }
    }
    if (v >= 192) return model::Quality{model::QualityLevel::kGood, code, ""};
    if (v >= 64) return model::Quality::uncertain(code);
    return model::Quality::bad(code);
  }
  return wrongType("a quality", j);
}

core::Result<model::Value> valueFromJson(const json& j, ValueKind kind) {
  using model::Value;
  switch (kind) {
    case ValueKind::kAuto:
      switch (j.type()) {
        case json::value_t::null:
          return Value::null();
        case json::value_t::boolean:
          return Value::ofBool(j.get<bool>());
        case json::value_t::number_unsigned: {
          uint64_t u = j.get<uint64_t>();
          if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return Value::ofInt64(static_cast<int64_t>(u));
          }
          return Value::ofUInt64(u);
        }
        case json::value_t::number_integer:
          return Value::ofInt64(j.get<int64_t>());
        case json::value_t::number_float:
          return Value::ofDouble(j.get<double>());
        case json::value_t::string:
          return Value::ofString(j.get<std::string>());
        case json::value_t::array: {
          if (j.empty()) return Value::ofDoubleArray({});
          bool all_bool = true, all_int = true, all_num = true, all_str = true;
          for (const auto& e : j) {
            all_bool &= e.is_boolean();
            all_int &=
                e.is_number_integer() &&
                !(e.is_number_unsigned() &&
                  e.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
            all_num &= e.is_number();
            all_str &= e.is_string();
          }
          if (all_bool) {
            std::vector<bool> v;
            for (const auto& e : j) v.push_back(e.get<bool>());
            return Value::ofBoolArray(std::move(v));
          }
          if (all_int) {
            std::vector<int64_t> v;
            for (const auto& e : j)
              v.push_back(e.is_number_unsigned() ? static_cast<int64_t>(e.get<uint64_t>())
                                                 : e.get<int64_t>());
            return Value::ofInt64Array(std::move(v));
          }
          if (all_num) {
            std::vector<double> v;
            for (const auto& e : j) v.push_back(e.get<double>());
            return Value::ofDoubleArray(std::move(v));
          }
          if (all_str) {
            std::vector<std::string> v;
            for (const auto& e : j) v.push_back(e.get<std::string>());
            return Value::ofStringArray(std::move(v));
          }
          return fail(Errc::kInvalidData, "an array of mixed or nested elements");
        }
        default:
          return wrongType("a value", j);
      }
    case ValueKind::kDouble:
      if (j.is_number()) return Value::ofDouble(j.get<double>());
      if (j.is_boolean()) return Value::ofDouble(j.get<bool>() ? 1 : 0);
      if (j.is_string()) {
        double d = 0;
        if (parseDouble(trim(j.get_ref<const std::string&>()), d)) return Value::ofDouble(d);
        return fail(Errc::kInvalidData,
                    "'" + j.get<std::string>().substr(0, 40) + "' is not a number");
      }
      return wrongType("a number", j);
    case ValueKind::kInt:
      if (j.is_number_unsigned()) {
        uint64_t u = j.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return Value::ofUInt64(u);
        return Value::ofInt64(static_cast<int64_t>(u));
      }
      if (j.is_number_integer()) return Value::ofInt64(j.get<int64_t>());
      if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
          return Value::ofInt64(static_cast<int64_t>(d));
        }
        return fail(Errc::kInvalidData, "a non-integral number for an int field");
      }
      if (j.is_boolean()) return Value::ofInt64(j.get<bool>() ? 1 : 0);
      if (j.is_string()) {
        int64_t v = 0;
        if (parseInt(trim(j.get_ref<const std::string&>()), v)) return Value::ofInt64(v);
        return fail(Errc::kInvalidData,
                    "'" + j.get<std::string>().substr(0, 40) + "' is not an integer");
      }
      return wrongType("an integer", j);
    case ValueKind::kBool:
      if (j.is_boolean()) return Value::ofBool(j.get<bool>());
      if (j.is_number()) return Value::ofBool(j.get<double>() != 0);
      if (j.is_string()) {
        auto b = boolFromText(trim(j.get_ref<const std::string&>()));
        if (!b) return fail(b.error());
        return Value::ofBool(*b);
      }
      return wrongType("a boolean", j);
    case ValueKind::kString:
      if (j.is_string()) return Value::ofString(j.get<std::string>());
      if (j.is_number() || j.is_boolean()) return Value::ofString(j.dump());
      return wrongType("a string", j);
  }
  return wrongType("a value", j);
}

core::Result<model::Value> valueFromText(std::string_view text, ValueKind kind) {
  using model::Value;
  std::string_view t = trim(text);
  int64_t i = 0;
  double d = 0;
  switch (kind) {
    case ValueKind::kAuto:
      if (iequals(t, "true")) return Value::ofBool(true);
      if (iequals(t, "false")) return Value::ofBool(false);
      if (parseInt(t, i)) return Value::ofInt64(i);
      if (parseDouble(t, d)) return Value::ofDouble(d);
      if (model::isValidUtf8(text)) return Value::ofString(std::string(text));
      return Value::ofBytes(std::string(text));
    case ValueKind::kDouble:
      if (parseDouble(t, d)) return Value::ofDouble(d);
      return fail(Errc::kInvalidData, "payload is not a number");
    case ValueKind::kInt:
      if (parseInt(t, i)) return Value::ofInt64(i);
      return fail(Errc::kInvalidData, "payload is not an integer");
    case ValueKind::kBool: {
      auto b = boolFromText(t);
      if (!b) return fail(b.error());
      return Value::ofBool(*b);
    }
    case ValueKind::kString:
      if (!model::isValidUtf8(text)) return fail(Errc::kInvalidData, "payload is not UTF-8 text");
      return Value::ofString(std::string(text));
  }
  return fail(Errc::kInvalidData, "unknown value kind");
}

// ---------------------------------------------------------------------------------------------

core::Result<std::unique_ptr<JsonMapper>> JsonMapper::create(
    const SubscriptionConfig& sub, std::string adapter,
    std::shared_ptr<const DeclaredTags> declared) {
  std::unique_ptr<JsonMapper> m(new JsonMapper());
  m->sub_ = sub;
  m->adapter_ = std::move(adapter);
  m->declared_ = std::move(declared);
  SF_ASSIGN_OR_RETURN(m->template_, TopicTemplate::parse(sub.topic));
  SF_ASSIGN_OR_RETURN(m->timestamp_, JsonPath::parse(sub.timestamp));
  SF_ASSIGN_OR_RETURN(m->quality_, JsonPath::parse(sub.quality));
  for (const auto& f : m->sub_.fields) {
    Field field;
    field.config = &f;
    SF_ASSIGN_OR_RETURN(field.value, JsonPath::parse(f.value));
    SF_ASSIGN_OR_RETURN(field.timestamp, JsonPath::parse(f.timestamp));
    SF_ASSIGN_OR_RETURN(field.quality, JsonPath::parse(f.quality));
    SF_ASSIGN_OR_RETURN(field.unit, JsonPath::parse(f.unit_path));
    m->fields_.push_back(std::move(field));
  }
  return m;
}

model::Record JsonMapper::base(const MessageView& m, const std::vector<Capture>& captures,
                               std::string_view& device_out, std::string_view& tag_out) const {
  model::Record r;
  r.adapter = adapter_;
  r.site = sub_.site;
  device_out = sub_.device;
  tag_out = sub_.tag;
  for (const auto& c : captures) {
    if (c.name == "site") {
      r.site = std::string(c.value);
    } else if (c.name == "device") {
      device_out = c.value;
    } else if (c.name == "tag") {
      tag_out = c.value;
    } else {
      r.attributes.set(std::string(c.name), std::string(c.value));
    }
  }
  if (sub_.topic_attribute) r.attributes.set("topic", std::string(m.topic));
  if (m.retain) r.attributes.set("retained", "true");
  r.source_ts_ns = m.received_ns;
  r.gateway_ts_ns = m.received_ns;
  return r;
}

void JsonMapper::finish(model::Record& r, pipeline::TagClass cls,
                        const pipeline::TagPipelineConfig* tag) const {
  if (declared_ && !declared_->empty() &&
      declared_->count(std::pair<std::string_view, std::string_view>(r.device, r.tag))) {
    return;  // the pipeline classifies declared tags
  }
  if (tag) {
    applyClass(r, tag->cls, tag->event_type, tag->log_level);
  } else {
    applyClass(r, cls);
  }
}

void JsonMapper::map(const MessageView& m, MapOutput& out) const {
  std::vector<Capture> captures;
  if (!template_.match(m.topic, captures)) {
    out.problems.push_back(
        {Issue::kInvalidTopic, "topic does not fit the template '" + template_.text() + "'", ""});
    return;
  }
  if (sub_.format == PayloadFormat::kValue) {
    mapValue(m, captures, out);
  } else {
    mapJson(m, captures, out);
  }
}

void JsonMapper::mapValue(const MessageView& m, const std::vector<Capture>& captures,
                          MapOutput& out) const {
  std::string_view device, tag;
  model::Record r = base(m, captures, device, tag);
  auto v = valueFromText(m.payload, sub_.type);
  if (!v) {
    out.problems.push_back({Issue::kWrongType, v.error().message, std::string(device)});
    return;
  }
  if (tag.empty()) {
    size_t slash = m.topic.rfind('/');
    tag = slash == std::string_view::npos ? m.topic : m.topic.substr(slash + 1);
  }
  r.device = std::string(device);
  r.tag = std::string(tag);
  r.value = std::move(*v);
  finish(r, sub_.cls, nullptr);
  out.records.push_back(std::move(r));
}

void JsonMapper::autoMap(const json& j, const std::string& prefix, int depth,
                         const model::Record& proto, MapOutput& out, size_t& count) const {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (depth == 0 && ((!timestamp_.empty() && key == timestamp_.firstKey()) ||
                       (!quality_.empty() && key == quality_.firstKey()))) {
      continue;
    }
    std::string name = prefix.empty() ? key : prefix + "." + key;
    const json& v = it.value();
    if (v.is_object()) {
      if (depth < 3) autoMap(v, name, depth + 1, proto, out, count);
      continue;
    }
    if (count >= kMaxAutoTags) {
      out.problems.push_back({Issue::kTooManyTags,
                              "more than " + std::to_string(kMaxAutoTags) +
                                  " values in one message; the rest is ignored",
                              proto.device});
      return;
    }
    auto value = valueFromJson(v, sub_.type);
    if (!value) {
      out.problems.push_back(
          {Issue::kWrongType, "'" + name + "': " + value.error().message, proto.device});
      continue;
    }
    model::Record r = proto;
    r.tag = std::move(name);
    r.value = std::move(*value);
    if (r.value.isNull()) r.quality = model::Quality::bad(0, "null");
    finish(r, sub_.cls, nullptr);
    out.records.push_back(std::move(r));
    ++count;
  }
}

void JsonMapper::mapJson(const MessageView& m, const std::vector<Capture>& captures,
                         MapOutput& out) const {
  std::string_view device, tag;
  model::Record proto = base(m, captures, device, tag);
  auto doc = parseJson(m.payload);
  if (!doc) {
    out.problems.push_back({Issue::kInvalidJson, doc.error().message, std::string(device)});
    return;
  }
  const json& root = *doc;
  // Message-wide timestamp and quality.
  int64_t ts = m.received_ns;
  if (!timestamp_.empty()) {
    if (const json* t = timestamp_.find(root)) {
      auto parsed = timestampFromJson(*t, sub_.timestamp_unit);
      if (parsed) {
        ts = *parsed;
      } else {
        out.problems.push_back({Issue::kBadTimestamp,
                                "'" + timestamp_.text() + "': " + parsed.error().message,
                                std::string(device)});
      }
    }
  }
  proto.source_ts_ns = ts;
  std::optional<model::Quality> quality;
  if (!quality_.empty()) {
    if (const json* q = quality_.find(root)) {
      auto parsed = qualityFromJson(*q);
      if (parsed) {
        quality = *parsed;
      } else {
        out.problems.push_back({Issue::kBadQuality, parsed.error().message, std::string(device)});
        quality = model::Quality::uncertain(0, "unreadable quality");
      }
    }
  }
  if (quality) proto.quality = *quality;

  if (fields_.empty()) {
    proto.device = std::string(device);
    if (root.is_object()) {
      size_t count = 0;
      autoMap(root, tag.empty() ? std::string() : std::string(tag), 0, proto, out, count);
      return;
    }
    auto value = valueFromJson(root, sub_.type);
    if (!value) {
      out.problems.push_back({Issue::kWrongType, value.error().message, std::string(device)});
      return;
    }
    if (tag.empty()) {
      size_t slash = m.topic.rfind('/');
      tag = slash == std::string_view::npos ? m.topic : m.topic.substr(slash + 1);
    }
    model::Record r = std::move(proto);
    r.tag = std::string(tag);
    r.value = std::move(*value);
    if (r.value.isNull()) r.quality = model::Quality::bad(0, "null");
    finish(r, sub_.cls, nullptr);
    out.records.push_back(std::move(r));
    return;
  }

  for (const auto& f : fields_) {
    const JsonFieldConfig& cfg = *f.config;
    std::string_view dev = cfg.device.empty() ? device : std::string_view(cfg.device);
    const json* v = f.value.find(root);
    if (v == nullptr) {
      if (!cfg.optional) {
        out.problems.push_back({Issue::kMissingField,
                                "field '" + cfg.tag + "': no value at '" + f.value.text() + "'",
                                std::string(dev)});
      }
      continue;
    }
    auto value = valueFromJson(*v, cfg.type == ValueKind::kAuto ? sub_.type : cfg.type);
    if (!value) {
      out.problems.push_back(
          {Issue::kWrongType,
           "field '" + cfg.tag + "' at '" + f.value.text() + "': " + value.error().message,
           std::string(dev)});
      continue;
    }
    model::Record r = proto;
    r.device = std::string(dev);
    r.tag = cfg.tag;
    r.value = std::move(*value);
    if (!f.timestamp.empty()) {
      if (const json* t = f.timestamp.find(root)) {
        auto parsed = timestampFromJson(*t, sub_.timestamp_unit);
        if (parsed) {
          r.source_ts_ns = *parsed;
        } else {
          out.problems.push_back({Issue::kBadTimestamp,
                                  "field '" + cfg.tag + "': " + parsed.error().message, r.device});
        }
      }
    }
    if (!f.quality.empty()) {
      if (const json* q = f.quality.find(root)) {
        auto parsed = qualityFromJson(*q);
        if (parsed) {
          r.quality = *parsed;
        } else {
          out.problems.push_back(
              {Issue::kBadQuality, "field '" + cfg.tag + "': " + parsed.error().message, r.device});
          r.quality = model::Quality::uncertain(0, "unreadable quality");
        }
      }
    }
    if (!f.unit.empty()) {
      if (const json* u = f.unit.find(root); u && u->is_string()) r.unit = u->get<std::string>();
    }
    if (r.value.isNull() && r.quality.level == model::QualityLevel::kGood) {
      r.quality = model::Quality::bad(0, "null");
    }
    finish(r, sub_.cls, &cfg);
    out.records.push_back(std::move(r));
  }
}

}  // namespace sf::mqtt
