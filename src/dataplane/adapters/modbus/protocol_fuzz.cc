// libFuzzer target: every parser of bytes a Modbus device (or anything on its port) can send.
// Build with the fuzz preset (SF_FUZZ=ON, clang): build/fuzz/.../modbus_protocol_fuzz
// -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "dataplane/adapters/modbus/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sf::modbus::fuzzModbusParsers(data, size);
  return 0;
}
