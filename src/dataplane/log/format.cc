#include "dataplane/log/format.h"

#include <algorithm>
#include <cstring>

#include "dataplane/log/crc32c.h"

namespace sf::log {
namespace {

using detail::get32;
using detail::get64;

void put8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void put16(std::string& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void set32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

constexpr uint32_t kIndexMagic = 0x31494653;  // "SFI1"
constexpr uint32_t kIndexVersion = 1;
// magic, version, base, end, size, first_offset, records[4], bytes[4], min/max ts, points, crc
constexpr size_t kIndexFixedBytes = 4 + 4 + 8 * 4 + 8 * 4 * 2 + 8 * 2 + 4 + 4;

void setWhy(std::string* why, const char* text) {
  if (why != nullptr) *why = text;
}

}  // namespace

std::string_view entryClassName(EntryClass c) {
  switch (c) {
    case EntryClass::kTelemetry:
      return "telemetry";
    case EntryClass::kEvent:
      return "event";
    case EntryClass::kAlarm:
      return "alarm";
    case EntryClass::kLog:
      return "log";
  }
  return "unknown";
}

std::optional<EntryClass> parseEntryClass(std::string_view name) {
  for (size_t i = 0; i < kEntryClassCount; ++i) {
    if (entryClassName(static_cast<EntryClass>(i)) == name) return static_cast<EntryClass>(i);
  }
  return std::nullopt;
}

void encodeFrame(std::string& out, uint64_t base_offset, uint32_t span, const EntryView* entries,
                 size_t count) {
  size_t start = out.size();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < count; ++i) max_ts = std::max(max_ts, entries[i].ts_ns);
  if (span == 0 && count > 0) {
    span = static_cast<uint32_t>(entries[count - 1].offset - base_offset + 1);
  }
  put32(out, kFrameMagic);
  put32(out, 0);  // length, set below
  put32(out, 0);  // crc, set below
  put8(out, kFrameVersion);
  put8(out, 0);
  put16(out, 0);
  put64(out, base_offset);
  put32(out, static_cast<uint32_t>(count));
  put32(out, span);
  put64(out, static_cast<uint64_t>(max_ts));
  for (size_t i = 0; i < count; ++i) {
    const auto& e = entries[i];
    put32(out, static_cast<uint32_t>(e.offset - base_offset));
    put8(out, static_cast<uint8_t>(e.cls));
    put64(out, static_cast<uint64_t>(e.ts_ns));
    put32(out, static_cast<uint32_t>(e.payload.size()));
    out.append(e.payload);
  }
  uint32_t length = static_cast<uint32_t>(out.size() - start);
  set32(out, start + 4, length);
  set32(out, start + 8, crc32c(0, out.data() + start + 12, length - 12));
}

FrameStatus parseFrameHeader(std::string_view data, FrameHeader& h, std::string* why) {
  if (data.size() < kFrameHeaderBytes) {
    setWhy(why, "incomplete frame header");
    return FrameStatus::kIncomplete;
  }
  const char* p = data.data();
  if (get32(p) != kFrameMagic) {
    setWhy(why, "bad frame magic");
    return FrameStatus::kCorrupt;
  }
  h.length = get32(p + 4);
  h.crc = get32(p + 8);
  h.version = static_cast<uint8_t>(p[12]);
  h.flags = static_cast<uint8_t>(p[13]);
  h.base_offset = get64(p + 16);
  h.count = get32(p + 24);
  h.span = get32(p + 28);
  h.max_ts_ns = static_cast<int64_t>(get64(p + 32));
  if (h.length < kFrameHeaderBytes + kEntryHeaderBytes || h.length > kMaxFrameBytes) {
    setWhy(why, "frame length out of bounds");
    return FrameStatus::kCorrupt;
  }
  return FrameStatus::kOk;
}

FrameStatus checkFrame(std::string_view frame, FrameHeader& h, std::string* why) {
  FrameStatus st = parseFrameHeader(frame, h, why);
  if (st != FrameStatus::kOk) return st;
  if (frame.size() < h.length) {
    setWhy(why, "incomplete frame");
    return FrameStatus::kIncomplete;
  }
  frame = frame.substr(0, h.length);
  if (crc32c(0, frame.data() + 12, frame.size() - 12) != h.crc) {
    setWhy(why, "frame CRC mismatch");
    return FrameStatus::kCorrupt;
  }
  if (h.version != kFrameVersion || h.flags != 0) {
    setWhy(why, "unknown frame version or flags");
    return FrameStatus::kCorrupt;
  }
  if (h.count == 0 || h.span < h.count ||
      h.base_offset > std::numeric_limits<uint64_t>::max() - h.span) {
    setWhy(why, "frame count/span inconsistent");
    return FrameStatus::kCorrupt;
  }
  size_t pos = kFrameHeaderBytes;
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  uint64_t next_delta = 0;
  for (uint32_t i = 0; i < h.count; ++i) {
    if (frame.size() - pos < kEntryHeaderBytes) {
      setWhy(why, "entry header past frame end");
      return FrameStatus::kCorrupt;
    }
    const char* p = frame.data() + pos;
    uint32_t delta = get32(p);
    uint8_t cls = static_cast<uint8_t>(p[4]);
    int64_t ts = static_cast<int64_t>(get64(p + 5));
    uint32_t len = get32(p + 13);
    pos += kEntryHeaderBytes;
    if (delta < next_delta || delta >= h.span) {
      setWhy(why, "entry offset out of order or outside the frame span");
      return FrameStatus::kCorrupt;
    }
    if (cls >= kEntryClassCount) {
      setWhy(why, "unknown entry class");
      return FrameStatus::kCorrupt;
    }
    if (len > kMaxPayloadBytes || len > frame.size() - pos) {
      setWhy(why, "entry payload past frame end");
      return FrameStatus::kCorrupt;
    }
    pos += len;
    next_delta = static_cast<uint64_t>(delta) + 1;
    max_ts = std::max(max_ts, ts);
  }
  if (pos != frame.size()) {
    setWhy(why, "trailing bytes in frame");
    return FrameStatus::kCorrupt;
  }
  if (max_ts != h.max_ts_ns) {
    setWhy(why, "frame max timestamp inconsistent");
    return FrameStatus::kCorrupt;
  }
  return FrameStatus::kOk;
}

// ---- segments -----------------------------------------------------------------------------

uint64_t SegmentMeta::totalRecords() const {
  uint64_t n = 0;
  for (auto r : records) n += r;
  return n;
}

void SegmentMeta::addFrame(uint64_t position, const FrameHeader& h, std::string_view frame) {
  if (points.empty() || position - points.back().position >= kIndexIntervalBytes) {
    points.push_back(IndexPoint{h.base_offset, position});
  }
  forEachEntry(h, frame, [&](const EntryView& e) {
    records[classIndex(e.cls)]++;
    bytes[classIndex(e.cls)] += encodedEntryBytes(e.payload.size());
    first_offset = std::min(first_offset, e.offset);
    min_ts = std::min(min_ts, e.ts_ns);
    max_ts = std::max(max_ts, e.ts_ns);
  });
  end = std::max(end, h.endOffset());
  size = std::max(size, position + h.length);
}

uint64_t SegmentMeta::seek(uint64_t offset) const {
  auto it = std::upper_bound(points.begin(), points.end(), offset,
                             [](uint64_t o, const IndexPoint& p) { return o < p.offset; });
  if (it == points.begin()) return 0;
  return std::prev(it)->position;
}

std::string segmentFileName(uint64_t base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(base));
  return buf;
}

