#pragma once
// StateSnapshot: the durable part of a PipelineState (alarm states, shelving, suppression by
// operators, event states), and its JSON form. The runtime writes it (atomically, e.g. on a
// timer and at shutdown) and hands it back to PipelineState::restore() on start; the other way
// back is replaying the alarm and event records of the local log (PipelineState::replay()).
// Plain values; the functions are pure and thread-safe.
//
// JSON (version 1):
//   {"version":1,"taken_at_ns":1700000000000000000,
//    "alarms":[{"id":"boiler1/temp/hi","state":"active_acked","shelved":true,
//               "shelved_until_ns":1700000360000000000,"suppressed_by":["device"],
//               "last_change_ns":1699999990000000000}],
//    "events":[{"device":"pump1","tag":"run","state":"running"}],
//    "suppressions":[{"device":"pump1","tag":"","actor":"ana","reason":"maintenance",
//                     "since_ns":1699999000000000000}]}
// Alarms still in their fresh state (never changed, not shelved or suppressed) are left out.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/alarm.h"

namespace sf::pipeline {

inline constexpr int kSnapshotVersion = 1;

struct AlarmSnapshot {
  std::string id;
  model::AlarmState state = model::AlarmState::kNormal;
  bool shelved = false;
  int64_t shelved_until_ns = 0;
  uint8_t suppressed_by = 0;  // SuppressedBy bits (pipeline.h)
  int64_t last_change_ns = 0;
  bool operator==(const AlarmSnapshot&) const = default;
};

struct EventStateSnapshot {
  std::string device;
  std::string tag;
  std::string state;
  bool operator==(const EventStateSnapshot&) const = default;
};

// An operator's suppression of a device (tag empty) or of one tag.
struct SuppressionSnapshot {
  std::string device;
  std::string tag;
  std::string actor;
  std::string reason;
  int64_t since_ns = 0;
  bool operator==(const SuppressionSnapshot&) const = default;
};

struct StateSnapshot {
  int64_t taken_at_ns = 0;
  std::vector<AlarmSnapshot> alarms;
  std::vector<EventStateSnapshot> events;
  std::vector<SuppressionSnapshot> suppressions;
  bool operator==(const StateSnapshot&) const = default;
};

std::string snapshotToJson(const StateSnapshot& snapshot);
// kInvalidData (naming the field) on malformed input or an unknown version. Never throws.
core::Result<StateSnapshot> parseSnapshot(std::string_view json);

}  // namespace sf::pipeline
