#pragma once
// Node: the source-neutral document tree that specs decode. YAML (with line/column marks) and
// JSON (without) are both converted to it, so one decoder serves the gateway's YAML files and the
// control plane's JSON API. Scalars keep their text and how they were written, so a plain YAML
// `1.10` can still be the string "1.10" for a string option while `"502"` is not an integer.
// Thread-safety: plain values; conversion functions are pure.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.h"

namespace YAML {
class Node;
}

namespace sf::config {

struct NodeMember;

class Node {
 public:
  enum class Kind { kNull, kScalar, kList, kMap };
  // How a scalar was written; decides which option types accept it.
  enum class Style {
    kPlain,   // YAML plain scalar: its type is resolved by the option it is given to
    kQuoted,  // YAML quoted scalar or JSON string: a string only
    kNumber,  // JSON number
    kBool,    // JSON true/false
  };

  Kind kind = Kind::kNull;
  Style style = Style::kPlain;
  std::string text;  // scalars only
  Mark mark;
  // Set when an earlier stage already reported this value (e.g. an unset ${VAR}): decoders skip
  // it instead of adding a second, confusing error.
  bool reported = false;
  std::vector<Node> items;          // kList
  std::vector<NodeMember> members;  // kMap, in document order

  static Node scalar(std::string text, Style style = Style::kPlain, Mark mark = {});

  const Node* find(std::string_view key) const;
  bool isScalar() const { return kind == Kind::kScalar; }
};

struct NodeMember {
  std::string key;
  Mark key_mark;
  Node value;
};

// Converts a yaml-cpp tree. Duplicate keys, non-scalar keys and unsupported tags are reported
// into `errors` (with `file` and marks); the tree is still returned so that decoding can report
// everything else too. Never throws.
Node nodeFromYaml(const YAML::Node& root, const std::string& file,
                  std::vector<ConfigError>& errors);

// Parses YAML (or JSON, which is YAML) text of a single document. A syntax error is reported
// into `errors` with its line and column and nullopt is returned. An empty document is an empty
// mapping. Never throws.
std::optional<Node> parseYamlText(std::string_view text, const std::string& file,
                                  std::vector<ConfigError>& errors);

// Converts a JSON value (nlohmann::json or nlohmann::ordered_json); there are no marks.
template <class J>
Node nodeFromJson(const J& j) {
  Node n;
  switch (j.type()) {
    case J::value_t::null:
    case J::value_t::discarded:
      break;
    case J::value_t::boolean:
      n = Node::scalar(j.template get<bool>() ? "true" : "false", Node::Style::kBool);
      break;
    case J::value_t::number_integer:
    case J::value_t::number_unsigned:
    case J::value_t::number_float:
      n = Node::scalar(j.dump(), Node::Style::kNumber);
      break;
    case J::value_t::string:
      n = Node::scalar(j.template get<std::string>(), Node::Style::kQuoted);
      break;
    case J::value_t::array:
      n.kind = Node::Kind::kList;
      for (const auto& item : j) n.items.push_back(nodeFromJson(item));
      break;
    case J::value_t::object:
      n.kind = Node::Kind::kMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        n.members.push_back(NodeMember{it.key(), Mark{}, nodeFromJson(it.value())});
      }
      break;
    case J::value_t::binary:
      n = Node::scalar("<binary>", Node::Style::kQuoted);
      break;
  }
  return n;
}

// Looks up an environment variable; nullopt when unset.
// A canonical text of the tree (kinds, styles, texts and keys; no marks): equal for documents
// that say the same thing in the same words, whatever their layout or comments.
std::string canonicalText(const Node& node);

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Replaces ${NAME} and ${NAME:-fallback} in every scalar value (not in keys) using `env`. "$${"
// stands for a literal "${". An unset variable without fallback is an error naming it; the
// scalar is then marked `reported`.
void expandEnv(Node& root, const EnvLookup& env, const std::string& file,
               std::vector<ConfigError>& errors);

}  // namespace sf::config
