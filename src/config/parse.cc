#include "config/parse.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>

namespace sf::config {
namespace detail {

// Document order reads best; errors without a position (JSON input) keep their visit order.
void sortByPosition(std::vector<ConfigError>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    if (!a.mark.known() || !b.mark.known()) return false;
    if (a.mark.line != b.mark.line) return a.mark.line < b.mark.line;
    return a.mark.column < b.mark.column;
  });
}

namespace {

ConfigError internalError(const ParseOptions& options, const std::exception& e) {
  return ConfigError{
      ConfigErrc::kInternal, options.file, {}, "", std::string("internal error: ") + e.what()};
}

}  // namespace

std::vector<ConfigError> decodeNode(Node root, std::vector<ConfigError> earlier,
                                    const ObjectSpec& spec, void* out,
                                    const ParseOptions& options) {
  std::vector<ConfigError> errors = std::move(earlier);
  try {
    expandEnv(root, options.env, options.file, errors);
    ParseContext ctx(options.file, options.registry);
    ctx.recordMark(root.mark);
    spec.decode(root, out, ctx);
    for (auto& e : ctx.takeErrors()) errors.push_back(std::move(e));
  } catch (const std::exception& e) {  // a throwing check() or allocation failure
    errors.push_back(internalError(options, e));
  }
  sortByPosition(errors);
  return errors;
}

std::vector<ConfigError> decodeYamlText(std::string_view text, const ObjectSpec& spec, void* out,
                                        const ParseOptions& options) {
  std::vector<ConfigError> errors;
  std::optional<Node> root = parseYamlText(text, options.file, errors);
  if (!root) return errors;
  return decodeNode(std::move(*root), std::move(errors), spec, out, options);
}

std::vector<ConfigError> decodeYamlNode(const YAML::Node& root, const ObjectSpec& spec, void* out,
                                        const ParseOptions& options) {
  std::vector<ConfigError> errors;
  Node node = nodeFromYaml(root, options.file, errors);
  return decodeNode(std::move(node), std::move(errors), spec, out, options);
}

}  // namespace detail

namespace {

ConfigResult<ComponentConfig> decodeComponentNode(Node root, std::vector<ConfigError> errors,
                                                  ComponentKind kind, const ParseOptions& options) {
  ComponentConfig out;
  try {
    expandEnv(root, options.env, options.file, errors);
    ParseContext ctx(options.file, options.registry);
    detail::decodeComponent(kind, root, out, ctx);
    for (auto& e : ctx.takeErrors()) errors.push_back(std::move(e));
  } catch (const std::exception& e) {
    errors.push_back(ConfigError{
        ConfigErrc::kInternal, options.file, {}, "", std::string("internal error: ") + e.what()});
  }
  detail::sortByPosition(errors);
  if (!errors.empty()) return errors;
  return out;
}

}  // namespace

ConfigResult<ComponentConfig> parseComponentYaml(std::string_view text, ComponentKind kind,
                                                 const ParseOptions& options) {
  std::vector<ConfigError> errors;
  std::optional<Node> root = parseYamlText(text, options.file, errors);
  if (!root) return errors;
  return decodeComponentNode(std::move(*root), std::move(errors), kind, options);
}

ConfigResult<ComponentConfig> parseComponentJson(const Json& json, ComponentKind kind,
                                                 const ParseOptions& options) {
  return decodeComponentNode(nodeFromJson(json), {}, kind, options);
}

std::vector<ConfigError> validateYaml(std::string_view text, const ObjectSpec& spec,
                                      const ParseOptions& options) {
  std::any value = spec.makeDefault();
  return detail::decodeYamlText(text, spec, spec.access(value), options);
}

std::vector<ConfigError> validateJson(const Json& json, const ObjectSpec& spec,
                                      const ParseOptions& options) {
  std::any value = spec.makeDefault();
  return detail::decodeNode(nodeFromJson(json), {}, spec, spec.access(value), options);
}

}  // namespace sf::config
