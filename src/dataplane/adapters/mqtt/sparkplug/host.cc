#include "dataplane/adapters/mqtt/sparkplug/host.h"

#include <charconv>
#include <cstdint>

namespace sf::mqtt::sparkplug {

namespace {

constexpr std::string_view kOrigin = "dataplane.adapters.mqtt.sparkplug";

std::string replaceAll(std::string text, std::string_view key, std::string_view value) {
  size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string::npos) {
    text.replace(pos, key.size(), value);
    pos += value.size();
  }
  return text;
}

int64_t msToNs(uint64_t ms) {
  if (ms > static_cast<uint64_t>(INT64_MAX / 1'000'000)) return 0;
  return static_cast<int64_t>(ms) * 1'000'000;
}

// The engineering unit among a metric's properties (Ignition and Tahu use engUnit).
std::string_view unitOf(const Metric& m) {
  for (const auto& [key, v] : m.properties) {
    if ((key == "engUnit" || key == "EngUnit" || key == "engineeringUnit" || key == "unit" ||
         key == "units") &&
        v.field == Field::kString && !v.is_null) {
      return v.text;
    }
  }
  return {};
}

// A "Quality" property (Ignition: an OPC DA / Ignition quality code, 192 = good).
std::optional<model::Quality> qualityOf(const Metric& m) {
  for (const auto& [key, v] : m.properties) {
    if (key != "Quality" && key != "quality") continue;
    if (v.field != Field::kInt && v.field != Field::kLong) continue;
    auto code = static_cast<uint32_t>(v.integer);
    if (code >= 192 && code <= 255) return model::Quality{model::QualityLevel::kGood, code, ""};
    if (code >= 64 && code < 192) return model::Quality::uncertain(code);
    if (code < 64) return model::Quality::bad(code);
    // Ignition 8 codes (e.g. 500 uncertain, 600 bad): by their own bands.
    if (code < 400) return model::Quality{model::QualityLevel::kGood, code, ""};
    if (code < 600) return model::Quality::uncertain(code);
    return model::Quality::bad(code);
  }
  return std::nullopt;
}

std::string propertyText(const PropertyValue& v) {
  if (v.is_null) return "";
  switch (v.field) {
    case Field::kInt:
    case Field::kLong:
      return std::to_string(v.integer);
    case Field::kFloat:
    case Field::kDouble: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.number);
      return ec == std::errc() ? std::string(buf, end) : "";
    }
    case Field::kBool:
      return v.boolean ? "true" : "false";
    case Field::kString:
      return std::string(v.text);
    default:
      return "";
  }
}

}  // namespace

SparkplugHost::SparkplugHost(std::string adapter, SparkplugConfig config,
                             std::shared_ptr<const DeclaredTags> declared)
    : adapter_(std::move(adapter)), config_(std::move(config)), declared_(std::move(declared)) {}

std::string SparkplugHost::stateTopic() const {
  return std::string(kNamespace) + "/STATE/" + config_.host_id;
}

Will SparkplugHost::stateWill(int64_t connect_ms) {
  state_ts_ms_ = connect_ms;
  Will w;
  w.topic = stateTopic();
  w.payload = "{\"online\":false,\"timestamp\":" + std::to_string(connect_ms) + "}";
  w.qos = 1;
  w.retain = true;
  return w;
}

Outbound SparkplugHost::stateBirth() const {
  return Outbound{stateTopic(),
                  "{\"online\":true,\"timestamp\":" + std::to_string(state_ts_ms_) + "}", 1, true};
}

Outbound SparkplugHost::stateDeath() const {
  return Outbound{stateTopic(),
                  "{\"online\":false,\"timestamp\":" + std::to_string(state_ts_ms_) + "}", 1, true};
}

