#pragma once
// JSON and plain-value payload mapping (formats `json` and `value`), and the JSON helpers the
// LoRaWAN mapper shares: field paths, timestamps, qualities, JSON -> Value.
//
// A JsonMapper belongs to one subscription and runs on the adapter's strand; it is stateless
// apart from its compiled configuration, so concurrent use of distinct instances is fine. Never
// throws: bad payloads become Problems (counted and logged by the adapter).

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "dataplane/adapters/mqtt/config.h"
#include "dataplane/adapters/mqtt/mapping.h"
#include "dataplane/adapters/mqtt/topic.h"
#include "model/value.h"

namespace sf::mqtt {

// (device, tag) pairs that have pipeline options: their records stay telemetry and the pipeline
// classifies them; other tags get their mapping's class from the adapter.
struct TagKeyLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    std::string_view a1 = a.first, b1 = b.first;
    if (a1 != b1) return a1 < b1;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};
using DeclaredTags = std::set<std::pair<std::string, std::string>, TagKeyLess>;

// A path into a JSON document: `a.b[0].c`, `["key.with.dots"]`, or a JSON Pointer `/a/b/0/c`.
// Empty text is the document itself.
class JsonPath {
 public:
  static core::Result<JsonPath> parse(std::string_view text);
  // nullptr when absent (never throws).
  const nlohmann::json* find(const nlohmann::json& root) const;
  bool empty() const { return steps_.empty(); }
  const std::string& text() const { return text_; }
  // The first step when it is an object key ("" otherwise): auto mapping skips such members.
  std::string_view firstKey() const;

 private:
  struct Step {
    bool is_index = false;
    size_t index = 0;
    std::string key;
  };
  std::string text_;
  std::vector<Step> steps_;
};

// "2024-05-01T12:00:00.5Z", "2024-05-01 12:00:00+02:00" -> Unix nanoseconds.
core::Result<int64_t> parseRfc3339(std::string_view text);
// A number (epoch in `unit`, auto guesses s/ms/us/ns by magnitude), a numeric string, or RFC 3339.
core::Result<int64_t> timestampFromJson(const nlohmann::json& j, TimestampUnit unit);
core::Result<int64_t> timestampFromNumber(double v, TimestampUnit unit);
// true/false, "good"/"uncertain"/"bad" (and OPC UA names starting so), an OPC UA StatusCode
// (> 255: severity from the top bits) or an OPC DA quality byte (192+ good, 64+ uncertain).
core::Result<model::Quality> qualityFromJson(const nlohmann::json& j);
// kWrongType-style failures are kInvalidData with a message naming the JSON type.
core::Result<model::Value> valueFromJson(const nlohmann::json& j, ValueKind kind);
// A text payload: true/false, an integer, a number, else text (or bytes when not UTF-8).
core::Result<model::Value> valueFromText(std::string_view text, ValueKind kind);
// "object", "array", "string", "number", "boolean", "null".
std::string_view jsonTypeName(const nlohmann::json& j);
// Parses without letting an exception out; the error names the position.
core::Result<nlohmann::json> parseJson(std::string_view text);

class JsonMapper {
 public:
  // kInvalidConfig when a path or the topic template does not parse (the spec checks both).
  static core::Result<std::unique_ptr<JsonMapper>> create(
      const SubscriptionConfig& sub, std::string adapter,
      std::shared_ptr<const DeclaredTags> declared);
  const TopicTemplate& topic() const { return template_; }
  void map(const MessageView& m, MapOutput& out) const;

  // Upper bound of tags the auto mapping takes from one message.
  static constexpr size_t kMaxAutoTags = 1000;

 private:
  struct Field {
    const JsonFieldConfig* config = nullptr;
    JsonPath value, timestamp, quality, unit;
  };
  JsonMapper() = default;

  void mapJson(const MessageView& m, const std::vector<Capture>& captures, MapOutput& out) const;
  void mapValue(const MessageView& m, const std::vector<Capture>& captures, MapOutput& out) const;
  model::Record base(const MessageView& m, const std::vector<Capture>& captures,
                     std::string_view& device_out, std::string_view& tag_out) const;
  void finish(model::Record& r, pipeline::TagClass cls,
              const pipeline::TagPipelineConfig* tag) const;
  void autoMap(const nlohmann::json& j, const std::string& prefix, int depth,
               const model::Record& proto, MapOutput& out, size_t& count) const;

  SubscriptionConfig sub_;
  std::string adapter_;
  std::shared_ptr<const DeclaredTags> declared_;
  TopicTemplate template_;
  std::vector<Field> fields_;
  JsonPath timestamp_, quality_;
};

}  // namespace sf::mqtt
