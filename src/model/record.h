#pragma once
// Record: the one canonical record of StreamForge, for its four classes (telemetry, event, alarm,
// log). Adapters and the pipeline make records, the local log stores them (record_codec.h), the
// forwarder sends them to Kafka as canonical JSON (record_json.h), sinks read them back.
// docs/RECORD.md describes every field; schemas/record/ holds the wire schemas.
//
// A Record is a plain value: no locks, owned by whoever holds it, moved along the pipeline.
// Moving is a handful of pointer swaps; a telemetry record with short names (<= 15 chars, kept
// inline by std::string) and a scalar value allocates nothing.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"
#include "model/alarm.h"
#include "model/value.h"

namespace sf::model {

// The `schema` field of canonical JSON: subject and major version (schemas/record/v1/).
inline constexpr std::string_view kRecordSchema = "sf.record/1";

// Numbering is part of the binary log format and equals the index in RecordDetail.
enum class RecordClass : uint8_t { kTelemetry = 0, kEvent = 1, kAlarm = 2, kLog = 3 };
inline constexpr int kRecordClassCount = 4;
// "telemetry", "event", "alarm", "log".
std::string_view recordClassName(RecordClass c);
core::Result<RecordClass> parseRecordClass(std::string_view name);

enum class QualityLevel : uint8_t { kGood = 0, kUncertain = 1, kBad = 2 };
inline constexpr int kQualityLevelCount = 3;
// "good", "uncertain", "bad".
std::string_view qualityLevelName(QualityLevel q);
core::Result<QualityLevel> parseQualityLevel(std::string_view name);

// Quality of a value: the level every consumer understands, plus the protocol's own code (OPC UA
// StatusCode, Modbus exception code, ...; 0 when none) and an optional human text.
struct Quality {
  QualityLevel level = QualityLevel::kGood;
  uint32_t code = 0;
  std::string text;

  static Quality good() { return {}; }
  static Quality uncertain(uint32_t code = 0, std::string text = {}) {
    return {QualityLevel::kUncertain, code, std::move(text)};
  }
  static Quality bad(uint32_t code = 0, std::string text = {}) {
    return {QualityLevel::kBad, code, std::move(text)};
  }
  bool operator==(const Quality&) const = default;
};

enum class LogLevel : uint8_t {
  kTrace = 0,
  kDebug = 1,
  kInfo = 2,
  kWarning = 3,
  kError = 4,
  kCritical = 5,
};
inline constexpr int kLogLevelCount = 6;
// "trace", "debug", "info", "warning", "error", "critical".
std::string_view logLevelName(LogLevel l);
core::Result<LogLevel> parseLogLevel(std::string_view name);

// Attributes: string -> string, kept sorted by key with unique keys, in one vector (no node
// allocations, nothing allocated while empty). Lookups are binary searches; records carry few.
class Attributes {
 public:
  using Entry = std::pair<std::string, std::string>;

  Attributes() = default;
  Attributes(std::initializer_list<Entry> entries);

  // Inserts or replaces.
  void set(std::string key, std::string value);
  // Appends when `key` sorts after every key held (the decoders' O(1) path); false otherwise.
  bool tryAppend(std::string key, std::string value);
  const std::string* find(std::string_view key) const;
  bool erase(std::string_view key);
  void clear() { entries_.clear(); }
  void reserve(size_t n) { entries_.reserve(n); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }
  const std::vector<Entry>& entries() const { return entries_; }

  bool operator==(const Attributes&) const = default;

 private:
  std::vector<Entry> entries_;
};

// Event: something happened, e.g. type "connection", from "connected" to "disconnected".
struct EventInfo {
  std::string type;
  std::string from;
  std::string to;
  bool operator==(const EventInfo&) const = default;
};

// Alarm: one transition of one alarm. The record's value is the process value at the transition.
struct AlarmInfo {
  std::string alarm_id;  // stable per alarm, e.g. "boiler1.temp.hihi"
  AlarmCondition condition = AlarmCondition::kHi;
  uint16_t severity = 500;                 // 1..1000, see severityBand()
  AlarmState state = AlarmState::kNormal;  // the state after `transition`
  bool shelved = false;
  bool suppressed = false;
  AlarmTransition transition = AlarmTransition::kActivate;
  std::optional<double> limit;  // the configured limit that was crossed, when there is one
  std::string message;          // operator text, e.g. "Boiler 1 temperature very high"
  std::string actor;            // who acknowledged, shelved, ...; empty for the engine itself

  friend bool operator==(const AlarmInfo& a, const AlarmInfo& b);
};

// Log: an operational message of the gateway (or a device log line).
struct LogInfo {
  LogLevel level = LogLevel::kInfo;
  std::string message;
  std::string origin;  // the component that wrote it, e.g. "dataplane.log.quota"
  bool operator==(const LogInfo&) const = default;
};

// The class-specific part; its index is the RecordClass, so the two cannot disagree.
using RecordDetail = std::variant<std::monostate, EventInfo, AlarmInfo, LogInfo>;

struct Record {
  // Where it comes from.
  std::string site;
  std::string gateway;             // must not contain '/'
  std::string stream;              // the local-log stream it was appended to; must not contain '/'
  std::optional<uint64_t> offset;  // assigned by the local log on append; < 2^63
  std::string adapter;
  std::string device;
  std::string tag;

  // Nanoseconds since the Unix epoch (UTC). source_ts_ns: when the device says the value was
  // measured, or when the gateway read it if the device keeps no time. gateway_ts_ns: when the
  // gateway made the record.
  int64_t source_ts_ns = 0;
  int64_t gateway_ts_ns = 0;

  Value value;
  Quality quality;
  std::string unit;  // engineering unit, e.g. "degC"; UCUM or free text
  Attributes attributes;

  RecordDetail detail;  // monostate for telemetry

  RecordClass recordClass() const { return static_cast<RecordClass>(detail.index()); }
  const EventInfo* event() const { return std::get_if<EventInfo>(&detail); }
  EventInfo* event() { return std::get_if<EventInfo>(&detail); }
  const AlarmInfo* alarm() const { return std::get_if<AlarmInfo>(&detail); }
  AlarmInfo* alarm() { return std::get_if<AlarmInfo>(&detail); }
  const LogInfo* log() const { return std::get_if<LogInfo>(&detail); }
  LogInfo* log() { return std::get_if<LogInfo>(&detail); }

  // "<gateway>/<stream>/<offset>", or nullopt before the record is appended to the log.
  std::optional<std::string> id() const;

  bool operator==(const Record&) const = default;
};

// Record ids: "<gateway>/<stream>/<offset>", offset in decimal without leading zeros. Unique per
// record and stable across re-delivery, so sinks deduplicate on it.
struct RecordId {
  std::string gateway;
  std::string stream;
  uint64_t offset = 0;
  bool operator==(const RecordId&) const = default;
};
std::string formatRecordId(std::string_view gateway, std::string_view stream, uint64_t offset);
core::Result<RecordId> parseRecordId(std::string_view id);

// The rules the types cannot express (kInvalidData, naming the field): gateway set and free of
// '/'; stream set and free of '/' when an offset is; offset < 2^63; telemetry has a tag; events a
// type; alarms an alarm_id, a severity in 1..1000 and a finite limit; every string valid UTF-8.
core::Status validate(const Record& record);

bool isValidUtf8(std::string_view s);

}  // namespace sf::model
