#include "dataplane/adapters/modbus/codec.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "model/record.h"

namespace sf::modbus {
namespace {

core::Unexpected<core::Error> invalid(std::string message) {
  return core::fail(core::Errc::kInvalidData, std::move(message));
}

// Wire bytes <-> canonical (most significant first) bytes of an n-register value. Each order is
// an involution, so the same function converts both ways.
void reorder(const uint8_t* in, uint8_t* out, size_t regs, ByteOrder order) {
  const size_t n = regs * 2;
  switch (order) {
    case ByteOrder::kABCD:
      std::memcpy(out, in, n);
      break;
    case ByteOrder::kDCBA:
      for (size_t i = 0; i < n; ++i) out[i] = in[n - 1 - i];
      break;
    case ByteOrder::kCDAB:
      for (size_t r = 0; r < regs; ++r) {
        out[2 * r] = in[2 * (regs - 1 - r)];
        out[2 * r + 1] = in[2 * (regs - 1 - r) + 1];
      }
      break;
    case ByteOrder::kBADC:
      for (size_t r = 0; r < regs; ++r) {
        out[2 * r] = in[2 * r + 1];
        out[2 * r + 1] = in[2 * r];
      }
      break;
  }
}

uint64_t canonicalUnsigned(std::span<const uint8_t> regs, size_t n, ByteOrder order) {
  std::array<uint8_t, 8> canon{};
  reorder(regs.data(), canon.data(), n, order);
  uint64_t v = 0;
  for (size_t i = 0; i < 2 * n; ++i) v = (v << 8) | canon[i];
  return v;
}

void canonicalToRegisters(uint64_t v, size_t n, ByteOrder order, std::vector<uint16_t>& out) {
  std::array<uint8_t, 8> canon{};
  for (size_t i = 0; i < 2 * n; ++i) canon[2 * n - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  std::array<uint8_t, 8> wire{};
  reorder(canon.data(), wire.data(), n, order);
  out.clear();
  for (size_t r = 0; r < n; ++r) {
    out.push_back(static_cast<uint16_t>((wire[2 * r] << 8) | wire[2 * r + 1]));
  }
}

bool swapsBytes(ByteOrder o) { return o == ByteOrder::kBADC || o == ByteOrder::kDCBA; }

// Decimal digits of a BCD value of `nibbles` nibbles, or nullopt on a nibble above 9.
std::optional<uint64_t> fromBcd(uint64_t raw, int nibbles) {
  uint64_t v = 0;
  for (int i = nibbles - 1; i >= 0; --i) {
    const uint64_t d = (raw >> (4 * i)) & 0xF;
    if (d > 9) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

uint64_t toBcd(uint64_t v, int nibbles) {
  uint64_t raw = 0;
  for (int i = 0; i < nibbles; ++i) {
    raw |= (v % 10) << (4 * i);
    v /= 10;
  }
  return raw;
}

std::string cleanString(std::string s) {
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (!model::isValidUtf8(s)) {
    for (char& ch : s) {
      if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
    }
  }
  return s;
}

// An integral value of a Value within [lo, hi] (as signed 128-bit-safe comparisons).
core::Result<int64_t> asSigned(const model::Value& v, int64_t lo, int64_t hi) {
  if (const auto* b = v.get<bool>()) return static_cast<int64_t>(*b);
  if (const auto* i = v.get<int64_t>()) {
    if (*i < lo || *i > hi) return invalid(std::to_string(*i) + " is out of range");
    return *i;
  }
  if (const auto* u = v.get<uint64_t>()) {
    if (*u > static_cast<uint64_t>(hi)) return invalid(std::to_string(*u) + " is out of range");
    return static_cast<int64_t>(*u);
  }
  if (const auto* d = v.get<double>()) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d) {
      return invalid("a whole number is needed, not " + std::to_string(*d));
    }
    if (*d < static_cast<double>(lo) || *d > static_cast<double>(hi)) {
      return invalid(std::to_string(*d) + " is out of range");
    }
    return static_cast<int64_t>(*d);
  }
  return invalid("a number is needed");
}

core::Result<uint64_t> asUnsigned(const model::Value& v, uint64_t hi) {
  if (const auto* b = v.get<bool>()) return static_cast<uint64_t>(*b);
  if (const auto* u = v.get<uint64_t>()) {
    if (*u > hi) return invalid(std::to_string(*u) + " is out of range");
    return *u;
  }
  if (const auto* i = v.get<int64_t>()) {
    if (*i < 0 || static_cast<uint64_t>(*i) > hi) {
      return invalid(std::to_string(*i) + " is out of range");
    }
    return static_cast<uint64_t>(*i);
  }
  if (const auto* d = v.get<double>()) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d || *d < 0) {
      return invalid("a non-negative whole number is needed, not " + std::to_string(*d));
    }
    // 2^64 is exactly representable; anything at or above it does not fit.
    if (*d >= 18446744073709551616.0 || static_cast<uint64_t>(*d) > hi) {
      return invalid(std::to_string(*d) + " is out of range");
    }
    return static_cast<uint64_t>(*d);
  }
  return invalid("a number is needed");
}

}  // namespace

