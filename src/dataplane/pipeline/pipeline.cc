#include "dataplane/pipeline/pipeline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace sf::pipeline {
namespace {

using model::AlarmCondition;
using model::AlarmState;
using model::AlarmTransition;
using model::Record;

// A rate window keeps at most this many readings; older ones are dropped (the rate is then
// measured over a shorter span). Bounds memory for fast tags with long windows.
constexpr size_t kMaxRatePoints = 4096;

constexpr std::array<std::string_view, 4> kSuppressedByNames = {"config", "device", "tag",
                                                                "condition"};

bool isHigh(AlarmCondition c) { return c == AlarmCondition::kHi || c == AlarmCondition::kHiHi; }
bool isLow(AlarmCondition c) { return c == AlarmCondition::kLo || c == AlarmCondition::kLoLo; }

std::optional<int64_t> parseInt(const std::string* s) {
  if (s == nullptr) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || ptr != s->data() + s->size()) return std::nullopt;
  return v;
}

}  // namespace

std::string suppressedByText(uint8_t mask) {
  std::string s;
  for (size_t i = 0; i < kSuppressedByNames.size(); ++i) {
    if (mask & (1u << i)) {
      if (!s.empty()) s += ',';
      s += kSuppressedByNames[i];
    }
  }
  return s;
}

uint8_t parseSuppressedBy(std::string_view text) {
  uint8_t mask = 0;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    for (size_t i = 0; i < kSuppressedByNames.size(); ++i) {
      if (kSuppressedByNames[i] == name) mask |= static_cast<uint8_t>(1u << i);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return mask;
}

std::string_view TagProgram::stateName(std::string_view text) const {
  auto it = std::lower_bound(states.begin(), states.end(), text,
                             [](const auto& e, std::string_view t) { return e.first < t; });
  if (it != states.end() && it->first == text) return it->second;
  return text;
}

// --- Pipeline -----------------------------------------------------------------------------------

namespace {

// A small inline hash for short names (no call into libstdc++'s _Hash_bytes per reading).
uint64_t hashBytes(std::string_view s, uint64_t h) {
  h ^= s.size() * 0x9e3779b97f4a7c15ULL;
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w = 0;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94d049bb133111ebULL;
  return h ^ (h >> 32);
}

}  // namespace

uint64_t Pipeline::hashKey(std::string_view device, std::string_view tag) {
  uint64_t h = hashBytes(tag, hashBytes(device, 0x243f6a8885a308d3ULL));
  // Finalizer (splitmix64): every bit of the input reaches the low bits used as the slot.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

void Pipeline::insertKey(uint32_t index) {
  const uint64_t h = hashKey(keys_[index].device, keys_[index].tag);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].index == kEmptySlot) {
      slots_[i] = Slot{static_cast<uint32_t>(h >> 32), index};
      return;
    }
  }
}

core::Result<std::shared_ptr<const Pipeline>> Pipeline::compile(PipelineConfig config) {
  SF_TRY(validate(config));
  auto p = std::make_shared<Pipeline>();
  p->site_ = std::move(config.site);
  p->gateway_ = std::move(config.gateway);
  p->max_shelve_ = config.max_shelve;
  p->tags_.reserve(config.tags.size());
  p->keys_.reserve(config.tags.size());
  for (auto& t : config.tags) {
    auto ti = static_cast<uint32_t>(p->tags_.size());
    TagProgram prog;
    prog.key = t.device + "/" + t.tag;
    prog.transform = LinearTransform{t.scale, t.offset, t.clamp_min, t.clamp_max};
    prog.identity = prog.transform.isIdentity();
    if (t.deadband_mode == DeadbandMode::kAbsolute) prog.deadband_abs = t.deadband;
    if (t.deadband_mode == DeadbandMode::kPercent) {
      double span = t.range_low ? *t.range_high - *t.range_low : *t.clamp_max - *t.clamp_min;
      prog.deadband_abs = t.deadband / 100.0 * span;
    }
    prog.max_silence_ns = t.max_silence.count();
    prog.cls = t.cls;
    prog.deadband_mode = t.deadband_mode;
    prog.unit = t.unit;
    for (size_t k = 0; k < t.alarms.size(); ++k) {
      const AlarmRuleConfig& r = t.alarms[k];
      prog.alarms.push_back(AlarmProgram{r.condition, r.direction, r.limit, r.deadband,
                                         r.on_delay.count(), r.off_delay.count(),
                                         r.window.count()});
      prog.alarm_ids.push_back(prog.key + "/" + std::string(r.idName()));
      p->alarms_.emplace(prog.alarm_ids.back(), AlarmRef{ti, static_cast<uint32_t>(k)});
    }
    prog.states.assign(t.states.begin(), t.states.end());  // sorted by key, as the map
    p->keys_.push_back(Key{t.device, t.tag});
    prog.config = std::move(t);
    p->tags_.push_back(std::move(prog));
  }
  size_t capacity = 16;
  while (capacity < 2 * p->tags_.size()) capacity *= 2;
  p->slots_.assign(capacity, Slot{});
  p->mask_ = capacity - 1;
  for (uint32_t ti = 0; ti < p->tags_.size(); ++ti) p->insertKey(ti);
  for (uint32_t ti = 0; ti < p->tags_.size(); ++ti) {
    const auto& sw = p->tags_[ti].config.suppress_when;
    if (!sw) continue;
    auto src = p->find(sw->device, sw->tag);  // validate() checked that it exists
    p->tags_[ti].suppress_source = *src;
    p->tags_[*src].dependents.push_back(ti);
  }
  return std::shared_ptr<const Pipeline>(std::move(p));
}

