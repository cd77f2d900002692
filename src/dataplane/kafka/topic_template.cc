#include "dataplane/kafka/topic_template.h"

#include <cstdint>
#include <cstdio>

namespace sf::kafka {
namespace {

bool legalTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

void appendSanitized(std::string_view value, std::string& out) {
  if (value.empty()) {
    out += '_';
    return;
  }
  for (char c : value) out += legalTopicChar(c) ? c : '_';
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

core::Result<TopicTemplate> TopicTemplate::parse(std::string_view text) {
  TopicTemplate t;
  t.text_ = std::string(text);
  if (text.empty()) return core::fail(core::Errc::kInvalidConfig, "must not be empty");
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        return core::fail(
            core::Errc::kInvalidConfig,
            "'" + std::string(text) + "': unclosed '{' at position " + std::to_string(i));
      }
      std::string_view name = text.substr(i + 1, close - i - 1);
      Field f;
      if (name == "site") {
        f = Field::kSite;
      } else if (name == "class") {
        f = Field::kClass;
      } else if (name == "gateway") {
        f = Field::kGateway;
      } else if (name == "stream") {
        f = Field::kStream;
      } else {
        return core::fail(core::Errc::kInvalidConfig,
                          "'" + std::string(text) + "': unknown placeholder {" + std::string(name) +
                              "} (want {site}, {class}, {gateway}, {stream})");
      }
      t.parts_.push_back(Part{f, {}});
      i = close + 1;
      continue;
    }
    if (text[i] == '}') {
      return core::fail(
          core::Errc::kInvalidConfig,
          "'" + std::string(text) + "': unmatched '}' at position " + std::to_string(i));
    }
    if (!legalTopicChar(text[i])) {
      return core::fail(core::Errc::kInvalidConfig,
                        "'" + std::string(text) + "': character '" + std::string(1, text[i]) +
                            "' is not allowed in a Kafka topic (letters, digits, '.', '_', '-')");
    }
    if (t.parts_.empty() || t.parts_.back().field != Field::kLiteral) {
      t.parts_.push_back(Part{Field::kLiteral, {}});
    }
    t.parts_.back().literal += text[i];
    ++i;
  }
  size_t literal_len = 0;
  for (const auto& p : t.parts_) literal_len += p.literal.size();
  if (literal_len > kMaxTopicLength) {
    return core::fail(core::Errc::kInvalidConfig, "longer than Kafka's 249 characters");
  }
  if (t.parts_.size() == 1 && (t.text_ == "." || t.text_ == "..")) {
    return core::fail(core::Errc::kInvalidConfig, "'.' and '..' are not legal topic names");
  }
  return t;
}

void TopicTemplate::render(const model::Record& r, const ForwarderIdentity& identity,
                           std::string& out) const {
  out.clear();
  for (const auto& p : parts_) {
    switch (p.field) {
      case Field::kLiteral:
        out += p.literal;
        break;
      case Field::kSite:
        appendSanitized(r.site, out);
        break;
      case Field::kClass:
        out += model::recordClassName(r.recordClass());
        break;
      case Field::kGateway:
        appendSanitized(identity.gateway, out);
        break;
      case Field::kStream:
        appendSanitized(identity.stream, out);
        break;
    }
  }
  if (out == "." || out == "..") out = "_";
  if (out.size() > kMaxTopicLength) {
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "-%016llx", static_cast<unsigned long long>(fnv1a(out)));
    out.resize(kMaxTopicLength - 17);
    out += suffix;
  }
}

std::string TopicTemplate::render(const model::Record& record,
                                  const ForwarderIdentity& identity) const {
  std::string out;
  render(record, identity, out);
  return out;
}

}  // namespace sf::kafka
