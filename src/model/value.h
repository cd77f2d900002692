#pragma once
// Value: the typed value a record carries (a reading, the process value at an alarm transition,
// or null for most events and logs).
//
// Scalars are null, bool, int64, uint64, double, string and bytes. Arrays are homogeneous and
// one-dimensional (bool[], int64[], ...): that is what OPC UA arrays, Sparkplug B array types and
// Modbus register blocks are, and a typed std::vector<double> is one allocation where an array of
// variants would be one per element. Multi-dimensional data is flattened, with its dimensions in
// an attribute. Value is a plain value type: not thread-safe to mutate, cheap to move (48 bytes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace sf::model {

// The tag of a Value. The numbering is part of the binary log format: never renumber, only
// append (see record_codec.h).
enum class ValueType : uint8_t {
  kNull = 0,
  kBool = 1,
  kInt64 = 2,
  kUInt64 = 3,
  kDouble = 4,
  kString = 5,
  kBytes = 6,
  kBoolArray = 7,
  kInt64Array = 8,
  kUInt64Array = 9,
  kDoubleArray = 10,
  kStringArray = 11,
  kBytesArray = 12,
};
inline constexpr int kValueTypeCount = 13;

// "null", "bool", "int64", "uint64", "double", "string", "bytes", "bool_array", "int64_array",
// "uint64_array", "double_array", "string_array", "bytes_array".
std::string_view valueTypeName(ValueType type);
core::Result<ValueType> parseValueType(std::string_view name);
bool isArray(ValueType type);

// Opaque bytes, a distinct type so that a Value knows text from binary (JSON: base64).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

// Doubles are "the same value" when their bits are equal or both are NaN: +0.0 and -0.0 differ
// (a codec must keep the sign), and any NaN equals any NaN (JSON cannot carry NaN payloads).
bool sameDouble(double a, double b);

class Value {
 public:
  // Alternative order == ValueType numbering.
  using Storage = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Bytes,
                               std::vector<bool>, std::vector<int64_t>, std::vector<uint64_t>,
                               std::vector<double>, std::vector<std::string>, std::vector<Bytes>>;

  Value() = default;  // null
  explicit Value(Storage storage) : v_(std::move(storage)) {}

  static Value null() { return Value(); }
  static Value ofBool(bool v) { return Value(Storage(std::in_place_index<1>, v)); }
  static Value ofInt64(int64_t v) { return Value(Storage(std::in_place_index<2>, v)); }
  static Value ofUInt64(uint64_t v) { return Value(Storage(std::in_place_index<3>, v)); }
  static Value ofDouble(double v) { return Value(Storage(std::in_place_index<4>, v)); }
  static Value ofString(std::string v) {
    return Value(Storage(std::in_place_index<5>, std::move(v)));
  }
  static Value ofBytes(std::string v) {
    return Value(Storage(std::in_place_index<6>, Bytes{std::move(v)}));
  }
  static Value ofBoolArray(std::vector<bool> v) {
    return Value(Storage(std::in_place_index<7>, std::move(v)));
  }
  static Value ofInt64Array(std::vector<int64_t> v) {
    return Value(Storage(std::in_place_index<8>, std::move(v)));
  }
  static Value ofUInt64Array(std::vector<uint64_t> v) {
    return Value(Storage(std::in_place_index<9>, std::move(v)));
  }
  static Value ofDoubleArray(std::vector<double> v) {
    return Value(Storage(std::in_place_index<10>, std::move(v)));
  }
  static Value ofStringArray(std::vector<std::string> v) {
    return Value(Storage(std::in_place_index<11>, std::move(v)));
  }
  static Value ofBytesArray(std::vector<Bytes> v) {
    return Value(Storage(std::in_place_index<12>, std::move(v)));
  }

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  bool isNull() const { return v_.index() == 0; }

  // The alternative if it is held, else nullptr: `if (auto* d = v.get<double>()) ...`.
  template <class T>
  const T* get() const {
    return std::get_if<T>(&v_);
  }
  template <class T>
  T* get() {
    return std::get_if<T>(&v_);
  }

  // Numeric scalars (bool, int64, uint64, double) as a double, for deadbands and alarm limits.
  std::optional<double> asDouble() const;

  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

  // Exact equality; doubles compare with sameDouble().
  friend bool operator==(const Value& a, const Value& b);

 private:
  Storage v_;
};

}  // namespace sf::model
