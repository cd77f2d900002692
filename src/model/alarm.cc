#include "model/alarm.h"

#include <array>
#include <string>

#include "model/names.h"

namespace sf::model {
namespace {

constexpr std::array<std::string_view, kAlarmConditionCount> kConditionNames = {
    "hi", "hihi", "lo", "lolo", "discrete", "rate_of_change", "custom"};
constexpr std::array<std::string_view, kAlarmStateCount> kStateNames = {
    "normal", "active_unacked", "active_acked", "rtn_unacked"};
constexpr std::array<std::string_view, kAlarmTransitionCount> kTransitionNames = {
    "activate", "acknowledge", "return_to_normal", "shelve",
    "unshelve", "suppress",    "unsuppress",       "refresh"};
constexpr std::array<std::string_view, kSeverityBandCount> kBandNames = {"low", "medium", "high",
                                                                         "critical"};

}  // namespace

std::string_view alarmConditionName(AlarmCondition c) { return detail::nameOf(kConditionNames, c); }
core::Result<AlarmCondition> parseAlarmCondition(std::string_view name) {
  return detail::parseName<AlarmCondition>(kConditionNames, name, "alarm condition");
}

std::string_view alarmStateName(AlarmState s) { return detail::nameOf(kStateNames, s); }
core::Result<AlarmState> parseAlarmState(std::string_view name) {
  return detail::parseName<AlarmState>(kStateNames, name, "alarm state");
}

std::string_view alarmTransitionName(AlarmTransition t) {
  return detail::nameOf(kTransitionNames, t);
}
core::Result<AlarmTransition> parseAlarmTransition(std::string_view name) {
  return detail::parseName<AlarmTransition>(kTransitionNames, name, "alarm transition");
}

std::string_view severityBandName(SeverityBand b) { return detail::nameOf(kBandNames, b); }
core::Result<SeverityBand> parseSeverityBand(std::string_view name) {
  return detail::parseName<SeverityBand>(kBandNames, name, "severity band");
}

bool isValidSeverity(int severity) { return severity >= kMinSeverity && severity <= kMaxSeverity; }

SeverityBand severityBand(int severity) {
  if (severity <= 250) return SeverityBand::kLow;
  if (severity <= 500) return SeverityBand::kMedium;
  if (severity <= 750) return SeverityBand::kHigh;
  return SeverityBand::kCritical;
}

std::pair<uint16_t, uint16_t> severityBandRange(SeverityBand b) {
  auto i = static_cast<uint16_t>(b);
  return {static_cast<uint16_t>(i * 250 + 1), static_cast<uint16_t>((i + 1) * 250)};
}

std::optional<AlarmState> nextAlarmState(AlarmState from, AlarmTransition t) {
  using S = AlarmState;
  switch (t) {
    case AlarmTransition::kActivate:
      if (from == S::kNormal || from == S::kRtnUnacked) return S::kActiveUnacked;
      return std::nullopt;
    case AlarmTransition::kAcknowledge:
      if (from == S::kActiveUnacked) return S::kActiveAcked;
      if (from == S::kRtnUnacked) return S::kNormal;
      return std::nullopt;
    case AlarmTransition::kReturnToNormal:
      if (from == S::kActiveUnacked) return S::kRtnUnacked;
      if (from == S::kActiveAcked) return S::kNormal;
      return std::nullopt;
    case AlarmTransition::kShelve:
    case AlarmTransition::kUnshelve:
    case AlarmTransition::kSuppress:
    case AlarmTransition::kUnsuppress:
    case AlarmTransition::kRefresh:
      return from;
  }
  return std::nullopt;
}

}  // namespace sf::model
