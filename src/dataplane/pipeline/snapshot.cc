#include "dataplane/pipeline/snapshot.h"

#include <nlohmann/json.hpp>

#include "dataplane/pipeline/pipeline.h"

namespace sf::pipeline {

using nlohmann::json;

std::string snapshotToJson(const StateSnapshot& s) {
  json alarms = json::array();
  for (const auto& a : s.alarms) {
    json bits = json::array();
    for (std::string_view name : {"config", "device", "tag", "condition"}) {
      if (a.suppressed_by & parseSuppressedBy(name)) bits.push_back(name);
    }
    alarms.push_back({{"id", a.id},
                      {"state", model::alarmStateName(a.state)},
                      {"shelved", a.shelved},
                      {"shelved_until_ns", a.shelved_until_ns},
                      {"suppressed_by", bits},
                      {"last_change_ns", a.last_change_ns}});
  }
  json events = json::array();
  for (const auto& e : s.events) {
    events.push_back({{"device", e.device}, {"tag", e.tag}, {"state", e.state}});
  }
  json sup = json::array();
  for (const auto& x : s.suppressions) {
    sup.push_back({{"device", x.device},
                   {"tag", x.tag},
                   {"actor", x.actor},
                   {"reason", x.reason},
                   {"since_ns", x.since_ns}});
  }
  json j = {{"version", kSnapshotVersion},
            {"taken_at_ns", s.taken_at_ns},
            {"alarms", alarms},
            {"events", events},
            {"suppressions", sup}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

core::Unexpected<core::Error> bad(const std::string& where, const std::string& why) {
  return core::fail(core::Errc::kInvalidData, "snapshot" + where + ": " + why);
}

core::Status getString(const json& o, const char* key, const std::string& where, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return bad(where + "/" + key, "missing or not a string");
  out = it->get<std::string>();
  return core::ok();
}

core::Status getInt(const json& o, const char* key, const std::string& where, int64_t& out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number_integer()) {
    return bad(where + "/" + key, "missing or not an integer");
  }
  out = it->get<int64_t>();
  return core::ok();
}

core::Status getBool(const json& o, const char* key, const std::string& where, bool& out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_boolean()) return bad(where + "/" + key, "missing or not a bool");
  out = it->get<bool>();
  return core::ok();
}

core::Result<const json*> getArray(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return bad(std::string("/") + key, "missing or not a list");
  return &*it;
}

}  // namespace

core::Result<StateSnapshot> parseSnapshot(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("", "not a JSON object");
  int64_t version = 0;
  SF_TRY(getInt(j, "version", "", version));
  if (version != kSnapshotVersion) {
    return bad("/version", "unsupported version " + std::to_string(version));
  }
  StateSnapshot s;
  SF_TRY(getInt(j, "taken_at_ns", "", s.taken_at_ns));

  SF_ASSIGN_OR_RETURN(const json* alarms, getArray(j, "alarms"));
  for (size_t i = 0; i < alarms->size(); ++i) {
    const json& o = (*alarms)[i];
    std::string w = "/alarms/" + std::to_string(i);
    if (!o.is_object()) return bad(w, "not an object");
    AlarmSnapshot a;
    SF_TRY(getString(o, "id", w, a.id));
    std::string state;
    SF_TRY(getString(o, "state", w, state));
    auto st = model::parseAlarmState(state);
    if (!st) return bad(w + "/state", st.error().message);
    a.state = *st;
    SF_TRY(getBool(o, "shelved", w, a.shelved));
    SF_TRY(getInt(o, "shelved_until_ns", w, a.shelved_until_ns));
    SF_TRY(getInt(o, "last_change_ns", w, a.last_change_ns));
    auto sb = o.find("suppressed_by");
    if (sb == o.end() || !sb->is_array()) return bad(w + "/suppressed_by", "missing or not a list");
    for (const auto& name : *sb) {
      uint8_t bit = name.is_string() ? parseSuppressedBy(name.get<std::string>()) : 0;
      if (bit == 0) return bad(w + "/suppressed_by", "unknown suppression source");
      a.suppressed_by |= bit;
    }
    s.alarms.push_back(std::move(a));
  }

  SF_ASSIGN_OR_RETURN(const json* events, getArray(j, "events"));
  for (size_t i = 0; i < events->size(); ++i) {
    const json& o = (*events)[i];
    std::string w = "/events/" + std::to_string(i);
    if (!o.is_object()) return bad(w, "not an object");
    EventStateSnapshot e;
    SF_TRY(getString(o, "device", w, e.device));
    SF_TRY(getString(o, "tag", w, e.tag));
    SF_TRY(getString(o, "state", w, e.state));
    s.events.push_back(std::move(e));
  }

  SF_ASSIGN_OR_RETURN(const json* sup, getArray(j, "suppressions"));
  for (size_t i = 0; i < sup->size(); ++i) {
    const json& o = (*sup)[i];
    std::string w = "/suppressions/" + std::to_string(i);
    if (!o.is_object()) return bad(w, "not an object");
    SuppressionSnapshot x;
    SF_TRY(getString(o, "device", w, x.device));
    SF_TRY(getString(o, "tag", w, x.tag));
    SF_TRY(getString(o, "actor", w, x.actor));
    SF_TRY(getString(o, "reason", w, x.reason));
    SF_TRY(getInt(o, "since_ns", w, x.since_ns));
    s.suppressions.push_back(std::move(x));
  }
  return s;
}

}  // namespace sf::pipeline