std::optional<uint32_t> Pipeline::find(std::string_view device, std::string_view tag) const {
  const uint64_t h = hashKey(device, tag);
  const auto fragment = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.index == kEmptySlot) return std::nullopt;
    if (slot.hash == fragment) {
      const Key& k = keys_[slot.index];
      if (k.device == device && k.tag == tag) return slot.index;
    }
  }
}

std::optional<Pipeline::AlarmRef> Pipeline::findAlarm(std::string_view alarm_id) const {
  auto it = alarms_.find(alarm_id);
  if (it == alarms_.end()) return std::nullopt;
  return it->second;
}

// --- PipelineState: readings ----------------------------------------------------------------

PipelineState::PipelineState(std::shared_ptr<const Pipeline> pipeline)
    : pipeline_(std::move(pipeline)) {
  tags_.reserve(pipeline_->size());
  for (uint32_t i = 0; i < pipeline_->size(); ++i) tags_.push_back(freshState(pipeline_->tag(i)));
}

PipelineState::TagState PipelineState::freshState(const TagProgram& p) const {
  TagState s;
  s.alarms.resize(p.alarms.size());
  for (size_t k = 0; k < p.alarms.size(); ++k) {
    if (p.alarms[k].condition == AlarmCondition::kRateOfChange) {
      s.alarms[k].window = std::make_unique<RateWindow>();
    }
    // Out of service by configuration is part of the alarm's fresh state, not a transition.
    if (p.config.suppressed) s.alarms[k].suppressed_by = kSuppressedByConfig;
  }
  return s;
}

namespace {

// Appends the reading (copied or moved) as the tag's output, with its engineering value and
// unit. Readings held back by the deadband are never copied.
template <class R>
Record& emitReading(const TagProgram& p, R&& in, model::Value&& scaled, std::vector<Record>& out) {
  out.push_back(std::forward<R>(in));
  Record& r = out.back();
  if (!p.identity) r.value = std::move(scaled);
  if (!p.unit.empty() && r.unit != p.unit) r.unit = p.unit;
  return r;
}

}  // namespace

void PipelineState::process(const Record& in, int64_t now_ns, std::vector<Record>& out) {
  processImpl(in, now_ns, out);
}

void PipelineState::process(Record&& in, int64_t now_ns, std::vector<Record>& out) {
  processImpl(std::move(in), now_ns, out);
}

template <class R>
void PipelineState::processImpl(R&& in, int64_t now_ns, std::vector<Record>& out) {
  ++stats_.records_in;
  if (in.recordClass() != model::RecordClass::kTelemetry) {
    ++stats_.passthrough;
    out.push_back(std::forward<R>(in));
    return;
  }
  auto idx = pipeline_->find(in.device, in.tag);
  if (!idx) {
    ++stats_.passthrough;
    out.push_back(std::forward<R>(in));
    return;
  }
  const uint32_t ti = *idx;
  const TagProgram& p = pipeline_->tag(ti);
  TagState& st = tags_[ti];
  if (st.dirty) reconcile(ti, {}, {}, now_ns, out);

  model::Value scaled;
  if (!p.identity) scaled = transformValue(in.value, p.transform);
  const model::Value& eng = p.identity ? in.value : scaled;
  const model::QualityLevel level = in.quality.level;
  const bool bad = level == model::QualityLevel::kBad;
  if (bad) ++stats_.bad_quality;
  // The last reading: for alarm records, suppression sources, and a rule added later (arrays
  // only when needed: they can be large).
  if (!p.alarms.empty() || !p.dependents.empty() || !model::isArray(eng.type())) {
    st.has_value = true;
    st.value = eng;
    if (!(st.quality == in.quality)) st.quality = in.quality;
    st.source_ts_ns = in.source_ts_ns;
  }

  // `in` (and `eng`, which may refer to it) is not read after it is emitted.
  switch (p.cls) {
    case TagClass::kTelemetry:
      if (decideReport(p, st, eng, level, in.source_ts_ns, now_ns)) {
        Record& r = emitReading(p, std::forward<R>(in), std::move(scaled), out);
        if (p.max_silence_ns > 0) updateHeartbeat(st, r);
        ++stats_.telemetry_out;
      }
      break;
    case TagClass::kEvent:
      if (auto ev = decideEvent(p, st, eng, level)) {
        Record& r = emitReading(p, std::forward<R>(in), std::move(scaled), out);
        r.detail = std::move(*ev);
        ++stats_.events_out;
      }
      break;
    case TagClass::kLog:
      if (auto message = decideLog(p, st, eng, now_ns)) {
        Record& r = emitReading(p, std::forward<R>(in), std::move(scaled), out);
        r.detail = model::LogInfo{p.config.log_level, std::move(*message), "device"};
        ++stats_.logs_out;
      }
      break;
  }
  if (!p.dependents.empty() && !bad) updateSource(ti, now_ns, out);
  if (!p.alarms.empty()) evaluateAlarms(ti, bad, now_ns, out);
}

bool PipelineState::decideReport(const TagProgram& p, TagState& st, const model::Value& eng,
                                 model::QualityLevel level, int64_t source_ts_ns, int64_t now_ns) {
  bool report = !st.has_reported || level != st.reported_quality ||
                p.deadband_mode == DeadbandMode::kNone ||
                exceedsDeadband(st.reported, eng, p.deadband_abs);
  if (!report && p.max_silence_ns > 0 && now_ns - st.last_report_ns >= p.max_silence_ns) {
    report = true;
  }
  if (!report) {
    ++stats_.deadband_dropped;
    // The heartbeat repeats the reported value (within the deadband of this reading) as of
    // the latest reading's time.
    if (st.heartbeat) st.heartbeat->source_ts_ns = source_ts_ns;
    return false;
  }
  st.has_reported = true;
  st.reported_quality = level;
  st.last_report_ns = now_ns;
  st.reported = eng;
  return true;
}

