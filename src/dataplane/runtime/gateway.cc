#include "dataplane/runtime/gateway.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "config/parse.h"
#include "core/log.h"
#include "dataplane/log/format.h"
#include "model/record_codec.h"
#include "net/http_server.h"

namespace sf::runtime {
namespace {

namespace fs = std::filesystem;
constexpr const char* kAppliedConfigFile = "applied-config.yaml";
constexpr const char* kAlarmStateFile = "alarm-state.json";

// temp file, fsync, rename, fsync dir: the file is either the old or the new one after a crash.
core::Status writeFileAtomically(const fs::path& path, const std::string& content, mode_t mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return core::fail(core::Errc::kUnavailable, "cannot write " + tmp.string());
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      return core::fail(core::Errc::kUnavailable, "short write to " + tmp.string());
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return core::fail(core::Errc::kUnavailable, "fsync failed on " + tmp.string());
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return core::fail(core::Errc::kUnavailable, "cannot rename to " + path.string());
  }
  int dfd = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return core::ok();
}

nlohmann::json parseBody(const net::HttpRequest& req) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  return j.is_discarded() || !j.is_object() ? nlohmann::json::object() : j;
}

net::HttpResponse jsonResponse(int status, const nlohmann::json& body) {
  return net::HttpResponse{status, "application/json", body.dump() + "\n", {}};
}

std::string stateText(model::AlarmState s) { return std::string(model::alarmStateName(s)); }

}  // namespace

nlohmann::json ApplyReport::toJson() const {
  return {{"applied", applied},
          {"dry_run", dry_run},
          {"error", error},
          {"adapters",
           {{"added", adapters_added},
            {"removed", adapters_removed},
            {"changed", adapters_changed},
            {"kept", adapters_kept}}},
          {"outputs",
           {{"added", outputs_added},
            {"removed", outputs_removed},
            {"changed", outputs_changed},
            {"kept", outputs_kept}}},
          {"tags",
           {{"kept", tags.kept},
            {"changed", tags.changed},
            {"added", tags.added},
            {"removed", tags.removed}}},
          {"restart_required", restart_required}};
}

std::string ApplyReport::summary() const {
  if (!error.empty()) return "rejected: " + error;
  std::ostringstream o;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    o << ' ' << what << '=';
    for (size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  };
  o << (dry_run ? "dry run:" : "applied:");
  list("adapters+", adapters_added);
  list("adapters-", adapters_removed);
  list("adapters~", adapters_changed);
  o << " adapters_kept=" << adapters_kept.size();
  list("outputs+", outputs_added);
  list("outputs-", outputs_removed);
  list("outputs~", outputs_changed);
  o << " tags(kept=" << tags.kept << " changed=" << tags.changed << " added=" << tags.added
    << " removed=" << tags.removed << ")";
  list("restart_required", restart_required);
  return o.str();
}

ApplyReport diffConfigs(const GatewayConfig& current, const GatewayConfig& next,
                        const Components& components) {
  ApplyReport report;
  report.dry_run = true;
  if (!(next.gateway == current.gateway)) report.restart_required.push_back("gateway");
  if (!(next.log == current.log)) report.restart_required.push_back("log");
  if (!(next.http == current.http)) report.restart_required.push_back("http");
  if (next.state_dir != current.state_dir) report.restart_required.push_back("state_dir");
  auto index = [&](const std::vector<config::ComponentConfig>& list, bool adapters) {
    std::map<std::string, const config::ComponentConfig*> m;
    for (const auto& c : list) {
      if (adapters) {
        const auto* f = components.adapter(c.type);
        m[f ? f->name(c) : c.type] = &c;
      } else {
        const auto* f = components.output(c.type);
        m[f ? f->name(c) : c.type] = &c;
      }
    }
    return m;
  };
  auto diff = [](const auto& cur, const auto& nxt, auto& added, auto& removed, auto& changed,
                 auto& kept) {
    for (const auto& [name, cfg] : nxt) {
      auto it = cur.find(name);
      if (it == cur.end()) {
        added.push_back(name);
      } else if (*it->second == *cfg) {
        kept.push_back(name);
      } else {
        changed.push_back(name);
      }
    }
    for (const auto& [name, cfg] : cur) {
      if (!nxt.count(name)) removed.push_back(name);
    }
  };
  diff(index(current.adapters, true), index(next.adapters, true), report.adapters_added,
       report.adapters_removed, report.adapters_changed, report.adapters_kept);
  diff(index(current.outputs, false), index(next.outputs, false), report.outputs_added,
       report.outputs_removed, report.outputs_changed, report.outputs_kept);
  pipeline::PipelineConfig pc;
  pc.site = next.gateway.site;
  pc.gateway = next.gateway.id;
  pc.max_shelve = next.max_shelve;
  for (const auto& a : next.adapters) {
    if (const auto* f = components.adapter(a.type)) {
      for (auto& t : f->tags(a)) pc.tags.push_back(std::move(t));
    }
  }
  if (auto p = pipeline::Pipeline::compile(std::move(pc)); !p) report.error = p.error().message;
  return report;
}

