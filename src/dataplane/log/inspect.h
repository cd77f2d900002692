#pragma once
// Read-only views of log directories for `streamforge log inspect|verify|dump` and status
// pages. Nothing here writes, locks or repairs: they are safe on the directory of a running
// gateway (the tail of the active segment may then look torn: it is being written).
// Stateless functions; LogReader is not thread-safe (one per caller).

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "dataplane/log/format.h"
#include "dataplane/log/log.h"
#include "dataplane/log/storage.h"

namespace sf::log {

struct SegmentReport {
  std::string name;
  SegmentMeta meta;
  uint64_t file_bytes = 0;
  bool last = false;
  bool index_used = false;   // summary taken from a valid index file (not validated)
  bool index_stale = false;  // an index file exists but does not match the segment
  bool verified = false;     // every frame was read and its CRC checked
  std::vector<CorruptRange> corrupt;
  uint64_t tail_position = 0;
  uint64_t tail_bytes = 0;
  uint64_t tail_records = 0;
  std::string tail_why;
};

struct StreamReport {
  std::string dir;
  std::string stream;  // the directory's base name
  uint64_t start_offset = 0;
  uint64_t end_offset = 0;
  uint64_t size_bytes = 0;
  std::array<uint64_t, kEntryClassCount> records{};
  int64_t min_ts = 0;  // 0 when empty
  int64_t max_ts = 0;
  std::vector<SegmentReport> segments;
  std::map<std::string, uint64_t> cursors;
  std::vector<std::string> unreadable_cursors;
  std::vector<std::string> quarantined;  // *.quarantine files (kept for forensics)
  std::vector<std::string> leftovers;    // interrupted writes removed at the next open

  // Corruption that loses records (middle of a segment, or a damaged sealed segment).
  bool corrupt() const;
  // The last segment ends in an incomplete frame (a crash, or a write in progress).
  bool tornTail() const;
};

// `dir` itself when it holds segment files, else its sub-directories that do (sorted).
core::Result<std::vector<std::string>> findStreams(Storage& storage, const std::string& dir);

// Summarises one stream directory. verify: reads every frame and checks its CRC instead of
// trusting the index files of sealed segments.
core::Result<StreamReport> inspectStream(Storage& storage, const std::string& dir, bool verify);

// Reads entries of a stream directory without opening it as a Log (no recovery, no lock).
class LogReader {
 public:
  static core::Result<LogReader> open(std::shared_ptr<Storage> storage, const std::string& dir);

  // Calls `f` for each readable entry with offset >= from (and class == *cls if given) in
  // offset order until it returns false. Corrupt frames are skipped and reported to
  // `on_corrupt` (segment name, position, why).
  core::Status scan(uint64_t from, std::optional<EntryClass> cls,
                    const std::function<bool(const StoredEntry&)>& f,
                    const std::function<void(const std::string&, uint64_t, const std::string&)>&
                        on_corrupt = nullptr) const;

 private:
  struct Seg {
    uint64_t base;
    std::string path;
    std::optional<SegmentMeta> index;
  };
  std::shared_ptr<Storage> storage_;
  std::string dir_;
  std::vector<Seg> segments_;
};

}  // namespace sf::log
