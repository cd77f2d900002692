#include "config/registry.h"

namespace sf::config {

core::Status Registry::add(ComponentInfo info) {
  const std::string what = std::string(componentKindName(info.kind)) + " '" + info.type + "'";
  if (!isSnakeCase(info.type)) {
    return core::fail(core::Errc::kInvalidConfig, what + ": type name must be snake_case");
  }
  if (!info.spec) return core::fail(core::Errc::kInvalidConfig, what + ": no spec");
  if (info.summary.empty()) return core::fail(core::Errc::kInvalidConfig, what + ": no summary");
  if (info.spec->find("type") != nullptr) {
    return core::fail(core::Errc::kInvalidConfig,
                      what + ": 'type' is reserved for selecting the component");
  }
  auto key = std::make_pair(info.kind, info.type);
  if (!entries_.emplace(std::move(key), std::move(info)).second) {
    return core::fail(core::Errc::kInvalidConfig, what + " is registered twice");
  }
  return core::ok();
}

const ComponentInfo* Registry::find(ComponentKind kind, std::string_view type) const {
  auto it = entries_.find(std::make_pair(kind, std::string(type)));
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<const ComponentInfo*> Registry::list(ComponentKind kind) const {
  std::vector<const ComponentInfo*> out;
  for (const auto& [key, info] : entries_) {
    if (key.first == kind) out.push_back(&info);
  }
  return out;
}

std::vector<const ComponentInfo*> Registry::all() const {
  std::vector<const ComponentInfo*> out;
  for (const auto& [key, info] : entries_) out.push_back(&info);
  return out;
}

std::vector<std::string> Registry::typeNames(ComponentKind kind) const {
  std::vector<std::string> out;
  for (const auto& [key, info] : entries_) {
    if (key.first == kind) out.push_back(key.second);
  }
  return out;
}

}  // namespace sf::config
