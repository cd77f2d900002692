#pragma once
// The explicit list of components this build of `streamforge` carries (STYLE.md: one explicit
// registry, one CMake option per optional component).

#include "dataplane/runtime/components.h"

namespace sf::app {

// Built once, on first use; read-only after.
const runtime::Components& builtinComponents();

}  // namespace sf::app