std::string indexFileName(uint64_t base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.idx", static_cast<unsigned long long>(base));
  return buf;
}

std::optional<uint64_t> parseSegmentFileName(std::string_view name) {
  if (name.size() != 24 || name.substr(20) != ".seg") return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::string encodeIndex(const SegmentMeta& m) {
  std::string out;
  out.reserve(kIndexFixedBytes + m.points.size() * 16);
  put32(out, kIndexMagic);
  put32(out, kIndexVersion);
  put64(out, m.base);
  put64(out, m.end);
  put64(out, m.size);
  put64(out, m.first_offset);
  for (auto r : m.records) put64(out, r);
  for (auto b : m.bytes) put64(out, b);
  put64(out, static_cast<uint64_t>(m.min_ts));
  put64(out, static_cast<uint64_t>(m.max_ts));
  put32(out, static_cast<uint32_t>(m.points.size()));
  for (const auto& p : m.points) {
    put64(out, p.offset);
    put64(out, p.position);
  }
  put32(out, crc32c(out));
  return out;
}

core::Result<SegmentMeta> decodeIndex(std::string_view data) {
  auto bad = [](const char* why) { return core::fail(core::Errc::kDataLoss, why); };
  if (data.size() < kIndexFixedBytes) return bad("index too short");
  if (crc32c(0, data.data(), data.size() - 4) != get32(data.data() + data.size() - 4)) {
    return bad("index CRC mismatch");
  }
  const char* p = data.data();
  if (get32(p) != kIndexMagic || get32(p + 4) != kIndexVersion) return bad("bad index magic");
  p += 8;
  SegmentMeta m;
  m.base = get64(p);
  m.end = get64(p + 8);
  m.size = get64(p + 16);
  m.first_offset = get64(p + 24);
  p += 32;
  for (auto& r : m.records) {
    r = get64(p);
    p += 8;
  }
  for (auto& b : m.bytes) {
    b = get64(p);
    p += 8;
  }
  m.min_ts = static_cast<int64_t>(get64(p));
  m.max_ts = static_cast<int64_t>(get64(p + 8));
  uint32_t n = get32(p + 16);
  p += 20;
  if (data.size() != kIndexFixedBytes + static_cast<size_t>(n) * 16) {
    return bad("index size does not match its point count");
  }
  m.points.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    IndexPoint ip{get64(p), get64(p + 8)};
    p += 16;
    if (ip.offset < m.base || ip.position >= m.size ||
        (!m.points.empty() &&
         (ip.offset <= m.points.back().offset || ip.position <= m.points.back().position))) {
      return bad("index points out of order");
    }
    m.points.push_back(ip);
  }
  if (m.end < m.base) return bad("index end before base");
  if (!m.empty() && (m.points.empty() || m.first_offset < m.base || m.first_offset >= m.end)) {
    return bad("index of a non-empty segment is inconsistent");
  }
  return m;
}