struct Gateway::Http {
  net::HttpServer server;
};

Gateway::Gateway(GatewayConfig config, const Components& components, GatewayOptions options)
    : config_(std::move(config)),
      components_(components),
      options_(options),
      clock_(*options.clock),
      io_(options.io_threads) {}

Gateway::~Gateway() { stop(); }

core::Result<std::unique_ptr<Gateway>> Gateway::start(GatewayConfig config,
                                                      const Components& components,
                                                      GatewayOptions options) {
  std::unique_ptr<Gateway> gw(new Gateway(std::move(config), components, options));
  if (auto st = gw->init(); !st) {
    gw->stop();
    return core::fail(st.error());
  }
  return gw;
}

core::Result<std::shared_ptr<const pipeline::Pipeline>> Gateway::compilePipeline(
    const GatewayConfig& config) const {
  pipeline::PipelineConfig pc;
  pc.site = config.gateway.site;
  pc.gateway = config.gateway.id;
  pc.max_shelve = config.max_shelve;
  for (const auto& a : config.adapters) {
    const auto* factory = components_.adapter(a.type);
    if (!factory) return core::fail(core::Errc::kInvalidConfig, "unknown adapter type " + a.type);
    for (auto& t : factory->tags(a)) pc.tags.push_back(std::move(t));
  }
  return pipeline::Pipeline::compile(std::move(pc));
}

core::Status Gateway::init() {
  started_ns_ = clock_.nowUnixNanos();
  std::error_code ec;
  fs::create_directories(config_.state_dir, ec);
  if (ec) {
    return core::fail(core::Errc::kUnavailable,
                      "cannot create state_dir " + config_.state_dir + ": " + ec.message());
  }
  SF_ASSIGN_OR_RETURN(auto pipeline, compilePipeline(config_));

  SF_ASSIGN_OR_RETURN(log_,
                      log::openLog(config_.log.toOptions(), nullptr, clock_, *options_.metrics));
  ingest_ = std::make_unique<Ingest>(
      *log_, Ingest::Options{config_.gateway.site, config_.gateway.id, config_.log.stream},
      *options_.metrics);
  stage_ = std::make_unique<PipelineStage>(std::move(pipeline), *ingest_, clock_);

  const auto& rec = log_->recovery();
  if (rec.truncated_bytes > 0 || !rec.quarantined_segments.empty()) {
    emitLog(model::LogLevel::kWarning, "local log recovered: " + rec.summary(),
            "dataplane.log.recovery");
  }
  log_->onEviction([this](const log::EvictionNotice& n) { noteEviction(n); });
  restoreAlarmState();

  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_.get_executor());
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }

  for (const auto& oc : config_.outputs) {
    const auto* factory = components_.output(oc.type);
    if (!factory) return core::fail(core::Errc::kInvalidConfig, "unknown output type " + oc.type);
    SF_ASSIGN_OR_RETURN(auto out, factory->create(oc, *log_, config_.gateway, config_.log));
    SF_TRY(out->start());
    outputs_[factory->name(oc)] = RunningOutput{oc, std::move(out)};
  }
  for (const auto& ac : config_.adapters) {
    const auto* factory = components_.adapter(ac.type);
    std::string name = factory->name(ac);
    AdapterContext ctx = adapterContext(name, ac.type);
    SF_ASSIGN_OR_RETURN(auto adapter, factory->create(ac, ctx));
    auto sup = std::make_unique<Supervisor>(ctx, std::move(adapter));
    sup->start();
    adapters_[name] = RunningAdapter{ac, std::move(sup)};
  }
  startTicker();
  cache_thread_ = std::thread([this] { cacheWriterLoop(); });

  if (options_.serve_http) {
    SF_ASSIGN_OR_RETURN(auto hp, net::parseHostPort(config_.http.listen));
    http_ = std::make_unique<Http>();
    registerRoutes();
    SF_TRY(http_->server.start(hp.first, hp.second));
  }
  cacheAppliedConfig(true);
  emitLog(model::LogLevel::kInfo,
          "gateway started: " + std::to_string(adapters_.size()) + " adapters, " +
              std::to_string(outputs_.size()) + " outputs",
          "dataplane.runtime.gateway");
  {
    std::lock_guard lock(status_mu_);
    last_apply_ = {{"applied", true}, {"source", "start"}, {"at_ns", started_ns_}};
  }
  return core::ok();
}