void PipelineState::updateHeartbeat(TagState& st, const Record& reported) {
  if (!st.heartbeat) {
    st.heartbeat = std::make_unique<Record>(reported);
    return;
  }
  // Same tag, same identity: only what changes from reading to reading is copied.
  Record& hb = *st.heartbeat;
  hb.source_ts_ns = reported.source_ts_ns;
  hb.gateway_ts_ns = reported.gateway_ts_ns;
  hb.value = reported.value;
  if (!(hb.quality == reported.quality)) hb.quality = reported.quality;
  if (hb.unit != reported.unit) hb.unit = reported.unit;
  if (!(hb.attributes == reported.attributes)) hb.attributes = reported.attributes;
  if (hb.adapter != reported.adapter) hb.adapter = reported.adapter;
  if (hb.site != reported.site) hb.site = reported.site;
  if (hb.gateway != reported.gateway) hb.gateway = reported.gateway;
}

std::optional<model::EventInfo> PipelineState::decideEvent(const TagProgram& p, TagState& st,
                                                           const model::Value& eng,
                                                           model::QualityLevel level) {
  if (level == model::QualityLevel::kBad) return std::nullopt;  // the state is unknown: hold
  std::string text = valueText(eng);
  std::string_view state = p.stateName(text);
  std::string from;
  if (!st.has_event_state) {
    st.has_event_state = true;
    st.event_state = state;
    if (!p.config.emit_initial_event) return std::nullopt;
  } else if (state == st.event_state) {
    return std::nullopt;
  } else {
    from = std::move(st.event_state);
    st.event_state = state;
  }
  return model::EventInfo{p.config.event_type, std::move(from), st.event_state};
}

std::optional<std::string> PipelineState::decideLog(const TagProgram& p, TagState& st,
                                                    const model::Value& eng, int64_t now_ns) {
  std::string text = valueText(eng);
  // With a deadband mode, a log tag reports only when its text changes.
  if (p.deadband_mode != DeadbandMode::kNone && st.has_event_state && st.event_state == text) {
    ++stats_.deadband_dropped;
    return std::nullopt;
  }
  st.has_event_state = true;
  st.event_state = text;
  st.last_report_ns = now_ns;
  return text;
}

void PipelineState::updateSource(uint32_t ti, int64_t now_ns, std::vector<Record>& out) {
  const TagProgram& p = pipeline_->tag(ti);
  TagState& st = tags_[ti];
  std::string text = valueText(st.value);
  std::string_view state = p.stateName(text);
  if (st.has_source && st.source_text == text && st.source_state == state) return;
  st.has_source = true;
  st.source_state = state;
  st.source_text = std::move(text);
  std::string reason = "suppress_when " + p.key + " = " + st.source_state;
  for (uint32_t d : p.dependents) reconcile(d, {}, reason, now_ns, out);
}

// --- the alarm engine ---------------------------------------------------------------------------

void PipelineState::evaluateAlarms(uint32_t ti, bool bad, int64_t now_ns,
                                   std::vector<Record>& out) {
  const TagProgram& p = pipeline_->tag(ti);
  TagState& st = tags_[ti];
  std::optional<std::string> text;
  for (size_t ai = 0; ai < p.alarms.size(); ++ai) {
    AlarmRuntime& a = st.alarms[ai];
    if (bad) {
      // A bad reading says nothing about the process: the alarm holds where it is and a
      // pending on/off delay starts again with the next good reading.
      a.cond = model::isActive(a.state);
      a.pending_since = kNever;
      continue;
    }
    auto c = condition(p, st, ai, text, now_ns);
    if (!c) continue;  // cannot be evaluated (not a number, rate window not filled): hold
    a.cond = *c;
    step(ti, ai, now_ns, st.source_ts_ns, out);
  }
}

std::optional<bool> PipelineState::condition(const TagProgram& p, TagState& st, size_t ai,
                                             std::optional<std::string>& text, int64_t now_ns) {
  const AlarmProgram& r = p.alarms[ai];
  AlarmRuntime& a = st.alarms[ai];
  const bool active = model::isActive(a.state);
  if (r.condition == AlarmCondition::kDiscrete) {
    if (!text) text = valueText(st.value);
    std::string_view state = p.stateName(*text);
    for (const auto& v : p.rule(ai).values) {
      if (v == *text || v == state) return true;
    }
    return false;
  }
  auto x = st.value.asDouble();
  if (!x || std::isnan(*x)) return std::nullopt;
  // Hysteresis: an inactive alarm needs the limit crossed; an active one holds until the
  // value is back beyond limit -/+ deadband.
  if (isHigh(r.condition)) return active ? *x >= r.limit - r.deadband : *x > r.limit;
  if (isLow(r.condition)) return active ? *x <= r.limit + r.deadband : *x < r.limit;
  if (r.condition != AlarmCondition::kRateOfChange) return std::nullopt;

  RateWindow& w = *a.window;
  const int64_t ts = st.source_ts_ns != 0 ? st.source_ts_ns : now_ns;
  if (w.size() > 0 && ts == w.points.back().first) {
    w.points.back().second = *x;
  } else {
    if (w.size() > 0 && ts < w.points.back().first) w.clear();  // time went back: start over
    w.points.emplace_back(ts, *x);
  }
  // Keep one reading at or before ts - window as the front: the rate spans at least the window
  // once enough history exists.
  const int64_t horizon = ts - r.window_ns;
  while (w.size() >= 2 && w.points[w.head + 1].first <= horizon) ++w.head;
  while (w.size() > kMaxRatePoints) ++w.head;
  if (w.head >= 64 && w.head * 2 >= w.points.size()) {
    w.points.erase(w.points.begin(), w.points.begin() + static_cast<ptrdiff_t>(w.head));
    w.head = 0;
  }
  if (w.size() < 2) return std::nullopt;
  const auto& first = w.points[w.head];
  const auto& last = w.points.back();
  const double dt_s = static_cast<double>(last.first - first.first) / 1e9;
  if (!(dt_s > 0)) return std::nullopt;
  const double rate = (last.second - first.second) / dt_s;
  double m = std::fabs(rate);
  if (r.direction == RateDirection::kRising) m = rate;
  if (r.direction == RateDirection::kFalling) m = -rate;
  return active ? m >= r.limit - r.deadband : m > r.limit;
}

