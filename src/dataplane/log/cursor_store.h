#pragma once
// CursorStore: the per-output cursors of one stream directory, one small file each
// (`<output>.cursor`, text with a CRC32C), replaced atomically: write `<output>.cursor.tmp`,
// fsync, rename, fsync the directory. A crash leaves either the old or the new value.
// Not thread-safe: the Log serialises calls.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/log/storage.h"

namespace sf::log {

class CursorStore {
 public:
  CursorStore(Storage& storage, std::string dir) : storage_(storage), dir_(std::move(dir)) {}

  // Output names become file names: 1-100 of [A-Za-z0-9._-], not starting with '.'.
  static core::Status validateName(std::string_view output);
  static std::string encode(uint64_t next_offset);
  static core::Result<uint64_t> decode(std::string_view text);
  static constexpr std::string_view kSuffix = ".cursor";

  // Every readable cursor; unreadable ones are listed in `unreadable` (their names).
  core::Result<std::map<std::string, uint64_t>> load(std::vector<std::string>* unreadable);
  core::Status save(const std::string& output, uint64_t next_offset);
  core::Status remove(const std::string& output);

 private:
  Storage& storage_;
  std::string dir_;
};

}  // namespace sf::log