void Gateway::emitLog(model::LogLevel level, const std::string& message, const std::string& origin,
                      model::Attributes attributes) {
  if (!ingest_) return;
  model::Record r;
  r.site = config_.gateway.site;
  r.gateway = config_.gateway.id;
  r.adapter = "gateway";
  r.tag = "_gateway";
  r.source_ts_ns = r.gateway_ts_ns = clock_.nowUnixNanos();
  r.attributes = std::move(attributes);
  r.detail = model::LogInfo{level, message, origin};
  std::vector<model::Record> batch;
  batch.push_back(std::move(r));
  ingest_->emit(std::move(batch));
}

AdapterContext Gateway::adapterContext(const std::string& name, const std::string& type) {
  AdapterContext ctx{
      name, type, config_.gateway.site, config_.gateway.id, asio::make_strand(io_), stage_.get()};
  ctx.clock = &clock_;
  ctx.metrics = options_.metrics;
  Ingest* ingest = ingest_.get();
  ctx.overloaded = [ingest] { return ingest->overloaded(); };
  return ctx;
}

void Gateway::startTicker() {
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        asio::steady_timer timer(io_);
        auto last_snapshot = std::chrono::steady_clock::now();
        while (!stopped_) {
          timer.expires_after(options_.tick_interval);
          asio::error_code ec;
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          if (stopped_) break;
          stage_->tick();
          announceEvictions();
          if (std::chrono::steady_clock::now() - last_snapshot >= options_.snapshot_interval) {
            saveSnapshot();
            last_snapshot = std::chrono::steady_clock::now();
          }
        }
      },
      asio::detached);
}

void Gateway::noteEviction(const log::EvictionNotice& n) {
  std::lock_guard lock(evictions_mu_);
  auto& e = evictions_[static_cast<size_t>(n.cls)];
  e.first_offset = std::min(e.first_offset, n.first_offset);
  e.last_offset = std::max(e.last_offset, n.last_offset);
  e.records += n.records;
  e.bytes += n.bytes;
  e.notices += 1;
}

void Gateway::announceEvictions() {
  std::array<EvictionSummary, 4> due{};
  {
    std::lock_guard lock(evictions_mu_);
    auto now = std::chrono::steady_clock::now();
    if (now - last_eviction_report_ < std::chrono::seconds(1)) return;
    bool any = false;
    for (const auto& e : evictions_) any = any || e.records > 0;
    if (!any) return;
    due.swap(evictions_);
    last_eviction_report_ = now;
  }
  for (size_t c = 0; c < due.size(); ++c) {
    const auto& e = due[c];
    if (e.records == 0) continue;
    std::string cls(log::entryClassName(static_cast<log::EntryClass>(c)));
    model::Attributes a;
    a.set("class", cls);
    a.set("first_offset", std::to_string(e.first_offset));
    a.set("last_offset", std::to_string(e.last_offset));
    a.set("records", std::to_string(e.records));
    a.set("bytes", std::to_string(e.bytes));
    a.set("evictions", std::to_string(e.notices));
    emitLog(model::LogLevel::kWarning,
            "quota eviction: " + std::to_string(e.records) + " " + cls +
                " record(s) dropped (offsets " + std::to_string(e.first_offset) + ".." +
                std::to_string(e.last_offset) + ")",
            "dataplane.log.quota", std::move(a));
  }
}

void Gateway::saveSnapshot() {
  if (!stage_ || !log_) return;
  // The offset first: transitions appended after it are replayed over the snapshot at start.
  uint64_t offset = log_->endOffset();
  std::string state =
      stage_->withState([this](pipeline::PipelineState& s, std::vector<model::Record>&) {
        return pipeline::snapshotToJson(s.snapshot(clock_.nowUnixNanos()));
      });
  std::string content = "{\"log_offset\":" + std::to_string(offset) + ",\"state\":" + state + "}\n";
  auto st = writeFileAtomically(fs::path(config_.state_dir) / kAlarmStateFile, content, 0644);
  if (!st) SF_LOG_WARN("gateway", "alarm snapshot not saved", {{"error", st.error().toString()}});
}

