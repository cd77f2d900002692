#pragma once
// The entry points shared by the libFuzzer targets (*_fuzz.cc, built with SF_FUZZ) and the unit
// test that runs them over random and mutated inputs on every ctest run (fuzz_test.cc). Each
// feeds arbitrary bytes to one parser of outside input and aborts if an invariant breaks (a
// record that fails model::validate(), a decoded packet that re-encodes differently). Return 0.
// Thread-safe (no shared state; mappers are local to the call).

#include <cstddef>
#include <cstdint>

namespace sf::mqtt::fuzz {

// MQTT broker-to-client packets, as a byte stream framed like the client does, in v3.1.1 and v5.
int packetParser(const uint8_t* data, size_t size);
// JSON and plain-value mapping, with field paths, templates, auto mapping.
int jsonMapper(const uint8_t* data, size_t size);
// Sparkplug B payload decoder and the host state machine (births, data, deaths, aliases, seq).
int sparkplug(const uint8_t* data, size_t size);
// Cayenne LPP, byte layouts, and ChirpStack / TTS uplink JSON.
int lorawan(const uint8_t* data, size_t size);

}  // namespace sf::mqtt::fuzz
