#pragma once
// PipelineStage: the pipeline between the adapters and the local log. Adapters on any strand
// emit() raw readings; the stage runs them through the gateway's PipelineState (scale,
// deadband, events, alarms) under one mutex and hands what comes out to the Ingest. A reading
// the deadband holds back is complete at once (nothing to make durable).
// Thread-safe: every member takes the mutex; the pipeline work per record is short.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/runtime/ingest.h"

namespace sf::runtime {

class PipelineStage final : public RecordEmitter {
 public:
  PipelineStage(std::shared_ptr<const pipeline::Pipeline> pipeline, Ingest& ingest,
                const core::Clock& clock);

  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable = nullptr) override;

  // Runs `fn` on the state under the lock and emits what it produced (operator actions, tick,
  // swap, restore). Returns fn's result.
  template <class Fn>
  auto withState(Fn&& fn) {
    std::vector<model::Record> out;
    std::unique_lock lock(mu_);
    if constexpr (std::is_void_v<decltype(fn(*state_, out))>) {
      fn(*state_, out);
      lock.unlock();
      ingest_.emit(std::move(out));
    } else {
      auto result = fn(*state_, out);
      lock.unlock();
      ingest_.emit(std::move(out));
      return result;
    }
  }

  void tick();
  const core::Clock& clock() const { return clock_; }

 private:
  std::mutex mu_;
  std::unique_ptr<pipeline::PipelineState> state_;
  Ingest& ingest_;
  const core::Clock& clock_;
  std::vector<model::Record> scratch_;
};

}  // namespace sf::runtime
