#include "model/value.h"

#include <array>
#include <bit>
#include <cmath>

#include "model/names.h"

namespace sf::model {
namespace {

constexpr std::array<std::string_view, kValueTypeCount> kValueTypeNames = {
    "null",         "bool",         "int64",      "uint64",      "double",
    "string",       "bytes",        "bool_array", "int64_array", "uint64_array",
    "double_array", "string_array", "bytes_array"};

}  // namespace

std::string_view valueTypeName(ValueType type) { return detail::nameOf(kValueTypeNames, type); }

core::Result<ValueType> parseValueType(std::string_view name) {
  return detail::parseName<ValueType>(kValueTypeNames, name, "value type");
}

bool isArray(ValueType type) { return static_cast<uint8_t>(type) >= 7; }

bool sameDouble(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

std::optional<double> Value::asDouble() const {
  switch (type()) {
    case ValueType::kBool:
      return *get<bool>() ? 1.0 : 0.0;
    case ValueType::kInt64:
      return static_cast<double>(*get<int64_t>());
    case ValueType::kUInt64:
      return static_cast<double>(*get<uint64_t>());
    case ValueType::kDouble:
      return *get<double>();
    default:
      return std::nullopt;
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  if (const double* x = a.get<double>()) return sameDouble(*x, *b.get<double>());
  if (const auto* x = a.get<std::vector<double>>()) {
    const auto& y = *b.get<std::vector<double>>();
    if (x->size() != y.size()) return false;
    for (size_t i = 0; i < x->size(); ++i) {
      if (!sameDouble((*x)[i], y[i])) return false;
    }
    return true;
  }
  return a.v_ == b.v_;
}

}  // namespace sf::model
