#pragma once
// Binary record codec for the local log: compact, versioned, little-endian. Pure functions,
// thread-safe. The log frames each record (length + CRC); this codec encodes one record's body.
//
// Format version 1 ("varint" is unsigned LEB128, at most 10 bytes; "zigzag" maps signed to
// unsigned as protobuf's sint64; "str" is varint length + bytes; fixed-width fields are LE):
//
//   u8      format version = 1
//   u8      record class (RecordClass)
//   u8      flags: bit 0 = offset present; other bits 0
//   varint  offset                                  (if flag bit 0)
//   str     site, gateway, stream, adapter, device, tag
//   i64     source_ts_ns
//   zigzag  gateway_ts_ns - source_ts_ns            (usually 1-4 bytes)
//   u8      quality level; varint quality code (< 2^32); str quality text
//   str     unit
//   u8      value type (ValueType), then:
//             null: nothing; bool: u8 0|1; int64: zigzag; uint64: varint; double: f64;
//             string, bytes: str; arrays: varint count, then count elements as above
//   varint  attribute count, then (str key, str value) pairs, keys strictly ascending (bytewise)
//   class detail:
//     telemetry: nothing
//     event:     str type, str from, str to
//     alarm:     str alarm_id, u8 condition, varint severity (< 2^16), u8 state,
//                u8 flags (bit 0 shelved, bit 1 suppressed, bit 2 limit present; others 0),
//                u8 transition, f64 limit (if flag bit 2), str message, str actor
//     log:       u8 level, str message, str origin
//   extensions until the end: (varint tag >= 1, varint length, bytes). Version 1 defines none
//   and skips every one it reads: a later minor version adds optional fields here and a v1
//   reader (a rolled-back gateway) still reads its log. A change that old readers cannot skip
//   needs format version 2, and decoders keep reading every older version.
//
// The decoder checks every bound and enum and fails with kInvalidData on anything malformed,
// whatever the bytes. It does not check UTF-8 or the rules of validate(): the log stores what the
// pipeline gave it.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/record.h"

namespace sf::model {

inline constexpr uint8_t kBinaryFormatVersion = 1;

// Appends the encoding of `record` to `out` (reuse `out` to avoid allocating).
void encodeBinary(const Record& record, std::string& out);

// Decodes exactly one record occupying all of `bytes`.
core::Result<Record> decodeBinary(std::string_view bytes);

}  // namespace sf::model
