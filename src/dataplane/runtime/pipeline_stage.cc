#include "dataplane/runtime/pipeline_stage.h"

namespace sf::runtime {

PipelineStage::PipelineStage(std::shared_ptr<const pipeline::Pipeline> pipeline, Ingest& ingest,
                             const core::Clock& clock)
    : state_(std::make_unique<pipeline::PipelineState>(std::move(pipeline))),
      ingest_(ingest),
      clock_(clock) {}

void PipelineStage::emit(std::vector<model::Record> records,
                         std::function<void(core::Status)> durable) {
  std::vector<model::Record> out;
  out.reserve(records.size());
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_.nowUnixNanos();
    for (auto& r : records) state_->process(std::move(r), now, out);
  }
  ingest_.emit(std::move(out), std::move(durable));
}

void PipelineStage::tick() {
  withState([this](pipeline::PipelineState& s, std::vector<model::Record>& out) {
    s.tick(clock_.nowUnixNanos(), out);
  });
}

}  // namespace sf::runtime
