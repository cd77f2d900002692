#pragma once
// JSON Schema (draft 2020-12) generated from option specs: what the control plane's API serves
// and the UI renders as forms. Types, defaults, minimum/maximum, enum, required,
// additionalProperties: false, description, examples; secrets are `writeOnly` with `x-secret`,
// advanced options carry `x-advanced`; durations and byte sizes are strings with a pattern and
// `x-type`. Polymorphic options become `oneOf` over `$defs` entries whose `type` is a `const`.
// Deterministic output. Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "config/registry.h"
#include "config/spec.h"

namespace sf::config {

inline constexpr std::string_view kJsonSchemaDialect =
    "https://json-schema.org/draft/2020-12/schema";
// What parseDuration() and parseByteSize() accept.
inline constexpr std::string_view kDurationPattern =
    "^(0|([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h|d))+)$";
inline constexpr std::string_view kByteSizePattern =
    "^[0-9]+(\\.[0-9]+)? ?(B|kB|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$";

struct SchemaOptions {
  // Resolves polymorphic options into oneOf over the registered types. Without it they are
  // objects that need a string `type`.
  const Registry* registry = nullptr;
  std::string id = {};     // "$id"; omitted when empty
  std::string title = {};  // defaults to the spec's title
};

// A complete schema document for `spec`.
Json jsonSchema(const ObjectSpec& spec, const SchemaOptions& options = {});
// A complete schema document for one component, with its `type` as a const.
Json componentSchema(const ComponentInfo& info, const SchemaOptions& options = {});

}  // namespace sf::config
