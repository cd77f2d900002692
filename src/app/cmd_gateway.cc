// `streamforge gateway --config FILE`: the edge gateway. Reloads the file on SIGHUP and when it
// changes on disk; a bad file is rejected with file:line:col, JSON Pointer and reason, and the
// running configuration stays in place. At start, an unreadable or invalid file falls back to
// the last applied configuration cached in the state directory (and says so).

#include <cstdio>
#include <filesystem>

#include "app/command_util.h"
#include "app/components.h"
#include "app/gateway_host.h"

namespace sf::app {

int cmdGateway(const Argv& argv) {
  Args args("gateway", "Edge gateway: adapters -> pipeline -> local log -> Kafka outputs");
  args.option("config", "FILE", "Configuration file (YAML)")
      .flag("check", "Validate the file and exit (0 valid, 2 invalid)")
      .flag("dry-run", "Show what applying the file to the cached running config would change")
      .option("state-dir", "DIR",
              "Applied-config cache to start from when the file is invalid, and to compare "
              "--dry-run with (default: the file's state_dir, else streamforge-data/state)");
  if (auto rc = parseOrExit(args, argv)) return *rc;
  if (!args.has("config")) {
    std::fprintf(stderr, "streamforge gateway: --config FILE is required\n");
    return kExitUsage;
  }
  HostOptions host;
  host.config_path = args.get("config");
  host.check_only = args.has("check");
  host.dry_run = args.has("dry-run");
  if (args.has("state-dir")) host.state_dir = args.get("state-dir");
  return runGatewayHost(host);
}

}  // namespace sf::app
