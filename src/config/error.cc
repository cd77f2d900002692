#include "config/error.h"

#include <algorithm>
#include <cctype>

namespace sf::config {

std::string_view configErrcName(ConfigErrc code) {
  switch (code) {
    case ConfigErrc::kSyntax:
      return "syntax";
    case ConfigErrc::kUnknownKey:
      return "unknown_key";
    case ConfigErrc::kDuplicateKey:
      return "duplicate_key";
    case ConfigErrc::kType:
      return "type";
    case ConfigErrc::kRange:
      return "range";
    case ConfigErrc::kEnum:
      return "enum";
    case ConfigErrc::kMissing:
      return "missing";
    case ConfigErrc::kUnknownType:
      return "unknown_type";
    case ConfigErrc::kEnv:
      return "env";
    case ConfigErrc::kInvalid:
      return "invalid";
    case ConfigErrc::kIo:
      return "io";
    case ConfigErrc::kInternal:
      return "internal";
  }
  return "internal";
}

std::string ConfigError::toString() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (mark.known()) {
      out += ':' + std::to_string(mark.line) + ':' + std::to_string(mark.column);
    }
    out += ": ";
  } else if (mark.known()) {
    out += std::to_string(mark.line) + ':' + std::to_string(mark.column) + ": ";
  }
  if (!path.empty()) out += path + ": ";
  out += reason;
  return out;
}

std::string formatErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.toString();
  }
  return out;
}

std::string appendPointer(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string normalized(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions): "prot" is one
// edit from "port".
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> closestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  const std::string w = normalized(word);
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    const std::string n = normalized(c);
    size_t distance = editDistance(w, n);
    // Short words tolerate one edit, longer ones two; a prefix ("poll" for "poll_interval")
    // also counts as close.
    size_t limit = std::max(w.size(), n.size()) <= 4 ? 1 : 2;
    bool prefix = w.size() >= 3 && n.size() > w.size() && n.compare(0, w.size(), w) == 0;
    if (distance > limit && !prefix) continue;
    if (prefix && distance > limit) distance = limit + 1;
    if (!best || distance < best_distance) {
      best = c;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace sf::config
