#include "dataplane/log/cursor_store.h"

#include <cstdio>

#include "dataplane/log/crc32c.h"

namespace sf::log {
namespace {

constexpr std::string_view kPrefix = "sfcursor v1 next_offset=";

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

core::Status CursorStore::validateName(std::string_view output) {
  bool ok = !output.empty() && output.size() <= 100 && output.front() != '.';
  for (char c : output) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return core::fail(core::Errc::kInvalidConfig,
                      "output name '" + std::string(output) +
                          "' is not usable as a cursor name (1-100 of A-Z a-z 0-9 . _ -)");
  }
  return core::ok();
}

std::string CursorStore::encode(uint64_t next_offset) {
  std::string body(kPrefix);
  body += std::to_string(next_offset);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(body));
  return body + " crc=" + crc + "\n";
}

core::Result<uint64_t> CursorStore::decode(std::string_view text) {
  auto bad = [] { return core::fail(core::Errc::kDataLoss, "cursor file is damaged"); };
  if (text.empty() || text.back() != '\n') return bad();
  text.remove_suffix(1);
  auto sp = text.rfind(" crc=");
  if (sp == std::string_view::npos || text.size() - sp != 5 + 8) return bad();
  std::string_view body = text.substr(0, sp);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(body));
  if (text.substr(sp + 5) != crc) return bad();
  if (body.substr(0, kPrefix.size()) != kPrefix) return bad();
  std::string_view digits = body.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0')) {
    return bad();
  }
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return bad();
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return bad();
    v = v * 10 + d;
  }
  return v;
}

core::Result<std::map<std::string, uint64_t>> CursorStore::load(
    std::vector<std::string>* unreadable) {
  SF_ASSIGN_OR_RETURN(auto names, storage_.list(dir_));
  std::map<std::string, uint64_t> out;
  for (const auto& name : names) {
    if (!endsWith(name, kSuffix)) continue;
    std::string output = name.substr(0, name.size() - kSuffix.size());
    if (!validateName(output)) continue;
    auto text = readFile(storage_, joinPath(dir_, name));
    core::Result<uint64_t> value = text ? decode(*text) : core::fail(text.error());
    if (!value) {
      if (unreadable != nullptr) unreadable->push_back(output);
      continue;
    }
    out[output] = *value;
  }
  return out;
}

core::Status CursorStore::save(const std::string& output, uint64_t next_offset) {
  SF_TRY(validateName(output));
  return writeFileAtomic(storage_, joinPath(dir_, output + std::string(kSuffix)),
                         encode(next_offset));
}

core::Status CursorStore::remove(const std::string& output) {
  SF_TRY(validateName(output));
  std::string path = joinPath(dir_, output + std::string(kSuffix));
  if (!storage_.exists(path)) return core::ok();
  SF_TRY(storage_.remove(path));
  return storage_.fsyncDir(dir_);
}

}  // namespace sf::log
