#include "sim/simulator.h"

#include "core/log.h"

namespace sf::sim {

Simulator::Simulator() = default;

Simulator::~Simulator() { stop(); }

core::Status Simulator::start(const SimulatorOptions& options, const core::Clock* clock) {
  if (running()) return core::fail(core::Errc::kInternal, "simulator already running");
  SF_ASSIGN_OR_RETURN(auto plant, Plant::create(options.plant, clock));
  auto server = std::make_unique<ModbusServer>(*plant);
  if (options.inject.any()) server->setFaultHook(randomFaults(options.plant.seed, options.inject));
  SF_TRY(server->start(options.server));
  options_ = options;
  // The server holds a reference to the plant: stop the old server before replacing either.
  server_.reset();
  plant_ = std::move(plant);
  server_ = std::move(server);
  SF_LOG_INFO("sim", "simulator serving",
              {{"endpoint", endpoint()},
               {"units", formatUnitList(options_.plant.units)},
               {"seed", std::to_string(options_.plant.seed)}});
  return core::ok();
}

void Simulator::stop() {
  if (server_) server_->stop();
}

bool Simulator::running() const { return server_ && server_->running(); }

uint16_t Simulator::port() const { return server_ ? server_->port() : 0; }

std::string Simulator::endpoint() const {
  return options_.server.host + ":" + std::to_string(port());
}

std::vector<TagSpec> Simulator::registerMap(TagSet set) const {
  return gatewayTags(options_.plant, set);
}

}  // namespace sf::sim
