// libFuzzer target for the log's parsers: `cmake --preset fuzz && cmake --build build/fuzz`,
// then `build/fuzz/src/dataplane/log/log_segment_fuzz -max_total_time=60 [corpus_dir]`.

#include <cstddef>
#include <cstdint>

#include "dataplane/log/segment_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sf::log::fuzzLogParsers(data, size);
}
