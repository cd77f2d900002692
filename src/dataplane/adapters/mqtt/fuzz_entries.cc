#include "dataplane/adapters/mqtt/fuzz_entries.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/adapters/mqtt/json_mapper.h"
#include "dataplane/adapters/mqtt/lorawan/decoders.h"
#include "dataplane/adapters/mqtt/lorawan/uplink.h"
#include "dataplane/adapters/mqtt/packet.h"
#include "dataplane/adapters/mqtt/sparkplug/host.h"
#include "dataplane/adapters/mqtt/sparkplug/payload.h"

namespace sf::mqtt::fuzz {

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Every record a mapper makes must be one the log and the forwarder accept.
void checkRecords(MapOutput& out, const char* who) {
  for (auto& r : out.records) {
    r.gateway = "gw";
    auto st = model::validate(r);
    if (!st) broken(who, st.error().message);
  }
  for (const auto& p : out.problems) {
    if (p.message.empty()) broken(who, "problem without a message");
  }
}

// Splits input into (topic, payload) at the first NUL; the topic must be UTF-8 (the adapter
// checks that before mapping).
bool split(const uint8_t* data, size_t size, std::string_view& topic, std::string_view& payload) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  size_t nul = all.find('\0');
  if (nul == std::string_view::npos) return false;
  topic = all.substr(0, nul);
  payload = all.substr(nul + 1);
  return model::isValidUtf8(topic);
}

}  // namespace

int packetParser(const uint8_t* data, size_t size) {
  for (Version v : {Version::kV311, Version::kV5}) {
    std::span<const uint8_t> rest(data, size);
    while (!rest.empty()) {
      auto h = parseFixedHeader(rest);
      if (!h || !*h) break;
      const FixedHeader& fh = **h;
      if (fh.type == PacketType::kPublish) {
        auto head = decodePublishHead(fh.flags, rest.subspan(fh.header_size));
        (void)head;
      }
      if (rest.size() < fh.total()) break;
      auto p = decodePacket(fh, rest.subspan(fh.header_size, fh.remaining), v);
      if (p) {
        if (auto* pub = std::get_if<Publish>(&*p)) {
          // A decoded PUBLISH re-encodes to the same topic/payload (v3.1.1 has no properties).
          if (v == Version::kV311 && !pub->topic_alias) {
            std::string again;
            if (encodePublish(pub->topic, pub->payload, pub->qos, pub->retain, pub->dup,
                              pub->packet_id, v, again)) {
              auto h2 = parseFixedHeader(std::span<const uint8_t>(
                  reinterpret_cast<const uint8_t*>(again.data()), again.size()));
              if (!h2 || !*h2) broken("packet", "re-encoded PUBLISH has no header");
              auto p2 = decodePacket(
                  **h2,
                  std::span<const uint8_t>(
                      reinterpret_cast<const uint8_t*>(again.data()) + (*h2)->header_size,
                      (*h2)->remaining),
                  v);
              if (!p2)
                broken("packet", "re-encoded PUBLISH does not decode: " + p2.error().message);
              const auto& q = std::get<Publish>(*p2);
              if (q.topic != pub->topic || q.payload != pub->payload ||
                  q.packet_id != pub->packet_id) {
                broken("packet", "PUBLISH round trip differs");
              }
            }
          }
        }
      }
      rest = rest.subspan(fh.total());
    }
  }
  return 0;
}

int jsonMapper(const uint8_t* data, size_t size) {
  static const auto kSubs = [] {
    std::vector<SubscriptionConfig> subs;
    SubscriptionConfig a;
    a.topic = "plant/{site}/{device}/{tag}";
    a.timestamp = "ts";
    a.quality = "q";
    subs.push_back(a);  // auto mapping
    SubscriptionConfig b;
    b.topic = "f/{device}/{extra#}";
    b.timestamp = "/meta/time";
    JsonFieldConfig f1;
    f1.tag = "temp";
    f1.value = "data.temp";
    f1.quality = "data[0].q";
    f1.unit_path = "unit";
    JsonFieldConfig f2;
    f2.tag = "state";
    f2.value = "/state";
    f2.type = ValueKind::kInt;
    f2.cls = pipeline::TagClass::kEvent;
    JsonFieldConfig f3;
    f3.tag = "msg";
    f3.value = "m";
    f3.type = ValueKind::kString;
    f3.cls = pipeline::TagClass::kLog;
    f3.optional = true;
    b.fields = {f1, f2, f3};
    subs.push_back(b);
    SubscriptionConfig c;
    c.topic = "v/#";
    c.format = PayloadFormat::kValue;
    c.cls = pipeline::TagClass::kEvent;
    subs.push_back(c);
    return subs;
  }();
  std::string_view topic, payload;
  if (!split(data, size, topic, payload)) return 0;
  for (const auto& sub : kSubs) {
    auto mapper = JsonMapper::create(sub, "fuzz", std::make_shared<DeclaredTags>());
    if (!mapper) broken("json", mapper.error().message);
    MapOutput out;
    (*mapper)->map(MessageView{topic, payload, false, 1'700'000'000'000'000'000}, out);
    checkRecords(out, "json");
  }
  return 0;
}

