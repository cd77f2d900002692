#include "dataplane/runtime/gateway_config.h"

#include <set>

namespace sf::runtime {

using namespace std::chrono_literals;

log::LogOptions LogConfig::toOptions() const {
  log::LogOptions o;
  o.dir = dir;
  o.stream = stream;
  o.fsync = fsync;
  o.fsync_interval = fsync_interval;
  o.segment_bytes = segment_size.bytes;
  o.quota_bytes = quota.bytes;
  o.when_full = when_full;
  o.retention_age = retention_age;
  o.retention_bytes = retention_size.bytes;
  return o;
}

namespace {

const config::Spec<IdentityConfig>& identitySpec() {
  static const config::Spec<IdentityConfig> spec = [] {
    config::Spec<IdentityConfig> s("gateway", "Who this gateway is.");
    s.option("id", &IdentityConfig::id)
        .required()
        .nonEmpty()
        .doc("Gateway id, unique in the fleet; part of every record id (no '/').")
        .example("line1-gw");
    s.option("site", &IdentityConfig::site)
        .required()
        .nonEmpty()
        .doc("Site of the records this gateway makes (used in topic names).")
        .example("plant1");
    s.check([](const IdentityConfig& c, config::Checker& k) {
      if (c.id.find('/') != std::string::npos) k.error("id", "must not contain '/'");
    });
    return s;
  }();
  return spec;
}

const config::Spec<HttpConfig>& httpSpec() {
  static const config::Spec<HttpConfig> spec = [] {
    config::Spec<HttpConfig> s("http", "The HTTP endpoint: /metrics, /healthz, /readyz, /api/v1.");
    s.option("listen", &HttpConfig::listen)
        .doc("host:port to listen on; keep it on loopback unless a proxy adds TLS and auth.")
        .example("127.0.0.1:8080");
    return s;
  }();
  return spec;
}

const config::Spec<LogConfig>& logSpec() {
  static const config::Spec<LogConfig> spec = [] {
    config::Spec<LogConfig> s("log", "The durable local log (docs/LOG.md).");
    s.option("dir", &LogConfig::dir)
        .doc("Directory of the log's segments.")
        .example("/var/lib/streamforge/log");
    s.option("stream", &LogConfig::stream)
        .doc("Stream name, part of every record id (no '/').")
        .advanced();
    s.option("fsync", &LogConfig::fsync,
             config::EnumTable<log::FsyncPolicy>{{"batch", log::FsyncPolicy::kBatch},
                                                 {"interval", log::FsyncPolicy::kInterval},
                                                 {"never", log::FsyncPolicy::kNever}})
        .doc(
            "When an append is durable: `batch` (after its group's fsync), `interval`, or "
            "`never` (UNSAFE: a power loss loses acknowledged records).");
    s.option("fsync_interval", &LogConfig::fsync_interval)
        .min(1ms)
        .doc("The fsync period of the `interval` policy.")
        .advanced();
    s.option("segment_size", &LogConfig::segment_size)
        .min(config::ByteSize::kib(64))
        .doc("Size at which a segment is sealed and a new one started.")
        .advanced();
    s.option("quota", &LogConfig::quota)
        .doc("Disk quota of the log; 0 = none. When full, see `when_full`.")
        .example("10GiB");
    s.option("when_full", &LogConfig::when_full,
             config::EnumTable<log::WhenFull>{{"evict", log::WhenFull::kEvict},
                                              {"block", log::WhenFull::kBlock}})
        .doc(
            "At the quota: `evict` (logs first, then oldest telemetry; events and alarms "
            "last; counted and announced) or `block` (backpressure).");
    s.option("retention_age", &LogConfig::retention_age)
        .doc("Delete forwarded records older than this; 0 = keep until the quota.")
        .example("7d");
    s.option("retention_size", &LogConfig::retention_size)
        .doc("Delete the oldest forwarded records beyond this size; 0 = none.")
        .advanced();
    return s;
  }();
  return spec;
}

}  // namespace

const config::Spec<GatewayConfig>& gatewayConfigSpec() {
  static const config::Spec<GatewayConfig> spec = [] {
    config::Spec<GatewayConfig> s("gateway configuration",
                                  "The whole configuration of one gateway.");
    s.option("gateway", &GatewayConfig::gateway, identitySpec()).required();
    s.option("http", &GatewayConfig::http, httpSpec()).doc("HTTP endpoint.");
    s.option("log", &GatewayConfig::log, logSpec()).doc("Local log.");
    s.option("state_dir", &GatewayConfig::state_dir)
        .doc("Directory of the applied-config cache and the alarm-state snapshot.");
    s.option("max_shelve", &GatewayConfig::max_shelve)
        .min(1s)
        .doc("The longest an operator may shelve an alarm for.");
    s.option("outputs", &GatewayConfig::outputs, config::ComponentKind::kOutput)
        .doc(
            "Where the local log is forwarded (Kafka clusters). None: the local log is the "
            "system of record on this machine.");
    s.option("adapters", &GatewayConfig::adapters, config::ComponentKind::kAdapter)
        .doc("Southbound connections to devices.");
    s.check([](const GatewayConfig& c, config::Checker& k) {
      // Instance names key the live diff, metrics and cursors: they must be unique.
      auto unique = [&k](const std::vector<config::ComponentConfig>& list, const char* what) {
        std::set<std::string> seen;
        for (size_t i = 0; i < list.size(); ++i) {
          auto json = list[i].toJson(config::RenderOptions{false});
          if (!json.contains("name") || !json["name"].is_string()) continue;
          auto name = json["name"].get<std::string>();
          if (!seen.insert(name).second) {
            k.error(std::string(what) + "/" + std::to_string(i) + "/name",
                    "the name '" + name + "' is used twice");
          }
        }
      };
      unique(c.adapters, "adapters");
      unique(c.outputs, "outputs");
    });
    return s;
  }();
  return spec;
}

}  // namespace sf::runtime
