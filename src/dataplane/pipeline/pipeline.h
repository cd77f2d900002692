#pragma once
// The per-tag pipeline: a compiled, immutable Pipeline (tag -> program) and the mutable
// PipelineState that runs readings through it (scale, clamp, deadband / report-by-exception,
// heartbeat, class, event state maps, the ISA-18.2 alarm engine).
//
// Ownership and threads:
//   - Pipeline is immutable once compiled and shared (std::shared_ptr<const Pipeline>) between
//     the config applier, which compiles the next one on its own executor, and the state that
//     runs it. Thread-safe to read.
//   - PipelineState is NOT thread-safe. One strand (or thread) owns an instance and makes every
//     call on it: process(), tick(), swap(), the operator actions and snapshot()/restore(). The
//     runtime posts API requests (acknowledge, shelve, ...) to that strand. Several states may
//     run side by side (e.g. one per adapter strand), each over its own part of the tags;
//     alarm ids start with the device so an action can be routed to the state owning it.
//   - Reconfiguration: the runtime compiles the new Pipeline off the strand, then posts
//     swap(next) to it; the swap is atomic with respect to readings. Unchanged tags keep their
//     state; docs/PIPELINE.md says what a changed tag keeps.
//
// Time: every call takes `now_ns`, Unix nanoseconds from the runtime's core::Clock (a
// ManualClock in tests). Delays, heartbeats and shelving expiry compare against it; a clock that
// steps backwards restarts pending delays rather than firing them early.
//
// Every output is a model::Record appended to `out`; nothing is dropped silently (counted in
// stats()). docs/ALARMS.md documents the alarm engine, docs/PIPELINE.md the rest.

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"
#include "dataplane/pipeline/snapshot.h"
#include "dataplane/pipeline/tag_config.h"
#include "dataplane/pipeline/transform.h"
#include "model/record.h"

namespace sf::pipeline {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Why an alarm is suppressed: a bit per source (AlarmInfo::suppressed is "any bit set"). Alarm
// records carry the names in the attribute "suppressed_by" ("config,device").
enum SuppressedBy : uint8_t {
  kSuppressedByConfig = 1,     // the tag's `suppressed: true` (out of service by design)
  kSuppressedByDevice = 2,     // setDeviceSuppressed() (e.g. device in maintenance)
  kSuppressedByTag = 4,        // setTagSuppressed()
  kSuppressedByCondition = 8,  // the tag's suppress_when matches
};
std::string suppressedByText(uint8_t mask);  // "config,device"
uint8_t parseSuppressedBy(std::string_view text);

// Attribute keys of the records the pipeline makes.
inline constexpr std::string_view kAttrHeartbeat = "heartbeat";  // "true" on tick() heartbeats
inline constexpr std::string_view kAttrReason = "reason";        // an operator's "why"
inline constexpr std::string_view kAttrShelvedUntil = "shelved_until_ns";
inline constexpr std::string_view kAttrSuppressedBy = "suppressed_by";
inline constexpr std::string_view kAttrRemoved = "removed";  // "true": alarm left the config

// What the engine reads of one alarm rule for every reading: 48 bytes, contiguous per tag, so
// a tag's rules share a cache line or two. The id and the rule as configured are kept apart
// (TagProgram::alarm_ids, TagProgram::config.alarms) for records and reconfiguration.
struct AlarmProgram {
  model::AlarmCondition condition = model::AlarmCondition::kHi;
  RateDirection direction = RateDirection::kBoth;
  double limit = 0;
  double deadband = 0;
  int64_t on_delay_ns = 0;
  int64_t off_delay_ns = 0;
  int64_t window_ns = 0;
};

// One tag's compiled program: the hot fields first, the configuration as given last.
struct TagProgram {
  LinearTransform transform;
  double deadband_abs = 0;  // the deadband in engineering units (percent resolved)
  int64_t max_silence_ns = 0;
  TagClass cls = TagClass::kTelemetry;
  DeadbandMode deadband_mode = DeadbandMode::kNone;
  bool identity = true;  // transform.isIdentity()
  std::string unit;
  std::vector<AlarmProgram> alarms;
  std::vector<uint32_t> dependents;         // the tags whose alarms our value suppresses
  std::optional<uint32_t> suppress_source;  // the tag whose value suppresses our alarms
  std::string key;                          // "<device>/<tag>"
  std::vector<std::string> alarm_ids;       // "<device>/<tag>/<name>", parallel to alarms
  std::vector<std::pair<std::string, std::string>> states;  // sorted by value text
  TagPipelineConfig config;

