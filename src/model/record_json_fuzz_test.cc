// Runs the libFuzzer entry of record_json_fuzz.cc over seeds and their mutations.

#include <gtest/gtest.h>

#include "model/fuzz_corpus_test_util.h"
#include "model/record_json.h"
#include "model/record_samples.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace sf::model {
namespace {

TEST(RecordJsonFuzzTest, CorpusOfMutations) {
  std::vector<std::string> seeds;
  for (const Record& r : samples::allShapes()) seeds.push_back(toJson(r));
  size_t parsed = 0;
  size_t runs = testing::runCorpus(seeds, testing::rounds(5000), [&](const uint8_t* d, size_t n) {
    LLVMFuzzerTestOneInput(d, n);  // aborts on a broken invariant
    if (fromJson(std::string_view(reinterpret_cast<const char*>(d), n))) ++parsed;
  });
  EXPECT_GT(runs, static_cast<size_t>(testing::rounds(5000)));
  EXPECT_GT(parsed, runs / 100) << parsed << " of " << runs << " parsed";
}

}  // namespace
}  // namespace sf::model