void PipelineState::step(uint32_t ti, size_t ai, int64_t now_ns, int64_t source_ts_ns,
                         std::vector<Record>& out) {
  const AlarmProgram& r = pipeline_->tag(ti).alarms[ai];
  AlarmRuntime& a = tags_[ti].alarms[ai];
  if (a.cond == model::isActive(a.state)) {
    a.pending_since = kNever;
    return;
  }
  if (a.pending_since == kNever || now_ns < a.pending_since) a.pending_since = now_ns;
  const int64_t delay = a.cond ? r.on_delay_ns : r.off_delay_ns;
  if (now_ns - a.pending_since < delay) return;
  a.pending_since = kNever;
  transition(ti, ai, a.cond ? AlarmTransition::kActivate : AlarmTransition::kReturnToNormal, {}, {},
             source_ts_ns, now_ns, out);
}

void PipelineState::transition(uint32_t ti, size_t ai, AlarmTransition t, std::string_view actor,
                               std::string_view reason, int64_t source_ts_ns, int64_t now_ns,
                               std::vector<Record>& out) {
  AlarmRuntime& a = tags_[ti].alarms[ai];
  auto next = model::nextAlarmState(a.state, t);
  if (!next) return;
  if (*next != a.state) a.last_change_ns = now_ns;
  a.state = *next;
  ++stats_.alarm_transitions;
  out.push_back(
      alarmRecord(pipeline_->tag(ti), tags_[ti], ai, t, actor, reason, source_ts_ns, now_ns));
}

Record PipelineState::alarmRecord(const TagProgram& p, const TagState& st, size_t ai,
                                  AlarmTransition t, std::string_view actor,
                                  std::string_view reason, int64_t source_ts_ns,
                                  int64_t now_ns) const {
  const AlarmRuleConfig& rule = p.rule(ai);
  const AlarmRuntime& a = st.alarms[ai];
  Record r;
  r.site = pipeline_->site();
  r.gateway = pipeline_->gateway();
  r.adapter = p.config.adapter;
  r.device = p.config.device;
  r.tag = p.config.tag;
  r.source_ts_ns = source_ts_ns;
  r.gateway_ts_ns = now_ns;
  if (st.has_value) {
    r.value = st.value;
    r.quality = st.quality;
  }
  r.unit = p.unit;
  model::AlarmInfo info;
  info.alarm_id = p.alarm_ids[ai];
  info.condition = rule.condition;
  info.severity = rule.severity;
  info.state = a.state;
  info.shelved = a.shelved;
  info.suppressed = a.suppressed_by != 0;
  info.transition = t;
  if (rule.condition != AlarmCondition::kDiscrete) info.limit = rule.limit;
  info.message = rule.message;
  info.actor = actor;
  r.detail = std::move(info);
  // Appended in key order: reason < shelved_until_ns < suppressed_by.
  if (!reason.empty()) r.attributes.tryAppend(std::string(kAttrReason), std::string(reason));
  if (a.shelved) {
    r.attributes.tryAppend(std::string(kAttrShelvedUntil), std::to_string(a.shelved_until_ns));
  }
  if (a.suppressed_by != 0) {
    r.attributes.tryAppend(std::string(kAttrSuppressedBy), suppressedByText(a.suppressed_by));
  }
  return r;
}

uint8_t PipelineState::suppressionMask(uint32_t ti, size_t ai) const {
  const TagProgram& p = pipeline_->tag(ti);
  uint8_t m = 0;
  if (p.config.suppressed) m |= kSuppressedByConfig;
  if (!suppressed_devices_.empty() && suppressed_devices_.count(p.config.device) != 0) {
    m |= kSuppressedByDevice;
  }
  if (!suppressed_tags_.empty() && suppressed_tags_.count(p.key) != 0) m |= kSuppressedByTag;
  if (p.suppress_source) {
    const TagState& src = tags_[*p.suppress_source];
    if (src.has_source) {
      for (const auto& v : p.config.suppress_when->values) {
        if (v == src.source_text || v == src.source_state) m |= kSuppressedByCondition;
      }
    } else {
      // Not seen since the start: keep what was recorded (a restored state stays suppressed
      // until the source says otherwise).
      m |= tags_[ti].alarms[ai].suppressed_by & kSuppressedByCondition;
    }
  }
  return m;
}

void PipelineState::reconcile(uint32_t ti, std::string_view actor, std::string_view reason,
                              int64_t now_ns, std::vector<Record>& out) {
  TagState& st = tags_[ti];
  st.dirty = false;
  for (size_t ai = 0; ai < st.alarms.size(); ++ai) {
    uint8_t m = suppressionMask(ti, ai);
    if (m == st.alarms[ai].suppressed_by) continue;
    st.alarms[ai].suppressed_by = m;
    // A change of the sources while suppressed is recorded too, so that replaying the log
    // knows every source.
    transition(ti, ai, m != 0 ? AlarmTransition::kSuppress : AlarmTransition::kUnsuppress, actor,
               reason, now_ns, now_ns, out);
  }
}