SparkplugHost::Node& SparkplugHost::node(std::string_view group, std::string_view node_id) {
  std::string key = std::string(group) + "/" + std::string(node_id);
  auto it = nodes_.find(key);
  if (it == nodes_.end()) {
    it = nodes_.emplace(key, Node{}).first;
    it->second.self.device_name = deviceName(group, node_id, {});
  }
  return it->second;
}

std::string SparkplugHost::deviceName(std::string_view group, std::string_view node,
                                      std::string_view device) const {
  std::string t = device.empty() ? config_.node_device : config_.device_device;
  t = replaceAll(std::move(t), "{group}", group);
  t = replaceAll(std::move(t), "{node}", node);
  t = replaceAll(std::move(t), "{device}", device);
  // Device names carry no '/' (ids may, though the spec forbids it).
  for (char& c : t) {
    if (c == '/') c = '_';
  }
  return t;
}

void SparkplugHost::logRecord(const std::string& device, model::LogLevel level, std::string message,
                              int64_t ts_ns, MapOutput& out) const {
  model::Record r;
  r.adapter = adapter_;
  r.device = device;
  r.tag = "_sparkplug";
  r.source_ts_ns = r.gateway_ts_ns = ts_ns;
  r.detail = model::LogInfo{level, std::move(message), std::string(kOrigin)};
  out.records.push_back(std::move(r));
}

void SparkplugHost::requestRebirth(Node& n, std::string_view group, std::string_view node_id,
                                   int64_t now_ns, std::string reason, MapOutput& out) {
  if (!config_.request_rebirth) return;
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.rebirth_interval).count();
  if (n.rebirth_requested && now_ns - n.last_rebirth_request_ns < interval) return;
  n.rebirth_requested = true;
  n.last_rebirth_request_ns = now_ns;
  ++rebirth_requests_;
  out.publish.push_back(
      Outbound{std::string(kNamespace) + "/" + std::string(group) + "/NCMD/" + std::string(node_id),
               encodeRebirthRequest(static_cast<uint64_t>(now_ns / 1'000'000)), 0, false});
  logRecord(n.self.device_name, model::LogLevel::kWarning,
            "rebirth requested from edge node " + std::string(group) + "/" + std::string(node_id) +
                ": " + reason,
            now_ns, out);
}

void SparkplugHost::checkSeq(Node& n, const std::optional<uint64_t>& seq, std::string_view group,
                             std::string_view node_id, int64_t now_ns, MapOutput& out) {
  if (!seq || *seq > 255) {
    out.problems.push_back(
        {Issue::kSeqGap, "message without a valid seq (0..255)", n.self.device_name});
    requestRebirth(n, group, node_id, now_ns, "missing seq", out);
    return;
  }
  const int got = static_cast<int>(*seq);
  if (n.last_seq >= 0) {
    const int expected = (n.last_seq + 1) % 256;
    if (got != expected) {
      out.problems.push_back({Issue::kSeqGap,
                              "seq gap from edge node " + std::string(group) + "/" +
                                  std::string(node_id) + ": expected " + std::to_string(expected) +
                                  ", got " + std::to_string(got),
                              n.self.device_name});
      requestRebirth(
          n, group, node_id, now_ns,
          "seq " + std::to_string(got) + " where " + std::to_string(expected) + " was due", out);
    }
  }
  n.last_seq = got;
}