std::string_view dataTypeName(DataType t) {
  switch (t) {
    case DataType::kBool:
      return "bool";
    case DataType::kInt16:
      return "int16";
    case DataType::kUInt16:
      return "uint16";
    case DataType::kInt32:
      return "int32";
    case DataType::kUInt32:
      return "uint32";
    case DataType::kInt64:
      return "int64";
    case DataType::kUInt64:
      return "uint64";
    case DataType::kFloat32:
      return "float32";
    case DataType::kFloat64:
      return "float64";
    case DataType::kString:
      return "string";
    case DataType::kBcd16:
      return "bcd16";
    case DataType::kBcd32:
      return "bcd32";
  }
  return "uint16";
}

std::string_view byteOrderName(ByteOrder o) {
  switch (o) {
    case ByteOrder::kABCD:
      return "ABCD";
    case ByteOrder::kCDAB:
      return "CDAB";
    case ByteOrder::kBADC:
      return "BADC";
    case ByteOrder::kDCBA:
      return "DCBA";
  }
  return "ABCD";
}

uint16_t quantityOf(const TagCodec& c) {
  if (isBitTable(c.table)) return 1;
  switch (c.type) {
    case DataType::kBool:
    case DataType::kInt16:
    case DataType::kUInt16:
    case DataType::kBcd16:
      return 1;
    case DataType::kInt32:
    case DataType::kUInt32:
    case DataType::kFloat32:
    case DataType::kBcd32:
      return 2;
    case DataType::kInt64:
    case DataType::kUInt64:
    case DataType::kFloat64:
      return 4;
    case DataType::kString:
      return c.length;
  }
  return 1;
}

core::Result<model::Value> decodeRegisters(const TagCodec& c, std::span<const uint8_t> regs) {
  const size_t n = quantityOf(c);
  if (regs.size() < 2 * n) return core::fail(core::Errc::kInternal, "short register span");
  switch (c.type) {
    case DataType::kBool: {
      const uint64_t r = canonicalUnsigned(regs, 1, c.order);
      return model::Value::ofBool(((r >> (c.bit < 0 ? 0 : c.bit)) & 1) != 0);
    }
    case DataType::kInt16:
      return model::Value::ofInt64(static_cast<int16_t>(canonicalUnsigned(regs, 1, c.order)));
    case DataType::kUInt16:
      return model::Value::ofUInt64(canonicalUnsigned(regs, 1, c.order));
    case DataType::kInt32:
      return model::Value::ofInt64(static_cast<int32_t>(canonicalUnsigned(regs, 2, c.order)));
    case DataType::kUInt32:
      return model::Value::ofUInt64(canonicalUnsigned(regs, 2, c.order));
    case DataType::kInt64:
      return model::Value::ofInt64(static_cast<int64_t>(canonicalUnsigned(regs, 4, c.order)));
    case DataType::kUInt64:
      return model::Value::ofUInt64(canonicalUnsigned(regs, 4, c.order));
    case DataType::kFloat32: {
      const auto bits = static_cast<uint32_t>(canonicalUnsigned(regs, 2, c.order));
      return model::Value::ofDouble(static_cast<double>(std::bit_cast<float>(bits)));
    }
    case DataType::kFloat64:
      return model::Value::ofDouble(std::bit_cast<double>(canonicalUnsigned(regs, 4, c.order)));
    case DataType::kBcd16:
    case DataType::kBcd32: {
      const size_t words = c.type == DataType::kBcd16 ? 1 : 2;
      const auto v = fromBcd(canonicalUnsigned(regs, words, c.order), static_cast<int>(4 * words));
      if (!v) return invalid("registers are not BCD (a nibble above 9)");
      return model::Value::ofUInt64(*v);
    }
    case DataType::kString: {
      std::string s;
      s.reserve(2 * n);
      const bool swap = swapsBytes(c.order);
      for (size_t r = 0; r < n; ++r) {
        s.push_back(static_cast<char>(regs[2 * r + (swap ? 1 : 0)]));
        s.push_back(static_cast<char>(regs[2 * r + (swap ? 0 : 1)]));
      }
      return model::Value::ofString(cleanString(std::move(s)));
    }
  }
  return core::fail(core::Errc::kInternal, "unknown data type");
}

