#pragma once
// YAML text from JSON values, for config dumps and generated examples: block style, keys in the
// JSON's order, strings quoted only when a YAML reader could take them for something else.
// Deterministic. Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "config/spec.h"

namespace sf::config {

// A whole document ending in '\n'.
std::string toYaml(const Json& value);

// One scalar (or an empty [] / {}) as it appears after "key: ".
std::string yamlScalar(const Json& value);
std::string yamlKey(std::string_view key);

// Appends `key: value` at `indent` spaces; nested objects and lists continue on the next lines.
void appendYamlMember(std::string& out, std::string_view key, const Json& value, int indent);
// Appends a block object (one member per line) or a block list ("- item" lines) at `indent`.
void appendYamlBlock(std::string& out, const Json& value, int indent);

}  // namespace sf::config
