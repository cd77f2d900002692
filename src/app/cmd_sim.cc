// `streamforge sim`: the plant simulator (pumps, tanks, compressors) serving Modbus TCP, or,
// with --print-map, the register map it would serve (docs/SIMULATOR.md).

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/command_util.h"
#include "app/signals.h"
#include "core/log.h"
#include "net/http_server.h"
#include "sim/simulator.h"

namespace sf::app {
namespace {

template <class T>
bool parseInt(const std::string& text, T& out, T lo, T hi) {
  long long v = 0;
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (e != std::errc() || p != text.data() + text.size() || v < static_cast<long long>(lo) ||
      v > static_cast<long long>(hi)) {
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

bool parseSeed(const std::string& text, uint64_t& out) {
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), out);
  return e == std::errc() && p == text.data() + text.size();
}

bool parseReal(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

int usage(const std::string& message) {
  std::fprintf(stderr, "streamforge sim: %s\n", message.c_str());
  return kExitUsage;
}

std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int cmdSim(const Argv& argv) {
  Args args("sim", "Plant simulator (pumps, tanks, compressors) serving Modbus TCP");
  args.option("listen", "HOST:PORT", "Modbus TCP listen address (port 0: a free port)",
              "127.0.0.1:5020");
  args.option("seed", "N", "Seed: the same seed serves the same plant and signals", "1");
  args.option("pumps", "N", "Pumps per unit id (0..100)", "2");
  args.option("tanks", "N", "Tanks per unit id (0..100)", "2");
  args.option("compressors", "N", "Compressors per unit id (0..100)", "1");
  args.option("units", "LIST", "Unit ids served, e.g. 1-4,7 (one device each)", "1");
  args.option("scale-registers", "N",
              "Load block: N plain holding and input registers from 10000 per unit", "0");
  args.option("fault-period", "SECONDS", "Length of a fault window per asset", "300");
  args.option("fault-probability", "P", "Chance of a fault episode per window (0: none)", "0.3");
  args.option("speed", "X", "Simulated seconds per real second", "1");
  args.option("time", "T", "Freeze simulated time at T seconds (tests, reproducible demos)");
  args.option("response-delay-ms", "MS", "Artificial delay before each response", "0");
  args.option("unknown-unit", "MODE", "Answer for unit ids not served: exception (0x0B) or silence",
              "exception");
  args.option("inject", "RATES",
              "Random response faults, e.g. drop=0.01,wrong-tid=0.01,garbage=0.01,close=0.001");
  args.option("idle-timeout", "SECONDS", "Close connections idle this long (0: never)", "0");
  args.option("max-connections", "N", "Connections served at once", "1024");
  args.flag("print-map", "Print the register map (with values when --time is given) and exit");
  args.option("format", "FORMAT", "--print-map format: table or json", "table");
  args.option("tags", "SET",
              "--print-map set: primary (one point per signal) or all (plus int16 copies and "
              "the load block)",
              "all");
  if (auto rc = parseOrExit(args, argv)) return *rc;

  sim::SimulatorOptions o;
  auto& plant = o.plant;
  if (!parseSeed(args.get("seed"), plant.seed))
    return usage("--seed: expected an unsigned integer");
  if (!parseInt(args.get("pumps"), plant.pumps, 0, 100)) return usage("--pumps: expected 0..100");
  if (!parseInt(args.get("tanks"), plant.tanks, 0, 100)) return usage("--tanks: expected 0..100");
  if (!parseInt(args.get("compressors"), plant.compressors, 0, 100)) {
    return usage("--compressors: expected 0..100");
  }
  auto units = sim::parseUnitList(args.get("units"));
  if (!units) return usage("--units: " + units.error().message);
  plant.units = *units;
  if (!parseInt<uint32_t>(args.get("scale-registers"), plant.scale_registers, 0,
                          sim::kMaxLoadRegisters)) {
    return usage("--scale-registers: expected 0.." + std::to_string(sim::kMaxLoadRegisters));
  }
  if (!parseReal(args.get("fault-period"), plant.signal.fault_period_s)) {
    return usage("--fault-period: expected seconds");
  }
  if (!parseReal(args.get("fault-probability"), plant.signal.fault_probability)) {
    return usage("--fault-probability: expected 0..1");
  }
  if (!parseReal(args.get("speed"), plant.speed)) return usage("--speed: expected a number");
  if (args.has("time")) {
    double t = 0;
    if (!parseReal(args.get("time"), t)) return usage("--time: expected seconds");
    plant.frozen_time = t;
  }
  if (auto st = plant.validate(); !st) return usage(st.error().message);

  std::string format = args.get("format");
  std::string set_name = args.get("tags");
  if (format != "table" && format != "json") return usage("--format: expected table or json");
  if (set_name != "primary" && set_name != "all") return usage("--tags: expected primary or all");
  if (args.has("print-map")) {
    auto set = set_name == "all" ? sim::TagSet::kAll : sim::TagSet::kPrimary;
    auto tags = sim::gatewayTags(plant, set);
    std::vector<double> values;
    if (plant.frozen_time) {
      auto p = sim::Plant::create(plant);
      if (!p) return usage(p.error().message);
      values = (*p)->tagValues(tags, *plant.frozen_time);
    }
    const std::vector<double>* vp = plant.frozen_time ? &values : nullptr;
    std::string out = format == "json" ? sim::renderMapJson(plant, tags, vp, plant.frozen_time)
                                       : sim::renderMapTable(tags, vp);
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }

  auto hp = net::parseHostPort(args.get("listen"));
  if (!hp) return usage("--listen: " + hp.error().message);
  o.server.host = hp->first.empty() ? "0.0.0.0" : hp->first;
  o.server.port = hp->second;
  int delay_ms = 0;
  if (!parseInt(args.get("response-delay-ms"), delay_ms, 0, 600000)) {
    return usage("--response-delay-ms: expected 0..600000");
  }
  o.server.response_delay = std::chrono::milliseconds(delay_ms);
  std::string unknown = args.get("unknown-unit");
  if (unknown == "silence") {
    o.server.unknown_unit = sim::UnknownUnitPolicy::kSilence;
  } else if (unknown != "exception") {
    return usage("--unknown-unit: expected exception or silence");
  }
  int idle_s = 0;
  if (!parseInt(args.get("idle-timeout"), idle_s, 0, 86400)) {
    return usage("--idle-timeout: expected 0..86400 seconds");
  }
  o.server.idle_timeout = std::chrono::seconds(idle_s);
  if (!parseInt<size_t>(args.get("max-connections"), o.server.max_connections, 1, 100000)) {
    return usage("--max-connections: expected 1..100000");
  }
  if (args.has("inject")) {
    auto rates = sim::parseFaultRates(args.get("inject"));
    if (!rates) return usage("--inject: " + rates.error().message);
    o.inject = *rates;
  }

  sim::Simulator simulator;
  if (auto st = simulator.start(o); !st) {
    std::fprintf(stderr, "streamforge sim: %s\n", st.error().message.c_str());
    return kExitFailure;
  }
  auto primary = sim::gatewayTags(plant, sim::TagSet::kPrimary);
  std::printf("StreamForge plant simulator\n");
  std::printf("  modbus tcp: %s\n", simulator.endpoint().c_str());
  std::printf("  units:      %s (devices %s-u<unit>; others get %s)\n",
              sim::formatUnitList(plant.units).c_str(), plant.device_prefix.c_str(),
              unknown == "silence" ? "no answer" : "exception 0x0B");
  std::printf("  per unit:   %s, %s, %s; %zu points (--print-map lists them)\n",
              plural(plant.pumps, "pump", "pumps").c_str(),
              plural(plant.tanks, "tank", "tanks").c_str(),
              plural(plant.compressors, "compressor", "compressors").c_str(),
              primary.size() / plant.units.size());
  if (plant.scale_registers > 0) {
    std::printf("  load block: holding and input registers %u..%u\n", unsigned{sim::kLoadBase},
                static_cast<unsigned>(sim::kLoadBase + plant.scale_registers - 1));
  }
  std::printf("  seed:       %llu; faults: p=%g per %g s window per asset\n",
              static_cast<unsigned long long>(plant.seed), plant.signal.fault_probability,
              plant.signal.fault_period_s);
  if (plant.frozen_time) {
    std::printf("  time:       frozen at %g s\n", *plant.frozen_time);
  } else if (plant.speed != 1) {
    std::printf("  time:       x%g\n", plant.speed);
  }
  if (o.inject.any() || delay_ms > 0) {
    std::printf("  test hooks: delay %d ms, inject %s\n", delay_ms,
                args.has("inject") ? args.get("inject").c_str() : "none");
  }
  std::printf("Press Ctrl-C to stop.\n");
  std::fflush(stdout);
  while (waitForSignal() != SignalEvent::kShutdown) {
  }
  SF_LOG_INFO("sim", "stopping", {{"endpoint", simulator.endpoint()}});
  simulator.stop();
  return kExitOk;
}

}  // namespace sf::app
