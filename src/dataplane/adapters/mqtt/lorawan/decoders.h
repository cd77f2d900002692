#pragma once
// LoRaWAN payload decoders: Cayenne LPP (the built-in format of many off-the-shelf sensors) and a
// declarative byte layout (offset, type, endianness, scale) for custom sensors. Pure functions
// over the frame's bytes; every read is bounds-checked; fuzzed. Thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/adapters/mqtt/config.h"
#include "model/value.h"

namespace sf::mqtt::lorawan {

struct DecodedField {
  std::string tag;
  model::Value value;
  std::string unit;
};

// Cayenne LPP: (channel, type, data)* -> tags "<type>_<channel>" (e.g. temperature_3), with
// multi-value types split ("accelerometer_1_x", "gps_2_latitude"). kInvalidData for an unknown
// type or a truncated value (nothing is returned then: a half-decoded frame is not trusted).
core::Result<std::vector<DecodedField>> decodeLpp(std::string_view bytes);

// Reads each layout field at its offset. kInvalidData when the frame is shorter than a field
// needs ("field 'temp' needs bytes 4..5, the frame has 4 bytes").
core::Result<std::vector<DecodedField>> decodeLayout(const std::vector<LayoutFieldConfig>& fields,
                                                     std::string_view bytes);

}  // namespace sf::mqtt::lorawan