core::Result<bool> valueToBool(const model::Value& value) {
  if (const auto* b = value.get<bool>()) return *b;
  auto v = asUnsigned(value, 1);
  if (!v) return invalid("a bool (or 0/1) is needed");
  return *v != 0;
}

core::Result<std::vector<uint16_t>> encodeRegisters(const TagCodec& c, const model::Value& value) {
  std::vector<uint16_t> out;
  switch (c.type) {
    case DataType::kBool: {
      SF_ASSIGN_OR_RETURN(bool b, valueToBool(value));
      out.push_back(b ? 1 : 0);  // the caller merges the bit into the register
      return out;
    }
    case DataType::kInt16: {
      SF_ASSIGN_OR_RETURN(int64_t v, asSigned(value, INT16_MIN, INT16_MAX));
      canonicalToRegisters(static_cast<uint16_t>(v), 1, c.order, out);
      return out;
    }
    case DataType::kUInt16: {
      SF_ASSIGN_OR_RETURN(uint64_t v, asUnsigned(value, UINT16_MAX));
      canonicalToRegisters(v, 1, c.order, out);
      return out;
    }
    case DataType::kInt32: {
      SF_ASSIGN_OR_RETURN(int64_t v, asSigned(value, INT32_MIN, INT32_MAX));
      canonicalToRegisters(static_cast<uint32_t>(v), 2, c.order, out);
      return out;
    }
    case DataType::kUInt32: {
      SF_ASSIGN_OR_RETURN(uint64_t v, asUnsigned(value, UINT32_MAX));
      canonicalToRegisters(v, 2, c.order, out);
      return out;
    }
    case DataType::kInt64: {
      SF_ASSIGN_OR_RETURN(int64_t v, asSigned(value, INT64_MIN, INT64_MAX));
      canonicalToRegisters(static_cast<uint64_t>(v), 4, c.order, out);
      return out;
    }
    case DataType::kUInt64: {
      SF_ASSIGN_OR_RETURN(uint64_t v, asUnsigned(value, UINT64_MAX));
      canonicalToRegisters(v, 4, c.order, out);
      return out;
    }
    case DataType::kFloat32:
    case DataType::kFloat64: {
      auto d = value.asDouble();
      if (!d || value.get<bool>()) return invalid("a number is needed");
      if (c.type == DataType::kFloat32) {
        const auto f = static_cast<float>(*d);
        if (std::isfinite(*d) && !std::isfinite(f)) return invalid("out of float32 range");
        canonicalToRegisters(std::bit_cast<uint32_t>(f), 2, c.order, out);
      } else {
        canonicalToRegisters(std::bit_cast<uint64_t>(*d), 4, c.order, out);
      }
      return out;
    }
    case DataType::kBcd16:
    case DataType::kBcd32: {
      const bool wide = c.type == DataType::kBcd32;
      SF_ASSIGN_OR_RETURN(uint64_t v, asUnsigned(value, wide ? 99'999'999u : 9'999u));
      canonicalToRegisters(toBcd(v, wide ? 8 : 4), wide ? 2 : 1, c.order, out);
      return out;
    }
    case DataType::kString: {
      const auto* s = value.get<std::string>();
      if (s == nullptr) return invalid("a string is needed");
      if (s->size() > 2u * c.length) {
        return invalid("string of " + std::to_string(s->size()) + " bytes does not fit in " +
                       std::to_string(c.length) + " registers");
      }
      const bool swap = swapsBytes(c.order);
      for (size_t r = 0; r < c.length; ++r) {
        const auto at = [&](size_t i) -> uint8_t {
          return i < s->size() ? static_cast<uint8_t>((*s)[i]) : 0;
        };
        const uint8_t first = at(2 * r), second = at(2 * r + 1);
        out.push_back(swap ? static_cast<uint16_t>((second << 8) | first)
                           : static_cast<uint16_t>((first << 8) | second));
      }
      return out;
    }
  }
  return core::fail(core::Errc::kInternal, "unknown data type");
}

}  // namespace sf::modbus
