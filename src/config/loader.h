#pragma once
// Reading configuration files: loadConfigFile() reads a YAML (or JSON) file, expands ${VAR}
// references from the environment, and parses it against a root spec (parse.h), returning the
// typed config or every error with file:line:column. This is the only part of sf_config that
// touches the file system or the environment.
// Thread-safety: reentrant. The default environment lookup uses getenv(); do not call setenv()
// concurrently (nothing in StreamForge does).

#include <cstdint>
#include <filesystem>
#include <string>

#include "config/parse.h"

namespace sf::config {

struct LoadOptions {
  const Registry* registry = nullptr;  // for polymorphic options (adapters:, outputs:, ...)
  bool expand_env = true;              // ${VAR} and ${VAR:-default} in values
  EnvLookup env = {};                  // empty: the process environment
  uint64_t max_bytes = 16u << 20;      // a config larger than this is refused
};

// The process environment as an EnvLookup.
EnvLookup processEnvironment();

// The file's bytes, or one kIo error naming the file.
ConfigResult<std::string> readConfigText(const std::filesystem::path& path, uint64_t max_bytes);

// The ParseOptions loadConfigFile() uses for `path`.
ParseOptions parseOptionsFor(const std::filesystem::path& path, const LoadOptions& options);

template <class T>
ConfigResult<T> loadConfigFile(const std::filesystem::path& path, const Spec<T>& spec,
                               const LoadOptions& options = {}) {
  ConfigResult<std::string> text = readConfigText(path, options.max_bytes);
  if (!text) return text.errors();
  return parseYaml(*text, spec, parseOptionsFor(path, options));
}

}  // namespace sf::config
