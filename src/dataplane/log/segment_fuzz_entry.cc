#include "dataplane/log/segment_fuzz_entry.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "dataplane/log/cursor_store.h"
#include "dataplane/log/format.h"

namespace sf::log {
namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

int fuzzLogParsers(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  uint64_t base = size >= 8 ? detail::get64(bytes.data()) % 1000 : 0;

  // The scanner: whatever it accepts re-encodes to the same bytes, and its ranges tile the input.
  MemorySource src(bytes);
  auto scan = scanSegment(src, size, base);
  check(scan.has_value());
  check(scan->meta.size <= size);
  check(scan->tail_position <= size && scan->tail_position + scan->tail_bytes == size);
  uint64_t prev_end = 0;
  for (const auto& c : scan->corrupt) {
    check(c.position >= prev_end && c.position < c.end && c.end <= size);
    prev_end = c.end;
  }
  WindowReader r(src, size);
  uint64_t pos = 0;
  uint64_t expected = base;
  uint64_t records = 0;
  size_t next_corrupt = 0;
  while (pos < scan->tail_position) {
    if (next_corrupt < scan->corrupt.size() && scan->corrupt[next_corrupt].position == pos) {
      pos = scan->corrupt[next_corrupt++].end;
      continue;
    }
    FrameHeader h;
    std::string_view frame;
    FrameStatus st = frameAt(r, pos, expected, h, frame, nullptr, nullptr);
    check(st == FrameStatus::kOk);
    std::string copy(frame);
    std::vector<EntryView> entries;
    forEachEntry(h, copy, [&](const EntryView& e) { entries.push_back(e); });
    check(entries.size() == h.count);
    std::string again;
    encodeFrame(again, h.base_offset, h.span, entries.data(), entries.size());
    check(again == copy);
    records += entries.size();
    expected = h.endOffset();
    pos += h.length;
  }
  check(records == scan->meta.totalRecords());

  // A single frame at the start, however it was cut.
  FrameHeader h;
  (void)checkFrame(bytes, h);

  // The index decoder: what it accepts re-encodes to the same bytes.
  if (auto meta = decodeIndex(bytes)) check(encodeIndex(*meta) == bytes);

  // The cursor decoder.
  if (auto v = CursorStore::decode(bytes)) check(CursorStore::encode(*v) == bytes);
  return 0;
}

}  // namespace sf::log
