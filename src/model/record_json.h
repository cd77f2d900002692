#pragma once
// Canonical JSON of a record: the payload the forwarder sends to Kafka, schema "sf.record/1"
// (schemas/record/v1/record.schema.json; docs/RECORD.md has examples). Pure functions,
// thread-safe.
//
// Decisions (docs/RECORD.md gives the reasons):
//   - Field names snake_case, fields in a fixed order, no whitespace: equal records give equal
//     bytes. Every field is always present except `id`/`offset` (absent before the record is
//     appended to the log), `alarm.limit` (absent when there is none) and the one class object
//     (`event`, `alarm` or `log`) that matches `class`.
//   - Integers (int64, uint64, timestamps, offsets) are exact JSON integers even beyond 2^53;
//     `value_type` says which type a value has. `ts` repeats source_ts_ns as an RFC 3339 UTC
//     string with 9 fractional digits for consumers that cannot hold 64-bit integers.
//   - Doubles use the shortest text that reads back to the same bits and always have a '.' or
//     an exponent ("3.0", "-0.0", "1e+21"); NaN and infinities are the strings "NaN",
//     "Infinity", "-Infinity".
//   - Bytes are base64 (RFC 4648, padded).
//   - Strings must be UTF-8 (validate()); toJson never fails and writes U+FFFD for bytes that
//     are not.
//   - `ts` and `alarm.severity_band` are derived: written always, ignored when read.
//
// fromJson parses, checks types and enums, then runs validate(). Unknown fields are ignored (a
// later minor version may add optional ones); a missing required field or an unknown enum name
// is kInvalidData, as is an `id` that disagrees with gateway/stream/offset.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/record.h"

namespace sf::model {

// Appends the canonical JSON of `record` to `out` (reuse `out` to avoid allocating).
void appendJson(const Record& record, std::string& out);
std::string toJson(const Record& record);

core::Result<Record> fromJson(std::string_view json);

// "2024-05-01T12:00:00.123456789Z" for any int64 nanoseconds since the Unix epoch.
void appendRfc3339(int64_t unix_ns, std::string& out);

}  // namespace sf::model
