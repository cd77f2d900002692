#pragma once
// Registry: the explicit list of component types (adapters, outputs, sinks, transforms) that
// polymorphic options (`adapters:` items with `type: modbus_tcp`) resolve against. No static
// initialisation magic: the application builds one registry from one explicit list (one CMake
// option per optional component) and passes it to parsing (ParseOptions::registry), schema
// generation and the reference docs.
//
// A component's factory (dataplane: spec + pure validate + create) plugs in without changes here:
// it exposes a ComponentInfo (its spec carries the pure validation as Spec::check rules), the
// application adds every factory's info to one Registry, and looks the factory up by
// ComponentConfig::kind/type when creating instances.
//
// Thread-safety: fill it once at start-up; after that every const member is safe from any
// thread. add() is not thread-safe. Returned pointers live as long as the registry.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/spec.h"
#include "core/result.h"

namespace sf::config {

struct ComponentInfo {
  ComponentKind kind = ComponentKind::kAdapter;
  std::string type;     // snake_case: protocol nouns (modbus_tcp, opcua), verbs for transforms
  std::string summary;  // one sentence, for the reference index and listings
  std::shared_ptr<const ObjectSpec> spec;
};

class Registry {
 public:
  // Fails (kInvalidConfig) on a duplicate kind/type, a type name that is not snake_case, a
  // missing spec or summary, or a spec that declares the reserved option `type`.
  core::Status add(ComponentInfo info);
  template <class T>
  core::Status add(ComponentKind kind, std::string type, std::string summary, const Spec<T>& spec) {
    return add(ComponentInfo{kind, std::move(type), std::move(summary), spec.shared()});
  }

  const ComponentInfo* find(ComponentKind kind, std::string_view type) const;
  std::vector<const ComponentInfo*> list(ComponentKind kind) const;  // sorted by type
  std::vector<const ComponentInfo*> all() const;                     // by kind, then type
  std::vector<std::string> typeNames(ComponentKind kind) const;      // sorted
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::pair<ComponentKind, std::string>, ComponentInfo> entries_;
};

}  // namespace sf::config
