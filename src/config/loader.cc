#include "config/loader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace sf::config {

EnvLookup processEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

ConfigResult<std::string> readConfigText(const std::filesystem::path& path, uint64_t max_bytes) {
  const std::string file = path.string();
  auto fail = [&file](std::string reason) {
    return std::vector<ConfigError>{ConfigError{ConfigErrc::kIo, file, {}, "", std::move(reason)}};
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return fail(std::string("cannot open: ") +
                (err != 0 ? std::generic_category().message(err) : "unknown error"));
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) {
    return fail("is " + std::to_string(size) + " bytes, more than the limit of " +
                std::to_string(max_bytes));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fail("read error");
  return content.str();
}

ParseOptions parseOptionsFor(const std::filesystem::path& path, const LoadOptions& options) {
  ParseOptions p;
  p.file = path.string();
  p.registry = options.registry;
  if (options.expand_env) p.env = options.env ? options.env : processEnvironment();
  return p;
}

}  // namespace sf::config