  // The state name of a value text: mapped, or the text itself.
  std::string_view stateName(std::string_view text) const;
  const AlarmRuleConfig& rule(size_t ai) const { return config.alarms[ai]; }
};

class Pipeline {
 public:
  struct AlarmRef {
    uint32_t tag;
    uint32_t alarm;
  };

  // Validates (tag_config.h validate()) and compiles. kInvalidConfig lists every problem.
  static core::Result<std::shared_ptr<const Pipeline>> compile(PipelineConfig config);

  const std::string& site() const { return site_; }
  const std::string& gateway() const { return gateway_; }
  std::chrono::nanoseconds maxShelve() const { return max_shelve_; }

  size_t size() const { return tags_.size(); }
  const TagProgram& tag(uint32_t i) const { return tags_[i]; }
  std::optional<uint32_t> find(std::string_view device, std::string_view tag) const;
  std::optional<AlarmRef> findAlarm(std::string_view alarm_id) const;

 private:
  // Open addressing over a power-of-two table (load <= 1/2): a lookup is one probe into
  // `slots_` and one key comparison in the contiguous `keys_`, with no division and no node
  // chasing (the data plane looks up every reading).
  struct Slot {
    uint32_t hash = 0;  // high bits of the key's hash
    uint32_t index = kEmptySlot;
  };
  struct Key {
    std::string device;
    std::string tag;
  };
  static constexpr uint32_t kEmptySlot = 0xffffffffu;
  static uint64_t hashKey(std::string_view device, std::string_view tag);
  void insertKey(uint32_t index);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::string site_;
  std::string gateway_;
  std::chrono::nanoseconds max_shelve_{0};
  std::vector<TagProgram> tags_;
  std::vector<Key> keys_;  // parallel to tags_
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  std::unordered_map<std::string, AlarmRef, StringHash, std::equal_to<>> alarms_;
};

// Counters of one PipelineState (monotonic since construction).
struct PipelineStats {
  uint64_t records_in = 0;
  uint64_t telemetry_out = 0;     // readings reported (includes heartbeats)
  uint64_t heartbeats = 0;        // tick() heartbeats of silent tags
  uint64_t deadband_dropped = 0;  // readings held back by the deadband (report-by-exception)
  uint64_t events_out = 0;
  uint64_t logs_out = 0;
  uint64_t alarm_transitions = 0;
  uint64_t passthrough = 0;  // records of unconfigured tags or non-telemetry classes
  uint64_t bad_quality = 0;  // readings of bad quality (alarms and events hold on them)
};

// What the console and the API show of one alarm.
struct AlarmStatus {
  std::string id;
  std::string device;
  std::string tag;
  model::AlarmCondition condition = model::AlarmCondition::kHi;
  uint16_t severity = 0;
  model::AlarmState state = model::AlarmState::kNormal;
  bool shelved = false;
  int64_t shelved_until_ns = 0;
  uint8_t suppressed_by = 0;
  std::optional<double> limit;
  std::string message;
  model::Value value;  // the last reading of the tag
  int64_t last_change_ns = 0;
  bool suppressed() const { return suppressed_by != 0; }
};

struct SwapReport {
  size_t kept = 0;     // identical config: state kept as it was
  size_t changed = 0;  // config changed: state carried over where it still means the same
  size_t added = 0;
  size_t removed = 0;
};

struct RestoreReport {
  size_t alarms_applied = 0;
  size_t alarms_unknown = 0;  // ids no longer in the pipeline (ignored)
  size_t events_applied = 0;
};

class PipelineState {
 public:
  explicit PipelineState(std::shared_ptr<const Pipeline> pipeline);

