#pragma once
// The fuzz entry over every parser of bytes from a device: MBAP and RTU frame scanning, response
// validation against the request it answers, and decoding of the payload into every data type
// and byte order. Shared by the libFuzzer target (protocol_fuzz.cc, built with SF_FUZZ) and a
// unit test that runs it over random and mutated inputs. Never crashes, never asserts.
// Thread-safety: pure.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sf::modbus {

// Input: one selector byte, then the bytes a device sent. The selector picks the request those
// bytes answer (fuzzRequestFor); they are scanned as an MBAP stream, as an RTU line and as a bare
// PDU. Returns the number of frames that parsed as an answer to that request, plus the values
// decoded from them (so the work is not optimised away).
size_t fuzzModbusParsers(const uint8_t* data, size_t size);

// The request PDU that `selector` picks: a read of one of the four tables (bits 0-1) of a
// quantity from bits 2-5, a single-register write or a multiple-register write (bits 6-7).
// Seeds that answer it reach the deep parsers.
std::vector<uint8_t> fuzzRequestFor(uint8_t selector);

}  // namespace sf::modbus