void SparkplugHost::birth(Entity& e, const Payload& p, const MessageView& m, MapOutput& out) {
  e.born = true;
  e.aliases.clear();
  e.metrics.clear();
  const int64_t payload_ts = p.timestamp ? msToNs(*p.timestamp) : m.received_ns;
  for (const auto& metric : p.metrics) {
    if (!metric.name) {
      out.problems.push_back(
          {Issue::kInvalidProtobuf, "BIRTH metric without a name", e.device_name});
      continue;
    }
    std::string name(*metric.name);
    if (!model::isValidUtf8(name)) {
      out.problems.push_back(
          {Issue::kInvalidUtf8, "BIRTH metric name is not UTF-8", e.device_name});
      continue;
    }
    MetricInfo info;
    info.name = name;
    info.datatype = metric.datatype.value_or(0);
    info.unit = sanitizeUtf8(unitOf(metric));
    if (metric.alias) e.aliases[*metric.alias] = name;
    e.metrics[name] = info;
    if (name == "bdSeq") continue;  // the birth/death sequence, not a process value
    bool json = false;
    auto value = metricValue(metric, info.datatype, json);
    if (!value) {
      out.problems.push_back({Issue::kInvalidProtobuf,
                              "metric '" + name + "': " + value.error().message, e.device_name});
      continue;
    }
    model::Record r;
    r.adapter = adapter_;
    r.device = e.device_name;
    r.tag = name;
    r.value = std::move(*value);
    r.unit = info.unit;
    r.source_ts_ns = metric.timestamp ? msToNs(*metric.timestamp) : payload_ts;
    r.gateway_ts_ns = m.received_ns;
    if (auto q = qualityOf(metric)) r.quality = *q;
    if (metric.is_null) r.quality = model::Quality::bad(0, "null");
    if (json) r.attributes.set("content_type", "application/json");
    if (info.datatype == kDateTime || info.datatype == kDataSet || info.datatype == kTemplate ||
        info.datatype == kUuid || info.datatype == kFile || info.datatype == kDateTimeArray) {
      r.attributes.set("sparkplug_datatype", std::string(dataTypeName(info.datatype)));
    }
    if (metric.is_historical) r.attributes.set("historical", "true");
    for (const auto& [key, pv] : metric.properties) {
      if (key == "engUnit" || key == "Quality") continue;
      std::string text = propertyText(pv);
      if (!text.empty() && model::isValidUtf8(key) && model::isValidUtf8(text)) {
        r.attributes.set("property." + std::string(key), std::move(text));
      }
    }
    out.records.push_back(std::move(r));
  }
}

void SparkplugHost::data(Node& n, Entity& e, const Payload& p, std::string_view group,
                         std::string_view node_id, const MessageView& m, MapOutput& out) {
  const int64_t payload_ts = p.timestamp ? msToNs(*p.timestamp) : m.received_ns;
  for (const auto& metric : p.metrics) {
    const MetricInfo* info = nullptr;
    std::string name;
    if (metric.name) {
      name = std::string(*metric.name);
      auto it = e.metrics.find(name);
      if (it != e.metrics.end()) info = &it->second;
    } else if (metric.alias) {
      auto a = e.aliases.find(*metric.alias);
      if (a == e.aliases.end()) {
        out.problems.push_back(
            {Issue::kUnknownAlias,
             "alias " + std::to_string(*metric.alias) + " is not in the BIRTH of " + e.device_name,
             e.device_name});
        requestRebirth(n, group, node_id, m.received_ns,
                       "unknown alias " + std::to_string(*metric.alias), out);
        continue;
      }
      name = a->second;
      info = &e.metrics[name];
    } else {
      out.problems.push_back(
          {Issue::kInvalidProtobuf, "DATA metric with neither name nor alias", e.device_name});
      continue;
    }
    if (!model::isValidUtf8(name)) {
      out.problems.push_back({Issue::kInvalidUtf8, "metric name is not UTF-8", e.device_name});
      continue;
    }
    uint32_t type = metric.datatype.value_or(info ? info->datatype : 0);
    bool json = false;
    auto value = metricValue(metric, type, json);
    if (!value) {
      out.problems.push_back({Issue::kInvalidProtobuf,
                              "metric '" + name + "': " + value.error().message, e.device_name});
      continue;
    }
    model::Record r;
    r.adapter = adapter_;
    r.device = e.device_name;
    r.tag = std::move(name);
    r.value = std::move(*value);
    if (info) r.unit = info->unit;
    if (auto u = unitOf(metric); !u.empty()) r.unit = sanitizeUtf8(u);
    r.source_ts_ns = metric.timestamp ? msToNs(*metric.timestamp) : payload_ts;
    r.gateway_ts_ns = m.received_ns;
    if (auto q = qualityOf(metric)) r.quality = *q;
    if (metric.is_null) r.quality = model::Quality::bad(0, "null");
    if (json) r.attributes.set("content_type", "application/json");
    if (type == kDateTime || type == kDataSet || type == kTemplate || type == kUuid ||
        type == kFile || type == kDateTimeArray) {
      r.attributes.set("sparkplug_datatype", std::string(dataTypeName(type)));
    }
    if (metric.is_historical) r.attributes.set("historical", "true");
    out.records.push_back(std::move(r));
  }
}

