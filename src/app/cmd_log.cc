// `streamforge log inspect|verify|dump DIR`: read-only views of local log directories
// (docs/LOG.md). Never writes, locks or repairs: safe on the directory of a running gateway.
// DIR is a stream directory (it holds *.seg files) or a directory of them (one per stream).

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "app/command_util.h"
#include "dataplane/log/format.h"
#include "dataplane/log/inspect.h"
#include "dataplane/log/storage.h"
#include "model/base64.h"
#include "model/record_codec.h"
#include "model/record_json.h"

namespace sf::app {
namespace {

constexpr const char* kSummary = "Inspect, verify and dump a local log directory";

int usage(const std::string& message) {
  std::fprintf(stderr, "streamforge log: %s\n", message.c_str());
  return kExitUsage;
}

bool parseU64(const std::string& text, uint64_t& out) {
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && e == std::errc() && p == text.data() + text.size();
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string timeText(int64_t ns) {
  if (ns == 0) return "-";
  std::string out;
  model::appendRfc3339(ns, out);
  return out;
}

std::string bytesText(uint64_t b) {
  char buf[32];
  if (b < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  } else if (b < (1u << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  } else if (b < (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1 << 30));
  }
  return buf;
}

uint64_t totalRecords(const std::array<uint64_t, 4>& r) { return r[0] + r[1] + r[2] + r[3]; }

std::string classCounts(const std::array<uint64_t, 4>& r) {
  std::string out;
  for (size_t c = 0; c < r.size(); ++c) {
    if (!out.empty()) out += ", ";
    out += std::string(log::entryClassName(static_cast<log::EntryClass>(c))) + " " +
           std::to_string(r[c]);
  }
  return out;
}

uint64_t lagOf(const log::StreamReport& rep, uint64_t cursor) {
  uint64_t from = std::max(cursor, rep.start_offset);
  return rep.end_offset > from ? rep.end_offset - from : 0;
}

// Resolves DIR to its streams; prints the error and returns the exit code on failure.
std::optional<int> streamsOf(log::Storage& storage, const std::string& dir,
                             std::vector<std::string>& out) {
  if (!storage.exists(dir)) return usage(dir + ": no such directory");
  auto streams = log::findStreams(storage, dir);
  if (!streams) {
    std::fprintf(stderr, "streamforge log: %s\n", streams.error().toString().c_str());
    return kExitFailure;
  }
  if (streams->empty()) {
    std::fprintf(stderr, "streamforge log: no log segments in %s or its sub-directories\n",
                 dir.c_str());
    return kExitFailure;
  }
  out = std::move(*streams);
  return std::nullopt;
}

std::string reportJson(const log::StreamReport& rep) {
  std::string o = "{\"stream\":";
  appendJsonString(o, rep.stream);
  o += ",\"dir\":";
  appendJsonString(o, rep.dir);
  o += ",\"start_offset\":" + std::to_string(rep.start_offset) +
       ",\"end_offset\":" + std::to_string(rep.end_offset) +
       ",\"size_bytes\":" + std::to_string(rep.size_bytes) +
       ",\"records\":" + std::to_string(totalRecords(rep.records)) + ",\"records_by_class\":{";
  for (size_t c = 0; c < rep.records.size(); ++c) {
    if (c > 0) o += ',';
    appendJsonString(o, log::entryClassName(static_cast<log::EntryClass>(c)));
    o += ":" + std::to_string(rep.records[c]);
  }
  o += "},\"min_ts_ns\":" + std::to_string(rep.min_ts) +
       ",\"max_ts_ns\":" + std::to_string(rep.max_ts) + ",\"segments\":[";
  for (size_t i = 0; i < rep.segments.size(); ++i) {
    const auto& s = rep.segments[i];
    if (i > 0) o += ',';
    o += "{\"name\":";
    appendJsonString(o, s.name);
    o += ",\"base_offset\":" + std::to_string(s.meta.base) +
         ",\"end_offset\":" + std::to_string(s.meta.end) +
         ",\"bytes\":" + std::to_string(s.file_bytes) +
         ",\"records\":" + std::to_string(s.meta.totalRecords()) + ",\"index\":" +
         (s.index_used    ? "\"used\""
          : s.index_stale ? "\"stale\""
                          : "\"none\"") +
         ",\"corrupt_ranges\":" + std::to_string(s.corrupt.size()) +
         ",\"torn_tail_bytes\":" + std::to_string(s.tail_bytes) + "}";
  }
  o += "],\"cursors\":[";
  bool first = true;
  for (const auto& [name, c] : rep.cursors) {
    if (!first) o += ',';
    first = false;
    o += "{\"output\":";
    appendJsonString(o, name);
    o += ",\"next_offset\":" + std::to_string(c) +
         ",\"lag_records\":" + std::to_string(lagOf(rep, c)) + "}";
  }
  o += "],\"unreadable_cursors\":[";
  for (size_t i = 0; i < rep.unreadable_cursors.size(); ++i) {
    if (i > 0) o += ',';
    appendJsonString(o, rep.unreadable_cursors[i]);
  }
  o += "],\"quarantined\":[";
  for (size_t i = 0; i < rep.quarantined.size(); ++i) {
    if (i > 0) o += ',';
    appendJsonString(o, rep.quarantined[i]);
  }
  o += "]}";
  return o;
}

void printReport(const log::StreamReport& rep) {
  std::printf("stream %s (%s)\n", rep.stream.c_str(), rep.dir.c_str());
  std::printf("  offsets   %llu .. %llu (next %llu)\n",
              static_cast<unsigned long long>(rep.start_offset),
              static_cast<unsigned long long>(rep.end_offset ? rep.end_offset - 1 : 0),
              static_cast<unsigned long long>(rep.end_offset));
  std::printf("  records   %llu (%s)\n", static_cast<unsigned long long>(totalRecords(rep.records)),
              classCounts(rep.records).c_str());
  std::printf("  size      %s in %zu segment(s)\n", bytesText(rep.size_bytes).c_str(),
              rep.segments.size());
  std::printf("  time      %s .. %s\n", timeText(rep.min_ts).c_str(), timeText(rep.max_ts).c_str());
  std::printf("  segments\n");
  for (const auto& s : rep.segments) {
    std::string range = s.meta.end > s.meta.base
                            ? std::to_string(s.meta.base) + ".." + std::to_string(s.meta.end - 1)
                            : "empty";
    std::printf("    %s  offsets %-24s %10s  %llu record(s)  %s%s%s\n", s.name.c_str(),
                range.c_str(), bytesText(s.file_bytes).c_str(),
                static_cast<unsigned long long>(s.meta.totalRecords()),
                s.last          ? "active"
                : s.index_used  ? "index ok"
                : s.index_stale ? "index STALE"
                                : "no index",
                s.corrupt.empty() ? "" : "  CORRUPT", s.tail_bytes ? "  torn tail" : "");
  }
  std::printf("  cursors\n");
  if (rep.cursors.empty()) std::printf("    none\n");
  for (const auto& [name, c] : rep.cursors) {
    std::printf("    %-20s next %llu  lag %llu record(s)\n", name.c_str(),
                static_cast<unsigned long long>(c), static_cast<unsigned long long>(lagOf(rep, c)));
  }
  for (const auto& name : rep.unreadable_cursors) {
    std::printf("    %-20s UNREADABLE (reset to the start at the next open)\n", name.c_str());
  }
  if (!rep.quarantined.empty()) {
    std::printf("  quarantined\n");
    for (const auto& q : rep.quarantined) std::printf("    %s\n", q.c_str());
  }
}

int inspect(const Args& args, const std::string& dir) {
  auto storage = log::posixStorage();
  std::vector<std::string> streams;
  if (auto rc = streamsOf(*storage, dir, streams)) return *rc;
  int rc = kExitOk;
  for (size_t i = 0; i < streams.size(); ++i) {
    auto rep = log::inspectStream(*storage, streams[i], /*verify=*/false);
    if (!rep) {
      std::fprintf(stderr, "streamforge log: %s: %s\n", streams[i].c_str(),
                   rep.error().toString().c_str());
      rc = kExitFailure;
      continue;
    }
    if (args.has("json")) {
      std::printf("%s\n", reportJson(*rep).c_str());
    } else {
      if (i > 0) std::printf("\n");
      printReport(*rep);
    }
  }
  return rc;
}

int verify(const Args& args, const std::string& dir) {
  auto storage = log::posixStorage();
  std::vector<std::string> streams;
  if (auto rc = streamsOf(*storage, dir, streams)) return *rc;
  bool corrupt = false, warned = false;
  for (const auto& stream : streams) {
    auto rep = log::inspectStream(*storage, stream, /*verify=*/true);
    if (!rep) {
      std::printf("ERROR %s: %s\n", stream.c_str(), rep.error().toString().c_str());
      corrupt = true;
      continue;
    }
    uint64_t bytes = 0;
    for (const auto& s : rep->segments) {
      bytes += s.file_bytes;
      std::string where = rep->dir + "/" + s.name;
      for (const auto& c : s.corrupt) {
        corrupt = true;
        std::printf(
            "CORRUPT %s: bytes %llu..%llu: %s; offsets %llu..%llu unreadable (%llu record(s) at "
            "most)\n",
            where.c_str(), static_cast<unsigned long long>(c.position),
            static_cast<unsigned long long>(c.end), c.why.c_str(),
            static_cast<unsigned long long>(c.first_lost_offset),
            static_cast<unsigned long long>(c.first_lost_offset + c.lost_offsets - 1),
            static_cast<unsigned long long>(c.lost_offsets));
      }
      if (s.tail_bytes > 0) {
        if (!s.last) {
          corrupt = true;
          std::printf("CORRUPT %s: sealed segment ends in %llu unreadable byte(s) at %llu: %s\n",
                      where.c_str(), static_cast<unsigned long long>(s.tail_bytes),
                      static_cast<unsigned long long>(s.tail_position), s.tail_why.c_str());
        } else {
          warned = true;
          std::printf(
              "WARNING %s: torn tail of %llu byte(s) at %llu (%llu record(s), never "
              "acknowledged with fsync: batch): a write in progress, or a crash; truncated at "
              "the next open\n",
              where.c_str(), static_cast<unsigned long long>(s.tail_bytes),
              static_cast<unsigned long long>(s.tail_position),
              static_cast<unsigned long long>(s.tail_records));
        }
      }
      if (s.index_stale) {
        warned = true;
        std::printf(
            "WARNING %s: index file does not match the segment (rebuilt at the next "
            "open)\n",
            where.c_str());
      }
    }
    for (const auto& name : rep->unreadable_cursors) {
      corrupt = true;
      std::printf("CORRUPT %s/%s.cursor: unreadable (reset to the start at the next open)\n",
                  rep->dir.c_str(), name.c_str());
    }
    for (const auto& q : rep->quarantined) {
      warned = true;
      std::printf("WARNING %s/%s: quarantined by an earlier recovery (kept for forensics)\n",
                  rep->dir.c_str(), q.c_str());
    }
    std::printf("%s %s: %zu segment(s), %llu record(s), %s checked\n", corrupt ? "FAILED" : "ok",
                rep->dir.c_str(), rep->segments.size(),
                static_cast<unsigned long long>(totalRecords(rep->records)),
                bytesText(bytes).c_str());
  }
  if (corrupt) return kExitFailure;
  if (warned && args.has("strict")) return kExitFailure;
  return kExitOk;
}

std::string rawJson(const log::StoredEntry& e, const std::string* error) {
  std::string o = "{\"offset\":" + std::to_string(e.offset) + ",\"class\":";
  appendJsonString(o, log::entryClassName(e.cls));
  o += ",\"ts_ns\":" + std::to_string(e.ts_ns) + ",\"payload_base64\":\"";
  model::appendBase64(e.payload, o);
  o += "\"";
  if (error != nullptr) {
    o += ",\"decode_error\":";
    appendJsonString(o, *error);
  }
  o += "}";
  return o;
}

int dump(const Args& args, const std::string& dir) {
  auto storage = log::posixStorage();
  std::vector<std::string> streams;
  if (auto rc = streamsOf(*storage, dir, streams)) return *rc;
  if (streams.size() > 1) {
    std::string names;
    for (const auto& s : streams) names += "\n  " + s;
    return usage(dir + " holds " + std::to_string(streams.size()) +
                 " streams; dump one of them:" + names);
  }
  uint64_t from = 0, count = 0;
  if (args.has("from") && !parseU64(args.get("from"), from)) {
    return usage("--from wants an offset, got '" + args.get("from") + "'");
  }
  if (args.has("count") && !parseU64(args.get("count"), count)) {
    return usage("--count wants a number, got '" + args.get("count") + "'");
  }
  std::optional<log::EntryClass> cls;
  if (args.has("class")) {
    cls = log::parseEntryClass(args.get("class"));
    if (!cls) return usage("--class wants telemetry, event, alarm or log");
  }
  std::string stream_name = args.get("stream");
  if (stream_name.empty()) {
    std::string d = streams[0];
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    stream_name = d.substr(d.find_last_of('/') + 1);
  }
  std::string gateway = args.get("gateway");
  bool raw = args.has("raw");
  auto reader = log::LogReader::open(storage, streams[0]);
  if (!reader) {
    std::fprintf(stderr, "streamforge log: %s\n", reader.error().toString().c_str());
    return kExitFailure;
  }
  uint64_t n = 0;
  bool damaged = false;
  std::string line;
  auto st = reader->scan(
      from, cls,
      [&](const log::StoredEntry& e) {
        line.clear();
        if (raw) {
          line = rawJson(e, nullptr);
        } else if (auto rec = model::decodeBinary(e.payload)) {
          rec->offset = e.offset;
          if (rec->stream.empty()) rec->stream = stream_name;
          if (!gateway.empty()) rec->gateway = gateway;
          model::appendJson(*rec, line);
        } else {
          line = rawJson(e, &rec.error().message);
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        return count == 0 || ++n < count;
      },
      [&](const std::string& segment, uint64_t pos, const std::string& why) {
        damaged = true;
        std::fprintf(stderr, "streamforge log: %s/%s: corrupt frame at byte %llu skipped: %s\n",
                     streams[0].c_str(), segment.c_str(), static_cast<unsigned long long>(pos),
                     why.c_str());
      });
  std::fflush(stdout);
  if (!st) {
    std::fprintf(stderr, "streamforge log: %s\n", st.error().toString().c_str());
    return kExitFailure;
  }
  return damaged ? kExitFailure : kExitOk;
}

}  // namespace

int cmdLog(const Argv& argv) {
  Args args("log", kSummary);
  args.positional("ACTION",
                  "inspect (summary per stream), verify (check every CRC), dump "
                  "(entries as JSON lines)");
  args.positional("DIR", "a stream directory, or a directory of stream directories");
  args.flag("json", "inspect: one JSON object per stream");
  args.flag("strict", "verify: a torn tail, stale index or quarantined file also fails");
  args.option("from", "OFFSET", "dump: first offset (default: the first stored)");
  args.option("count", "N", "dump: at most N entries (default: all)");
  args.option("class", "CLASS", "dump: only telemetry, event, alarm or log");
  args.flag("raw", "dump: the stored envelope (offset, class, ts, base64 payload) as is");
  args.option("stream", "NAME", "dump: stream name for record ids (default: the directory name)");
  args.option("gateway", "NAME", "dump: gateway name for record ids (default: the record's)");
  if (auto rc = parseOrExit(args, argv)) return *rc;
  const auto& pos = args.positionals();
  const std::string& action = pos[0];
  const std::string& dir = pos[1];
  if (action == "inspect") return inspect(args, dir);
  if (action == "verify") return verify(args, dir);
  if (action == "dump") return dump(args, dir);
  return usage("unknown action '" + action + "' (want inspect, verify or dump)");
}

}  // namespace sf::app
