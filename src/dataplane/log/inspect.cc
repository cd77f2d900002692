#include "dataplane/log/inspect.h"

#include <algorithm>

#include "dataplane/log/cursor_store.h"

namespace sf::log {
namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

core::Result<std::vector<uint64_t>> segmentBases(Storage& storage, const std::string& dir) {
  SF_ASSIGN_OR_RETURN(auto names, storage.list(dir));
  std::vector<uint64_t> bases;
  for (const auto& n : names) {
    if (auto b = parseSegmentFileName(n)) bases.push_back(*b);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

std::optional<SegmentMeta> loadIndex(Storage& storage, const std::string& dir, uint64_t base,
                                     uint64_t file_size) {
  auto text = readFile(storage, joinPath(dir, indexFileName(base)));
  if (!text) return std::nullopt;
  auto meta = decodeIndex(*text);
  if (!meta || meta->base != base || meta->size != file_size) return std::nullopt;
  return std::move(*meta);
}

}  // namespace

bool StreamReport::corrupt() const {
  for (const auto& s : segments) {
    if (!s.corrupt.empty() || (!s.last && s.tail_bytes > 0)) return true;
  }
  return !unreadable_cursors.empty();
}

bool StreamReport::tornTail() const { return !segments.empty() && segments.back().tail_bytes > 0; }

core::Result<std::vector<std::string>> findStreams(Storage& storage, const std::string& dir) {
  SF_ASSIGN_OR_RETURN(auto bases, segmentBases(storage, dir));
  if (!bases.empty()) return std::vector<std::string>{dir};
  SF_ASSIGN_OR_RETURN(auto names, storage.list(dir));
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const auto& n : names) {
    std::string child = joinPath(dir, n);
    auto sub = segmentBases(storage, child);  // fails for plain files: skipped
    if (sub && !sub->empty()) out.push_back(child);
  }
  return out;
}

core::Result<StreamReport> inspectStream(Storage& storage, const std::string& dir, bool verify) {
  StreamReport rep;
  rep.dir = dir;
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  rep.stream = trimmed.substr(trimmed.find_last_of('/') + 1);
  SF_ASSIGN_OR_RETURN(auto names, storage.list(dir));
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (endsWith(n, ".quarantine")) rep.quarantined.push_back(n);
    if (endsWith(n, ".tmp") || endsWith(n, ".compact") || endsWith(n, ".salvage")) {
      rep.leftovers.push_back(n);
    }
  }
  CursorStore cursors(storage, dir);
  SF_ASSIGN_OR_RETURN(rep.cursors, cursors.load(&rep.unreadable_cursors));
  SF_ASSIGN_OR_RETURN(auto bases, segmentBases(storage, dir));
  bool have_start = false;
  for (size_t i = 0; i < bases.size(); ++i) {
    SegmentReport s;
    s.name = segmentFileName(bases[i]);
    s.last = i + 1 == bases.size();
    std::string path = joinPath(dir, s.name);
    SF_ASSIGN_OR_RETURN(auto file, storage.open(path, OpenMode::kRead));
    SF_ASSIGN_OR_RETURN(s.file_bytes, file->size());
    std::optional<SegmentMeta> index = loadIndex(storage, dir, bases[i], s.file_bytes);
    s.index_stale = !index && storage.exists(joinPath(dir, indexFileName(bases[i])));
    if (index && !verify && !s.last) {
      s.meta = std::move(*index);
      s.index_used = true;
      s.tail_position = s.file_bytes;
    } else {
      SF_ASSIGN_OR_RETURN(auto scan, scanSegment(FileSource(*file), s.file_bytes, bases[i]));
      if (index) {
        // The index must describe exactly what the scan found.
        s.index_stale = index->end != scan.meta.end || index->records != scan.meta.records ||
                        index->first_offset != scan.meta.first_offset;
      }
      s.meta = std::move(scan.meta);
      s.verified = true;
      s.corrupt = std::move(scan.corrupt);
      s.tail_position = scan.tail_position;
      s.tail_bytes = scan.tail_bytes;
      s.tail_records = scan.tail_records;
      s.tail_why = std::move(scan.tail_why);
    }
    rep.size_bytes += s.file_bytes;
    for (size_t c = 0; c < kEntryClassCount; ++c) rep.records[c] += s.meta.records[c];
    if (!s.meta.empty()) {
      if (!have_start) {
        rep.start_offset = s.meta.first_offset;
        have_start = true;
      }
      rep.min_ts = rep.min_ts == 0 ? s.meta.min_ts : std::min(rep.min_ts, s.meta.min_ts);
      rep.max_ts = std::max(rep.max_ts, s.meta.max_ts);
    }
    rep.end_offset = std::max(s.meta.end, bases[i]);
    rep.segments.push_back(std::move(s));
  }
  if (!have_start) rep.start_offset = rep.end_offset;
  return rep;
}

core::Result<LogReader> LogReader::open(std::shared_ptr<Storage> storage, const std::string& dir) {
  LogReader r;
  r.storage_ = std::move(storage);
  r.dir_ = dir;
  SF_ASSIGN_OR_RETURN(auto bases, segmentBases(*r.storage_, dir));
  for (size_t i = 0; i < bases.size(); ++i) {
    Seg s{bases[i], joinPath(dir, segmentFileName(bases[i])), std::nullopt};
    auto size = r.storage_->fileSize(s.path);
    if (size && i + 1 < bases.size()) s.index = loadIndex(*r.storage_, dir, bases[i], *size);
    r.segments_.push_back(std::move(s));
  }
  return r;
}

core::Status LogReader::scan(
    uint64_t from, std::optional<EntryClass> cls, const std::function<bool(const StoredEntry&)>& f,
    const std::function<void(const std::string&, uint64_t, const std::string&)>& on_corrupt) const {
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Seg& s = segments_[i];
    if (i + 1 < segments_.size() && segments_[i + 1].base <= from) continue;
    SF_ASSIGN_OR_RETURN(auto file, storage_->open(s.path, OpenMode::kRead));
    SF_ASSIGN_OR_RETURN(uint64_t size, file->size());
    if (s.index && s.index->end <= from) continue;
    uint64_t pos = s.index ? s.index->seek(from) : 0;
    FileSource src(*file);
    WindowReader r(src, size);
    uint64_t expected = 0;
    while (pos < size) {
      FrameHeader h;
      std::string_view frame;
      std::string why;
      core::Error io;
      FrameStatus st = frameAt(r, pos, expected, h, frame, &why, &io);
      if (!io.message.empty()) return core::fail(std::move(io));
      if (st != FrameStatus::kOk) {
        SF_ASSIGN_OR_RETURN(auto next, findNextFrame(r, pos + 1, expected));
        if (!next) {
          // An incomplete last frame of the active segment is a write in progress (or a torn
          // tail a restart truncates): not reported as corruption.
          if (i + 1 < segments_.size() && on_corrupt) {
            on_corrupt(segmentFileName(s.base), pos, why);
          }
          break;
        }
        if (on_corrupt) on_corrupt(segmentFileName(s.base), pos, why);
        pos = *next;
        continue;
      }
      pos += h.length;
      expected = h.endOffset();
      if (h.endOffset() <= from) continue;
      bool stop = false;
      forEachEntry(h, frame, [&](const EntryView& e) {
        if (stop || e.offset < from || (cls && e.cls != *cls)) return;
        StoredEntry se{e.offset, e.cls, e.ts_ns, std::string(e.payload)};
        if (!f(se)) stop = true;
      });
      if (stop) return core::ok();
    }
  }
  return core::ok();
}

}  // namespace sf::log
