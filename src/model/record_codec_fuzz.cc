// libFuzzer target for the binary record codec (built only with -DSF_FUZZ=ON and clang; the unit
// test record_codec_fuzz_test runs this same entry over a generated corpus in every ctest).
//
// Invariants, on any input: decodeBinary never crashes; whatever it accepts re-encodes to bytes
// that decode to an equal record, and that encoding is canonical (encode(decode(e)) == e); a
// decoded record that passes validate() survives canonical JSON unchanged.

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
  auto rec = decodeBinary(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!rec) return 0;

  std::string encoded;
  encodeBinary(*rec, encoded);
  auto again = decodeBinary(encoded);
  if (!again || !(*again == *rec)) std::abort();
  std::string reencoded;
  encodeBinary(*again, reencoded);
  if (reencoded != encoded) std::abort();

  if (validate(*rec)) {
    std::string json = toJson(*rec);
    auto from_json = fromJson(json);
    if (!from_json || !(*from_json == *rec)) std::abort();
    if (toJson(*from_json) != json) std::abort();
  }
  return 0;
}