void Gateway::restoreAlarmState() {
  uint64_t from = log_->startOffset();
  fs::path path = fs::path(config_.state_dir) / kAlarmStateFile;
  std::ifstream in(path);
  if (in) {
    std::stringstream buf;
    buf << in.rdbuf();
    auto j = nlohmann::json::parse(buf.str(), nullptr, false);
    if (!j.is_discarded() && j.contains("state") && j.contains("log_offset")) {
      auto snap = pipeline::parseSnapshot(j["state"].dump());
      if (snap) {
        auto report =
            stage_->withState([&](pipeline::PipelineState& s, std::vector<model::Record>&) {
              return s.restore(*snap);
            });
        from = std::max(from, j["log_offset"].get<uint64_t>());
        SF_LOG_INFO("gateway", "alarm state restored from snapshot",
                    {{"alarms", std::to_string(report.alarms_applied)},
                     {"replay_from", std::to_string(from)}});
      } else {
        SF_LOG_WARN("gateway", "alarm snapshot unreadable; rebuilding from the log",
                    {{"error", snap.error().toString()}});
      }
    }
  }
  // Replay alarm and event records appended after the snapshot (or the whole log without one).
  size_t replayed = 0;
  for (uint64_t next = from; next < log_->endOffset();) {
    auto batch = log_->read(next, 4096, 16u << 20);
    if (!batch || batch->empty()) break;
    stage_->withState([&](pipeline::PipelineState& s, std::vector<model::Record>&) {
      for (const auto& e : *batch) {
        if (e.cls == log::EntryClass::kAlarm || e.cls == log::EntryClass::kEvent) {
          auto r = model::decodeBinary(e.payload);
          if (r && s.replay(*r)) ++replayed;
        }
      }
    });
    next = batch->back().offset + 1;
  }
  if (replayed > 0)
    SF_LOG_INFO("gateway", "alarm state replayed from the log",
                {{"records", std::to_string(replayed)}});
}

namespace {
void writeAppliedConfig(const GatewayConfig& config) {
  std::string yaml = config::dumpYaml(gatewayConfigSpec(), config, config::RenderOptions{false});
  // The cache holds secrets as the running config does: owner-only.
  auto st = writeFileAtomically(fs::path(config.state_dir) / kAppliedConfigFile, yaml, 0600);
  if (!st) SF_LOG_WARN("gateway", "applied config not cached", {{"error", st.error().toString()}});
}
}  // namespace

void Gateway::cacheAppliedConfig(bool now) {
  if (now) {
    writeAppliedConfig(config_);
    return;
  }
  auto copy = std::make_shared<const GatewayConfig>(config_);
  {
    std::lock_guard lock(cache_mu_);
    cache_pending_ = std::move(copy);  // a newer config replaces one not yet written
  }
  cache_cv_.notify_one();
}

void Gateway::cacheWriterLoop() {
  std::unique_lock lock(cache_mu_);
  for (;;) {
    cache_cv_.wait(lock, [this] { return cache_stop_ || cache_pending_; });
    if (cache_pending_) {
      auto config = std::move(cache_pending_);
      cache_pending_.reset();
      lock.unlock();
      writeAppliedConfig(*config);
      lock.lock();
      continue;
    }
    if (cache_stop_) return;
  }
}

core::Result<GatewayConfig> Gateway::loadCachedConfig(const std::string& state_dir,
                                                      const Components& components) {
  config::LoadOptions lo;
  lo.registry = &components.registry();
  lo.expand_env = false;
  auto cfg =
      config::loadConfigFile(fs::path(state_dir) / kAppliedConfigFile, gatewayConfigSpec(), lo);
  if (!cfg) return core::fail(core::Errc::kNotFound, config::formatErrors(cfg.errors()));
  return std::move(cfg).value();
}

