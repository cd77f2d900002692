#pragma once
// Per-tag pipeline configuration: what the pipeline does to each reading of one tag (scale,
// clamp, deadband and report-by-exception, heartbeat, class, event state map, alarm rules).
// Plain values with a pure validate(); Pipeline::compile() turns a validated PipelineConfig into
// the immutable program the data plane runs. docs/PIPELINE.md documents every option.
//
// The options are declared once with the config spec machinery (config/spec.h):
// pipelineConfigSpec() parses YAML/JSON with every error located, gives the JSON Schema and the
// reference docs; tagPipelineSpec() can be nested in a gateway's own config spec. The per-tag
// options are declared in tag_spec.h (declareTagPipelineOptions), which adapters also apply to
// their own tag structs (derived from TagPipelineConfig) so the options sit flat beside the
// protocol's. The specs' cross-field checks and validate() run the same rules (validateTag()).
// Thread-safety: plain values; the functions are pure; the specs are built once (thread-safe
// function-local statics) and only read afterwards.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/spec.h"
#include "core/result.h"
#include "model/alarm.h"
#include "model/record.h"

namespace sf::pipeline {

// The class of the records a tag produces. Alarms are not a tag class: any tag may carry alarm
// rules, and their transitions are records of class `alarm`.
enum class TagClass : uint8_t {
  kTelemetry = 0,  // the engineering value, by exception (deadband) plus heartbeats
  kEvent = 1,      // one event record per change of discrete state (value -> state name)
  kLog = 2,        // the value's text as a log record's message
};
// "telemetry", "event", "log".
std::string_view tagClassName(TagClass c);
core::Result<TagClass> parseTagClass(std::string_view name);

enum class DeadbandMode : uint8_t {
  kNone = 0,      // every reading is reported
  kAbsolute = 1,  // report when |v - last reported| > deadband (engineering units)
  kPercent = 2,   // as absolute, with deadband = percent of the engineering range
};
// "none", "absolute", "percent".
std::string_view deadbandModeName(DeadbandMode m);
core::Result<DeadbandMode> parseDeadbandMode(std::string_view name);

// Which direction of change a rate-of-change alarm watches.
enum class RateDirection : uint8_t { kBoth = 0, kRising = 1, kFalling = 2 };
// "both", "rising", "falling".
std::string_view rateDirectionName(RateDirection d);
core::Result<RateDirection> parseRateDirection(std::string_view name);

// One alarm rule of a tag. The alarm id is "<device>/<tag>/<name>", name defaulting to the
// condition's name ("hi", "hihi", "lo", "lolo", "discrete", "rate_of_change").
struct AlarmRuleConfig {
  model::AlarmCondition condition = model::AlarmCondition::kHi;
  std::string name;  // optional; needed when a tag has two rules with the same condition
  // hi/hihi: active above the limit; lo/lolo: below it; rate_of_change: |rate| (units per
  // second, engineering units) above it. Unused by discrete.
  double limit = 0;
  // Hysteresis (engineering units; units per second for rate_of_change): an active hi alarm
  // returns to normal only below limit - deadband, an active lo alarm only above limit +
  // deadband. Must be 0 for discrete.
  double deadband = 0;
  // The condition must hold continuously this long before the alarm activates (on_delay) or
  // returns to normal (off_delay).
  std::chrono::nanoseconds on_delay{0};
  std::chrono::nanoseconds off_delay{0};
  uint16_t severity = 500;  // 1..1000 (model::severityBand)
  std::string message;      // operator text carried by every transition record
  // discrete: active while the value's text (or its state name from the tag's state map) is
  // one of these, e.g. ["true"], ["3"], ["fault", "trip"].
  std::vector<std::string> values;
  // rate_of_change: the rate is measured over this window (source timestamps).
  std::chrono::nanoseconds window{std::chrono::seconds(1)};
  RateDirection direction = RateDirection::kBoth;

