#include "dataplane/adapters/mqtt/lorawan/uplink.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "dataplane/adapters/mqtt/lorawan/decoders.h"
#include "model/base64.h"

namespace sf::mqtt::lorawan {

using core::Errc;
using core::fail;
using nlohmann::json;

namespace {

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string stringOf(const json* j) {
  return j && j->is_string() ? j->get<std::string>() : std::string();
}

// Protobuf JSON writes 64-bit integers as strings; 32-bit ones as numbers. Accept both.
std::optional<uint64_t> unsignedOf(const json* j) {
  if (!j) return std::nullopt;
  if (j->is_number_unsigned()) return j->get<uint64_t>();
  if (j->is_number_integer()) {
    int64_t v = j->get<int64_t>();
    if (v < 0) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  if (j->is_number_float()) {
    double d = j->get<double>();
    if (d < 0 || !std::isfinite(d) || d > 1.8e19) return std::nullopt;
    return static_cast<uint64_t>(d);
  }
  if (j->is_string()) {
    const auto& s = j->get_ref<const std::string&>();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
  }
  return std::nullopt;
}

std::optional<double> numberOf(const json* j) {
  if (j && j->is_number()) return j->get<double>();
  return std::nullopt;
}

core::Result<uint32_t> u32Field(const json& parent, const char* key, const char* what) {
  const json* j = member(parent, key);
  if (!j) return 0u;  // protobuf JSON omits zero
  auto v = unsignedOf(j);
  if (!v || *v > 0xFFFFFFFFull)
    return fail(Errc::kInvalidData, std::string(what) + " is not a 32-bit unsigned number");
  return static_cast<uint32_t>(*v);
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

core::Status payloadFrom(const json& parent, const char* key, Uplink& u) {
  const json* data = member(parent, key);
  if (!data) return core::ok();  // no FRMPayload (e.g. a MAC-only uplink)
  if (!data->is_string())
    return fail(Errc::kInvalidData, std::string(key) + " is not a base64 string");
  auto bytes = model::decodeBase64(data->get_ref<const std::string&>());
  if (!bytes) return fail(Errc::kInvalidData, std::string(key) + ": " + bytes.error().message);
  u.payload = std::move(*bytes);
  return core::ok();
}

int64_t timeOf(const json* j) {
  if (!j || !j->is_string()) return 0;
  auto t = parseRfc3339(j->get_ref<const std::string&>());
  return t ? *t : 0;
}

std::string sanitizeName(std::string s) {
  for (char& c : s) {
    if (c == '/') c = '_';
  }
  return s;
}

}  // namespace

bool isChirpstackUplinkTopic(std::string_view topic) {
  return topic.size() >= 9 && topic.substr(topic.size() - 9) == "/event/up";
}

bool isTtsUplinkTopic(std::string_view topic) {
  return topic.size() >= 3 && topic.substr(topic.size() - 3) == "/up";
}

core::Result<Uplink> parseChirpstackUplink(const json& e) {
  if (!e.is_object()) return fail(Errc::kInvalidData, "ChirpStack event is not a JSON object");
  Uplink u;
  u.network = "chirpstack";
  const json* info = member(e, "deviceInfo");
  if (!info || !info->is_object())
    return fail(Errc::kInvalidData, "ChirpStack uplink without deviceInfo");
  u.dev_eui = lower(stringOf(member(*info, "devEui")));
  if (u.dev_eui.empty())
    return fail(Errc::kInvalidData, "ChirpStack uplink without deviceInfo.devEui");
  u.device_name = stringOf(member(*info, "deviceName"));
  u.application = stringOf(member(*info, "applicationName"));
  u.dev_addr = stringOf(member(e, "devAddr"));
  SF_ASSIGN_OR_RETURN(u.f_cnt, u32Field(e, "fCnt", "fCnt"));
  if (const json* p = member(e, "fPort")) {
    auto v = unsignedOf(p);
    if (!v || *v > 255) return fail(Errc::kInvalidData, "fPort is not 0..255");
    u.f_port = static_cast<uint32_t>(*v);
  }
  if (const json* dr = member(e, "dr")) {
    auto v = unsignedOf(dr);
    if (v && *v < 256) u.dr = static_cast<uint32_t>(*v);
  }
  SF_TRY(payloadFrom(e, "data", u));
  if (const json* obj = member(e, "object")) u.object = *obj;
  u.time_ns = timeOf(member(e, "time"));
  if (const json* rx = member(e, "rxInfo")) {
    if (!rx->is_array()) return fail(Errc::kInvalidData, "rxInfo is not an array");
    for (const auto& r : *rx) {
      RxInfo info_rx;
      info_rx.gateway_id = stringOf(member(r, "gatewayId"));
      info_rx.rssi = numberOf(member(r, "rssi"));
      info_rx.snr = numberOf(member(r, "snr"));
      if (u.time_ns == 0) u.time_ns = timeOf(member(r, "gwTime"));
      u.rx.push_back(std::move(info_rx));
    }
  }
  if (const json* tx = member(e, "txInfo")) {
    u.frequency = unsignedOf(member(*tx, "frequency"));
    if (const json* mod = member(*tx, "modulation")) {
      if (const json* lora = member(*mod, "lora")) {
        if (auto sf = unsignedOf(member(*lora, "spreadingFactor")))
          u.spreading_factor = static_cast<uint32_t>(*sf);
        if (auto bw = unsignedOf(member(*lora, "bandwidth")))
          u.bandwidth = static_cast<uint32_t>(*bw);
      }
    }
  }
  return u;
}

core::Result<Uplink> parseTtsUplink(const json& msg) {
  if (!msg.is_object()) return fail(Errc::kInvalidData, "TTS message is not a JSON object");
  Uplink u;
  u.network = "tts";
  const json* ids = member(msg, "end_device_ids");
  if (!ids || !ids->is_object())
    return fail(Errc::kInvalidData, "TTS message without end_device_ids");
  u.device_name = stringOf(member(*ids, "device_id"));
  u.dev_eui = lower(stringOf(member(*ids, "dev_eui")));
  u.dev_addr = stringOf(member(*ids, "dev_addr"));
  if (const json* app = member(*ids, "application_ids"))
    u.application = stringOf(member(*app, "application_id"));
  if (u.dev_eui.empty() && u.device_name.empty()) {
    return fail(Errc::kInvalidData, "TTS message without end_device_ids.dev_eui or device_id");
  }
  if (u.dev_eui.empty()) u.dev_eui = u.device_name;  // ABP devices may be registered without one
  const json* up = member(msg, "uplink_message");
  if (!up || !up->is_object())
    return fail(Errc::kInvalidData, "TTS message without uplink_message");
  SF_ASSIGN_OR_RETURN(u.f_cnt, u32Field(*up, "f_cnt", "f_cnt"));
  if (const json* p = member(*up, "f_port")) {
    auto v = unsignedOf(p);
    if (!v || *v > 255) return fail(Errc::kInvalidData, "f_port is not 0..255");
    u.f_port = static_cast<uint32_t>(*v);
  }
  SF_TRY(payloadFrom(*up, "frm_payload", u));
  if (const json* obj = member(*up, "decoded_payload")) u.object = *obj;
  u.time_ns = timeOf(member(*up, "received_at"));
  if (u.time_ns == 0) u.time_ns = timeOf(member(msg, "received_at"));
  if (const json* rx = member(*up, "rx_metadata")) {
    if (!rx->is_array()) return fail(Errc::kInvalidData, "rx_metadata is not an array");
    for (const auto& r : *rx) {
      RxInfo info_rx;
      if (const json* g = member(r, "gateway_ids")) {
        info_rx.gateway_id = stringOf(member(*g, "gateway_id"));
        if (info_rx.gateway_id.empty()) info_rx.gateway_id = lower(stringOf(member(*g, "eui")));
      }
      info_rx.rssi = numberOf(member(r, "rssi"));
      if (!info_rx.rssi) info_rx.rssi = numberOf(member(r, "channel_rssi"));
      info_rx.snr = numberOf(member(r, "snr"));
      u.rx.push_back(std::move(info_rx));
    }
  }
  if (const json* settings = member(*up, "settings")) {
    u.frequency = unsignedOf(member(*settings, "frequency"));
    if (const json* dr = member(*settings, "data_rate")) {
      if (const json* lora = member(*dr, "lora")) {
        if (auto sf = unsignedOf(member(*lora, "spreading_factor")))
          u.spreading_factor = static_cast<uint32_t>(*sf);
        if (auto bw = unsignedOf(member(*lora, "bandwidth")))
          u.bandwidth = static_cast<uint32_t>(*bw);
      }
    }
    if (auto dri = unsignedOf(member(*settings, "data_rate_index")))
      u.dr = static_cast<uint32_t>(*dri);
  }
  return u;
}

FcntTracker::Result FcntTracker::track(const std::string& dev_eui, uint32_t fcnt) {
  auto it = devices_.find(dev_eui);
  if (it == devices_.end()) {
    if (devices_.size() >= max_devices_) devices_.clear();  // bounded memory; restarts tracking
    State s;
    s.last = fcnt;
    s.recent[0] = fcnt;
    s.recent_count = 1;
    s.recent_next = 1;
    devices_.emplace(dev_eui, s);
    return {Verdict::kFirst, fcnt, 0};
  }
  State& s = it->second;
  Result r;
  r.expected = s.last + 1;
  for (uint8_t i = 0; i < s.recent_count; ++i) {
    if (s.recent[i] == fcnt) {
      r.verdict = Verdict::kDuplicate;
      return r;
    }
  }
  if (fcnt == s.last + 1) {
    r.verdict = Verdict::kNext;
  } else if (fcnt > s.last) {
    r.verdict = Verdict::kGap;
    r.lost = fcnt - s.last - 1;
  } else {
    r.verdict = Verdict::kReset;
    s.recent_count = 0;  // a new session: old counters mean nothing
    s.recent_next = 0;
  }
  s.last = fcnt;
  s.recent[s.recent_next] = fcnt;
  s.recent_next = static_cast<uint8_t>((s.recent_next + 1) % kRecent);
  if (s.recent_count < kRecent) ++s.recent_count;
  return r;
}

core::Result<std::unique_ptr<LoraMapper>> LoraMapper::create(
    const SubscriptionConfig& sub, std::string adapter,
    std::shared_ptr<const DeclaredTags> declared) {
  std::unique_ptr<LoraMapper> m(new LoraMapper());
  m->sub_ = sub;
  m->adapter_ = std::move(adapter);
  m->declared_ = std::move(declared);
  return m;
}

const LoraDecoderConfig* LoraMapper::decoderFor(const Uplink& u) const {
  for (const auto& d : sub_.decoders) {
    if (!d.fport || (u.f_port && *u.f_port == *d.fport)) return &d;
  }
  return nullptr;
}

namespace {

void flattenObject(const json& j, const std::string& prefix, int depth,
                   std::vector<DecodedField>& out, std::vector<Problem>& problems,
                   const std::string& device) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      if (depth < 3) flattenObject(*it, name, depth + 1, out, problems, device);
      continue;
    }
    if (out.size() >= JsonMapper::kMaxAutoTags) {
      problems.push_back({Issue::kTooManyTags, "decoded object with too many values", device});
      return;
    }
    auto v = valueFromJson(*it, ValueKind::kAuto);
    if (!v) {
      problems.push_back(
          {Issue::kWrongType, "decoded '" + name + "': " + v.error().message, device});
      continue;
    }
    out.push_back({std::move(name), std::move(*v), ""});
  }
}

}  // namespace

