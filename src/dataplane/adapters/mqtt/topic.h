#pragma once
// MQTT topic filters and topic templates. Pure, thread-safe once built.
//
// A topic template is a topic filter whose levels may name what they hold:
//   plant/{site}/{device}/{tag}   -> filter plant/+/+/+, captures site, device and tag
//   sensors/{device}/{tag#}       -> filter sensors/+/#, `tag` captures the rest ("a/b")
// `{name}` is one whole level (a '+' that captures); `{name#}` is the last level and captures
// every level from there (a '#' that captures, at least one level). Plain '+' and '#' levels
// match without capturing. Names are snake_case; site, device and tag set the record's
// identity, any other name becomes a record attribute.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sf::mqtt {

// True when `topic` matches `filter` (MQTT 3.1.1/5 rules: '+' one level, '#' the rest, a topic
// starting with '$' is not matched by a filter starting with a wildcard).
bool topicMatches(std::string_view filter, std::string_view topic);

// kInvalidConfig naming the problem: empty, '#' not last or not a whole level, '+' not a whole
// level, a NUL character.
core::Status validateFilter(std::string_view filter);

// "$share/<group>/<filter>": kInvalidConfig for a group with '/', '+' or '#'.
core::Result<std::string> sharedFilter(std::string_view group, std::string_view filter);

struct Capture {
  std::string_view name;   // points into the template
  std::string_view value;  // points into the topic
};

class TopicTemplate {
 public:
  TopicTemplate() = default;
  static core::Result<TopicTemplate> parse(std::string_view text);

  const std::string& text() const { return text_; }
  // The MQTT filter to subscribe with ({x} -> '+', {x#} -> '#').
  const std::string& filter() const { return filter_; }
  bool captures(std::string_view name) const;
  std::vector<std::string> captureNames() const;

  // False when `topic` does not match; otherwise `out` holds the captures in template order.
  bool match(std::string_view topic, std::vector<Capture>& out) const;

 private:
  enum class Kind { kLiteral, kPlus, kHash, kCapture, kCaptureRest };
  struct Level {
    Kind kind = Kind::kLiteral;
    std::string text;  // literal text or capture name
  };
  std::string text_;
  std::string filter_;
  std::vector<Level> levels_;
};

}  // namespace sf::mqtt
