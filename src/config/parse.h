#pragma once
// Parsing and validation of configuration documents against specs (spec.h). Pure: no file or
// network I/O, no DNS (loader.h reads files). Every problem is collected, each located by file,
// line, column and JSON Pointer; nothing throws out of these functions (yaml-cpp exceptions are
// caught and become errors). Also rendering a typed config back to JSON/YAML with secrets
// redacted.
// Thread-safety: all functions are reentrant; specs and registries are only read.

#include <string>
#include <string_view>
#include <vector>

#include "config/error.h"
#include "config/node.h"
#include "config/spec.h"
#include "config/yaml_writer.h"

namespace YAML {
class Node;
}

namespace sf::config {

namespace detail {
// Type-erased cores of the templates below: decode into `out` (an instance of spec's type,
// pre-filled with defaults) and return every error, sorted by position.
std::vector<ConfigError> decodeNode(Node root, std::vector<ConfigError> earlier,
                                    const ObjectSpec& spec, void* out, const ParseOptions& options);
std::vector<ConfigError> decodeYamlText(std::string_view text, const ObjectSpec& spec, void* out,
                                        const ParseOptions& options);
std::vector<ConfigError> decodeYamlNode(const YAML::Node& root, const ObjectSpec& spec, void* out,
                                        const ParseOptions& options);

void sortByPosition(std::vector<ConfigError>& errors);

template <class T>
ConfigResult<T> finish(T value, std::vector<ConfigError> errors) {
  if (!errors.empty()) return errors;
  return value;
}
}  // namespace detail

// YAML text (a file's content; JSON text works too since JSON is YAML).
template <class T>
ConfigResult<T> parseYaml(std::string_view text, const Spec<T>& spec,
                          const ParseOptions& options = {}) {
  T value = spec.prototype();
  auto errors = detail::decodeYamlText(text, spec.object(), &value, options);
  return detail::finish(std::move(value), std::move(errors));
}

// An already loaded yaml-cpp tree; its marks are kept.
template <class T>
ConfigResult<T> parseYaml(const YAML::Node& root, const Spec<T>& spec,
                          const ParseOptions& options = {}) {
  T value = spec.prototype();
  auto errors = detail::decodeYamlNode(root, spec.object(), &value, options);
  return detail::finish(std::move(value), std::move(errors));
}

// A JSON value (nlohmann::json or Json) such as an API request body. No line numbers; errors
// carry JSON Pointers. JSON is strict: "502" is not an integer, 5 is not a string.
template <class T, class J>
ConfigResult<T> parseJson(const J& json, const Spec<T>& spec, const ParseOptions& options = {}) {
  T value = spec.prototype();
  auto errors = detail::decodeNode(nodeFromJson(json), {}, spec.object(), &value, options);
  return detail::finish(std::move(value), std::move(errors));
}

// One component object ({type: modbus_tcp, ...}); options.registry is required.
ConfigResult<ComponentConfig> parseComponentYaml(std::string_view text, ComponentKind kind,
                                                 const ParseOptions& options);
ConfigResult<ComponentConfig> parseComponentJson(const Json& json, ComponentKind kind,
                                                 const ParseOptions& options);

// Validation only, for callers that hold just the type-erased spec (the API's validate
// endpoint runs exactly the gateway's code). Empty when valid.
std::vector<ConfigError> validateYaml(std::string_view text, const ObjectSpec& spec,
                                      const ParseOptions& options = {});
std::vector<ConfigError> validateJson(const Json& json, const ObjectSpec& spec,
                                      const ParseOptions& options = {});

// A typed config as JSON / YAML in declaration order; secrets "***" unless told otherwise.
// Unredacted output parses back to an equal config.
template <class T>
Json render(const Spec<T>& spec, const T& value, const RenderOptions& options = {}) {
  return spec.object().render(&value, options);
}
template <class T>
std::string dumpYaml(const Spec<T>& spec, const T& value, const RenderOptions& options = {}) {
  return toYaml(render(spec, value, options));
}

}  // namespace sf::config
