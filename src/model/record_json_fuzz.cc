// libFuzzer target for canonical JSON parsing (built only with -DSF_FUZZ=ON and clang; the unit
// test record_json_fuzz_test runs this same entry over a generated corpus in every ctest).
//
// Invariants, on any input: fromJson never crashes; whatever it accepts is a valid record whose
// canonical JSON parses back to an equal record and is a fixed point (toJson(fromJson(j)) == j for
// canonical j); the binary codec round-trips it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/record.h"
#include "model/record_codec.h"
#include "model/record_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sf::model;
  auto rec = fromJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!rec) return 0;
  if (!validate(*rec)) std::abort();

  std::string json = toJson(*rec);
  auto again = fromJson(json);
  if (!again || !(*again == *rec)) std::abort();
  if (toJson(*again) != json) std::abort();

  std::string bin;
  encodeBinary(*rec, bin);
  auto decoded = decodeBinary(bin);
  if (!decoded || !(*decoded == *rec)) std::abort();
  return 0;
}