  const std::shared_ptr<const Pipeline>& pipeline() const { return pipeline_; }

  // Runs one record through its tag's program, appending 0..n records to `out`: the reading
  // (telemetry class, when it passes the deadband), an event (event class, on a state change)
  // or a log (log class), then the alarm transitions it caused. Records of other classes and
  // of tags without a program pass through unchanged.
  void process(model::Record&& in, int64_t now_ns, std::vector<model::Record>& out);
  void process(const model::Record& in, int64_t now_ns, std::vector<model::Record>& out);

  // Time-driven work: on/off delays that ran out, shelving that expired, heartbeats of tags
  // silent for max_silence. Call at least every nextDeadline().
  void tick(int64_t now_ns, std::vector<model::Record>& out);
  // The earliest time tick() has something to do (kNever when nothing is pending). O(tags).
  int64_t nextDeadline() const;

  // Replaces the pipeline. Unchanged tags keep their state; changed tags carry over what still
  // means the same (docs/PIPELINE.md); alarms that leave the config while not normal (or
  // shelved) get a last record (kSuppress, attribute removed=true) so consoles clear them.
  SwapReport swap(std::shared_ptr<const Pipeline> next, int64_t now_ns,
                  std::vector<model::Record>& out);

  // Operator actions (the API posts them to the owning strand). `who` is required. Each
  // transition is a record with actor = who and attribute reason = why.
  // acknowledge: false (no record) when the alarm is not unacknowledged; kNotFound if unknown.
  core::Result<bool> acknowledge(std::string_view alarm_id, std::string_view who,
                                 std::string_view why, int64_t now_ns,
                                 std::vector<model::Record>& out);
  // Shelves for `duration` (0 < duration <= max_shelve, else kInvalidData); shelving a shelved
  // alarm sets the new expiry and is recorded again.
  core::Status shelve(std::string_view alarm_id, std::chrono::nanoseconds duration,
                      std::string_view who, std::string_view why, int64_t now_ns,
                      std::vector<model::Record>& out);
  // false (no record) when it was not shelved.
  core::Result<bool> unshelve(std::string_view alarm_id, std::string_view who, std::string_view why,
                              int64_t now_ns, std::vector<model::Record>& out);
  // Suppression by design of every alarm of a device (e.g. maintenance) or of one tag.
  core::Status setDeviceSuppressed(std::string_view device, bool suppressed, std::string_view who,
                                   std::string_view why, int64_t now_ns,
                                   std::vector<model::Record>& out);
  core::Status setTagSuppressed(std::string_view device, std::string_view tag, bool suppressed,
                                std::string_view who, std::string_view why, int64_t now_ns,
                                std::vector<model::Record>& out);

  // Re-announces (transition kRefresh) every alarm that is not normal, shelved or suppressed;
  // `all` announces every alarm. For a console after a restart.
  void refresh(int64_t now_ns, std::vector<model::Record>& out, bool all = false);

  std::vector<AlarmStatus> alarms(bool only_not_normal = false) const;
  std::optional<AlarmStatus> alarm(std::string_view alarm_id) const;

  // Persistence. snapshot() captures alarm states, shelving, suppression and event states;
  // restore() applies one to a fresh state (ids no longer configured are ignored). replay()
  // applies one record read back from the log (alarm transitions and events; others ignored);
  // replaying a stream in log order rebuilds the same state. Both leave pending delays and
  // rate windows empty: the next readings re-evaluate them.
  StateSnapshot snapshot(int64_t now_ns) const;
  RestoreReport restore(const StateSnapshot& snapshot);
  bool replay(const model::Record& record);

  const PipelineStats& stats() const { return stats_; }
  // Adds the counters' growth since the last call to `registry` (sf_pipeline_* with labels
  // {type="pipeline", instance}) and sets the alarm gauges. Call from the owning strand.
  void publishMetrics(core::MetricsRegistry& registry, const std::string& instance);