// ---- scanning -----------------------------------------------------------------------------

core::Result<size_t> MemorySource::read(uint64_t offset, void* buf, size_t len) const {
  if (offset >= data_.size()) return size_t{0};
  size_t n = std::min<uint64_t>(len, data_.size() - offset);
  std::memcpy(buf, data_.data() + offset, n);
  return n;
}

core::Result<std::string_view> WindowReader::view(uint64_t pos, size_t len) {
  if (pos >= limit_) return std::string_view();
  len = static_cast<size_t>(std::min<uint64_t>(len, limit_ - pos));
  if (pos >= buf_pos_ && pos + len <= buf_pos_ + buf_.size()) {
    return std::string_view(buf_).substr(pos - buf_pos_, len);
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(len, window_), limit_ - pos));
  buf_.resize(want);
  SF_ASSIGN_OR_RETURN(size_t got, src_.read(pos, buf_.data(), want));
  buf_.resize(got);
  buf_pos_ = pos;
  return std::string_view(buf_).substr(0, std::min(len, got));
}

FrameStatus frameAt(WindowReader& r, uint64_t pos, uint64_t min_offset, FrameHeader& h,
                    std::string_view& frame, std::string* why, core::Error* io_error) {
  auto head = r.view(pos, kFrameHeaderBytes);
  if (!head) {
    if (io_error != nullptr) *io_error = head.error();
    setWhy(why, "read error");
    return FrameStatus::kIncomplete;
  }
  FrameStatus st = parseFrameHeader(*head, h, why);
  if (st != FrameStatus::kOk) return st;
  if (h.length > r.limit() - pos) {
    setWhy(why, "frame extends past the end of the segment");
    return FrameStatus::kIncomplete;
  }
  auto body = r.view(pos, h.length);
  if (!body) {
    if (io_error != nullptr) *io_error = body.error();
    setWhy(why, "read error");
    return FrameStatus::kIncomplete;
  }
  st = checkFrame(*body, h, why);
  if (st != FrameStatus::kOk) return st;
  if (h.base_offset < min_offset) {
    setWhy(why, "frame offsets go backwards");
    return FrameStatus::kCorrupt;
  }
  frame = *body;
  return FrameStatus::kOk;
}

