#pragma once
// TopicTemplate: the Kafka topic of a record, from a template such as "sf.{site}.{class}".
// Placeholders: {site}, {class} (telemetry|event|alarm|log), {gateway}, {stream}.
//
// The literal text must be a legal topic name on its own (validated once); substituted values
// come from records and are made legal by mapping every character outside [A-Za-z0-9._-] to
// '_' (an empty value becomes "_"). A result longer than Kafka's 249 characters keeps its first
// 232 and appends '-' and a 16-hex-digit hash of the whole name. So a record can never produce a
// topic the broker rejects, which would block the stream behind it.
//
// Immutable after parse(); render() is const and thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/kafka/output_options.h"
#include "model/record.h"

namespace sf::kafka {

class TopicTemplate {
 public:
  static core::Result<TopicTemplate> parse(std::string_view text);

  // Appends the topic of `record` to `out` (cleared first).
  void render(const model::Record& record, const ForwarderIdentity& identity,
              std::string& out) const;
  std::string render(const model::Record& record, const ForwarderIdentity& identity) const;

  const std::string& text() const { return text_; }

 private:
  enum class Field { kLiteral, kSite, kClass, kGateway, kStream };
  struct Part {
    Field field;
    std::string literal;
  };
  std::string text_;
  std::vector<Part> parts_;
};

// Kafka's maximum topic name length.
inline constexpr size_t kMaxTopicLength = 249;

}  // namespace sf::kafka