 private:
  struct RateWindow {
    std::vector<std::pair<int64_t, double>> points;
    size_t head = 0;
    size_t size() const { return points.size() - head; }
    void clear() {
      points.clear();
      head = 0;
    }
  };
  struct AlarmRuntime {
    model::AlarmState state = model::AlarmState::kNormal;
    bool cond = false;               // the condition at the last reading (with hysteresis)
    int64_t pending_since = kNever;  // since when `cond` disagrees with the state
    bool shelved = false;
    int64_t shelved_until_ns = 0;
    uint8_t suppressed_by = 0;  // as last recorded
    int64_t last_change_ns = 0;
    std::unique_ptr<RateWindow> window;  // rate_of_change only
  };
  struct TagState {
    // Report-by-exception.
    bool has_reported = false;
    model::QualityLevel reported_quality = model::QualityLevel::kGood;
    int64_t last_report_ns = 0;
    model::Value reported;
    std::unique_ptr<model::Record> heartbeat;  // last reported record, when max_silence > 0
    // The last reading (kept for tags with alarms or dependents).
    bool has_value = false;
    model::Value value;
    model::Quality quality;
    int64_t source_ts_ns = 0;
    // Event class.
    bool has_event_state = false;
    std::string event_state;
    // As a suppress_when source: its text and state name (empty until the first good reading).
    bool has_source = false;
    std::string source_text;
    std::string source_state;
    std::vector<AlarmRuntime> alarms;
    bool dirty = false;  // suppression must be reconciled (after restore/replay)
  };
  struct SuppressionInfo {
    std::string actor;
    std::string reason;
    int64_t since_ns = 0;
  };

  TagState freshState(const TagProgram& p) const;
  template <class R>  // const model::Record& or model::Record
  void processImpl(R&& in, int64_t now_ns, std::vector<model::Record>& out);
  bool decideReport(const TagProgram& p, TagState& st, const model::Value& eng,
                    model::QualityLevel level, int64_t source_ts_ns, int64_t now_ns);
  void updateHeartbeat(TagState& st, const model::Record& reported);
  std::optional<model::EventInfo> decideEvent(const TagProgram& p, TagState& st,
                                              const model::Value& eng, model::QualityLevel level);
  std::optional<std::string> decideLog(const TagProgram& p, TagState& st, const model::Value& eng,
                                       int64_t now_ns);
  void updateSource(uint32_t ti, int64_t now_ns, std::vector<model::Record>& out);
  void evaluateAlarms(uint32_t ti, bool bad, int64_t now_ns, std::vector<model::Record>& out);
  std::optional<bool> condition(const TagProgram& p, TagState& st, size_t ai,
                                std::optional<std::string>& text, int64_t now_ns);
  void step(uint32_t ti, size_t ai, int64_t now_ns, int64_t source_ts_ns,
            std::vector<model::Record>& out);
  void transition(uint32_t ti, size_t ai, model::AlarmTransition t, std::string_view actor,
                  std::string_view reason, int64_t source_ts_ns, int64_t now_ns,
                  std::vector<model::Record>& out);
  model::Record alarmRecord(const TagProgram& p, const TagState& st, size_t ai,
                            model::AlarmTransition t, std::string_view actor,
                            std::string_view reason, int64_t source_ts_ns, int64_t now_ns) const;
  uint8_t suppressionMask(uint32_t ti, size_t ai) const;
  void reconcile(uint32_t ti, std::string_view actor, std::string_view reason, int64_t now_ns,
                 std::vector<model::Record>& out);
  void emitRemoved(const TagProgram& p, const TagState& st, size_t ai, int64_t now_ns,
                   std::vector<model::Record>& out);
  AlarmStatus status(uint32_t ti, size_t ai) const;
  core::Result<Pipeline::AlarmRef> lookup(std::string_view alarm_id, std::string_view who) const;

  std::shared_ptr<const Pipeline> pipeline_;
  std::vector<TagState> tags_;  // parallel to pipeline_->tag(i)
  std::map<std::string, SuppressionInfo, std::less<>> suppressed_devices_;
  std::map<std::string, SuppressionInfo, std::less<>> suppressed_tags_;  // by "<device>/<tag>"
  PipelineStats stats_;
  PipelineStats published_;
};

}  // namespace sf::pipeline
