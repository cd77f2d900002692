// `streamforge run`: the all-in-one on its embedded defaults: the plant simulator (unless
// --no-sim), a gateway polling it over Modbus TCP, the local log as the system of record,
// optionally a Kafka output (--kafka), and the HTTP endpoint. Prints what it started and where;
// on a terminal, a live status view. Ctrl-C stops cleanly; a restart resumes from the log.

#include <cstdio>
#include <filesystem>

#include "app/command_util.h"
#include "app/components.h"
#include "app/gateway_host.h"
#include "config/parse.h"
#include "core/log.h"
#include "sim/simulator.h"

namespace sf::app {
namespace {

std::string tableText(sim::Table t) {
  switch (t) {
    case sim::Table::kCoil:
      return "coil";
    case sim::Table::kDiscreteInput:
      return "discrete_input";
    case sim::Table::kHoldingRegister:
      return "holding";
    case sim::Table::kInputRegister:
      return "input";
  }
  return "holding";
}

// The gateway's side of the simulator's register map: one modbus_tcp adapter, a device per unit
// id, every primary point with its unit and suggested alarm limits.
config::Json simulatorAdapter(const std::vector<sim::TagSpec>& tags, uint16_t port) {
  std::map<std::string, config::Json> devices;
  std::map<std::string, int> unit_of;
  for (const auto& t : tags) {
    config::Json tag = {{"name", t.tag},
                        {"table", tableText(t.table)},
                        {"address", t.address},
                        {"type", std::string(sim::dataTypeName(t.type))}};
    if (!t.word_order.empty()) tag["word_order"] = t.word_order;
    if (t.scale != 1) tag["scale"] = t.scale;
    if (!t.unit.empty()) tag["unit"] = t.unit;
    config::Json alarms = config::Json::array();
    auto limit = [&](const char* cond, const std::optional<double>& v, int severity) {
      if (v) {
        alarms.push_back({{"condition", cond},
                          {"limit", *v},
                          {"severity", severity},
                          {"message", t.asset + " " + t.signal + " " + cond}});
      }
    };
    limit("hihi", t.limits.hi_hi, 800);
    limit("hi", t.limits.hi, 500);
    limit("lo", t.limits.lo, 500);
    limit("lolo", t.limits.lo_lo, 800);
    if (t.alarm_when_true) {
      alarms.push_back({{"condition", "discrete"},
                        {"values", {"true"}},
                        {"severity", 700},
                        {"message", t.asset + " " + t.signal}});
    }
    if (!alarms.empty()) tag["alarms"] = alarms;
    devices[t.device]["tags"].push_back(tag);
    unit_of[t.device] = t.unit_id;
  }
  config::Json list = config::Json::array();
  for (auto& [name, d] : devices) {
    d["name"] = name;
    d["unit_id"] = unit_of[name];
    list.push_back(d);
  }
  return {{"type", "modbus_tcp"}, {"name", "plant-sim"},   {"host", "127.0.0.1"},
          {"port", port},         {"poll_interval", "1s"}, {"devices", list}};
}

}  // namespace

int cmdRun(const Argv& argv) {
  Args args("run", "All-in-one: gateway + local log + simulator (+ API/UI when built)");
  args.option("listen", "HOST:PORT", "Address of the HTTP endpoint (metrics, health, API)",
              "127.0.0.1:8080")
      .option("data-dir", "DIR", "Where the local log and state live", "streamforge-data")
      .option("kafka", "HOST:PORT", "Add a Kafka output to this bootstrap server")
      .option("config", "FILE", "Run this gateway configuration instead of the defaults")
      .option("seed", "N", "Simulator seed (deterministic signals)", "1")
      .flag("no-sim", "Do not start the plant simulator")
      .flag("no-status", "No live status view (plain log lines)");
  if (auto rc = parseOrExit(args, argv)) return *rc;

  HostOptions host;
  host.status_view = !args.has("no-status");
  sim::Simulator simulator;
  bool with_sim = !args.has("no-sim") && !args.has("config");
  if (args.has("config")) {
    host.config_path = args.get("config");
  } else {
    std::string data = args.get("data-dir");
    config::Json cfg = {{"gateway", {{"id", "local"}, {"site", "demo"}}},
                        {"http", {{"listen", args.get("listen")}}},
                        {"log", {{"dir", data + "/log"}}},
                        {"state_dir", data + "/state"},
                        {"adapters", config::Json::array()},
                        {"outputs", config::Json::array()}};
    if (with_sim) {
      sim::SimulatorOptions so;
      so.plant.seed = std::stoull(args.get("seed"));
      so.server.host = "127.0.0.1";
      so.server.port = 0;
      if (auto st = simulator.start(so); !st) {
        std::fprintf(stderr, "streamforge run: simulator: %s\n", st.error().toString().c_str());
        return kExitFailure;
      }
      cfg["adapters"].push_back(simulatorAdapter(simulator.registerMap(), simulator.port()));
    }
    if (args.has("kafka")) {
      cfg["outputs"].push_back(
          {{"type", "kafka"}, {"name", "kafka"}, {"brokers", args.get("kafka")}});
    }
    config::ParseOptions po;
    po.file = "<streamforge run defaults>";
    po.registry = &builtinComponents().registry();
    auto parsed = config::parseJson(cfg, runtime::gatewayConfigSpec(), po);
    if (!parsed) {
      std::fprintf(stderr, "%s", config::formatErrors(parsed.errors()).c_str());
      return kExitUsage;
    }
    host.config = std::move(parsed).value();
  }
  host.on_started = [&](runtime::Gateway& gw) {
    std::printf("StreamForge all-in-one\n");
    std::printf(
        "  http:       http://%s  (/metrics, /healthz, /readyz, /api/v1/status, /api/v1/alarms)\n",
        gw.config().http.listen.c_str());
    std::printf("  local log:  %s  (inspect: streamforge log dump %s)\n",
                gw.config().log.dir.c_str(), gw.config().log.dir.c_str());
    if (with_sim) std::printf("  simulator:  modbus tcp %s\n", simulator.endpoint().c_str());
    for (const auto& o : gw.config().outputs) std::printf("  output:     %s\n", o.type.c_str());
    std::printf(
        "  ui:         not part of this build yet (control-plane issue); the API above answers\n");
    std::printf("Press Ctrl-C to stop.\n");
    std::fflush(stdout);
  };
  int rc = runGatewayHost(host);
  simulator.stop();
  return rc;
}

}  // namespace sf::app
