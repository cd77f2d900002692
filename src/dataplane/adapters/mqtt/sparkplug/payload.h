#pragma once
// Sparkplug B payloads (Eclipse Sparkplug 3.0, spBv1.0 namespace): a hand-written decoder of the
// protobuf messages of sparkplug_b.proto (Payload, Metric, PropertySet, DataSet, Template) and
// the encoder of the one payload the gateway sends (NCMD `Node Control/Rebirth`).
//
// Why not generated code: the decoder is small, allocation-light (strings are views into the
// payload), never throws, bounds nesting (templates inside templates) and is fuzzed on its own;
// the tests cross-check it against protoc-generated code from sparkplug_b.proto (in this
// folder) and against an independent Python implementation. Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "model/value.h"

namespace sf::mqtt::sparkplug {

// Sparkplug B DataType enum values.
enum DataType : uint32_t {
  kUnknown = 0,
  kInt8 = 1,
  kInt16 = 2,
  kInt32 = 3,
  kInt64 = 4,
  kUInt8 = 5,
  kUInt16 = 6,
  kUInt32 = 7,
  kUInt64 = 8,
  kFloat = 9,
  kDouble = 10,
  kBoolean = 11,
  kString = 12,
  kDateTime = 13,
  kText = 14,
  kUuid = 15,
  kDataSet = 16,
  kBytes = 17,
  kFile = 18,
  kTemplate = 19,
  kPropertySet = 20,
  kPropertySetList = 21,
  kInt8Array = 22,
  kInt16Array = 23,
  kInt32Array = 24,
  kInt64Array = 25,
  kUInt8Array = 26,
  kUInt16Array = 27,
  kUInt32Array = 28,
  kUInt64Array = 29,
  kFloatArray = 30,
  kDoubleArray = 31,
  kBooleanArray = 32,
  kStringArray = 33,
  kDateTimeArray = 34,
};
// "Int32", "DataSet", ...; "Unknown" for anything else.
std::string_view dataTypeName(uint32_t type);

// Which oneof `value` field a message carried.
enum class Field : uint8_t {
  kNone,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBool,
  kString,
  kBytes,
  kDataSet,
  kTemplate,
  kExtension,
  kPropertySet,
  kPropertySetList
};

struct PropertyValue {
  uint32_t type = 0;
  bool is_null = false;
  Field field = Field::kNone;
  uint64_t integer = 0;  // int_value / long_value
  double number = 0;     // float_value / double_value
  bool boolean = false;
  std::string_view text;  // string_value (or a nested set's raw bytes)
};

struct Metric {
  std::optional<std::string_view> name;
  std::optional<uint64_t> alias;
  std::optional<uint64_t> timestamp;  // ms since the Unix epoch
  std::optional<uint32_t> datatype;
  bool is_historical = false;
  bool is_transient = false;
  bool is_null = false;
  std::vector<std::pair<std::string_view, PropertyValue>> properties;
  Field field = Field::kNone;
  uint64_t integer = 0;
  double number = 0;
  bool boolean = false;
  std::string_view bytes;  // string, bytes, or the raw DataSet / Template message
};

struct Payload {
  std::optional<uint64_t> timestamp;
  std::vector<Metric> metrics;
  std::optional<uint64_t> seq;
  std::string_view uuid;
  std::string_view body;
};

// Decodes a Payload; views point into `bytes`. kInvalidData names the problem (truncation, a
// wrong wire type for a known field, an overlong varint, a malformed nested message).
core::Result<Payload> decodePayload(std::string_view bytes);

// The record value of a metric: `datatype` is the metric's own or the one its BIRTH declared
// (0 when unknown: inferred from the value field). Integers narrower than 64 bits are sign- or
// zero-extended per type; arrays decode from their packed little-endian bytes; DataSet and
// Template become canonical JSON text (see docs/MQTT.md) and `json` is set true. kInvalidData
// when the value does not fit the type (e.g. an array whose byte length is not a multiple of the
// element size).
core::Result<model::Value> metricValue(const Metric& metric, uint32_t datatype, bool& json);

// DataSet / Template messages as JSON text; `depth` bounds template nesting.
core::Result<std::string> dataSetToJson(std::string_view raw);
core::Result<std::string> templateToJson(std::string_view raw, int depth = 0);

// The NCMD payload asking an edge node to publish its births again.
std::string encodeRebirthRequest(uint64_t timestamp_ms);

// A small protobuf writer used by the encoder above and by tests (building payloads, including
// malformed ones, without generated code).
class Writer {
 public:
  void varint(uint32_t field, uint64_t v);
  void fixed32(uint32_t field, uint32_t v);
  void fixed64(uint32_t field, uint64_t v);
  void bytes(uint32_t field, std::string_view v);
  void floatValue(uint32_t field, float v);
  void doubleValue(uint32_t field, double v);
  const std::string& data() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void rawVarint(uint64_t v);
  std::string out_;
};

}  // namespace sf::mqtt::sparkplug
