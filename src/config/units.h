#pragma once
// Durations ("250ms", "5s", "1m30s", "7d") and byte sizes ("64MiB", "10MB", "512B") as written
// in configuration files, parsed and formatted exactly (integer nanoseconds / bytes).
// Thread-safety: pure functions and plain values.

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sf::config {

// A size in bytes. A distinct type so that an option bound to it is documented, validated and
// rendered as a byte size ("64MiB") rather than as a plain integer.
struct ByteSize {
  uint64_t bytes = 0;

  static constexpr ByteSize kib(uint64_t n) { return {n << 10}; }
  static constexpr ByteSize mib(uint64_t n) { return {n << 20}; }
  static constexpr ByteSize gib(uint64_t n) { return {n << 30}; }
  static constexpr ByteSize tib(uint64_t n) { return {n << 40}; }
  friend auto operator<=>(const ByteSize&,
                          const ByteSize&) = default;  // NOLINT(modernize-use-nullptr)
};

// One or more <number><unit> terms, units ns, us (or µs), ms, s, m, h, d; a number may have a
// fraction ("1.5s"). "0" alone is accepted. Negative durations are rejected. The result must be
// a whole number of nanoseconds and fit in int64.
core::Result<std::chrono::nanoseconds> parseDuration(std::string_view text);
// The largest unit that represents `d` exactly: 90s -> "90s", 1500ms -> "1500ms", 0 -> "0s".
std::string formatDuration(std::chrono::nanoseconds d);

// <number>[ ][unit], unit one of B, kB (or KB), MB, GB, TB (powers of 1000) and KiB, MiB, GiB,
// TiB (powers of 1024); no unit means bytes. A fraction is allowed if the result is whole bytes.
core::Result<ByteSize> parseByteSize(std::string_view text);
// Binary units first when exact (64MiB), then decimal (10MB), else bytes (1000001B).
std::string formatByteSize(ByteSize size);

}  // namespace sf::config