core::Result<std::optional<uint64_t>> findNextFrame(WindowReader& r, uint64_t from,
                                                    uint64_t min_offset) {
  static constexpr char kMagic[4] = {'S', 'F', 'B', '1'};
  uint64_t p = from;
  while (p + kFrameHeaderBytes <= r.limit()) {
    SF_ASSIGN_OR_RETURN(std::string_view v, r.view(p, 1u << 20));
    if (v.size() < 4) break;
    auto i = v.find(std::string_view(kMagic, 4));
    if (i == std::string_view::npos) {
      p += v.size() - 3;
      continue;
    }
    uint64_t cand = p + i;
    FrameHeader h;
    std::string_view frame;
    core::Error io;
    io.code = core::Errc::kInternal;
    FrameStatus st = frameAt(r, cand, min_offset, h, frame, nullptr, &io);
    if (st == FrameStatus::kOk) return std::optional<uint64_t>(cand);
    if (!io.message.empty()) return core::fail(std::move(io));
    p = cand + 1;
  }
  return std::optional<uint64_t>();
}

uint64_t ScanResult::lostOffsets() const {
  uint64_t n = 0;
  for (const auto& c : corrupt) n += c.lost_offsets;
  return n;
}

core::Result<ScanResult> scanSegment(const ByteSource& src, uint64_t size, uint64_t base) {
  ScanResult res;
  res.meta.base = base;
  res.meta.end = base;
  WindowReader r(src, size);
  uint64_t pos = 0;
  uint64_t expected = base;
  while (pos < size) {
    FrameHeader h;
    std::string_view frame;
    std::string why;
    core::Error io;
    FrameStatus st = frameAt(r, pos, expected, h, frame, &why, &io);
    if (!io.message.empty()) return core::fail(std::move(io));
    if (st == FrameStatus::kOk) {
      res.meta.addFrame(pos, h, frame);
      expected = h.endOffset();
      pos += h.length;
      continue;
    }
    SF_ASSIGN_OR_RETURN(auto next, findNextFrame(r, pos + 1, expected));
    if (next) {
      FrameHeader nh;
      std::string_view nf;
      (void)frameAt(r, *next, expected, nh, nf, nullptr, nullptr);
      CorruptRange c;
      c.position = pos;
      c.end = *next;
      c.first_lost_offset = expected;
      c.lost_offsets = nh.base_offset - expected;
      c.why = why;
      res.corrupt.push_back(std::move(c));
      pos = *next;
      continue;
    }
    // Nothing valid follows: a torn tail. Count the records its frame headers announce.
    res.tail_position = pos;
    res.tail_bytes = size - pos;
    res.tail_why = why;
    uint64_t p = pos;
    while (p < size) {
      auto head = r.view(p, kFrameHeaderBytes);
      if (!head) break;
      FrameHeader th;
      if (parseFrameHeader(*head, th) != FrameStatus::kOk) break;
      if (th.count > th.length / kEntryHeaderBytes) break;
      res.tail_records += th.count;
      p += th.length;
    }
    return res;
  }
  res.tail_position = size;
  return res;
}

}  // namespace sf::log