int sparkplug(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // The payload decoder alone, and every metric as every datatype.
  auto p = sparkplug::decodePayload(all);
  if (p) {
    for (const auto& m : p->metrics) {
      for (uint32_t t = 0; t <= 35; ++t) {
        bool json = false;
        auto v = sparkplug::metricValue(m, t, json);
        if (v) {
          if (auto* s = v->get<std::string>(); s && !model::isValidUtf8(*s)) {
            broken("sparkplug", "metric value text is not UTF-8");
          }
        }
      }
    }
  }
  // The host: the first byte picks a message type, the rest is the payload; a birth first so
  // aliases exist, then the fuzzed message twice (seq gap on the second).
  if (size < 1) return 0;
  static constexpr const char* kTopics[] = {
      "spBv1.0/G/NBIRTH/n", "spBv1.0/G/NDATA/n",    "spBv1.0/G/DBIRTH/n/d", "spBv1.0/G/DDATA/n/d",
      "spBv1.0/G/NDEATH/n", "spBv1.0/G/DDEATH/n/d", "spBv1.0/STATE/h",      "spBv1.0/G/NCMD/n"};
  SparkplugConfig cfg;
  cfg.host_id = "h";
  sparkplug::SparkplugHost host("fuzz", cfg, std::make_shared<DeclaredTags>());
  sparkplug::Writer metric;
  metric.bytes(1, "m");
  metric.varint(2, 1);
  metric.varint(4, sparkplug::kDouble);
  metric.doubleValue(13, 1.5);
  sparkplug::Writer birth;
  birth.varint(1, 1);
  birth.bytes(2, metric.data());
  birth.varint(3, 0);
  MapOutput out;
  host.map(MessageView{"spBv1.0/G/NBIRTH/n", birth.data(), false, 1}, out);
  checkRecords(out, "sparkplug");
  std::string_view payload = all.substr(1);
  const char* topic = kTopics[data[0] % 8];
  for (int i = 0; i < 2; ++i) {
    out.clear();
    host.map(MessageView{topic, payload, false, 2}, out);
    checkRecords(out, "sparkplug");
  }
  return 0;
}

int lorawan(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  auto lpp = lorawan::decodeLpp(all);
  (void)lpp;
  static const std::vector<LayoutFieldConfig> kLayout = [] {
    std::vector<LayoutFieldConfig> f(5);
    f[0] = {"a", 0, LayoutType::kI16, Endian::kBig, std::nullopt, 0.1, 0, "degC"};
    f[1] = {"b", 2, LayoutType::kU32, Endian::kLittle, std::nullopt, 1, 0, ""};
    f[2] = {"c", 6, LayoutType::kF32, Endian::kBig, std::nullopt, 1, 0, ""};
    f[3] = {"d", 1, LayoutType::kBool, Endian::kBig, 3, 1, 0, ""};
    f[4] = {"e", 3, LayoutType::kI24, Endian::kLittle, std::nullopt, 2, 1, ""};
    return f;
  }();
  auto layout = lorawan::decodeLayout(kLayout, all);
  (void)layout;
  // The uplink mappers on JSON text.
  for (PayloadFormat format : {PayloadFormat::kChirpstack, PayloadFormat::kTts}) {
    SubscriptionConfig sub;
    sub.format = format;
    sub.topic = "#";
    LoraDecoderConfig lppdec;
    lppdec.fport = 1;
    lppdec.type = LoraDecoderType::kLpp;
    LoraDecoderConfig lay;
    lay.fport = 2;
    lay.type = LoraDecoderType::kLayout;
    lay.fields = kLayout;
    sub.decoders = {lppdec, lay};
    auto mapper = lorawan::LoraMapper::create(sub, "fuzz", std::make_shared<DeclaredTags>());
    if (!mapper) broken("lorawan", mapper.error().message);
    const char* topic = format == PayloadFormat::kChirpstack ? "application/a/device/d/event/up"
                                                             : "v3/app@ttn/devices/d/up";
    for (int i = 0; i < 2; ++i) {
      MapOutput out;
      (*mapper)->map(MessageView{topic, all, false, 1}, out);
      checkRecords(out, "lorawan");
    }
  }
  return 0;
}

}  // namespace sf::mqtt::fuzz
