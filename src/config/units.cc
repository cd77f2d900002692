#include "config/units.h"

#include <array>
#include <cctype>
#include <limits>

namespace sf::config {
namespace {

// Exact arithmetic for "1.5d" in nanoseconds and "16TiB" in bytes without overflow games.
__extension__ typedef unsigned __int128 U128;

using core::Errc;
using core::fail;

struct Unit {
  std::string_view name;
  U128 factor;
};

// A decimal number with an optional fraction, scaled exactly by a unit factor.
struct Scaled {
  bool ok = false;
  bool whole = true;
  U128 value = 0;
};

// Reads digits[.digits] from text at pos. Returns false if no digits were read.
bool readNumber(std::string_view text, size_t& pos, std::string& int_part, std::string& frac) {
  size_t start = pos;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    int_part += text[pos++];
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      frac += text[pos++];
    }
  }
  return pos > start && !(int_part.empty() && frac.empty());
}

Scaled scale(const std::string& int_part, const std::string& frac, U128 factor, U128 limit) {
  Scaled out;
  U128 v = 0;
  for (char c : int_part) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > limit) return out;
  }
  v *= factor;
  if (v > limit) return out;
  // fraction * factor / 10^len must be an integer
  U128 num = 0;
  U128 den = 1;
  for (char c : frac) {
    if (den > limit) break;  // absurdly long fractions: the remainder check below fails
    num = num * 10 + static_cast<unsigned>(c - '0');
    den *= 10;
  }
  U128 f = num * factor;
  if (f % den != 0) out.whole = false;
  v += f / den;
  if (v > limit) return out;
  out.ok = true;
  out.value = v;
  return out;
}

constexpr U128 kNs = 1;
constexpr U128 kUs = 1000;
constexpr U128 kMs = 1000 * kUs;
constexpr U128 kS = 1000 * kMs;
constexpr U128 kMin = 60 * kS;
constexpr U128 kHour = 60 * kMin;
constexpr U128 kDay = 24 * kHour;

// Longest names first so "ms" is not read as "m".
constexpr std::array<Unit, 9> kDurationUnits = {{{"ns", kNs},
                                                 {"us", kUs},
                                                 {"\xC2\xB5s", kUs},  // µs
                                                 {"ms", kMs},
                                                 {"s", kS},
                                                 {"m", kMin},
                                                 {"h", kHour},
                                                 {"d", kDay},
                                                 {"", 0}}};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

core::Result<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return fail(Errc::kInvalidConfig, "empty duration");
  const U128 limit = std::numeric_limits<int64_t>::max();
  U128 total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    std::string int_part;
    std::string frac;
    if (!readNumber(text, pos, int_part, frac)) {
      if (text[pos] == '-') return fail(Errc::kInvalidConfig, "a duration cannot be negative");
      return fail(Errc::kInvalidConfig,
                  quoted(text) + " is not a duration (expected e.g. 250ms, 5s, 1m30s)");
    }
    const Unit* unit = nullptr;
    for (const auto& u : kDurationUnits) {
      if (u.name.empty()) break;
      if (text.substr(pos, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      size_t end = pos;
      while (end < text.size() && !std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
      std::string_view bad = text.substr(pos, end - pos);
      return fail(Errc::kInvalidConfig,
                  quoted(text) + " is not a duration: " +
                      (bad.empty() ? std::string("missing unit") : "unknown unit " + quoted(bad)) +
                      " (use ns, us, ms, s, m, h or d)");
    }
    pos += unit->name.size();
    Scaled s = scale(int_part, frac, unit->factor, limit);
    if (!s.ok || total + s.value > limit) {
      return fail(Errc::kInvalidConfig, quoted(text) + " is too long a duration");
    }
    if (!s.whole) {
      return fail(Errc::kInvalidConfig, quoted(text) + " is not a whole number of nanoseconds");
    }
    total += s.value;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

std::string formatDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign;
  U128 v;
  if (ns < 0) {
    sign = "-";
    v = static_cast<U128>(-(ns + 1)) + 1;
  } else {
    v = static_cast<U128>(ns);
  }
  static constexpr std::array<Unit, 7> kOrder = {
      {{"d", kDay}, {"h", kHour}, {"m", kMin}, {"s", kS}, {"ms", kMs}, {"us", kUs}, {"ns", kNs}}};
  for (const auto& u : kOrder) {
    if (v % u.factor == 0) {
      return sign + std::to_string(static_cast<uint64_t>(v / u.factor)) + std::string(u.name);
    }
  }
  return sign + std::to_string(static_cast<uint64_t>(v)) + "ns";
}

namespace {
constexpr U128 kKiB = 1024;
constexpr std::array<Unit, 10> kByteUnits = {{{"KiB", kKiB},
                                              {"MiB", kKiB* kKiB},
                                              {"GiB", kKiB* kKiB* kKiB},
                                              {"TiB", kKiB* kKiB* kKiB* kKiB},
                                              {"kB", 1000},
                                              {"KB", 1000},
                                              {"MB", 1000 * 1000},
                                              {"GB", 1000 * 1000 * 1000},
                                              {"TB", 1000ULL * 1000 * 1000 * 1000},
                                              {"B", 1}}};
}  // namespace

core::Result<ByteSize> parseByteSize(std::string_view text) {
  const std::string_view kExpected = " (expected e.g. 512B, 64KiB, 10MB, 1GiB)";
  size_t pos = 0;
  std::string int_part;
  std::string frac;
  if (!readNumber(text, pos, int_part, frac)) {
    if (!text.empty() && text[0] == '-') {
      return fail(Errc::kInvalidConfig, "a byte size cannot be negative");
    }
    return fail(Errc::kInvalidConfig,
                quoted(text) + " is not a byte size" + std::string(kExpected));
  }
  if (pos < text.size() && text[pos] == ' ') ++pos;
  std::string_view unit_text = text.substr(pos);
  U128 factor = unit_text.empty() ? 1 : 0;
  for (const auto& u : kByteUnits) {
    if (unit_text == u.name) factor = u.factor;
  }
  if (factor == 0) {
    return fail(Errc::kInvalidConfig, quoted(text) + " is not a byte size: unknown unit " +
                                          quoted(unit_text) + std::string(kExpected));
  }
  Scaled s = scale(int_part, frac, factor, std::numeric_limits<uint64_t>::max());
  if (!s.ok) return fail(Errc::kInvalidConfig, quoted(text) + " is too large a byte size");
  if (!s.whole) return fail(Errc::kInvalidConfig, quoted(text) + " is not a whole number of bytes");
  return ByteSize{static_cast<uint64_t>(s.value)};
}

std::string formatByteSize(ByteSize size) {
  uint64_t b = size.bytes;
  if (b == 0) return "0B";
  static constexpr std::array<Unit, 8> kOrder = {{{"TiB", kKiB * kKiB * kKiB * kKiB},
                                                  {"GiB", kKiB * kKiB * kKiB},
                                                  {"MiB", kKiB * kKiB},
                                                  {"KiB", kKiB},
                                                  {"TB", 1000ULL * 1000 * 1000 * 1000},
                                                  {"GB", 1000 * 1000 * 1000},
                                                  {"MB", 1000 * 1000},
                                                  {"kB", 1000}}};
  for (const auto& u : kOrder) {
    if (b % u.factor == 0) {
      return std::to_string(static_cast<uint64_t>(b / u.factor)) + std::string(u.name);
    }
  }
  return std::to_string(b) + "B";
}

}  // namespace sf::config
