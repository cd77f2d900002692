#pragma once
// GatewayConfig: the whole configuration of one gateway (the file `streamforge gateway
// --config` reads, and what the control plane will deliver): identity, HTTP endpoint, local
// log, outputs and adapters. Declared once with config/spec.h; the adapters' and outputs'
// own options come from the component registry (registry.h of this folder).
// Plain values; the spec is built once and shared (thread-safe after construction).

#include <chrono>
#include <string>
#include <vector>

#include "config/registry.h"
#include "config/spec.h"
#include "config/units.h"
#include "dataplane/log/log.h"

namespace sf::runtime {

struct IdentityConfig {
  std::string id;    // gateway id: part of every record id; no '/'
  std::string site;  // default site of records
  bool operator==(const IdentityConfig&) const = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";
  bool operator==(const HttpConfig&) const = default;
};

struct LogConfig {
  std::string dir = "streamforge-data/log";
  std::string stream = "main";
  log::FsyncPolicy fsync = log::FsyncPolicy::kBatch;
  std::chrono::milliseconds fsync_interval{100};
  config::ByteSize segment_size = config::ByteSize::mib(64);
  config::ByteSize quota = config::ByteSize{0};
  log::WhenFull when_full = log::WhenFull::kEvict;
  std::chrono::seconds retention_age{0};
  config::ByteSize retention_size = config::ByteSize{0};
  bool operator==(const LogConfig&) const = default;

  log::LogOptions toOptions() const;
};

struct GatewayConfig {
  IdentityConfig gateway;
  HttpConfig http;
  LogConfig log;
  std::string state_dir = "streamforge-data/state";  // applied-config cache, alarm snapshot
  std::chrono::milliseconds max_shelve{24 * 3600 * 1000};
  std::vector<config::ComponentConfig> outputs;
  std::vector<config::ComponentConfig> adapters;
};

const config::Spec<GatewayConfig>& gatewayConfigSpec();

}  // namespace sf::runtime
