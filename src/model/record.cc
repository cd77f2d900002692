#include "model/record.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "model/names.h"

namespace sf::model {
namespace {

constexpr std::array<std::string_view, kRecordClassCount> kClassNames = {"telemetry", "event",
                                                                         "alarm", "log"};
constexpr std::array<std::string_view, kQualityLevelCount> kQualityNames = {"good", "uncertain",
                                                                            "bad"};
constexpr std::array<std::string_view, kLogLevelCount> kLogLevelNames = {
    "trace", "debug", "info", "warning", "error", "critical"};

core::Status invalid(std::string msg) {
  return core::fail(core::Errc::kInvalidData, std::move(msg));
}

core::Status checkUtf8(std::string_view field, std::string_view s) {
  if (isValidUtf8(s)) return core::ok();
  return invalid(std::string(field) + ": not valid UTF-8");
}

core::Status checkValueUtf8(const Value& v) {
  if (const auto* s = v.get<std::string>()) return checkUtf8("value", *s);
  if (const auto* a = v.get<std::vector<std::string>>()) {
    for (const auto& s : *a) SF_TRY(checkUtf8("value[]", s));
  }
  return core::ok();
}

}  // namespace

std::string_view recordClassName(RecordClass c) { return detail::nameOf(kClassNames, c); }
core::Result<RecordClass> parseRecordClass(std::string_view name) {
  return detail::parseName<RecordClass>(kClassNames, name, "record class");
}

std::string_view qualityLevelName(QualityLevel q) { return detail::nameOf(kQualityNames, q); }
core::Result<QualityLevel> parseQualityLevel(std::string_view name) {
  return detail::parseName<QualityLevel>(kQualityNames, name, "quality level");
}

std::string_view logLevelName(LogLevel l) { return detail::nameOf(kLogLevelNames, l); }
core::Result<LogLevel> parseLogLevel(std::string_view name) {
  return detail::parseName<LogLevel>(kLogLevelNames, name, "log level");
}

// --- Attributes ---------------------------------------------------------------------------------

Attributes::Attributes(std::initializer_list<Entry> entries) {
  entries_.reserve(entries.size());
  for (const auto& e : entries) set(e.first, e.second);
}

void Attributes::set(std::string key, std::string value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const Entry& e, const std::string& k) { return e.first < k; });
  if (it != entries_.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(key), std::move(value));
  }
}

bool Attributes::tryAppend(std::string key, std::string value) {
  if (!entries_.empty() && !(entries_.back().first < key)) return false;
  entries_.emplace_back(std::move(key), std::move(value));
  return true;
}

const std::string* Attributes::find(std::string_view key) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const Entry& e, std::string_view k) { return e.first < k; });
  if (it != entries_.end() && it->first == key) return &it->second;
  return nullptr;
}

bool Attributes::erase(std::string_view key) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const Entry& e, std::string_view k) { return e.first < k; });
  if (it == entries_.end() || it->first != key) return false;
  entries_.erase(it);
  return true;
}

// --- AlarmInfo, ids -------------------------------------------------------------------------

bool operator==(const AlarmInfo& a, const AlarmInfo& b) {
  if (a.limit.has_value() != b.limit.has_value()) return false;
  if (a.limit && !sameDouble(*a.limit, *b.limit)) return false;
  return a.alarm_id == b.alarm_id && a.condition == b.condition && a.severity == b.severity &&
         a.state == b.state && a.shelved == b.shelved && a.suppressed == b.suppressed &&
         a.transition == b.transition && a.message == b.message && a.actor == b.actor;
}

std::string formatRecordId(std::string_view gateway, std::string_view stream, uint64_t offset) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), offset);
  std::string id;
  id.reserve(gateway.size() + stream.size() + 2 + static_cast<size_t>(end - digits));
  id.append(gateway).append(1, '/').append(stream).append(1, '/').append(digits, end);
  return id;
}

