#pragma once
// The on-disk format of the local log (docs/LOG.md has the byte layout): frames of entries in
// segment files, the sparse index files beside them, and the scanner that validates a segment
// and finds its torn tail or corrupt ranges. Pure functions over bytes: no threads, no state,
// safe on any input (this is what segment_fuzz.cc feeds with garbage).

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/log/log.h"
#include "dataplane/log/storage.h"

namespace sf::log {

inline constexpr uint32_t kFrameMagic = 0x31424653;  // the bytes "SFB1"
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 40;
inline constexpr size_t kEntryHeaderBytes = 17;  // delta u32, class u8, ts i64, length u32
inline constexpr uint32_t kMaxPayloadBytes = 16u << 20;
inline constexpr uint32_t kMaxFrameBytes = 32u << 20;
inline constexpr uint64_t kIndexIntervalBytes = 64u << 10;  // one index point per 64 KiB
inline constexpr size_t kEntryClassCount = 4;

inline size_t classIndex(EntryClass c) { return static_cast<size_t>(c); }
std::string_view entryClassName(EntryClass c);  // "telemetry", "event", "alarm", "log"
std::optional<EntryClass> parseEntryClass(std::string_view name);

struct FrameHeader {
  uint32_t length = 0;  // whole frame, header included
  uint32_t crc = 0;     // CRC32C of bytes [12, length)
  uint8_t version = kFrameVersion;
  uint8_t flags = 0;
  uint64_t base_offset = 0;
  uint32_t count = 0;  // entries stored in the frame
  uint32_t span = 0;   // offsets covered: the next frame starts at base_offset + span or later
  int64_t max_ts_ns = 0;
  uint64_t endOffset() const { return base_offset + span; }
};

struct EntryView {
  uint64_t offset = 0;
  EntryClass cls = EntryClass::kTelemetry;
  int64_t ts_ns = 0;
  std::string_view payload;
};

inline size_t encodedEntryBytes(size_t payload_len) { return kEntryHeaderBytes + payload_len; }

// Appends one frame holding `entries` (offsets ascending, all in [base, base + span)) to `out`.
// span 0 means "up to the last entry".
void encodeFrame(std::string& out, uint64_t base_offset, uint32_t span, const EntryView* entries,
                 size_t count);

enum class FrameStatus { kOk, kIncomplete, kCorrupt };

// Reads the fixed header at the start of `data` and checks the magic and the length bounds.
// kIncomplete when fewer than kFrameHeaderBytes are there.
FrameStatus parseFrameHeader(std::string_view data, FrameHeader& h, std::string* why = nullptr);
// Validates a whole frame (`frame` is exactly h.length bytes): CRC, version, and that the
// entries fill it exactly with ascending offsets inside the span and known classes.
FrameStatus checkFrame(std::string_view frame, FrameHeader& h, std::string* why = nullptr);

// Calls f(const EntryView&) for each entry of a frame that passed checkFrame().
template <class F>
void forEachEntry(const FrameHeader& h, std::string_view frame, F&& f);

// ---- segments and their index -------------------------------------------------------------

struct IndexPoint {
  uint64_t offset = 0;    // base offset of the frame
  uint64_t position = 0;  // byte position of the frame in the segment file
};

// What is known of one segment: its offsets, bytes per class, timestamps and sparse index.
struct SegmentMeta {
  uint64_t base = 0;  // from the file name
  uint64_t end = 0;   // next offset after the last frame (== base when empty)
  uint64_t size = 0;  // bytes of valid frames
  std::array<uint64_t, kEntryClassCount> records{};
  std::array<uint64_t, kEntryClassCount> bytes{};                // encoded entry bytes per class
  uint64_t first_offset = std::numeric_limits<uint64_t>::max();  // first stored entry
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  std::vector<IndexPoint> points;

