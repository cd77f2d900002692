// reconfig_bench: how long Gateway::apply() takes on a 10k-tag configuration (issue target: p99
// below 100 ms), beside what parsing and validating the same file alone costs (the floor every
// reload pays). Adapters here are idle stand-ins (no I/O) so the figure is the runtime's own:
// diff, pipeline compile and swap, adapter stop/start, config cache write.
//
// Usage: reconfig_bench [--tags N] [--adapters A] [--rounds R]
//   --tags      tags in the configuration (default 10000), spread over the adapters
//   --adapters  adapters (default 10)
//   --rounds    applies per scenario (default 40)
// A benchmark prints its figures; nothing asserts them.

#include <unistd.h>

#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "config/parse.h"
#include "core/log.h"
#include "dataplane/pipeline/tag_spec.h"
#include "dataplane/runtime/gateway.h"

using namespace sf;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct IdleTag : pipeline::TagPipelineConfig {};
struct IdleConfig {
  std::string name;
  std::vector<IdleTag> tags;
};

const config::Spec<IdleTag>& idleTagSpec() {
  static const config::Spec<IdleTag> spec = [] {
    config::Spec<IdleTag> s("idle_tag", "A tag of the idle adapter.");
    using B = pipeline::TagPipelineConfig;
    s.option("device", static_cast<std::string IdleTag::*>(&B::device)).required();
    s.option("tag", static_cast<std::string IdleTag::*>(&B::tag)).required();
    pipeline::declareTagPipelineOptions(s);
    return s;
  }();
  return spec;
}

const config::Spec<IdleConfig>& idleSpec() {
  static const config::Spec<IdleConfig> spec = [] {
    config::Spec<IdleConfig> s("idle", "An adapter that connects and waits (no I/O).");
    s.option("name", &IdleConfig::name).required();
    s.option("tags", &IdleConfig::tags, idleTagSpec());
    return s;
  }();
  return spec;
}

class IdleAdapter final : public runtime::Adapter {
 public:
  asio::awaitable<core::Status> connect() override { co_return core::ok(); }
  asio::awaitable<core::Status> run() override {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(24));
    std::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return core::fail(core::Errc::kCancelled, "cancelled");
  }
  asio::awaitable<void> close() override { co_return; }
};

const runtime::Components& components() {
  static const runtime::Components c = [] {
    runtime::Components c;
    runtime::AdapterFactory f;
    f.info = config::ComponentInfo{config::ComponentKind::kAdapter, "idle",
                                   "An adapter that connects and waits.", idleSpec().shared()};
    f.name = [](const config::ComponentConfig& cc) { return cc.as<IdleConfig>()->name; };
    f.tags = [](const config::ComponentConfig& cc) {
      std::vector<pipeline::TagPipelineConfig> tags;
      for (const auto& t : cc.as<IdleConfig>()->tags) {
        tags.push_back(t);
        tags.back().adapter = cc.as<IdleConfig>()->name;
      }
      return tags;
    };
    f.create =
        [](const config::ComponentConfig&,
           const runtime::AdapterContext&) -> core::Result<std::unique_ptr<runtime::Adapter>> {
      return std::unique_ptr<runtime::Adapter>(new IdleAdapter());
    };
    if (!c.addAdapter(std::move(f))) std::abort();
    return c;
  }();
  return c;
}

// The YAML a user would write: `adapters` x `tags/adapters` tags with scaling, a deadband and
// a hi alarm each. `variant` changes one tag's scale in adapter `changed` (-1: none);
// `extra` appends one more adapter.
std::string configText(const fs::path& dir, int tags, int adapters, int changed, int variant,
                       bool extra) {
  std::ostringstream o;
  o << "gateway: {id: bench, site: s}\nlog: {dir: " << (dir / "log").string()
    << "}\nstate_dir: " << (dir / "state").string() << "\nadapters:\n";
  const int per = tags / adapters;
  for (int a = 0; a < adapters + (extra ? 1 : 0); ++a) {
    o << "  - type: idle\n    name: a" << a << "\n    tags:\n";
    for (int t = 0; t < per; ++t) {
      double scale = (a == changed && t == 0) ? 1.0 + variant : 0.1;
      o << "      - {device: d" << a << ", tag: t" << t << ", scale: " << scale
        << ", unit: degC, deadband_mode: absolute, deadband: 0.5, alarms: [{condition: hi, "
           "limit: 90, severity: 500}]}\n";
    }
  }
  return o.str();
}