core::Result<RecordId> parseRecordId(std::string_view id) {
  auto bad = [&](std::string_view why) {
    return core::fail(core::Errc::kInvalidData,
                      "record id '" + std::string(id) + "': " + std::string(why));
  };
  size_t first = id.find('/');
  size_t last = id.rfind('/');
  if (first == std::string_view::npos || first == last) {
    return bad("want <gateway>/<stream>/<offset>");
  }
  if (id.find('/', first + 1) != last) return bad("too many '/'");
  std::string_view gw = id.substr(0, first);
  std::string_view stream = id.substr(first + 1, last - first - 1);
  std::string_view off = id.substr(last + 1);
  if (gw.empty() || stream.empty()) return bad("empty gateway or stream");
  if (off.empty() || (off.size() > 1 && off[0] == '0')) return bad("bad offset");
  uint64_t offset = 0;
  auto [p, ec] = std::from_chars(off.data(), off.data() + off.size(), offset);
  if (ec != std::errc() || p != off.data() + off.size()) return bad("bad offset");
  if (offset > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return bad("offset >= 2^63");
  }
  return RecordId{std::string(gw), std::string(stream), offset};
}

std::optional<std::string> Record::id() const {
  if (!offset) return std::nullopt;
  return formatRecordId(gateway, stream, *offset);
}

// --- validation -----------------------------------------------------------------------------

bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    p += n + 1;
  }
  return true;
}

core::Status validate(const Record& r) {
  if (r.gateway.empty()) return invalid("gateway: empty");
  if (r.gateway.find('/') != std::string::npos) return invalid("gateway: contains '/'");
  if (r.stream.find('/') != std::string::npos) return invalid("stream: contains '/'");
  if (r.offset) {
    if (r.stream.empty()) return invalid("stream: empty while offset is set");
    if (*r.offset > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return invalid("offset: >= 2^63");
    }
  }
  SF_TRY(checkUtf8("site", r.site));
  SF_TRY(checkUtf8("gateway", r.gateway));
  SF_TRY(checkUtf8("stream", r.stream));
  SF_TRY(checkUtf8("adapter", r.adapter));
  SF_TRY(checkUtf8("device", r.device));
  SF_TRY(checkUtf8("tag", r.tag));
  SF_TRY(checkUtf8("unit", r.unit));
  SF_TRY(checkUtf8("quality.text", r.quality.text));
  SF_TRY(checkValueUtf8(r.value));
  for (const auto& [k, v] : r.attributes) {
    SF_TRY(checkUtf8("attributes key", k));
    SF_TRY(checkUtf8("attributes." + (isValidUtf8(k) ? k : std::string("?")), v));
  }
  switch (r.recordClass()) {
    case RecordClass::kTelemetry:
      if (r.tag.empty()) return invalid("tag: empty on a telemetry record");
      break;
    case RecordClass::kEvent: {
      const EventInfo& e = *r.event();
      if (e.type.empty()) return invalid("event.type: empty");
      SF_TRY(checkUtf8("event.type", e.type));
      SF_TRY(checkUtf8("event.from", e.from));
      SF_TRY(checkUtf8("event.to", e.to));
      break;
    }
    case RecordClass::kAlarm: {
      const AlarmInfo& a = *r.alarm();
      if (a.alarm_id.empty()) return invalid("alarm.alarm_id: empty");
      if (!isValidSeverity(a.severity)) {
        return invalid("alarm.severity: " + std::to_string(a.severity) + " not in 1..1000");
      }
      if (static_cast<int>(a.condition) >= kAlarmConditionCount ||
          static_cast<int>(a.state) >= kAlarmStateCount ||
          static_cast<int>(a.transition) >= kAlarmTransitionCount) {
        return invalid("alarm: enum out of range");
      }
      if (a.limit && !std::isfinite(*a.limit)) return invalid("alarm.limit: not finite");
      SF_TRY(checkUtf8("alarm.alarm_id", a.alarm_id));
      SF_TRY(checkUtf8("alarm.message", a.message));
      SF_TRY(checkUtf8("alarm.actor", a.actor));
      break;
    }
    case RecordClass::kLog: {
      const LogInfo& l = *r.log();
      if (static_cast<int>(l.level) >= kLogLevelCount) return invalid("log.level: out of range");
      SF_TRY(checkUtf8("log.message", l.message));
      SF_TRY(checkUtf8("log.origin", l.origin));
      break;
    }
  }
  if (static_cast<int>(r.quality.level) >= kQualityLevelCount) {
    return invalid("quality.level: out of range");
  }
  return core::ok();
}

}  // namespace sf::model
