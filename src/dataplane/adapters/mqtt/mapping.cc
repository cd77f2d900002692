#include "dataplane/adapters/mqtt/mapping.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <type_traits>

namespace sf::mqtt {

std::string_view issueName(Issue issue) {
  static constexpr std::array<std::string_view, kIssueCount> kNames = {
      "no_subscription", "oversized",     "invalid_utf8",      "invalid_json",   "wrong_type",
      "missing_field",   "bad_timestamp", "bad_quality",       "invalid_topic",  "invalid_protobuf",
      "unknown_alias",   "seq_gap",       "data_before_birth", "stale_death",    "invalid_uplink",
      "short_frame",     "invalid_lpp",   "fcnt_gap",          "fcnt_duplicate", "fcnt_reset",
      "too_many_tags"};
  auto i = static_cast<size_t>(issue);
  return i < kNames.size() ? kNames[i] : "unknown";
}

namespace {

void appendNumber(double d, std::string& out) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec == std::errc()) out.append(buf, end);
}
template <class I>
void appendInt(I v, std::string& out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc()) out.append(buf, end);
}

template <class E>
void appendElement(const E& e, std::string& out) {
  if constexpr (std::is_same_v<E, bool>) {
    out += e ? "true" : "false";
  } else if constexpr (std::is_same_v<E, double>) {
    appendNumber(e, out);
  } else if constexpr (std::is_integral_v<E>) {
    appendInt(e, out);
  } else if constexpr (std::is_same_v<E, std::string>) {
    out += e;
  } else if constexpr (std::is_same_v<E, model::Bytes>) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : e.data) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

std::string valueText(const model::Value& v) {
  std::string out;
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          out.push_back('[');
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out.push_back(',');
            out += x[i] ? "true" : "false";
          }
          out.push_back(']');
        } else if constexpr (requires { x.begin(); } && !std::is_same_v<T, std::string>) {
          out.push_back('[');
          bool first = true;
          for (const auto& e : x) {
            if (!first) out.push_back(',');
            first = false;
            appendElement(e, out);
          }
          out.push_back(']');
        } else {
          appendElement(x, out);
        }
      },
      v.storage());
  return out;
}

void applyClass(model::Record& r, pipeline::TagClass cls, std::string_view event_type,
                model::LogLevel log_level) {
  switch (cls) {
    case pipeline::TagClass::kTelemetry:
      return;
    case pipeline::TagClass::kEvent:
      r.detail = model::EventInfo{std::string(event_type), "", valueText(r.value)};
      return;
    case pipeline::TagClass::kLog:
      r.detail = model::LogInfo{log_level, valueText(r.value), "dataplane.adapters.mqtt"};
      return;
  }
}

std::string sanitizeUtf8(std::string_view s) {
  if (model::isValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    // Take the longest valid prefix sequence of 1..4 bytes, else escape one byte.
    size_t taken = 0;
    for (size_t len = 1; len <= 4 && i + len <= s.size(); ++len) {
      if (model::isValidUtf8(s.substr(i, len))) {
        taken = len;
        break;
      }
    }
    if (taken) {
      out.append(s.substr(i, taken));
      i += taken;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
    }
  }
  return out;
}

}  // namespace sf::mqtt
