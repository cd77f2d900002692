#pragma once
// Gateway: one running edge gateway. Owns the io_context and its worker threads (the adapters'
// strands run there), the local log, the ingest, the pipeline stage, one supervisor per
// adapter, one output (Kafka forwarder) per configured output, and the state directory (the
// applied-config cache and the alarm-state snapshot).
//
// Live reconfiguration: apply() validates a whole new configuration first (pipeline compiled,
// every changed adapter and output created) and either rejects it, leaving everything running
// untouched, or applies it by diff: unchanged adapters keep their connections; changed ones are
// stopped and started anew; the pipeline is swapped keeping the state of unchanged tags.
// Changes to the log, identity or HTTP sections are reported as needing a restart.
//
// Threads: start()/apply()/stop() from one control thread at a time (SIGHUP handler, file
// watcher, API); never from the io threads. status() is thread-safe.

#include <array>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/log/log.h"
#include "dataplane/runtime/components.h"
#include "dataplane/runtime/gateway_config.h"
#include "dataplane/runtime/ingest.h"
#include "dataplane/runtime/pipeline_stage.h"
#include "dataplane/runtime/supervisor.h"
#include "nlohmann/json.hpp"

namespace sf::runtime {

struct ApplyReport {
  bool applied = false;
  bool dry_run = false;
  std::vector<std::string> adapters_added, adapters_removed, adapters_changed, adapters_kept;
  std::vector<std::string> outputs_added, outputs_removed, outputs_changed, outputs_kept;
  pipeline::SwapReport tags;
  std::vector<std::string> restart_required;  // sections that change only at the next start
  std::string error;                          // why it was rejected
  nlohmann::json toJson() const;
  std::string summary() const;
};

// What applying `next` over `current` would do, without a running gateway (`--dry-run`):
// adapters and outputs added, removed, changed or kept, sections that need a restart, and the
// error if `next` is rejected (its pipeline does not compile, an adapter cannot be created).
ApplyReport diffConfigs(const GatewayConfig& current, const GatewayConfig& next,
                        const Components& components);

struct GatewayOptions {
  int io_threads = 2;
  std::chrono::milliseconds tick_interval{100};
  std::chrono::milliseconds snapshot_interval{10'000};
  bool serve_http = true;
  const core::Clock* clock = &core::SystemClock::instance();
  core::MetricsRegistry* metrics = &core::MetricsRegistry::global();
};

class Gateway {
 public:
  static core::Result<std::unique_ptr<Gateway>> start(GatewayConfig config,
                                                      const Components& components,
                                                      GatewayOptions options = {});
  ~Gateway();

  ApplyReport apply(GatewayConfig next, bool dry_run = false);
  // Applies a rejected configuration's report to the status (a config that did not parse).
  void reportRejected(const std::string& source, const std::string& reason);
  void stop();

  nlohmann::json status() const;
  uint16_t httpPort() const;
  log::Log& localLog() { return *log_; }
  PipelineStage& stage() { return *stage_; }
  const GatewayConfig& config() const { return config_; }

  // The last applied configuration cached in state_dir, if any (used at start when the
  // configured source is unreachable or invalid).
  static core::Result<GatewayConfig> loadCachedConfig(const std::string& state_dir,
                                                      const Components& components);

 private:
  Gateway(GatewayConfig config, const Components& components, GatewayOptions options);
  core::Status init();
  core::Result<std::shared_ptr<const pipeline::Pipeline>> compilePipeline(
      const GatewayConfig& config) const;
  void emitLog(model::LogLevel level, const std::string& message, const std::string& origin,
               model::Attributes attributes = {});
  // The context of a new adapter instance: its strand, the pipeline as emitter, the ingest's
  // overload signal.
  AdapterContext adapterContext(const std::string& name, const std::string& type);
  void startTicker();
  // Quota evictions are announced as `log` records at most once per class per second (from the
  // ticker), summed: one record per eviction would itself fill the quota it is evicted from.
  void noteEviction(const log::EvictionNotice& n);
  void announceEvictions();
  void saveSnapshot();
  void restoreAlarmState();
  // Writes config_ to the applied-config cache now (start) or hands a copy to the cache
  // writer thread (apply: rendering a large config must not lengthen the apply).
  void cacheAppliedConfig(bool now);
  void cacheWriterLoop();
  void registerRoutes();

  struct RunningAdapter {
    config::ComponentConfig config;
    std::unique_ptr<Supervisor> supervisor;
  };
  struct RunningOutput {
    config::ComponentConfig config;
    std::unique_ptr<Output> output;
  };

  GatewayConfig config_;
  const Components& components_;
  GatewayOptions options_;
  const core::Clock& clock_;

  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<PipelineStage> stage_;
  std::map<std::string, RunningAdapter> adapters_;
  std::map<std::string, RunningOutput> outputs_;
  struct Http;
  std::unique_ptr<Http> http_;

  mutable std::mutex status_mu_;
  nlohmann::json last_apply_;
  mutable std::mutex apply_mu_;
  std::mutex cache_mu_;
  std::condition_variable cache_cv_;
  std::shared_ptr<const GatewayConfig> cache_pending_;
  bool cache_stop_ = false;
  std::thread cache_thread_;  // apply() vs status() and the config API
  std::atomic<bool> stopped_{false};
  int64_t started_ns_ = 0;
  struct EvictionSummary {
    uint64_t first_offset = UINT64_MAX, last_offset = 0, records = 0, bytes = 0, notices = 0;
  };
  std::mutex evictions_mu_;
  std::array<EvictionSummary, 4> evictions_{};  // by log::EntryClass, not yet announced
  std::chrono::steady_clock::time_point last_eviction_report_{};
};

}  // namespace sf::runtime
