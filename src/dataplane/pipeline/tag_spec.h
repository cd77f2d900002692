#pragma once
// declareTagPipelineOptions(): the ONE declaration of a tag's pipeline options (scale, deadband,
// class, event states, alarms, suppression), for any config struct that derives from
// TagPipelineConfig. Adapters derive their tag structs from it so the pipeline options sit flat
// beside the protocol's own (`{name: flow, address: 100, type: float32, scale: 0.1, ...}`), and
// tagPipelineSpec() uses the same function. Identity (adapter/device/tag) is the caller's: an
// adapter fills it from its own structure (device list, `name`).
// Pure declarations; build once into a function-local static spec.

#include <chrono>
#include <string>

#include "config/spec.h"
#include "dataplane/pipeline/tag_config.h"

namespace sf::pipeline {

config::EnumTable<TagClass> tagClassTable();
config::EnumTable<DeadbandMode> deadbandModeTable();
config::EnumTable<model::LogLevel> logLevelTable();
// The cross-field rules of validateTag() as a spec check.
void checkTag(const TagPipelineConfig& tag, config::Checker& k);

template <class T>
requires std::is_base_of_v<TagPipelineConfig, T>
void declareTagPipelineOptions(config::Spec<T>& s) {
  using namespace std::chrono_literals;
  using B = TagPipelineConfig;
  // A base member as a member of T (implicit base-to-derived member pointer conversion).
  auto m = []<class V>(V B::*member) -> V T::* { return member; };
  s.option("class", m(&B::cls), tagClassTable())
      .doc(
          "The class of the tag's records: telemetry (values by exception), event (a record "
          "per change of state) or log (the value's text as a log message).");
  s.option("unit", m(&B::unit))
      .doc("Engineering unit written on every record of the tag; empty keeps the input's.")
      .example("degC");
  s.option("scale", m(&B::scale)).doc("engineering = raw * scale + offset.").example(0.1);
  s.option("offset", m(&B::offset)).doc("Added after scaling.").example(-40);
  s.option("clamp_min", m(&B::clamp_min))
      .doc("Engineering values below are reported as clamp_min.")
      .example(0);
  s.option("clamp_max", m(&B::clamp_max))
      .doc("Engineering values above are reported as clamp_max.")
      .example(200);
  s.option("deadband_mode", m(&B::deadband_mode), deadbandModeTable())
      .doc(
          "Report-by-exception: none (every reading), absolute (engineering units) or percent "
          "(of the engineering range).");
  s.option("deadband", m(&B::deadband))
      .min(0.0)
      .doc(
          "A reading is reported when it differs from the last reported value by more than "
          "this.")
      .example(0.5);
  s.option("range_low", m(&B::range_low))
      .doc("Low end of the engineering range (percent deadband); defaults to clamp_min.")
      .example(0);
  s.option("range_high", m(&B::range_high))
      .doc("High end of the engineering range (percent deadband); defaults to clamp_max.")
      .example(200);
  s.option("max_silence", m(&B::max_silence))
      .min(0ns)
      .doc(
          "Heartbeat: report the tag at least this often even when it does not change; 0 "
          "turns it off.")
      .example("60s");
  s.option("event_type", m(&B::event_type))
      .doc("class event: the event type.")
      .example("run_state");
  s.option("states", m(&B::states))
      .doc("class event: value text -> state name; an unmapped value's state is its text.")
      .example(config::Json{{"0", "stopped"}, {"1", "running"}, {"2", "fault"}});
  s.option("emit_initial_event", m(&B::emit_initial_event))
      .doc("class event: emit an event (from \"\") for the first state ever seen.");
  s.option("log_level", m(&B::log_level), logLevelTable()).doc("class log: the records' level.");
  s.option("alarms", m(&B::alarms), alarmRuleSpec()).doc("Alarm rules on the engineering value.");
  s.option("suppressed", m(&B::suppressed))
      .doc(
          "Out of service by design: the alarms track state, every record is flagged "
          "suppressed.");
  s.option("suppress_when", m(&B::suppress_when), suppressWhenSpec())
      .doc("Suppression by design driven by another tag (e.g. the device's maintenance bit).");
}

}  // namespace sf::pipeline
