#pragma once
// Base64 (RFC 4648 section 4: standard alphabet, '=' padding), as canonical JSON carries bytes.
// Pure functions, thread-safe.

#include <string>
#include <string_view>

#include "core/result.h"

namespace sf::model {

void appendBase64(std::string_view bytes, std::string& out);
std::string encodeBase64(std::string_view bytes);

// Strict: length a multiple of 4, padding only at the end, unused bits zero, no whitespace.
// One text per byte string, so decode(encode(x)) == x and encode(decode(t)) == t.
core::Result<std::string> decodeBase64(std::string_view text);

}  // namespace sf::model