void LoraMapper::map(const MessageView& m, MapOutput& out) {
  const bool chirp = sub_.format == PayloadFormat::kChirpstack;
  if (!(chirp ? isChirpstackUplinkTopic(m.topic) : isTtsUplinkTopic(m.topic))) {
    ++ignored_;  // join, status, downlink events: not uplinks
    return;
  }
  auto doc = parseJson(m.payload);
  if (!doc) {
    out.problems.push_back({Issue::kInvalidJson, doc.error().message, ""});
    return;
  }
  auto parsed = chirp ? parseChirpstackUplink(*doc) : parseTtsUplink(*doc);
  if (!parsed) {
    out.problems.push_back({Issue::kInvalidUplink, parsed.error().message, ""});
    return;
  }
  Uplink& u = *parsed;
  std::string device = sanitizeName(
      sub_.device_name == LoraDeviceName::kDevEui || u.device_name.empty() ? u.dev_eui
                                                                           : u.device_name);
  if (!sub_.device.empty()) device = sub_.device;

  auto verdict = fcnt_.track(u.dev_eui, u.f_cnt);
  switch (verdict.verdict) {
    case FcntTracker::Verdict::kDuplicate:
      ++duplicates_;
      out.problems.push_back({Issue::kFcntDuplicate,
                              "uplink with frame counter " + std::to_string(u.f_cnt) + " from " +
                                  u.dev_eui + " seen before (dropped)",
                              device});
      return;
    case FcntTracker::Verdict::kGap:
      lost_ += verdict.lost;
      out.lost_uplinks += verdict.lost;
      out.problems.push_back({Issue::kFcntGap,
                              "frame counter gap from " + u.dev_eui + ": expected " +
                                  std::to_string(verdict.expected) + ", got " +
                                  std::to_string(u.f_cnt) + " (" + std::to_string(verdict.lost) +
                                  " uplinks lost)",
                              device});
      break;
    case FcntTracker::Verdict::kReset:
      out.problems.push_back({Issue::kFcntReset,
                              "frame counter of " + u.dev_eui + " went back to " +
                                  std::to_string(u.f_cnt) + " (expected " +
                                  std::to_string(verdict.expected) + "): new session",
                              device});
      break;
    default:
      break;
  }

  // Decode.
  std::vector<DecodedField> fields;
  const LoraDecoderConfig* dec = decoderFor(u);
  LoraDecoderType type =
      dec ? dec->type : (u.object.is_object() ? LoraDecoderType::kObject : LoraDecoderType::kRaw);
  switch (type) {
    case LoraDecoderType::kObject:
      if (!u.object.is_object()) {
        out.problems.push_back({Issue::kInvalidUplink,
                                "no decoded object in the uplink (configure a codec at the network "
                                "server, or a decoder here)",
                                device});
        return;
      }
      flattenObject(u.object, "", 0, fields, out.problems, device);
      break;
    case LoraDecoderType::kLpp: {
      auto d = decodeLpp(u.payload);
      if (!d) {
        out.problems.push_back({Issue::kInvalidLpp, d.error().message, device});
        return;
      }
      fields = std::move(*d);
      break;
    }
    case LoraDecoderType::kLayout: {
      auto d = decodeLayout(dec->fields, u.payload);
      if (!d) {
        out.problems.push_back({Issue::kShortFrame, d.error().message, device});
        return;
      }
      fields = std::move(*d);
      break;
    }
    case LoraDecoderType::kRaw:
      fields.push_back({"payload", model::Value::ofBytes(u.payload), ""});
      break;
  }

  // Radio metadata, the same on every record of the uplink.
  model::Record proto;
  proto.adapter = adapter_;
  proto.site = sub_.site;
  proto.device = device;
  proto.source_ts_ns = u.time_ns != 0 ? u.time_ns : m.received_ns;
  proto.gateway_ts_ns = m.received_ns;
  auto& a = proto.attributes;
  a.set("dev_eui", u.dev_eui);
  a.set("f_cnt", std::to_string(u.f_cnt));
  if (u.f_port) a.set("f_port", std::to_string(*u.f_port));
  a.set("network", u.network);
  if (!u.application.empty()) a.set("application", sanitizeUtf8(u.application));
  const RxInfo* best = nullptr;
  std::string gateways;
  for (const auto& rx : u.rx) {
    if (!gateways.empty()) gateways.push_back(',');
    gateways += rx.gateway_id;
    if (rx.rssi && (!best || !best->rssi || *rx.rssi > *best->rssi)) best = &rx;
  }
  if (!gateways.empty()) a.set("gateway_ids", sanitizeUtf8(gateways));
  if (!u.rx.empty()) a.set("gateway_count", std::to_string(u.rx.size()));
  if (best == nullptr && !u.rx.empty()) best = &u.rx[0];
  auto num = [](double d) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc() ? std::string(buf, end) : std::string();
  };
  if (best) {
    a.set("gateway_id", sanitizeUtf8(best->gateway_id));
    if (best->rssi) a.set("rssi", num(*best->rssi));
    if (best->snr) a.set("snr", num(*best->snr));
  }
  if (u.frequency) a.set("frequency", std::to_string(*u.frequency));
  if (u.spreading_factor) a.set("spreading_factor", std::to_string(*u.spreading_factor));
  if (u.dr) a.set("dr", std::to_string(*u.dr));
  if (sub_.topic_attribute) a.set("topic", std::string(m.topic));

  for (auto& f : fields) {
    model::Record r = proto;
    r.tag = std::move(f.tag);
    r.value = std::move(f.value);
    r.unit = std::move(f.unit);
    if (r.value.isNull()) r.quality = model::Quality::bad(0, "null");
    if (!(declared_ && !declared_->empty() &&
          declared_->count(std::pair<std::string_view, std::string_view>(r.device, r.tag)))) {
      applyClass(r, sub_.cls);
    }
    out.records.push_back(std::move(r));
  }
}

}  // namespace sf::mqtt::lorawan
