#pragma once
// The process around a Gateway, shared by `streamforge gateway` and `streamforge run`: loads
// and validates the configuration, starts the gateway, reloads on SIGHUP or file change,
// shows the live status view on a terminal, stops cleanly on SIGINT/SIGTERM.

#include <functional>
#include <optional>
#include <string>

#include "dataplane/runtime/gateway.h"

namespace sf::app {

struct HostOptions {
  std::string config_path;  // the file to load and watch; empty: use `config`
  std::optional<runtime::GatewayConfig> config;
  bool check_only = false;
  bool dry_run = false;
  // Where the applied-config cache is looked up when the file is invalid at start, and what
  // --dry-run compares against; empty: the file's state_dir (dry run) or the default
  // streamforge-data/state (fallback).
  std::string state_dir;
  bool status_view = false;  // a live status view on stdout when it is a terminal
  // Printed once the gateway runs (what was started and where).
  std::function<void(runtime::Gateway&)> on_started;
};

int runGatewayHost(const HostOptions& options);

// Loads and validates a gateway configuration file; on failure the errors (file, line, column,
// JSON Pointer, reason) are printed and, when `errors` is given, also stored there, and nullopt
// is returned.
std::optional<runtime::GatewayConfig> loadGatewayConfig(const std::string& path,
                                                        std::string* errors = nullptr);

// One screen of the status view, from Gateway::status().
std::string renderStatus(const nlohmann::json& status, double records_per_s[4]);

}  // namespace sf::app