void SparkplugHost::death(Entity& e, int64_t ts_ns, std::string_view what, MapOutput& out) {
  for (const auto& [name, info] : e.metrics) {
    if (name == "bdSeq") continue;
    model::Record r;
    r.adapter = adapter_;
    r.device = e.device_name;
    r.tag = name;
    r.unit = info.unit;
    r.source_ts_ns = r.gateway_ts_ns = ts_ns;
    r.quality = model::Quality::bad(0, std::string(what));
    out.records.push_back(std::move(r));
  }
  e.born = false;
}

void SparkplugHost::map(const MessageView& m, MapOutput& out) {
  // spBv1.0/<group>/<type>/<node>[/<device>] or spBv1.0/STATE/<host>.
  std::string_view t = m.topic;
  std::string_view parts[6];
  size_t n = 0;
  size_t pos = 0;
  while (n < 6) {
    size_t slash = t.find('/', pos);
    parts[n++] =
        t.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (n < 3 || parts[0] != kNamespace || (n == 6)) {
    out.problems.push_back({Issue::kInvalidTopic, "not a Sparkplug B topic", ""});
    return;
  }
  if (parts[1] == "STATE" && n == 3) {
    // A host application's STATE. Ours saying offline while we are online (a late will, or
    // another instance with our id went away): publish online again.
    if (publishesState() && parts[2] == config_.host_id) {
      auto j = parseJson(m.payload);
      if (j && j->is_object()) {
        auto online = j->find("online");
        if (online != j->end() && online->is_boolean() && !online->get<bool>()) {
          out.publish.push_back(stateBirth());
        }
      }
    }
    return;
  }
  if (n < 4) {
    out.problems.push_back({Issue::kInvalidTopic, "Sparkplug B topic without an edge node id", ""});
    return;
  }
  std::string_view group = parts[1], type = parts[2], node_id = parts[3];
  std::string_view device_id = n == 5 ? parts[4] : std::string_view();
  const bool device_type =
      type == "DBIRTH" || type == "DDATA" || type == "DDEATH" || type == "DCMD";
  if (device_type != (n == 5)) {
    out.problems.push_back(
        {Issue::kInvalidTopic, std::string(type) + " with the wrong number of topic levels", ""});
    return;
  }
  if (type == "NCMD" || type == "DCMD") return;  // commands to nodes, not data
  if (type != "NBIRTH" && type != "NDATA" && type != "NDEATH" && type != "DBIRTH" &&
      type != "DDATA" && type != "DDEATH") {
    out.problems.push_back(
        {Issue::kInvalidTopic, "unknown Sparkplug message type '" + std::string(type) + "'", ""});
    return;
  }
  auto decoded = decodePayload(m.payload);
  Node& nd = node(group, node_id);
  if (!decoded) {
    out.problems.push_back({Issue::kInvalidProtobuf, decoded.error().message, nd.self.device_name});
    // A lost DATA may have changed values we now miss: ask for the current state.
    if (type != "NDEATH")
      requestRebirth(nd, group, node_id, m.received_ns, "undecodable payload", out);
    return;
  }
  const Payload& p = *decoded;
  const int64_t ts = p.timestamp ? msToNs(*p.timestamp) : m.received_ns;

  if (type == "NBIRTH") {
    // A new session of the node: everything it declared before is gone.
    nd.devices.clear();
    nd.bd_seq.reset();
    for (const auto& metric : p.metrics) {
      if (metric.name && *metric.name == "bdSeq" &&
          (metric.field == Field::kInt || metric.field == Field::kLong)) {
        nd.bd_seq = metric.integer;
      }
    }
    nd.last_seq = p.seq && *p.seq <= 255 ? static_cast<int>(*p.seq) : -1;
    nd.rebirth_requested = false;
    birth(nd.self, p, m, out);
    logRecord(nd.self.device_name, model::LogLevel::kInfo,
              "NBIRTH from edge node " + std::string(group) + "/" + std::string(node_id) + " (" +
                  std::to_string(nd.self.metrics.size()) + " metrics)",
              ts, out);
    return;
  }
  if (type == "NDEATH") {
    std::optional<uint64_t> bd;
    for (const auto& metric : p.metrics) {
      if (metric.name && *metric.name == "bdSeq" &&
          (metric.field == Field::kInt || metric.field == Field::kLong)) {
        bd = metric.integer;
      }
    }
    if (nd.bd_seq && bd && *bd != *nd.bd_seq) {
      out.problems.push_back({Issue::kStaleDeath,
                              "NDEATH with bdSeq " + std::to_string(*bd) +
                                  " for a node born with bdSeq " + std::to_string(*nd.bd_seq) +
                                  " (ignored)",
                              nd.self.device_name});
      return;
    }
    if (!nd.self.born) return;  // already dead or never seen born
    death(nd.self, ts, "node death (NDEATH)", out);
    for (auto& [id, dev] : nd.devices) death(dev, ts, "node death (NDEATH)", out);
    nd.last_seq = -1;
    logRecord(nd.self.device_name, model::LogLevel::kWarning,
              "NDEATH from edge node " + std::string(group) + "/" + std::string(node_id), ts, out);
    return;
  }

  // Messages that need a born node.
  if (!nd.self.born) {
    out.problems.push_back({Issue::kDataBeforeBirth,
                            std::string(type) + " from edge node " + std::string(group) + "/" +
                                std::string(node_id) + " whose NBIRTH was not seen",
                            nd.self.device_name});
    requestRebirth(nd, group, node_id, m.received_ns, std::string(type) + " before NBIRTH", out);
    return;
  }
  checkSeq(nd, p.seq, group, node_id, m.received_ns, out);

  if (type == "NDATA") {
    data(nd, nd.self, p, group, node_id, m, out);
    return;
  }
  auto dit = nd.devices.find(device_id);
  if (type == "DBIRTH") {
    if (dit == nd.devices.end()) {
      dit = nd.devices.emplace(std::string(device_id), Entity{}).first;
      dit->second.device_name = deviceName(group, node_id, device_id);
    }
    birth(dit->second, p, m, out);
    return;
  }
  if (dit == nd.devices.end() || !dit->second.born) {
    if (type == "DDEATH") return;
    out.problems.push_back(
        {Issue::kDataBeforeBirth,
         "DDATA from device " + std::string(device_id) + " whose DBIRTH was not seen",
         deviceName(group, node_id, device_id)});
    requestRebirth(nd, group, node_id, m.received_ns, "DDATA before DBIRTH", out);
    return;
  }
  if (type == "DDATA") {
    data(nd, dit->second, p, group, node_id, m, out);
  } else {  // DDEATH
    death(dit->second, ts, "device death (DDEATH)", out);
    logRecord(dit->second.device_name, model::LogLevel::kWarning,
              "DDEATH from device " + std::string(group) + "/" + std::string(node_id) + "/" +
                  std::string(device_id),
              ts, out);
  }
}

}  // namespace sf::mqtt::sparkplug
