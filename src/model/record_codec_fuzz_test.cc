// Runs the libFuzzer entry of record_codec_fuzz.cc over seeds and their mutations.

#include <gtest/gtest.h>

#include "model/fuzz_corpus_test_util.h"
#include "model/record_codec.h"
#include "model/record_samples.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace sf::model {
namespace {

TEST(RecordCodecFuzzTest, CorpusOfMutations) {
  std::vector<std::string> seeds;
  for (const Record& r : samples::allShapes()) {
    std::string b;
    encodeBinary(r, b);
    seeds.push_back(std::move(b));
  }
  size_t decoded = 0;
  size_t runs = testing::runCorpus(seeds, testing::rounds(20000), [&](const uint8_t* d, size_t n) {
    LLVMFuzzerTestOneInput(d, n);  // aborts on a broken invariant
    if (decodeBinary(std::string_view(reinterpret_cast<const char*>(d), n))) ++decoded;
  });
  EXPECT_GT(runs, static_cast<size_t>(testing::rounds(20000)));
  // The mutations must reach past the decoder's first checks often enough to mean something.
  EXPECT_GT(decoded, runs / 50) << decoded << " of " << runs << " decoded";
}

}  // namespace
}  // namespace sf::model
