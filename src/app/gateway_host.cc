#include "app/gateway_host.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "app/args.h"
#include "app/components.h"
#include "app/signals.h"
#include "config/loader.h"
#include "core/log.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;

// The file's modification time; file_time_type::min() when it cannot be read (or no path).
fs::file_time_type mtimeOf(const std::string& path) {
  if (path.empty()) return fs::file_time_type::min();
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  return ec ? fs::file_time_type::min() : t;
}

std::string humanBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024 && i < 4) {
    b /= 1024;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[i]);
  return buf;
}

}  // namespace

std::optional<runtime::GatewayConfig> loadGatewayConfig(const std::string& path,
                                                        std::string* errors) {
  config::LoadOptions lo;
  lo.registry = &builtinComponents().registry();
  auto cfg = config::loadConfigFile(path, runtime::gatewayConfigSpec(), lo);
  if (!cfg) {
    std::string text = config::formatErrors(cfg.errors());
    std::fprintf(stderr, "%s", text.c_str());
    if (errors) *errors = std::move(text);
    return std::nullopt;
  }
  return std::move(cfg).value();
}

std::string renderStatus(const nlohmann::json& s, double rates[4]) {
  std::ostringstream o;
  o << "StreamForge gateway " << s["gateway"].value("id", "") << " (site "
    << s["gateway"].value("site", "") << ")   up " << static_cast<int64_t>(s.value("uptime_s", 0.0))
    << " s\n\n";
  char line[256];
  std::snprintf(line, sizeof line,
                "records/s   telemetry %8.1f   event %6.1f   alarm %6.1f   log %6.1f\n", rates[0],
                rates[1], rates[2], rates[3]);
  o << line;
  if (s.contains("log")) {
    const auto& l = s["log"];
    o << "local log   " << humanBytes(l.value("size_bytes", 0.0)) << "   offsets "
      << l.value("start_offset", 0) << ".." << l.value("end_offset", 0) << "   in flight "
      << l.value("inflight", 0) << "\n";
  }
  o << "\nadapters\n";
  for (const auto& a : s["adapters"]) {
    std::snprintf(line, sizeof line, "  %-20s %-12s %-11s connects %-4d %s\n",
                  a.value("name", "").c_str(), a.value("type", "").c_str(),
                  a.value("state", "").c_str(), a.value("connects", 0),
                  a.value("last_error", "").substr(0, 60).c_str());
    o << line;
    for (const auto& d : a["devices"]) {
      std::snprintf(line, sizeof line, "    %-18s %-11s %s\n", d.value("device", "").c_str(),
                    d.value("state", "").c_str(), d.value("last_error", "").substr(0, 60).c_str());
      o << line;
    }
  }
  o << "\noutputs\n";
  if (s["outputs"].empty()) o << "  (none: the local log is the system of record)\n";
  for (const auto& out : s["outputs"]) {
    uint64_t end = s.contains("log") ? s["log"].value("end_offset", 0ull) : 0;
    uint64_t cursor = out.value("cursor", 0ull);
    std::snprintf(line, sizeof line, "  %-20s %-11s lag %llu records   resent %llu\n",
                  out.value("name", "").c_str(), out.value("state", "").c_str(),
                  static_cast<unsigned long long>(end > cursor ? end - cursor : 0),
                  static_cast<unsigned long long>(out.value("resent", 0ull)));
    o << line;
  }
  o << "\nactive alarms (" << s["alarms_active"].size() << ")\n";
  size_t shown = 0;
  for (const auto& a : s["alarms_active"]) {
    if (++shown > 10) {
      o << "  ...\n";
      break;
    }
    std::snprintf(line, sizeof line, "  %-32s %-15s sev %-4d %s\n", a.value("id", "").c_str(),
                  a.value("state", "").c_str(), a.value("severity", 0),
                  a.value("message", "").substr(0, 50).c_str());
    o << line;
  }
  const auto& la = s["last_apply"];
  if (la.is_object() && la.contains("error") && !la["error"].get<std::string>().empty()) {
    o << "\nlast configuration REJECTED: " << la["error"].get<std::string>().substr(0, 200) << "\n";
  }
  o << "\nCtrl-C stops (nothing is lost: a restart resumes from the local log).\n";
  return o.str();
}