ApplyReport Gateway::apply(GatewayConfig next, bool dry_run) {
  std::lock_guard apply_lock(apply_mu_);
  ApplyReport report;
  report.dry_run = dry_run;
  auto reject = [&](std::string why) {
    report.error = std::move(why);
    if (!dry_run) {
      emitLog(model::LogLevel::kError, "configuration rejected: " + report.error,
              "dataplane.runtime.reconfigure");
      std::lock_guard lock(status_mu_);
      last_apply_ = report.toJson();
      last_apply_["at_ns"] = clock_.nowUnixNanos();
    }
    return report;
  };
  if (!(next.gateway == config_.gateway)) report.restart_required.push_back("gateway");
  if (!(next.log == config_.log)) report.restart_required.push_back("log");
  if (!(next.http == config_.http)) report.restart_required.push_back("http");
  if (next.state_dir != config_.state_dir) report.restart_required.push_back("state_dir");
  // Sections that need a restart keep their running values.
  next.gateway = config_.gateway;
  next.log = config_.log;
  next.http = config_.http;
  next.state_dir = config_.state_dir;

  // 1. Validate everything before touching anything.
  auto pipeline = compilePipeline(next);
  if (!pipeline) return reject(pipeline.error().message);
  std::map<std::string, const config::ComponentConfig*> next_adapters, next_outputs;
  for (const auto& a : next.adapters) {
    const auto* f = components_.adapter(a.type);
    if (!f) return reject("unknown adapter type " + a.type);
    next_adapters[f->name(a)] = &a;
  }
  for (const auto& o : next.outputs) {
    const auto* f = components_.output(o.type);
    if (!f) return reject("unknown output type " + o.type);
    next_outputs[f->name(o)] = &o;
  }
  struct NewAdapter {
    std::string name;
    AdapterContext ctx;
    std::unique_ptr<Adapter> adapter;
    const config::ComponentConfig* config;
  };
  std::vector<NewAdapter> to_start;
  for (const auto& [name, cfg] : next_adapters) {
    auto it = adapters_.find(name);
    if (it != adapters_.end() && it->second.config == *cfg) {
      report.adapters_kept.push_back(name);
      continue;
    }
    (it == adapters_.end() ? report.adapters_added : report.adapters_changed).push_back(name);
    AdapterContext ctx = adapterContext(name, cfg->type);
    auto adapter = components_.adapter(cfg->type)->create(*cfg, ctx);
    if (!adapter) return reject("adapter " + name + ": " + adapter.error().message);
    to_start.push_back({name, ctx, std::move(adapter).value(), cfg});
  }
  for (const auto& [name, running] : adapters_) {
    if (!next_adapters.count(name)) report.adapters_removed.push_back(name);
  }
  std::vector<std::pair<std::string, RunningOutput>> outputs_to_start;
  for (const auto& [name, cfg] : next_outputs) {
    auto it = outputs_.find(name);
    if (it != outputs_.end() && it->second.config == *cfg) {
      report.outputs_kept.push_back(name);
      continue;
    }
    (it == outputs_.end() ? report.outputs_added : report.outputs_changed).push_back(name);
    auto out = components_.output(cfg->type)->create(*cfg, *log_, config_.gateway, config_.log);
    if (!out) return reject("output " + name + ": " + out.error().message);
    outputs_to_start.emplace_back(name, RunningOutput{*cfg, std::move(out).value()});
  }
  for (const auto& [name, running] : outputs_) {
    if (!next_outputs.count(name)) report.outputs_removed.push_back(name);
  }
  if (dry_run) {
    report.tags = stage_->withState([&](pipeline::PipelineState& s, std::vector<model::Record>&) {
      // Count without swapping: compare tag programs by key.
      pipeline::SwapReport r;
      const auto& cur = *s.pipeline();
      const auto& nxt = **pipeline;
      for (uint32_t i = 0; i < nxt.size(); ++i) {
        const auto& t = nxt.tag(i).config;
        auto found = cur.find(t.device, t.tag);
        if (!found) {
          ++r.added;
        } else if (cur.tag(*found).config == t) {
          ++r.kept;
        } else {
          ++r.changed;
        }
      }
      for (uint32_t i = 0; i < cur.size(); ++i) {
        const auto& t = cur.tag(i).config;
        if (!nxt.find(t.device, t.tag)) ++r.removed;
      }
      return r;
    });
    return report;
  }

  // 2. Apply by diff. Stop what goes away or changes, swap the pipeline, start what is new.
  for (const auto& name : report.adapters_removed) {
    adapters_[name].supervisor->stopAndWait();
    adapters_.erase(name);
  }
  for (auto& n : to_start) {
    if (auto it = adapters_.find(n.name); it != adapters_.end()) {
      it->second.supervisor->stopAndWait();
      adapters_.erase(it);
    }
  }
  report.tags = stage_->withState([&](pipeline::PipelineState& s, std::vector<model::Record>& out) {
    return s.swap(*pipeline, clock_.nowUnixNanos(), out);
  });
  for (auto& n : to_start) {
    auto sup = std::make_unique<Supervisor>(n.ctx, std::move(n.adapter));
    sup->start();
    adapters_[n.name] = RunningAdapter{*n.config, std::move(sup)};
  }
  for (const auto& name : report.outputs_removed) {
    outputs_[name].output->stop();
    outputs_.erase(name);
  }
  for (auto& [name, ro] : outputs_to_start) {
    if (auto it = outputs_.find(name); it != outputs_.end()) {
      it->second.output->stop();
      outputs_.erase(it);
    }
    if (auto st = ro.output->start(); !st) {
      SF_LOG_ERROR("gateway", "output failed to start",
                   {{"output", name}, {"error", st.error().toString()}});
    }
    outputs_[name] = std::move(ro);
  }
  // The sections that change only at the next start keep their running values here; the
  // report says they need a restart.
  next.gateway = config_.gateway;
  next.http = config_.http;
  next.log = config_.log;
  next.state_dir = config_.state_dir;
  next.outputs.clear();
  next.adapters.clear();
  for (const auto& [name, ro] : outputs_) next.outputs.push_back(ro.config);
  for (const auto& [name, ra] : adapters_) next.adapters.push_back(ra.config);
  config_ = std::move(next);
  report.applied = true;
  cacheAppliedConfig(false);
  emitLog(model::LogLevel::kInfo, "configuration " + report.summary(),
          "dataplane.runtime.reconfigure");
  SF_LOG_INFO("gateway", "configuration applied", {{"summary", report.summary()}});
  {
    std::lock_guard lock(status_mu_);
    last_apply_ = report.toJson();
    last_apply_["at_ns"] = clock_.nowUnixNanos();
  }
  return report;
}

