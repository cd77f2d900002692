#pragma once
// Test-only: a deterministic stand-in for libFuzzer, so every ctest run pushes a few thousand
// mutated inputs through a fuzz entry (the real fuzzers run with -DSF_FUZZ=ON).

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace sf::model::testing {

// Mutation rounds per run: `fallback`, or SF_FUZZ_CORPUS_ROUNDS from the environment for a
// longer soak without libFuzzer.
inline int rounds(int fallback) {
  const char* env = std::getenv("SF_FUZZ_CORPUS_ROUNDS");  // NOLINT(concurrency-mt-unsafe)
  int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : fallback;
}

// Mutates `in` the way libFuzzer's basic mutators do: flip bits, set bytes to interesting values,
// insert, erase, duplicate, truncate, splice with `other`.
inline std::string mutate(std::string in, const std::string& other, std::mt19937_64& rng) {
  int steps = 1 + static_cast<int>(rng() % 4);
  for (int s = 0; s < steps; ++s) {
    size_t n = in.size();
    switch (rng() % 8) {
      case 0:
        if (n) in[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1: {
        static constexpr uint8_t kInteresting[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 2, 4, 0x40};
        if (n) in[rng() % n] = static_cast<char>(kInteresting[rng() % sizeof(kInteresting)]);
        break;
      }
      case 2:
        in.insert(in.begin() + static_cast<long>(n ? rng() % (n + 1) : 0),
                  static_cast<char>(rng()));
        break;
      case 3:
        if (n) in.erase(rng() % n, 1 + rng() % 4);
        break;
      case 4:
        if (n) in.resize(rng() % n);
        break;
      case 5:
        if (n) {
          size_t at = rng() % n;
          in.insert(at, in.substr(at, 1 + rng() % 8));
        }
        break;
      case 6:
        if (!other.empty()) {
          size_t cut = n ? rng() % n : 0;
          in = in.substr(0, cut) + other.substr(rng() % other.size());
        }
        break;
      case 7:
        if (n) in[rng() % n] = static_cast<char>(rng());
        break;
    }
  }
  return in;
}

// Runs `entry` over the seeds, `rounds` mutations of them and some pure noise.
template <class Entry>
size_t runCorpus(const std::vector<std::string>& seeds, int rounds, Entry entry) {
  std::mt19937_64 rng(20240501);
  size_t runs = 0;
  auto run = [&](const std::string& s) {
    entry(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    ++runs;
  };
  for (const auto& s : seeds) run(s);
  for (int i = 0; i < rounds; ++i) {
    const std::string& a = seeds[rng() % seeds.size()];
    const std::string& b = seeds[rng() % seeds.size()];
    run(mutate(a, b, rng));
  }
  for (int i = 0; i < rounds / 10; ++i) {
    std::string noise(rng() % 128, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    run(noise);
  }
  return runs;
}

}  // namespace sf::model::testing