int runGatewayHost(const HostOptions& options) {
  const auto& components = builtinComponents();
  std::optional<runtime::GatewayConfig> cfg = options.config;
  if (!options.config_path.empty()) {
    cfg = loadGatewayConfig(options.config_path);
    if (options.check_only) {
      if (cfg) std::printf("%s: valid\n", options.config_path.c_str());
      return cfg ? kExitOk : kExitUsage;
    }
    if (!cfg) {
      // Keep collecting from the last applied configuration (principle 3), if there is one.
      const std::string state_dir =
          options.state_dir.empty() ? runtime::GatewayConfig{}.state_dir : options.state_dir;
      auto cached = runtime::Gateway::loadCachedConfig(state_dir, components);
      if (!cached) {
        std::fprintf(stderr,
                     "streamforge: %s is invalid and no applied configuration is cached in %s\n",
                     options.config_path.c_str(), state_dir.c_str());
        return kExitUsage;
      }
      std::fprintf(stderr,
                   "streamforge: %s is invalid; starting from the cached applied configuration\n",
                   options.config_path.c_str());
      cfg = std::move(cached).value();
    }
  }
  if (!cfg) return kExitUsage;
  if (options.dry_run) {
    const std::string state_dir = options.state_dir.empty() ? cfg->state_dir : options.state_dir;
    auto cached = runtime::Gateway::loadCachedConfig(state_dir, components);
    if (!cached) {
      std::printf("dry run: no applied configuration cached in %s: everything would be added\n",
                  state_dir.c_str());
      return kExitOk;
    }
    auto r = runtime::diffConfigs(*cached, *cfg, components);
    std::printf("%s\n", r.toJson().dump(2).c_str());
    return r.error.empty() ? kExitOk : kExitUsage;
  }

  auto started = runtime::Gateway::start(*cfg, components);
  if (!started) {
    std::fprintf(stderr, "streamforge: %s\n", started.error().toString().c_str());
    return started.error().code == core::Errc::kInvalidConfig ? kExitUsage : kExitFailure;
  }
  auto& gw = **started;
  if (options.on_started) options.on_started(gw);
  auto mtime = mtimeOf(options.config_path);
  bool tty = options.status_view && ::isatty(STDOUT_FILENO);
  double last_totals[4] = {0, 0, 0, 0};
  bool have_last = false;
  auto reload = [&](const char* why) {
    if (options.config_path.empty()) return;
    SF_LOG_INFO("gateway", "reloading configuration",
                {{"file", options.config_path}, {"why", why}});
    std::string errors;
    auto next = loadGatewayConfig(options.config_path, &errors);
    if (!next) {
      while (!errors.empty() && errors.back() == '\n') errors.pop_back();
      gw.reportRejected(options.config_path, errors);
      return;
    }
    auto report = gw.apply(std::move(*next));
    std::fprintf(stderr, "streamforge: %s\n", report.summary().c_str());
  };
  for (;;) {
    SignalEvent ev;
    if (waitForSignalFor(1000, ev)) {
      if (ev == SignalEvent::kShutdown) break;
      reload("SIGHUP");
      mtime = mtimeOf(options.config_path);
    }
    if (!options.config_path.empty()) {
      auto now = mtimeOf(options.config_path);
      if (now != fs::file_time_type::min() && now != mtime) {
        mtime = now;
        reload("file changed");
      }
    }
    if (tty) {
      auto s = gw.status();
      double rates[4] = {0, 0, 0, 0};
      const char* classes[] = {"telemetry", "event", "alarm", "log"};
      for (int i = 0; i < 4; ++i) {
        double total = s["records_total"].value(classes[i], 0.0);
        if (have_last) rates[i] = std::max(0.0, total - last_totals[i]);
        last_totals[i] = total;
      }
      have_last = true;
      std::string screen = "\x1b[H\x1b[2J" + renderStatus(s, rates);
      std::fwrite(screen.data(), 1, screen.size(), stdout);
      std::fflush(stdout);
    }
  }
  std::fprintf(stderr, "streamforge: stopping\n");
  gw.stop();
  return kExitOk;
}

}  // namespace sf::app