// --- time ---------------------------------------------------------------------------------------

void PipelineState::tick(int64_t now_ns, std::vector<Record>& out) {
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    const TagProgram& p = pipeline_->tag(ti);
    TagState& st = tags_[ti];
    if (st.dirty) reconcile(ti, {}, {}, now_ns, out);
    for (size_t ai = 0; ai < st.alarms.size(); ++ai) {
      AlarmRuntime& a = st.alarms[ai];
      if (a.shelved && now_ns >= a.shelved_until_ns) {
        a.shelved = false;
        a.shelved_until_ns = 0;
        transition(ti, ai, AlarmTransition::kUnshelve, {}, "shelve expired", now_ns, now_ns, out);
      }
      if (a.pending_since != kNever) step(ti, ai, now_ns, now_ns, out);
    }
    const int64_t silence = p.max_silence_ns;
    if (silence > 0 && st.heartbeat && now_ns - st.last_report_ns >= silence) {
      Record hb = *st.heartbeat;
      hb.offset.reset();
      hb.gateway_ts_ns = now_ns;
      hb.attributes.set(std::string(kAttrHeartbeat), "true");
      st.last_report_ns = now_ns;
      ++stats_.heartbeats;
      ++stats_.telemetry_out;
      out.push_back(std::move(hb));
    }
  }
}

int64_t PipelineState::nextDeadline() const {
  int64_t d = kNever;
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    const TagProgram& p = pipeline_->tag(ti);
    const TagState& st = tags_[ti];
    if (st.dirty) return 0;
    for (size_t ai = 0; ai < st.alarms.size(); ++ai) {
      const AlarmRuntime& a = st.alarms[ai];
      if (a.shelved) d = std::min(d, a.shelved_until_ns);
      if (a.pending_since != kNever) {
        const AlarmProgram& r = p.alarms[ai];
        d = std::min(d, a.pending_since + (a.cond ? r.on_delay_ns : r.off_delay_ns));
      }
    }
    if (p.max_silence_ns > 0 && st.heartbeat) {
      d = std::min(d, st.last_report_ns + p.max_silence_ns);
    }
  }
  return d;
}

// --- operator actions ---------------------------------------------------------------------------

core::Result<Pipeline::AlarmRef> PipelineState::lookup(std::string_view alarm_id,
                                                       std::string_view who) const {
  if (who.empty()) return core::fail(core::Errc::kInvalidData, "an operator action needs who");
  auto ref = pipeline_->findAlarm(alarm_id);
  if (!ref) {
    return core::fail(core::Errc::kNotFound,
                      "alarm '" + std::string(alarm_id) + "' is not configured here");
  }
  return *ref;
}

core::Result<bool> PipelineState::acknowledge(std::string_view alarm_id, std::string_view who,
                                              std::string_view why, int64_t now_ns,
                                              std::vector<Record>& out) {
  SF_ASSIGN_OR_RETURN(auto ref, lookup(alarm_id, who));
  if (!model::isUnacked(tags_[ref.tag].alarms[ref.alarm].state)) return false;
  transition(ref.tag, ref.alarm, AlarmTransition::kAcknowledge, who, why, now_ns, now_ns, out);
  return true;
}

core::Status PipelineState::shelve(std::string_view alarm_id, std::chrono::nanoseconds duration,
                                   std::string_view who, std::string_view why, int64_t now_ns,
                                   std::vector<Record>& out) {
  SF_ASSIGN_OR_RETURN(auto ref, lookup(alarm_id, who));
  if (duration.count() <= 0 || duration > pipeline_->maxShelve()) {
    return core::fail(core::Errc::kInvalidData,
                      "shelve duration must be above 0 and at most max_shelve (" +
                          std::to_string(pipeline_->maxShelve().count() / 1'000'000'000) + "s)");
  }
  AlarmRuntime& a = tags_[ref.tag].alarms[ref.alarm];
  a.shelved = true;
  a.shelved_until_ns = now_ns + duration.count();
  transition(ref.tag, ref.alarm, AlarmTransition::kShelve, who, why, now_ns, now_ns, out);
  return core::ok();
}

core::Result<bool> PipelineState::unshelve(std::string_view alarm_id, std::string_view who,
                                           std::string_view why, int64_t now_ns,
                                           std::vector<Record>& out) {
  SF_ASSIGN_OR_RETURN(auto ref, lookup(alarm_id, who));
  AlarmRuntime& a = tags_[ref.tag].alarms[ref.alarm];
  if (!a.shelved) return false;
  a.shelved = false;
  a.shelved_until_ns = 0;
  transition(ref.tag, ref.alarm, AlarmTransition::kUnshelve, who, why, now_ns, now_ns, out);
  return true;
}

core::Status PipelineState::setDeviceSuppressed(std::string_view device, bool suppressed,
                                                std::string_view who, std::string_view why,
                                                int64_t now_ns, std::vector<Record>& out) {
  if (who.empty()) return core::fail(core::Errc::kInvalidData, "an operator action needs who");
  if (device.empty()) return core::fail(core::Errc::kInvalidData, "device must not be empty");
  auto it = suppressed_devices_.find(device);
  if (suppressed == (it != suppressed_devices_.end())) return core::ok();  // already so
  if (suppressed) {
    suppressed_devices_.emplace(std::string(device),
                                SuppressionInfo{std::string(who), std::string(why), now_ns});
  } else {
    suppressed_devices_.erase(it);
  }
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    if (pipeline_->tag(ti).config.device == device) reconcile(ti, who, why, now_ns, out);
  }
  return core::ok();
}

core::Status PipelineState::setTagSuppressed(std::string_view device, std::string_view tag,
                                             bool suppressed, std::string_view who,
                                             std::string_view why, int64_t now_ns,
                                             std::vector<Record>& out) {
  if (who.empty()) return core::fail(core::Errc::kInvalidData, "an operator action needs who");
  auto ti = pipeline_->find(device, tag);
  if (!ti) {
    return core::fail(core::Errc::kNotFound, "tag '" + std::string(device) + "/" +
                                                 std::string(tag) + "' is not configured here");
  }
  const std::string& key = pipeline_->tag(*ti).key;
  auto it = suppressed_tags_.find(key);
  if (suppressed == (it != suppressed_tags_.end())) return core::ok();
  if (suppressed) {
    suppressed_tags_.emplace(key, SuppressionInfo{std::string(who), std::string(why), now_ns});
  } else {
    suppressed_tags_.erase(it);
  }
  reconcile(*ti, who, why, now_ns, out);
  return core::ok();
}

void PipelineState::refresh(int64_t now_ns, std::vector<Record>& out, bool all) {
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    if (tags_[ti].dirty) reconcile(ti, {}, {}, now_ns, out);
    for (size_t ai = 0; ai < tags_[ti].alarms.size(); ++ai) {
      const AlarmRuntime& a = tags_[ti].alarms[ai];
      if (all || a.state != AlarmState::kNormal || a.shelved || a.suppressed_by != 0) {
        transition(ti, ai, AlarmTransition::kRefresh, {}, {}, now_ns, now_ns, out);
      }
    }
  }
}

