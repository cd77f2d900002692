// Runs the libFuzzer entry (segment_fuzz_entry.h) over generated, cut, bit-flipped and random
// inputs in the normal unit suite, so the parsers' invariants hold without a fuzzing build.

#include <gtest/gtest.h>

#include <random>

#include "dataplane/log/cursor_store.h"
#include "dataplane/log/format.h"
#include "dataplane/log/segment_fuzz_entry.h"

namespace sf::log {
namespace {

std::string validSegment(std::mt19937& rng, uint64_t base) {
  std::string seg;
  uint64_t off = base;
  int frames = 1 + static_cast<int>(rng() % 6);
  for (int f = 0; f < frames; ++f) {
    std::vector<std::string> payloads;
    std::vector<EntryView> v;
    int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i)
      payloads.push_back(std::string(rng() % 40, 'a' + static_cast<char>(i)));
    uint64_t frame_base = off;
    for (int i = 0; i < n; ++i) {
      off += 1 + (rng() % 3 == 0 ? rng() % 4 : 0);  // gaps, as after compaction
      v.push_back(EntryView{off - 1, static_cast<EntryClass>(rng() % 4),
                            static_cast<int64_t>(rng()), payloads[static_cast<size_t>(i)]});
    }
    encodeFrame(seg, frame_base, 0, v.data(), v.size());
  }
  return seg;
}

void run(const std::string& s) {
  fuzzLogParsers(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(SegmentFuzz, GeneratedCutFlippedAndRandomInputs) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    // Base offset as fuzzLogParsers derives it from the first 8 bytes.
    std::string seg = validSegment(rng, 0);
    uint64_t base = seg.size() >= 8 ? detail::get64(seg.data()) % 1000 : 0;
    seg = validSegment(rng, base);  // may not match the derived base: a corrupt start is fine
    switch (iter % 5) {
      case 0:
        run(seg);
        break;
      case 1:
        run(seg.substr(0, rng() % (seg.size() + 1)));
        break;
      case 2: {
        std::string bad = seg;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
          bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
        run(bad);
        break;
      }
      case 3: {
        std::string junk(rng() % 200, '\0');
        for (auto& c : junk) c = static_cast<char>(rng());
        run(seg.substr(0, rng() % (seg.size() + 1)) + junk + seg);
        break;
      }
      case 4: {
        std::string junk(rng() % 300, '\0');
        for (auto& c : junk) c = static_cast<char>(rng());
        run(junk);
        break;
      }
    }
  }
}

TEST(SegmentFuzz, IndexAndCursorInputs) {
  std::mt19937 rng(99);
  SegmentMeta m;
  m.base = 5;
  m.end = 50;
  m.size = 4000;
  m.records = {10, 2, 3, 4};
  m.first_offset = 5;
  m.points = {{5, 0}, {20, 1000}, {40, 3000}};
  std::string idx = encodeIndex(m);
  std::string cur = CursorStore::encode(123456);
  for (int iter = 0; iter < 2000; ++iter) {
    for (std::string s : {idx, cur}) {
      if (iter % 2 == 0) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
      if (iter % 3 == 0) s = s.substr(0, rng() % (s.size() + 1));
      run(s);
    }
  }
  run(idx);
  run(cur);
}

}  // namespace
}  // namespace sf::log