void Gateway::reportRejected(const std::string& source, const std::string& reason) {
  emitLog(model::LogLevel::kError, "configuration rejected (" + source + "): " + reason,
          "dataplane.runtime.reconfigure");
  std::lock_guard lock(status_mu_);
  last_apply_ = {
      {"applied", false}, {"source", source}, {"error", reason}, {"at_ns", clock_.nowUnixNanos()}};
}

void Gateway::stop() {
  if (stopped_.exchange(true)) return;
  if (http_) http_->server.stop();
  for (auto& [name, ra] : adapters_) ra.supervisor->stopAndWait();
  adapters_.clear();
  saveSnapshot();
  if (cache_thread_.joinable()) {
    {
      std::lock_guard lock(cache_mu_);
      cache_stop_ = true;
    }
    cache_cv_.notify_one();
    cache_thread_.join();  // writes a pending config first
  }
  for (auto& [name, ro] : outputs_) ro.output->stop();
  outputs_.clear();
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (log_) log_->close();
}

uint16_t Gateway::httpPort() const { return http_ ? http_->server.port() : 0; }

nlohmann::json Gateway::status() const {
  std::lock_guard apply_lock(apply_mu_);  // adapters_, outputs_ and config_ change in apply()
  auto& m = *options_.metrics;
  nlohmann::json s;
  s["gateway"] = {{"id", config_.gateway.id}, {"site", config_.gateway.site}};
  s["uptime_s"] = (clock_.nowUnixNanos() - started_ns_) / 1e9;
  nlohmann::json classes = nlohmann::json::object();
  for (const char* c : {"telemetry", "event", "alarm", "log"}) {
    classes[c] = m.valueOf("sf_gateway_records_total", {{"class", c}});
  }
  s["records_total"] = classes;
  if (log_) {
    s["log"] = {{"dir", config_.log.dir},
                {"start_offset", log_->startOffset()},
                {"end_offset", log_->endOffset()},
                {"size_bytes", log_->stats().size_bytes},
                {"inflight", ingest_ ? ingest_->inflight() : 0}};
  }
  nlohmann::json adapters = nlohmann::json::array();
  for (const auto& [name, ra] : adapters_) {
    nlohmann::json a{{"name", name},
                     {"type", ra.config.type},
                     {"state", deviceStateName(ra.supervisor->state())},
                     {"connects", ra.supervisor->connects()},
                     {"last_error", ra.supervisor->lastError()}};
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : ra.supervisor->adapter().devices()) {
      devices.push_back({{"device", d.device},
                         {"state", deviceStateName(d.state)},
                         {"last_error", d.last_error},
                         {"last_good_read_ns", d.last_good_read_ns}});
    }
    a["devices"] = devices;
    adapters.push_back(a);
  }
  s["adapters"] = adapters;
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& [name, ro] : outputs_) {
    auto o = ro.output->status();
    o["name"] = name;
    outputs.push_back(o);
  }
  s["outputs"] = outputs;
  if (stage_) {
    auto* self = const_cast<Gateway*>(this);
    auto active = self->stage_->withState(
        [](pipeline::PipelineState& st, std::vector<model::Record>&) { return st.alarms(true); });
    nlohmann::json alarms = nlohmann::json::array();
    for (const auto& a : active) {
      alarms.push_back({{"id", a.id},
                        {"state", stateText(a.state)},
                        {"severity", a.severity},
                        {"shelved", a.shelved},
                        {"suppressed", a.suppressed()},
                        {"message", a.message}});
    }
    s["alarms_active"] = alarms;
  }
  {
    std::lock_guard lock(status_mu_);
    s["last_apply"] = last_apply_;
  }
  return s;
}