  bool operator==(const AlarmRuleConfig&) const = default;
  // The name used in the alarm id.
  std::string_view idName() const;
};

// Suppression by design: the tag's alarms are suppressed while another tag (e.g. the device's
// maintenance-mode bit, or "pump running" for a low-flow alarm) has one of `values` (its text,
// or its state name when it is an event tag with a state map).
struct SuppressWhen {
  std::string device;
  std::string tag;
  std::vector<std::string> values;
  bool operator==(const SuppressWhen&) const = default;
};

struct TagPipelineConfig {
  // Identity. The pipeline matches readings on (device, tag); device names are unique per
  // gateway and contain no '/'. `adapter` names the records the pipeline makes on its own
  // (heartbeats, operator transitions).
  std::string adapter;
  std::string device;
  std::string tag;

  TagClass cls = TagClass::kTelemetry;
  std::string unit;  // engineering unit set on every record of the tag; empty keeps the input's

  // engineering = raw * scale + offset, then clamped to [clamp_min, clamp_max].
  double scale = 1.0;
  double offset = 0.0;
  std::optional<double> clamp_min;
  std::optional<double> clamp_max;

  DeadbandMode deadband_mode = DeadbandMode::kNone;
  double deadband = 0;  // engineering units (absolute) or percent of the range (percent)
  // The engineering range for a percent deadband; defaults to [clamp_min, clamp_max].
  std::optional<double> range_low;
  std::optional<double> range_high;
  // Report the tag at least this often even when it does not change; 0 = never.
  std::chrono::nanoseconds max_silence{0};

  // Class event: the event type and the value -> state name map (keys are value texts: "0",
  // "1", "true", "RUN"); an unmapped value's state is its text.
  std::string event_type = "state_change";
  std::map<std::string, std::string> states;
  bool emit_initial_event = true;  // an event from "" on the first state ever seen

  // Class log: the level of the log records.
  model::LogLevel log_level = model::LogLevel::kInfo;

  std::vector<AlarmRuleConfig> alarms;
  // Out of service by design: the alarms track state but every record is flagged suppressed.
  bool suppressed = false;
  std::optional<SuppressWhen> suppress_when;

  bool operator==(const TagPipelineConfig&) const = default;
};

// The pipeline of one PipelineState (one gateway, or the part of it one strand owns).
struct PipelineConfig {
  std::string site;
  std::string gateway;
  // The longest an operator may shelve an alarm for (ISA-18.2: shelving is time-limited).
  std::chrono::nanoseconds max_shelve{std::chrono::hours(24)};
  std::vector<TagPipelineConfig> tags;

  bool operator==(const PipelineConfig&) const = default;
};

// Every rule the types cannot express, all problems at once (one per line) as kInvalidConfig,
// each prefixed by its JSON Pointer ("/tags/3/alarms/0/severity: ..."). Pure.
core::Status validate(const PipelineConfig& config);

// The cross-field rules of one tag; `report` gets a pointer relative to the tag ("alarms/0/
// severity", "" for the tag itself) and the reason. Shared by validate() and the specs.
using ProblemSink = std::function<void(std::string_view relative, std::string reason)>;
void validateTag(const TagPipelineConfig& tag, const ProblemSink& report);

// The option declarations (config/spec.h).
const config::Spec<AlarmRuleConfig>& alarmRuleSpec();
const config::Spec<SuppressWhen>& suppressWhenSpec();
const config::Spec<TagPipelineConfig>& tagPipelineSpec();
const config::Spec<PipelineConfig>& pipelineConfigSpec();

// Parses YAML or JSON text / a JSON value with pipelineConfigSpec(): unknown keys, wrong types
// and every rule of validate() are errors (kInvalidConfig, one located problem per line).
core::Result<PipelineConfig> parsePipelineConfig(std::string_view text);
core::Result<PipelineConfig> pipelineConfigFromJson(const nlohmann::json& json);
core::Result<PipelineConfig> pipelineConfigFromJson(const config::Json& json);
// The config as JSON in declaration order; parses back to an equal config.
config::Json renderPipelineConfig(const PipelineConfig& config);

}  // namespace sf::pipeline
