#pragma once
// Components: the explicit list of what a gateway can run (adapter and output factories) and
// the config registry built from it. The application fills it once at start (src/app/
// components.cc, one CMake option per optional component) and hands it to the Gateway.
// Thread-safety: fill once, then read-only.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/registry.h"
#include "dataplane/log/log.h"
#include "dataplane/runtime/factory.h"
#include "dataplane/runtime/gateway_config.h"
#include "nlohmann/json.hpp"

namespace sf::runtime {

// A running output (a Kafka forwarder): reads the local log from its own cursor.
class Output {
 public:
  virtual ~Output() = default;
  virtual core::Status start() = 0;
  virtual void stop() = 0;  // idempotent, bounded
  virtual nlohmann::json status() const = 0;
};

struct OutputFactory {
  config::ComponentInfo info;  // kind == kOutput
  std::function<std::string(const config::ComponentConfig&)> name;
  std::function<core::Result<std::unique_ptr<Output>>(const config::ComponentConfig&, log::Log&,
                                                      const IdentityConfig&, const LogConfig&)>
      create;
};

class Components {
 public:
  core::Status addAdapter(AdapterFactory factory);
  core::Status addOutput(OutputFactory factory);

  const config::Registry& registry() const { return registry_; }
  const AdapterFactory* adapter(const std::string& type) const;
  const OutputFactory* output(const std::string& type) const;

 private:
  config::Registry registry_;
  std::vector<AdapterFactory> adapters_;
  std::vector<OutputFactory> outputs_;
};

}  // namespace sf::runtime
