#pragma once
// AdapterFactory: what each adapter type registers in the explicit list (registry.cc): its
// option spec (config::ComponentInfo), a pure function listing the tags a configuration
// declares (with their pipeline options: scale, deadband, alarms, ...), and create().
// Validation is the spec's job (pure: no I/O, no DNS); create() does no I/O either: the
// supervisor calls connect() later.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/registry.h"
#include "config/spec.h"
#include "core/result.h"
#include "dataplane/pipeline/tag_config.h"
#include "dataplane/runtime/adapter.h"

namespace sf::runtime {

struct AdapterFactory {
  config::ComponentInfo info;  // kind == kAdapter
  // The instance name a configuration gives (each adapter spec declares a `name` option).
  std::function<std::string(const config::ComponentConfig&)> name;
  // The tags the configuration declares, with their pipeline options; `adapter` set to name.
  std::function<std::vector<pipeline::TagPipelineConfig>(const config::ComponentConfig&)> tags;
  std::function<core::Result<std::unique_ptr<Adapter>>(const config::ComponentConfig&,
                                                       const AdapterContext&)>
      create;
};

}  // namespace sf::runtime
