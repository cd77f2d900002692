#pragma once
// CRC32C (Castagnoli), the checksum of every log frame, index and cursor file.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run time), else a
// slicing-by-8 table. Stateless and thread-safe.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sf::log {

// Extends `crc` (the value returned for the bytes before) with `data`. crc32c(0, "123456789")
// is 0xE3069283.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);
inline uint32_t crc32c(std::string_view data) { return crc32c(0, data.data(), data.size()); }

// The portable implementation, exposed so tests can check both paths agree.
uint32_t crc32cPortable(uint32_t crc, const void* data, size_t len);
// True when crc32c() uses the SSE4.2 instruction on this machine.
bool crc32cHardware();

}  // namespace sf::log
