#pragma once
// Simulator: the plant plus its Modbus TCP server, in process. `streamforge sim` runs one;
// `streamforge run` starts one on a free port and builds its default gateway configuration
// from registerMap(). Owns the plant and the server (whose thread serves every connection).
// Thread-safety: start()/stop() from one owner thread; the accessors are safe while running.
//
//   sim::Simulator sim;
//   sim::SimulatorOptions o;
//   o.server.port = 0;                       // a free port
//   if (auto st = sim.start(o); !st) ...
//   auto tags = sim.registerMap();           // device, tag, address, type, scale, alarms ...
//   ... poll 127.0.0.1:sim.port() ...
//   sim.stop();

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sim/modbus_server.h"
#include "sim/plant.h"

namespace sf::sim {

struct SimulatorOptions {
  PlantOptions plant;
  ModbusServerOptions server;
  FaultRates inject;  // random response faults (none by default)
};

class Simulator {
 public:
  Simulator();
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Validates, builds the plant and starts serving. `clock` defaults to the system clock and
  // must outlive the simulator.
  core::Status start(const SimulatorOptions& options, const core::Clock* clock = nullptr);
  void stop();  // idempotent
  bool running() const;

  uint16_t port() const;
  std::string endpoint() const;  // "127.0.0.1:5020"
  const SimulatorOptions& options() const { return options_; }

  // The served map as gateway tags (see gatewayTags()).
  std::vector<TagSpec> registerMap(TagSet set = TagSet::kPrimary) const;

  // Valid after a successful start(), until the simulator is destroyed.
  Plant& plant() { return *plant_; }
  ModbusServer& server() { return *server_; }

 private:
  SimulatorOptions options_;
  std::unique_ptr<Plant> plant_;
  std::unique_ptr<ModbusServer> server_;
};

}  // namespace sf::sim
