#include "dataplane/runtime/components.h"

namespace sf::runtime {

core::Status Components::addAdapter(AdapterFactory factory) {
  SF_TRY(registry_.add(factory.info));
  adapters_.push_back(std::move(factory));
  return core::ok();
}

core::Status Components::addOutput(OutputFactory factory) {
  SF_TRY(registry_.add(factory.info));
  outputs_.push_back(std::move(factory));
  return core::ok();
}

const AdapterFactory* Components::adapter(const std::string& type) const {
  for (const auto& f : adapters_) {
    if (f.info.type == type) return &f;
  }
  return nullptr;
}

const OutputFactory* Components::output(const std::string& type) const {
  for (const auto& f : outputs_) {
    if (f.info.type == type) return &f;
  }
  return nullptr;
}

}  // namespace sf::runtime
