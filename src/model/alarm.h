#pragma once
// Alarm vocabulary: conditions, ISA-18.2 states, the transitions between them and severity bands.
// Pure functions and enums; the alarm engine (dataplane/pipeline) owns the state per alarm.
//
// Enum numbering is part of the binary log format: never renumber, only append.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace sf::model {

// What the alarm watches.
enum class AlarmCondition : uint8_t {
  kHi = 0,
  kHiHi = 1,
  kLo = 2,
  kLoLo = 3,
  kDiscrete = 4,      // a boolean or state value equals its alarm value
  kRateOfChange = 5,  // |dv/dt| above a limit
  kCustom = 6,        // anything else (copilot findings, plugins); alarm_id names it
};
inline constexpr int kAlarmConditionCount = 7;

// ISA-18.2 alarm states. Shelved and suppressed are flags beside the state, not states: a
// shelved alarm still has a process state (active or not) that the console shows on unshelve.
enum class AlarmState : uint8_t {
  kNormal = 0,         // inactive, acknowledged
  kActiveUnacked = 1,  // in alarm, not yet acknowledged
  kActiveAcked = 2,    // in alarm, acknowledged
  kRtnUnacked = 3,     // returned to normal before anyone acknowledged it
};
inline constexpr int kAlarmStateCount = 4;

// What produced the record. Every alarm record is one transition.
enum class AlarmTransition : uint8_t {
  kActivate = 0,        // the condition became true
  kAcknowledge = 1,     // an operator acknowledged
  kReturnToNormal = 2,  // the condition became false
  kShelve = 3,          // an operator shelved it (flag set, state unchanged)
  kUnshelve = 4,
  kSuppress = 5,  // suppressed by design or taken out of service (flag set, state unchanged)
  kUnsuppress = 6,
  kRefresh = 7,  // the current state re-announced unchanged (e.g. after a gateway restart)
};
inline constexpr int kAlarmTransitionCount = 8;

// Severity is 1..1000 (as OPC UA A&C); bands name ranges of 250.
inline constexpr uint16_t kMinSeverity = 1;
inline constexpr uint16_t kMaxSeverity = 1000;

enum class SeverityBand : uint8_t {
  kLow = 0,       // 1..250
  kMedium = 1,    // 251..500
  kHigh = 2,      // 501..750
  kCritical = 3,  // 751..1000
};
inline constexpr int kSeverityBandCount = 4;

// "hi", "hihi", "lo", "lolo", "discrete", "rate_of_change", "custom".
std::string_view alarmConditionName(AlarmCondition c);
core::Result<AlarmCondition> parseAlarmCondition(std::string_view name);

// "normal", "active_unacked", "active_acked", "rtn_unacked".
std::string_view alarmStateName(AlarmState s);
core::Result<AlarmState> parseAlarmState(std::string_view name);

// "activate", "acknowledge", "return_to_normal", "shelve", "unshelve", "suppress", "unsuppress",
// "refresh".
std::string_view alarmTransitionName(AlarmTransition t);
core::Result<AlarmTransition> parseAlarmTransition(std::string_view name);

// "low", "medium", "high", "critical".
std::string_view severityBandName(SeverityBand b);
core::Result<SeverityBand> parseSeverityBand(std::string_view name);

bool isValidSeverity(int severity);
// The band of a severity; severities outside 1..1000 are clamped into it first.
SeverityBand severityBand(int severity);
// Inclusive [first, last] severities of a band.
std::pair<uint16_t, uint16_t> severityBandRange(SeverityBand b);

inline bool isActive(AlarmState s) {
  return s == AlarmState::kActiveUnacked || s == AlarmState::kActiveAcked;
}
inline bool isUnacked(AlarmState s) {
  return s == AlarmState::kActiveUnacked || s == AlarmState::kRtnUnacked;
}

// The ISA-18.2 state machine. Returns the state after `t`, or nullopt when `t` does not apply in
// `from` (acknowledging an acknowledged alarm, activating an active one). Flag transitions
// (shelve, suppress, ...) and refresh keep the state.
//   normal         --activate-->         active_unacked
//   active_unacked --acknowledge-->      active_acked
//   active_unacked --return_to_normal--> rtn_unacked
//   active_acked   --return_to_normal--> normal
//   rtn_unacked    --acknowledge-->      normal
//   rtn_unacked    --activate-->         active_unacked
std::optional<AlarmState> nextAlarmState(AlarmState from, AlarmTransition t);

}  // namespace sf::model