// --- views --------------------------------------------------------------------------------------

AlarmStatus PipelineState::status(uint32_t ti, size_t ai) const {
  const TagProgram& p = pipeline_->tag(ti);
  const TagState& st = tags_[ti];
  const AlarmRuntime& a = st.alarms[ai];
  const AlarmRuleConfig& rule = p.rule(ai);
  AlarmStatus s;
  s.id = p.alarm_ids[ai];
  s.device = p.config.device;
  s.tag = p.config.tag;
  s.condition = rule.condition;
  s.severity = rule.severity;
  s.state = a.state;
  s.shelved = a.shelved;
  s.shelved_until_ns = a.shelved_until_ns;
  s.suppressed_by = a.suppressed_by;
  if (rule.condition != AlarmCondition::kDiscrete) s.limit = rule.limit;
  s.message = rule.message;
  if (st.has_value) s.value = st.value;
  s.last_change_ns = a.last_change_ns;
  return s;
}

std::vector<AlarmStatus> PipelineState::alarms(bool only_not_normal) const {
  std::vector<AlarmStatus> v;
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    for (size_t ai = 0; ai < tags_[ti].alarms.size(); ++ai) {
      if (only_not_normal && tags_[ti].alarms[ai].state == AlarmState::kNormal) continue;
      v.push_back(status(ti, ai));
    }
  }
  return v;
}

std::optional<AlarmStatus> PipelineState::alarm(std::string_view alarm_id) const {
  auto ref = pipeline_->findAlarm(alarm_id);
  if (!ref) return std::nullopt;
  return status(ref->tag, ref->alarm);
}

// --- reconfiguration ----------------------------------------------------------------------------

void PipelineState::emitRemoved(const TagProgram& p, const TagState& st, size_t ai, int64_t now_ns,
                                std::vector<Record>& out) {
  const AlarmRuntime& a = st.alarms[ai];
  if (a.state == AlarmState::kNormal && !a.shelved) return;
  // The alarm leaves service: recorded as a suppression (state unchanged, so the ISA-18.2
  // diagram holds) with removed=true, which tells consoles to drop it.
  Record r = alarmRecord(p, st, ai, AlarmTransition::kSuppress, {}, "removed from configuration",
                         now_ns, now_ns);
  r.alarm()->suppressed = true;
  r.attributes.set(std::string(kAttrRemoved), "true");
  ++stats_.alarm_transitions;
  out.push_back(std::move(r));
}

