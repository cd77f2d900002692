// libFuzzer target: `cmake --preset fuzz && cmake --build build/fuzz --target mqtt_json_fuzz`,
// then `build/fuzz/src/dataplane/adapters/mqtt/mqtt_json_fuzz -max_total_time=60 [corpus_dir]`.
// The entry is shared with fuzz_test.cc (fuzz_entries.h).

#include <cstddef>
#include <cstdint>

#include "dataplane/adapters/mqtt/fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sf::mqtt::fuzz::jsonMapper(data, size);
}