void Gateway::registerRoutes() {
  auto& srv = http_->server;
  srv.addStandardRoutes(*options_.metrics, [this] { return !stopped_.load(); });
  srv.route("GET", "/api/v1/status",
            [this](const net::HttpRequest&) { return jsonResponse(200, status()); });
  srv.route("GET", "/api/v1/config", [this](const net::HttpRequest&) {
    // Secrets are redacted: the API never returns them.
    std::lock_guard apply_lock(apply_mu_);
    return net::HttpResponse{
        200,
        "application/yaml",
        config::dumpYaml(gatewayConfigSpec(), config_, config::RenderOptions{true}),
        {}};
  });
  srv.route("GET", "/api/v1/alarms", [this](const net::HttpRequest& req) {
    bool all = req.query.find("all=1") != std::string::npos;
    auto list = stage_->withState([all](pipeline::PipelineState& st, std::vector<model::Record>&) {
      return st.alarms(!all);
    });
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : list) {
      out.push_back({{"id", a.id},
                     {"device", a.device},
                     {"tag", a.tag},
                     {"condition", std::string(model::alarmConditionName(a.condition))},
                     {"severity", a.severity},
                     {"state", stateText(a.state)},
                     {"shelved", a.shelved},
                     {"shelved_until_ns", a.shelved_until_ns},
                     {"suppressed", a.suppressed()},
                     {"message", a.message},
                     {"last_change_ns", a.last_change_ns}});
    }
    return jsonResponse(200, out);
  });
  auto operatorAction = [this](const std::string& action) {
    return [this, action](const net::HttpRequest& req) {
      auto body = parseBody(req);
      std::string id = body.value("id", "");
      std::string who = body.value("who", "");
      std::string why = body.value("why", "");
      if (id.empty() || who.empty()) {
        return jsonResponse(400,
                            {{"error", "body must be JSON with \"id\" and \"who\" (and \"why\")"}});
      }
      int64_t now = clock_.nowUnixNanos();
      core::Status result = stage_->withState(
          [&](pipeline::PipelineState& st, std::vector<model::Record>& out) -> core::Status {
            if (action == "ack") {
              auto r = st.acknowledge(id, who, why, now, out);
              if (!r) return core::fail(r.error());
              return core::ok();
            }
            if (action == "unshelve") {
              auto r = st.unshelve(id, who, why, now, out);
              if (!r) return core::fail(r.error());
              return core::ok();
            }
            auto minutes = body.value("minutes", 60);
            return st.shelve(id, std::chrono::minutes(minutes), who, why, now, out);
          });
      if (!result) {
        int code = result.error().code == core::Errc::kNotFound ? 404 : 400;
        return jsonResponse(code, {{"error", result.error().message}});
      }
      return jsonResponse(200, {{"ok", true}});
    };
  };
  srv.route("POST", "/api/v1/alarms/ack", operatorAction("ack"));
  srv.route("POST", "/api/v1/alarms/shelve", operatorAction("shelve"));
  srv.route("POST", "/api/v1/alarms/unshelve", operatorAction("unshelve"));
}

}  // namespace sf::runtime