SwapReport PipelineState::swap(std::shared_ptr<const Pipeline> next, int64_t now_ns,
                               std::vector<Record>& out) {
  SwapReport rep;
  const Pipeline& old = *pipeline_;
  std::vector<TagState> fresh;
  fresh.reserve(next->size());
  std::vector<char> used(old.size(), 0);
  std::vector<uint32_t> reevaluate;
  for (uint32_t j = 0; j < next->size(); ++j) {
    const TagProgram& np = next->tag(j);
    auto i = old.find(np.config.device, np.config.tag);
    if (!i) {
      fresh.push_back(freshState(np));
      ++rep.added;
      continue;
    }
    used[*i] = 1;
    TagState& s = tags_[*i];
    const TagProgram& op = old.tag(*i);
    if (op.config == np.config) {
      fresh.push_back(std::move(s));
      ++rep.kept;
      continue;
    }
    ++rep.changed;
    TagState n = freshState(np);
    const bool same_values = op.transform == np.transform;
    if (same_values && op.config.cls == np.config.cls) {
      n.has_reported = s.has_reported;
      n.reported_quality = s.reported_quality;
      n.last_report_ns = s.last_report_ns;
      n.reported = std::move(s.reported);
      if (np.max_silence_ns > 0 && s.heartbeat) {
        n.heartbeat = std::move(s.heartbeat);
        if (!np.unit.empty()) n.heartbeat->unit = np.unit;
      }
    }
    if (same_values) {
      n.has_value = s.has_value;
      n.value = std::move(s.value);
      n.quality = std::move(s.quality);
      n.source_ts_ns = s.source_ts_ns;
      n.has_source = s.has_source;
      n.source_text = std::move(s.source_text);
      n.source_state = std::move(s.source_state);
    }
    const bool same_events = op.config.cls == np.config.cls &&
                             (np.config.cls == TagClass::kLog ||
                              (np.config.cls == TagClass::kEvent && op.states == np.states &&
                               op.config.event_type == np.config.event_type));
    if (same_events) {
      n.has_event_state = s.has_event_state;
      n.event_state = std::move(s.event_state);
    }
    std::vector<char> carried(op.alarms.size(), 0);
    for (size_t k = 0; k < np.alarms.size(); ++k) {
      auto it = std::find(op.alarm_ids.begin(), op.alarm_ids.end(), np.alarm_ids[k]);
      if (it == op.alarm_ids.end()) {
        reevaluate.push_back(j);  // a new rule: evaluate it on the current value
        continue;
      }
      auto oi = static_cast<size_t>(it - op.alarm_ids.begin());
      carried[oi] = 1;
      AlarmRuntime& o = s.alarms[oi];
      AlarmRuntime& a = n.alarms[k];
      a.state = o.state;
      a.shelved = o.shelved;
      a.shelved_until_ns = o.shelved_until_ns;
      a.suppressed_by = o.suppressed_by;
      a.last_change_ns = o.last_change_ns;
      if (same_values && op.rule(oi) == np.rule(k)) {
        a.cond = o.cond;
        a.pending_since = o.pending_since;
        a.window = std::move(o.window);
      } else {
        a.cond = model::isActive(a.state);  // re-evaluated below with the new rule
        reevaluate.push_back(j);
      }
    }
    for (size_t oi = 0; oi < op.alarms.size(); ++oi) {
      if (!carried[oi]) emitRemoved(op, s, oi, now_ns, out);
    }
    fresh.push_back(std::move(n));
  }
  for (uint32_t i = 0; i < old.size(); ++i) {
    if (used[i]) continue;
    ++rep.removed;
    for (size_t ai = 0; ai < tags_[i].alarms.size(); ++ai) {
      emitRemoved(old.tag(i), tags_[i], ai, now_ns, out);
    }
    suppressed_tags_.erase(old.tag(i).key);
  }
  pipeline_ = std::move(next);
  tags_ = std::move(fresh);
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) reconcile(ti, {}, "reconfigured", now_ns, out);
  // A changed rule applies to the value the tag has now, not only to the next reading (a tag
  // reported by exception may not send one for a long time).
  std::sort(reevaluate.begin(), reevaluate.end());
  reevaluate.erase(std::unique(reevaluate.begin(), reevaluate.end()), reevaluate.end());
  for (uint32_t ti : reevaluate) {
    const TagState& st = tags_[ti];
    if (st.has_value && st.quality.level != model::QualityLevel::kBad) {
      evaluateAlarms(ti, false, now_ns, out);
    }
  }
  return rep;
}

// --- persistence --------------------------------------------------------------------------------

StateSnapshot PipelineState::snapshot(int64_t now_ns) const {
  StateSnapshot s;
  s.taken_at_ns = now_ns;
  for (uint32_t ti = 0; ti < tags_.size(); ++ti) {
    const TagProgram& p = pipeline_->tag(ti);
    const TagState& st = tags_[ti];
    for (size_t ai = 0; ai < st.alarms.size(); ++ai) {
      const AlarmRuntime& a = st.alarms[ai];
      if (a.state == AlarmState::kNormal && !a.shelved && a.suppressed_by == 0 &&
          a.last_change_ns == 0) {
        continue;  // never changed: the fresh state
      }
      s.alarms.push_back(AlarmSnapshot{p.alarm_ids[ai], a.state, a.shelved, a.shelved_until_ns,
                                       a.suppressed_by, a.last_change_ns});
    }
    if (p.config.cls == TagClass::kEvent && st.has_event_state) {
      s.events.push_back(EventStateSnapshot{p.config.device, p.config.tag, st.event_state});
    }
  }
  for (const auto& [device, info] : suppressed_devices_) {
    s.suppressions.push_back(
        SuppressionSnapshot{device, "", info.actor, info.reason, info.since_ns});
  }
  for (const auto& [key, info] : suppressed_tags_) {
    size_t slash = key.find('/');
    s.suppressions.push_back(SuppressionSnapshot{key.substr(0, slash), key.substr(slash + 1),
                                                 info.actor, info.reason, info.since_ns});
  }
  return s;
}

RestoreReport PipelineState::restore(const StateSnapshot& s) {
  RestoreReport rep;
  for (const auto& x : s.suppressions) {
    SuppressionInfo info{x.actor, x.reason, x.since_ns};
    if (x.tag.empty()) {
      suppressed_devices_.insert_or_assign(x.device, std::move(info));
    } else if (pipeline_->find(x.device, x.tag)) {
      suppressed_tags_.insert_or_assign(x.device + "/" + x.tag, std::move(info));
    }
  }
  for (const auto& as : s.alarms) {
    auto ref = pipeline_->findAlarm(as.id);
    if (!ref) {
      ++rep.alarms_unknown;
      continue;
    }
    AlarmRuntime& a = tags_[ref->tag].alarms[ref->alarm];
    a.state = as.state;
    a.cond = model::isActive(as.state);
    a.pending_since = kNever;
    a.shelved = as.shelved;
    a.shelved_until_ns = as.shelved ? as.shelved_until_ns : 0;
    a.suppressed_by = as.suppressed_by;
    a.last_change_ns = as.last_change_ns;
    if (a.window) a.window->clear();
    ++rep.alarms_applied;
  }
  for (const auto& e : s.events) {
    auto ti = pipeline_->find(e.device, e.tag);
    if (!ti || pipeline_->tag(*ti).config.cls != TagClass::kEvent) continue;
    tags_[*ti].has_event_state = true;
    tags_[*ti].event_state = e.state;
    ++rep.events_applied;
  }
  for (auto& st : tags_) st.dirty = true;
  return rep;
}