  uint64_t totalRecords() const;
  bool empty() const { return totalRecords() == 0; }
  // Accounts a validated frame found at `position`.
  void addFrame(uint64_t position, const FrameHeader& h, std::string_view frame);
  // Byte position to start reading for `offset` (a frame at or before it).
  uint64_t seek(uint64_t offset) const;
};

std::string segmentFileName(uint64_t base);  // "00000000000000000042.seg"
std::string indexFileName(uint64_t base);    // "00000000000000000042.idx"
// The base offset of a segment file name, or nullopt for anything else.
std::optional<uint64_t> parseSegmentFileName(std::string_view name);

std::string encodeIndex(const SegmentMeta& meta);
core::Result<SegmentMeta> decodeIndex(std::string_view data);

// ---- scanning ------------------------------------------------------------------------------

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const = 0;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const File& file) : file_(file) {}
  core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const override {
    return file_.read(offset, buf, len);
  }

 private:
  const File& file_;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  core::Result<size_t> read(uint64_t offset, void* buf, size_t len) const override;

 private:
  std::string_view data_;
};

// A read-ahead window over a ByteSource, bounded by `limit`. Views stay valid until the next
// call of view().
class WindowReader {
 public:
  WindowReader(const ByteSource& src, uint64_t limit, size_t window = 1u << 20)
      : src_(src), limit_(limit), window_(window) {}
  // Up to `len` bytes at `pos` (fewer only at the limit).
  core::Result<std::string_view> view(uint64_t pos, size_t len);
  uint64_t limit() const { return limit_; }

 private:
  const ByteSource& src_;
  uint64_t limit_;
  size_t window_;
  std::string buf_;
  uint64_t buf_pos_ = 0;
};

// Reads and validates the frame at `pos`, which must not go back before `min_offset`.
// On kOk `h` is filled and `frame` views the frame bytes (valid until the next view()).
FrameStatus frameAt(WindowReader& r, uint64_t pos, uint64_t min_offset, FrameHeader& h,
                    std::string_view& frame, std::string* why, core::Error* io_error);
// The position of the next valid frame at or after `from`, if any.
core::Result<std::optional<uint64_t>> findNextFrame(WindowReader& r, uint64_t from,
                                                    uint64_t min_offset);

struct CorruptRange {
  uint64_t position = 0;           // first bad byte
  uint64_t end = 0;                // where the next valid frame starts
  uint64_t first_lost_offset = 0;  // offsets [first_lost_offset, +lost_offsets) are unreadable
  uint64_t lost_offsets = 0;       // upper bound: evicted offsets in the range count too
  std::string why;
};

struct ScanResult {
  SegmentMeta meta;                   // of the valid frames
  std::vector<CorruptRange> corrupt;  // bad bytes with valid frames after them
  uint64_t tail_position = 0;         // where the torn tail starts (== size when none)
  uint64_t tail_bytes = 0;
  uint64_t tail_records = 0;  // records in the torn frames, from their headers (best effort)
  std::string tail_why;
  bool clean() const { return corrupt.empty() && tail_bytes == 0; }
  uint64_t lostOffsets() const;
};

// Validates every frame of a segment of `size` bytes named for offset `base`.
core::Result<ScanResult> scanSegment(const ByteSource& src, uint64_t size, uint64_t base);

// ---- inline ---------------------------------------------------------------------------------

namespace detail {
inline uint32_t get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
}  // namespace detail

template <class F>
void forEachEntry(const FrameHeader& h, std::string_view frame, F&& f) {
  size_t pos = kFrameHeaderBytes;
  for (uint32_t i = 0; i < h.count && pos + kEntryHeaderBytes <= frame.size(); ++i) {
    const char* p = frame.data() + pos;
    EntryView e;
    e.offset = h.base_offset + detail::get32(p);
    e.cls = static_cast<EntryClass>(static_cast<uint8_t>(p[4]));
    e.ts_ns = static_cast<int64_t>(detail::get64(p + 5));
    uint32_t len = detail::get32(p + 13);
    pos += kEntryHeaderBytes;
    if (len > frame.size() - pos) return;
    e.payload = frame.substr(pos, len);
    pos += len;
    f(e);
  }
}

}  // namespace sf::log
