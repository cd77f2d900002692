#pragma once
// The `mqtt` adapter type for the gateway's explicit component list (src/app/components.cc):
// its option spec (config.h), the instance name, the tags with pipeline options it declares,
// and create() (no I/O; the supervisor calls connect()). adapter.h has the adapter itself.
// Thread-safety: each call builds a new factory value; the spec inside is a shared static.

#include "dataplane/runtime/factory.h"

namespace sf::mqtt {

runtime::AdapterFactory mqttFactory();

}  // namespace sf::mqtt