bool PipelineState::replay(const Record& record) {
  if (const model::AlarmInfo* info = record.alarm()) {
    auto ref = pipeline_->findAlarm(info->alarm_id);
    if (!ref) return false;
    const TagProgram& p = pipeline_->tag(ref->tag);
    TagState& st = tags_[ref->tag];
    AlarmRuntime& a = st.alarms[ref->alarm];
    st.dirty = true;
    if (const std::string* removed = record.attributes.find(kAttrRemoved);
        removed != nullptr && *removed == "true") {
      // It left the configuration then; it is configured again now: start afresh.
      TagState f = freshState(p);
      a = std::move(f.alarms[ref->alarm]);
      return true;
    }
    if (info->state != a.state) a.last_change_ns = record.gateway_ts_ns;
    a.state = info->state;
    a.cond = model::isActive(a.state);
    a.pending_since = kNever;
    if (a.window) a.window->clear();
    a.shelved = info->shelved;
    a.shelved_until_ns = 0;
    if (info->shelved) {
      auto until = parseInt(record.attributes.find(kAttrShelvedUntil));
      a.shelved_until_ns = until.value_or(record.gateway_ts_ns + pipeline_->maxShelve().count());
    }
    uint8_t mask = 0;
    if (info->suppressed) {
      const std::string* by = record.attributes.find(kAttrSuppressedBy);
      mask = by != nullptr ? parseSuppressedBy(*by) : 0;
      if (mask == 0) mask = kSuppressedByConfig;  // source unknown: reconciled on the next run
    }
    a.suppressed_by = mask;
    // Every record of an alarm says whether its device and tag were suppressed by an operator
    // at that time; the last one in log order wins.
    const std::string* reason = record.attributes.find(kAttrReason);
    SuppressionInfo info_from_record{info->actor, reason != nullptr ? *reason : std::string(),
                                     record.gateway_ts_ns};
    if (mask & kSuppressedByDevice) {
      suppressed_devices_.try_emplace(p.config.device, info_from_record);
    } else {
      suppressed_devices_.erase(p.config.device);
    }
    if (mask & kSuppressedByTag) {
      suppressed_tags_.try_emplace(p.key, std::move(info_from_record));
    } else {
      suppressed_tags_.erase(p.key);
    }
    return true;
  }
  if (const model::EventInfo* ev = record.event()) {
    auto ti = pipeline_->find(record.device, record.tag);
    if (!ti) return false;
    const TagProgram& p = pipeline_->tag(*ti);
    if (p.config.cls != TagClass::kEvent || ev->type != p.config.event_type) return false;
    tags_[*ti].has_event_state = true;
    tags_[*ti].event_state = ev->to;
    return true;
  }
  return false;
}

// --- metrics ------------------------------------------------------------------------------------

void PipelineState::publishMetrics(core::MetricsRegistry& registry, const std::string& instance) {
  const core::Labels base = {{"type", "pipeline"}, {"instance", instance}};
  auto with = [&](std::string key, std::string value) {
    core::Labels l = base;
    l.emplace_back(std::move(key), std::move(value));
    return l;
  };
  auto add = [&](std::string_view name, std::string_view help, const core::Labels& labels,
                 uint64_t now,
                 uint64_t before) { registry.counter(name, help, labels).inc(now - before); };
  const PipelineStats& s = stats_;
  const PipelineStats& b = published_;
  add("sf_pipeline_records_in_total", "Records given to the pipeline", base, s.records_in,
      b.records_in);
  constexpr std::string_view kOut = "sf_pipeline_records_out_total";
  constexpr std::string_view kOutHelp = "Records the pipeline made, by class";
  add(kOut, kOutHelp, with("class", "telemetry"), s.telemetry_out, b.telemetry_out);
  add(kOut, kOutHelp, with("class", "event"), s.events_out, b.events_out);
  add(kOut, kOutHelp, with("class", "log"), s.logs_out, b.logs_out);
  add(kOut, kOutHelp, with("class", "alarm"), s.alarm_transitions, b.alarm_transitions);
  add("sf_pipeline_heartbeats_total", "Heartbeats of tags silent for max_silence", base,
      s.heartbeats, b.heartbeats);
  add("sf_pipeline_deadband_dropped_total", "Readings held back by report-by-exception", base,
      s.deadband_dropped, b.deadband_dropped);
  add("sf_pipeline_passthrough_total", "Records without a tag program, passed unchanged", base,
      s.passthrough, b.passthrough);
  add("sf_pipeline_bad_quality_total", "Readings of bad quality", base, s.bad_quality,
      b.bad_quality);
  published_ = stats_;

  std::array<double, model::kAlarmStateCount> by_state{};
  double shelved = 0;
  double suppressed = 0;
  for (const auto& st : tags_) {
    for (const auto& a : st.alarms) {
      by_state[static_cast<size_t>(a.state)] += 1;
      shelved += a.shelved ? 1 : 0;
      suppressed += a.suppressed_by != 0 ? 1 : 0;
    }
  }
  for (int i = 0; i < model::kAlarmStateCount; ++i) {
    registry
        .gauge("sf_pipeline_alarms", "Configured alarms by ISA-18.2 state",
               with("state", std::string(model::alarmStateName(static_cast<AlarmState>(i)))))
        .set(by_state[static_cast<size_t>(i)]);
  }
  registry.gauge("sf_pipeline_alarms_shelved", "Alarms shelved now", base).set(shelved);
  registry.gauge("sf_pipeline_alarms_suppressed", "Alarms suppressed now", base).set(suppressed);
  registry.gauge("sf_pipeline_tags", "Tags with a program", base)
      .set(static_cast<double>(tags_.size()));
}

}  // namespace sf::pipeline
