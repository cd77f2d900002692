#include "dataplane/pipeline/tag_config.h"

#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "config/parse.h"
#include "dataplane/pipeline/tag_spec.h"

namespace sf::pipeline {
namespace {

constexpr std::array<std::string_view, 3> kTagClassNames = {"telemetry", "event", "log"};
constexpr std::array<std::string_view, 3> kDeadbandModeNames = {"none", "absolute", "percent"};
constexpr std::array<std::string_view, 3> kDirectionNames = {"both", "rising", "falling"};

template <class E, size_t N>
core::Result<E> parseEnum(const std::array<std::string_view, N>& names, std::string_view name,
                          std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  std::string msg = "unknown " + std::string(what) + " '" + std::string(name) + "' (want one of";
  for (size_t i = 0; i < N; ++i) msg += (i == 0 ? " " : ", ") + std::string(names[i]);
  return core::fail(core::Errc::kInvalidConfig, msg + ")");
}

template <size_t N, class E>
std::string_view enumName(const std::array<std::string_view, N>& names, E e) {
  auto i = static_cast<size_t>(e);
  return i < N ? names[i] : std::string_view("unknown");
}

bool isLimit(model::AlarmCondition c) {
  using C = model::AlarmCondition;
  return c == C::kHi || c == C::kHiHi || c == C::kLo || c == C::kLoLo;
}

std::string num(double v) {
  nlohmann::json j = v;
  return j.dump();
}

}  // namespace

std::string_view tagClassName(TagClass c) { return enumName(kTagClassNames, c); }
core::Result<TagClass> parseTagClass(std::string_view name) {
  return parseEnum<TagClass>(kTagClassNames, name, "tag class");
}
std::string_view deadbandModeName(DeadbandMode m) { return enumName(kDeadbandModeNames, m); }
core::Result<DeadbandMode> parseDeadbandMode(std::string_view name) {
  return parseEnum<DeadbandMode>(kDeadbandModeNames, name, "deadband mode");
}
std::string_view rateDirectionName(RateDirection d) { return enumName(kDirectionNames, d); }
core::Result<RateDirection> parseRateDirection(std::string_view name) {
  return parseEnum<RateDirection>(kDirectionNames, name, "rate direction");
}

std::string_view AlarmRuleConfig::idName() const {
  return name.empty() ? model::alarmConditionName(condition) : std::string_view(name);
}

// --- validation ---------------------------------------------------------------------------------

void validateTag(const TagPipelineConfig& t, const ProblemSink& bad) {
  if (t.device.empty()) bad("device", "must not be empty");
  if (t.device.find('/') != std::string::npos) bad("device", "must not contain '/'");
  if (t.tag.empty()) bad("tag", "must not be empty");
  if (!std::isfinite(t.scale) || t.scale == 0) bad("scale", "must be finite and not 0");
  if (!std::isfinite(t.offset)) bad("offset", "must be finite");
  if (t.clamp_min && !std::isfinite(*t.clamp_min)) bad("clamp_min", "must be finite");
  if (t.clamp_max && !std::isfinite(*t.clamp_max)) bad("clamp_max", "must be finite");
  if (t.clamp_min && t.clamp_max && *t.clamp_min > *t.clamp_max) {
    bad("clamp_min", "is above clamp_max " + num(*t.clamp_max));
  }
  if (!std::isfinite(t.deadband) || t.deadband < 0) bad("deadband", "must be >= 0");
  if (t.range_low.has_value() != t.range_high.has_value()) {
    bad(t.range_low ? "range_high" : "range_low", "range_low and range_high go together");
  }
  if (t.range_low && t.range_high && !(*t.range_low < *t.range_high)) {
    bad("range_low", "must be below range_high");
  }
  if (t.deadband_mode == DeadbandMode::kPercent) {
    if (t.deadband > 100) bad("deadband", "a percent deadband must be <= 100");
    bool has_range = (t.range_low && t.range_high) || (t.clamp_min && t.clamp_max);
    if (!has_range) {
      bad("deadband_mode",
          "percent needs an engineering range (range_low/range_high or clamp_min/clamp_max)");
    } else if (!(t.range_low && t.range_high) && !(*t.clamp_min < *t.clamp_max)) {
      bad("deadband_mode", "percent needs a non-empty range (clamp_min < clamp_max)");
    }
  }
  if (t.deadband_mode == DeadbandMode::kNone && t.deadband != 0) {
    bad("deadband", "is set but deadband_mode is none");
  }
  if (t.max_silence.count() < 0) bad("max_silence", "must be >= 0");
  if (t.max_silence.count() > 0 && t.cls != TagClass::kTelemetry) {
    bad("max_silence", "heartbeats apply to telemetry tags only");
  }
  if (t.cls == TagClass::kEvent && t.event_type.empty()) bad("event_type", "must not be empty");
  for (const auto& [value, state] : t.states) {
    if (state.empty()) bad(config::appendPointer("states", value), "empty state name");
  }
  std::map<std::string_view, size_t> ids;
  std::optional<double> hi, hihi, lo, lolo;
  for (size_t i = 0; i < t.alarms.size(); ++i) {
    const auto& a = t.alarms[i];
    const std::string ap = "alarms/" + std::to_string(i) + "/";
    auto abad = [&](std::string_view field, const std::string& why) {
      bad(ap + std::string(field), why);
    };
    auto [it, fresh] = ids.emplace(a.idName(), i);
    if (!fresh) {
      abad("name", "alarm id '" + t.device + "/" + t.tag + "/" + std::string(a.idName()) +
                       "' repeats alarms/" + std::to_string(it->second) + " (set a name)");
    }
    if (a.name.find('/') != std::string::npos) abad("name", "must not contain '/'");
    if (!model::isValidSeverity(a.severity)) abad("severity", "must be 1..1000");
    if (!std::isfinite(a.limit)) abad("limit", "must be finite");
    if (!std::isfinite(a.deadband) || a.deadband < 0) abad("deadband", "must be >= 0");
    if (a.on_delay.count() < 0) abad("on_delay", "must be >= 0");
    if (a.off_delay.count() < 0) abad("off_delay", "must be >= 0");
    switch (a.condition) {
      case model::AlarmCondition::kHi:
        hi = a.limit;
        break;
      case model::AlarmCondition::kHiHi:
        hihi = a.limit;
        break;
      case model::AlarmCondition::kLo:
        lo = a.limit;
        break;
      case model::AlarmCondition::kLoLo:
        lolo = a.limit;
        break;
      case model::AlarmCondition::kDiscrete:
        if (a.values.empty()) abad("values", "a discrete alarm needs at least one value");
        if (a.deadband != 0) abad("deadband", "does not apply to a discrete alarm");
        break;
      case model::AlarmCondition::kRateOfChange:
        if (!(a.limit > 0)) abad("limit", "a rate-of-change limit must be > 0 (units/s)");
        if (a.deadband >= a.limit && a.limit > 0) abad("deadband", "must be below the limit");
        if (a.window.count() <= 0) abad("window", "must be > 0");
        break;
      case model::AlarmCondition::kCustom:
        abad("condition", "custom alarms come from components, not from tag rules");
        break;
    }
    if (isLimit(a.condition) && !a.values.empty()) abad("values", "only for discrete alarms");
  }
  if (hi && hihi && *hihi < *hi) bad("alarms", "the hihi limit is below the hi limit");
  if (lo && lolo && *lolo > *lo) bad("alarms", "the lolo limit is above the lo limit");
  if (t.suppress_when) {
    const auto& s = *t.suppress_when;
    if (s.device.empty() || s.tag.empty()) {
      bad("suppress_when", "needs the device and tag whose value suppresses");
    }
    if (s.values.empty()) bad("suppress_when/values", "must not be empty");
    if (s.device == t.device && s.tag == t.tag) {
      bad("suppress_when", "a tag cannot suppress its own alarms");
    }
  }
}

namespace {

// The rules across tags; `report` gets pointers relative to the pipeline ("tags/3").
void validateAcrossTags(const PipelineConfig& config, const ProblemSink& report) {
  if (config.max_shelve.count() <= 0) report("max_shelve", "must be > 0");
  std::map<std::pair<std::string_view, std::string_view>, size_t> seen;
  for (size_t i = 0; i < config.tags.size(); ++i) {
    const auto& t = config.tags[i];
    auto [it, fresh] =
        seen.emplace(std::make_pair(std::string_view(t.device), std::string_view(t.tag)), i);
    if (!fresh) {
      report("tags/" + std::to_string(i), "device/tag '" + t.device + "/" + t.tag +
                                              "' repeats /tags/" + std::to_string(it->second));
    }
  }
  for (size_t i = 0; i < config.tags.size(); ++i) {
    const auto& s = config.tags[i].suppress_when;
    if (s && !s->device.empty() && !seen.count({s->device, s->tag})) {
      report("tags/" + std::to_string(i) + "/suppress_when",
             "tag '" + s->device + "/" + s->tag + "' is not in this pipeline");
    }
  }
}

}  // namespace

core::Status validate(const PipelineConfig& config) {
  std::string msg;
  auto sink = [&](const std::string& prefix) {
    return [&msg, prefix](std::string_view relative, std::string reason) {
      if (!msg.empty()) msg += '\n';
      msg += prefix;
      if (!relative.empty()) {
        msg += '/';
        msg += relative;
      }
      msg += ": ";
      msg += reason;
    };
  };
  for (size_t i = 0; i < config.tags.size(); ++i) {
    validateTag(config.tags[i], sink("/tags/" + std::to_string(i)));
  }
  validateAcrossTags(config, sink(""));
  if (msg.empty()) return core::ok();
  return core::fail(core::Errc::kInvalidConfig, msg);
}

// --- option declarations ----------------------------------------------------------------------

namespace {

using namespace std::chrono_literals;

config::EnumTable<model::AlarmCondition> conditionTable() {
  using C = model::AlarmCondition;
  return {{"hi", C::kHi},     {"hihi", C::kHiHi},         {"lo", C::kLo},
          {"lolo", C::kLoLo}, {"discrete", C::kDiscrete}, {"rate_of_change", C::kRateOfChange}};
}

template <class E, size_t N>
config::EnumTable<E> tableOf(const std::array<std::string_view, N>& names) {
  config::EnumTable<E> t;
  for (size_t i = 0; i < N; ++i) t.emplace_back(std::string(names[i]), static_cast<E>(i));
  return t;
}

void checkWith(const std::function<void(const ProblemSink&)>& rules, config::Checker& k) {
  rules([&k](std::string_view relative, std::string reason) {
    k.error(relative, std::move(reason));
  });
}

}  // namespace

const config::Spec<AlarmRuleConfig>& alarmRuleSpec() {
  static const config::Spec<AlarmRuleConfig> spec = [] {
    using A = AlarmRuleConfig;
    config::Spec<A> s("alarm", "One ISA-18.2 alarm rule of a tag (docs/ALARMS.md).");
    s.option("condition", &A::condition, conditionTable())
        .required()
        .doc(
            "What the alarm watches: limits hi/hihi (above) and lo/lolo (below), discrete "
            "(the value is one of `values`), rate_of_change (|rate| per second above `limit`).")
        .example("hi");
    s.option("name", &A::name)
        .doc(
            "The last part of the alarm id `<device>/<tag>/<name>`; defaults to the condition. "
            "Needed when a tag has two rules with the same condition.")
        .example("hi_trip");
    s.option("limit", &A::limit)
        .doc("The limit in engineering units (units per second for rate_of_change).")
        .example(90);
    s.option("deadband", &A::deadband)
        .min(0.0)
        .doc(
            "Hysteresis: an active hi alarm returns to normal only below limit - deadband, an "
            "active lo alarm only above limit + deadband.")
        .example(2);
    s.option("on_delay", &A::on_delay)
        .min(0ns)
        .doc("The condition must hold this long before the alarm activates.")
        .example("5s");
    s.option("off_delay", &A::off_delay)
        .min(0ns)
        .doc("The condition must stay cleared this long before the alarm returns to normal.")
        .example("30s");
    s.option("severity", &A::severity).range(1, 1000).doc("Severity 1..1000 (OPC UA A&C).");
    s.option("message", &A::message)
        .doc("Operator text carried by every record of the alarm.")
        .example("Boiler 1 temperature high");
    s.option("values", &A::values)
        .doc("discrete: the value texts or state names that are the alarm state.")
        .example(config::Json::array({"fault", "trip"}));
    s.option("window", &A::window)
        .min(1ns)
        .doc("rate_of_change: the rate is measured over this window of source time.")
        .example("10s");
    s.option("direction", &A::direction, tableOf<RateDirection>(kDirectionNames))
        .doc("rate_of_change: which direction of change is watched.");
    return s;
  }();
  return spec;
}

const config::Spec<SuppressWhen>& suppressWhenSpec() {
  static const config::Spec<SuppressWhen> spec = [] {
    config::Spec<SuppressWhen> s(
        "suppress_when",
        "Suppression by design: while another tag has one of `values`, this "
        "tag's alarms are suppressed (tracked, records flagged).");
    s.option("device", &SuppressWhen::device)
        .required()
        .nonEmpty()
        .doc("Device of the tag whose value suppresses.")
        .example("pump1");
    s.option("tag", &SuppressWhen::tag)
        .required()
        .nonEmpty()
        .doc("Tag whose value suppresses.")
        .example("maintenance");
    s.option("values", &SuppressWhen::values)
        .required()
        .nonEmpty()
        .doc("Value texts or state names that suppress.")
        .example(config::Json::array({"true"}));
    return s;
  }();
  return spec;
}

const config::Spec<TagPipelineConfig>& tagPipelineSpec() {
  static const config::Spec<TagPipelineConfig> spec = [] {
    using T = TagPipelineConfig;
    config::Spec<T> s("tag", "What the pipeline does with every reading of one tag.");
    s.option("adapter", &T::adapter)
        .doc("The adapter that reads the tag (set on records the pipeline makes itself).")
        .example("plc1");
    s.option("device", &T::device)
        .required()
        .nonEmpty()
        .doc("The device the tag belongs to; unique per gateway, no '/'.")
        .example("boiler1");
    s.option("tag", &T::tag).required().nonEmpty().doc("The tag name.").example("temp");
    // The pipeline options themselves: the same declaration adapters put on their tags.
    declareTagPipelineOptions(s);
    s.check(checkTag);
    return s;
  }();
  return spec;
}

const config::Spec<PipelineConfig>& pipelineConfigSpec() {
  static const config::Spec<PipelineConfig> spec = [] {
    using P = PipelineConfig;
    config::Spec<P> s("pipeline", "The per-tag pipeline of a gateway (docs/PIPELINE.md).");
    s.option("site", &P::site).doc("Site written on records the pipeline makes.").example("plant1");
    s.option("gateway", &P::gateway)
        .doc("Gateway written on records the pipeline makes.")
        .example("gw1");
    s.option("max_shelve", &P::max_shelve)
        .min(1ns)
        .doc("The longest an operator may shelve an alarm for.")
        .example("8h");
    s.option("tags", &P::tags, tagPipelineSpec()).doc("One entry per tag with a program.");
    s.check([](const P& p, config::Checker& k) {
      checkWith([&](const ProblemSink& sink) { validateAcrossTags(p, sink); }, k);
    });
    return s;
  }();
  return spec;
}

core::Result<PipelineConfig> parsePipelineConfig(std::string_view text) {
  return config::parseYaml(text, pipelineConfigSpec()).toResult();
}

core::Result<PipelineConfig> pipelineConfigFromJson(const nlohmann::json& json) {
  return config::parseJson(json, pipelineConfigSpec()).toResult();
}

core::Result<PipelineConfig> pipelineConfigFromJson(const config::Json& json) {
  return config::parseJson(json, pipelineConfigSpec()).toResult();
}

config::Json renderPipelineConfig(const PipelineConfig& config) {
  return config::render(pipelineConfigSpec(), config, {.redact_secrets = false});
}

}  // namespace sf::pipeline