struct Stats {
  double p50, p99, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.5), at(0.99), v.back()};
}

double ms(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  int tags = 10000, adapters = 10, rounds = 40;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--tags" && i + 1 < argc) {
      tags = std::atoi(argv[++i]);
    } else if (k == "--adapters" && i + 1 < argc) {
      adapters = std::atoi(argv[++i]);
    } else if (k == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: reconfig_bench [--tags N] [--adapters A] [--rounds R]\n");
      return 2;
    }
  }
  if (tags <= 0 || adapters <= 0 || rounds <= 0 || tags < adapters) return 2;
  core::Logger::instance().setLevel(core::LogLevel::kError);
  sf::bench::printHeader(argc, argv);
  std::printf(
      "setup:    %d tags over %d adapters (scale, deadband, one hi alarm each), %d "
      "rounds per row\n\n",
      tags, adapters, rounds);

  fs::path dir = fs::temp_directory_path() / ("sf-reconfig-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  config::ParseOptions po;
  po.file = "bench.yaml";
  po.registry = &components().registry();
  auto parse = [&](const std::string& text) {
    auto r = config::parseYaml(text, runtime::gatewayConfigSpec(), po);
    if (!r) {
      std::fprintf(stderr, "%s", config::formatErrors(r.errors()).c_str());
      std::exit(1);
    }
    return std::move(r).value();
  };

  core::MetricsRegistry metrics;
  runtime::GatewayOptions go;
  go.serve_http = false;
  go.metrics = &metrics;
  auto gw = runtime::Gateway::start(parse(configText(dir, tags, adapters, -1, 0, false)),
                                    components(), go);
  if (!gw) {
    std::fprintf(stderr, "start: %s\n", gw.error().toString().c_str());
    return 1;
  }

  std::vector<double> parse_ms, noop_ms, change_ms, add_ms, remove_ms;
  for (int r = 0; r < rounds; ++r) {
    const std::string changed = configText(dir, tags, adapters, r % adapters, r + 1, false);
    auto t0 = Steady::now();
    auto cfg = parse(changed);
    parse_ms.push_back(ms(t0, Steady::now()));

    auto t1 = Steady::now();
    auto rep = (*gw)->apply(cfg);
    change_ms.push_back(ms(t1, Steady::now()));
    if (!rep.applied) {
      std::fprintf(stderr, "rejected: %s\n", rep.error.c_str());
      return 1;
    }
    auto same = parse(changed);
    auto t2 = Steady::now();
    (*gw)->apply(same);
    noop_ms.push_back(ms(t2, Steady::now()));

    auto added = parse(configText(dir, tags, adapters, r % adapters, r + 1, true));
    auto t3 = Steady::now();
    (*gw)->apply(added);
    add_ms.push_back(ms(t3, Steady::now()));
    auto t4 = Steady::now();
    (*gw)->apply(std::move(cfg));
    remove_ms.push_back(ms(t4, Steady::now()));
  }
  (*gw)->stop();
  fs::remove_all(dir);

  std::printf("%-52s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
  auto row = [](const char* what, const std::vector<double>& v) {
    auto s = stats(v);
    std::printf("%-52s %9.2f %9.2f %9.2f\n", what, s.p50, s.p99, s.max);
  };
  row("floor: parse + validate the whole file", parse_ms);
  row("apply: nothing changed", noop_ms);
  row("apply: one tag rescaled (its adapter restarts)", change_ms);
  row("apply: one adapter added", add_ms);
  row("apply: one adapter removed", remove_ms);
  return 0;
}
