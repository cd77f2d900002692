#pragma once
// The one entry point shared by the libFuzzer target (segment_fuzz.cc) and the unit test that
// runs it over random and mutated inputs (segment_fuzz_test.cc): feeds arbitrary bytes to every
// parser of log files (segment scanner, frame checker, index decoder, cursor decoder, the
// read-only reader) and aborts if an invariant breaks. Stateless, thread-safe.

#include <cstddef>
#include <cstdint>

namespace sf::log {

int fuzzLogParsers(const uint8_t* data, size_t size);

}  // namespace sf::log
