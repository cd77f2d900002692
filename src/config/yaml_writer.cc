#include "config/yaml_writer.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sf::config {
namespace {

bool isInline(const Json& v) { return v.is_primitive() || v.empty(); }

// Invalid UTF-8 in a value (it came from a file) becomes U+FFFD instead of an exception.
std::string dumpJson(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string pad(int indent) { return std::string(static_cast<size_t>(indent), ' '); }

bool looksLikeNumber(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == ".inf" || lower == ".nan") return true;
  if (lower.size() > 2 && lower[0] == '0' && (lower[1] == 'x' || lower[1] == 'o')) return true;
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool isPlainSafe(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  auto first = static_cast<unsigned char>(s[0]);
  if (!(std::isalnum(first) || s[0] == '_' || s[0] == '/' || s[0] == '.' || s[0] == '$')) {
    return false;
  }
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || std::string_view("_./-+@${}: ").find(c) != std::string_view::npos)) {
      return false;
    }
  }
  if (s.find(": ") != std::string_view::npos) return false;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}) {
    if (lower == word) return false;
  }
  return !looksLikeNumber(s);
}

}  // namespace

std::string yamlScalar(const Json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return isPlainSafe(s) ? s : dumpJson(value);  // JSON double quotes are valid YAML
  }
  if (value.is_array() && value.empty()) return "[]";
  if (value.is_object() && value.empty()) return "{}";
  return dumpJson(value);
}

std::string yamlKey(std::string_view key) { return yamlScalar(Json(std::string(key))); }

void appendYamlMember(std::string& out, std::string_view key, const Json& value, int indent) {
  out += pad(indent) + yamlKey(key) + ":";
  if (isInline(value)) {
    out += " " + yamlScalar(value) + "\n";
  } else {
    out += "\n";
    appendYamlBlock(out, value, indent + 2);
  }
}

void appendYamlBlock(std::string& out, const Json& value, int indent) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) appendYamlMember(out, k, v, indent);
    return;
  }
  for (const auto& item : value) {
    if (isInline(item)) {
      out += pad(indent) + "- " + yamlScalar(item) + "\n";
      continue;
    }
    // Write the item two columns deeper, then put the dash into its first line's indentation.
    std::string sub;
    appendYamlBlock(sub, item, indent + 2);
    sub.replace(0, static_cast<size_t>(indent) + 2, pad(indent) + "- ");
    out += sub;
  }
}

std::string toYaml(const Json& value) {
  if (isInline(value)) return yamlScalar(value) + "\n";
  std::string out;
  appendYamlBlock(out, value, 0);
  return out;
}

}  // namespace sf::config
