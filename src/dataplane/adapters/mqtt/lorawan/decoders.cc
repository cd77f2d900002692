#include "dataplane/adapters/mqtt/lorawan/decoders.h"

#include <cstring>
#include <limits>

namespace sf::mqtt::lorawan {

using core::Errc;
using core::fail;

namespace {

struct LppType {
  uint8_t id;
  const char* name;
  uint8_t size;   // bytes of the whole value
  uint8_t parts;  // values in it (3 for accelerometer, ...)
  bool is_signed;
  double scale;  // value = raw * scale (1: kept as an integer)
  const char* unit;
  const char* part_names[3];
};

constexpr LppType kLppTypes[] = {
    {0, "digital_input", 1, 1, false, 1, "", {}},
    {1, "digital_output", 1, 1, false, 1, "", {}},
    {2, "analog_input", 2, 1, true, 0.01, "", {}},
    {3, "analog_output", 2, 1, true, 0.01, "", {}},
    {100, "generic_sensor", 4, 1, false, 1, "", {}},
    {101, "illuminance", 2, 1, false, 1, "lx", {}},
    {102, "presence", 1, 1, false, 1, "", {}},
    {103, "temperature", 2, 1, true, 0.1, "degC", {}},
    {104, "humidity", 1, 1, false, 0.5, "%", {}},
    {113, "accelerometer", 6, 3, true, 0.001, "g", {"x", "y", "z"}},
    {115, "barometer", 2, 1, false, 0.1, "hPa", {}},
    {116, "voltage", 2, 1, false, 0.01, "V", {}},
    {117, "current", 2, 1, false, 0.001, "A", {}},
    {118, "frequency", 4, 1, false, 1, "Hz", {}},
    {120, "percentage", 1, 1, false, 1, "%", {}},
    {121, "altitude", 2, 1, true, 1, "m", {}},
    {125, "concentration", 2, 1, false, 1, "ppm", {}},
    {128, "power", 2, 1, false, 1, "W", {}},
    {130, "distance", 4, 1, false, 0.001, "m", {}},
    {131, "energy", 4, 1, false, 0.001, "kWh", {}},
    {132, "direction", 2, 1, false, 1, "deg", {}},
    {133, "unix_time", 4, 1, false, 1, "s", {}},
    {134, "gyrometer", 6, 3, true, 0.01, "deg/s", {"x", "y", "z"}},
    {135, "colour", 3, 3, false, 1, "", {"r", "g", "b"}},
    {142, "switch", 1, 1, false, 1, "", {}},
};

uint64_t readBig(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}
uint64_t readLittle(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}
int64_t signExtend(uint64_t v, size_t bytes) {
  if (bytes >= 8) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (bytes * 8 - 1);
  const uint64_t mask = (uint64_t{1} << (bytes * 8)) - 1;
  v &= mask;
  if (v & sign) v |= ~mask;
  return static_cast<int64_t>(v);
}

model::Value scaled(int64_t raw, double scale) {
  if (scale == 1) return model::Value::ofInt64(raw);
  return model::Value::ofDouble(static_cast<double>(raw) * scale);
}

}  // namespace

core::Result<std::vector<DecodedField>> decodeLpp(std::string_view b) {
  std::vector<DecodedField> out;
  size_t i = 0;
  while (i < b.size()) {
    if (b.size() - i < 2) {
      return fail(Errc::kInvalidData, "Cayenne LPP: a lone byte at offset " + std::to_string(i));
    }
    const auto channel = static_cast<uint8_t>(b[i]);
    const auto type_id = static_cast<uint8_t>(b[i + 1]);
    i += 2;
    const std::string ch = std::to_string(channel);
    if (type_id == 136) {  // GPS: lat, lon (0.0001 deg), alt (0.01 m), 3 signed bytes each
      if (b.size() - i < 9)
        return fail(Errc::kInvalidData, "Cayenne LPP: GPS on channel " + ch + " truncated");
      out.push_back({"gps_" + ch + "_latitude",
                     model::Value::ofDouble(signExtend(readBig(b, i, 3), 3) * 0.0001), "deg"});
      out.push_back({"gps_" + ch + "_longitude",
                     model::Value::ofDouble(signExtend(readBig(b, i + 3, 3), 3) * 0.0001), "deg"});
      out.push_back({"gps_" + ch + "_altitude",
                     model::Value::ofDouble(signExtend(readBig(b, i + 6, 3), 3) * 0.01), "m"});
      i += 9;
      continue;
    }
    const LppType* t = nullptr;
    for (const auto& candidate : kLppTypes) {
      if (candidate.id == type_id) {
        t = &candidate;
        break;
      }
    }
    if (t == nullptr) {
      return fail(Errc::kInvalidData, "Cayenne LPP: unknown type " + std::to_string(type_id) +
                                          " on channel " + ch + " at offset " +
                                          std::to_string(i - 1));
    }
    if (b.size() - i < t->size) {
      return fail(Errc::kInvalidData, "Cayenne LPP: " + std::string(t->name) + " on channel " + ch +
                                          " needs " + std::to_string(t->size) + " bytes, " +
                                          std::to_string(b.size() - i) + " left");
    }
    const size_t part = t->size / t->parts;
    for (size_t p = 0; p < t->parts; ++p) {
      uint64_t raw = readBig(b, i + p * part, part);
      int64_t v = t->is_signed ? signExtend(raw, part) : static_cast<int64_t>(raw);
      std::string tag = std::string(t->name) + "_" + ch;
      if (t->parts > 1) tag += std::string("_") + t->part_names[p];
      out.push_back({std::move(tag), scaled(v, t->scale), t->unit});
    }
    i += t->size;
  }
  return out;
}

core::Result<std::vector<DecodedField>> decodeLayout(const std::vector<LayoutFieldConfig>& fields,
                                                     std::string_view b) {
  std::vector<DecodedField> out;
  out.reserve(fields.size());
  for (const auto& f : fields) {
    const uint32_t size = layoutTypeSize(f.type);
    if (uint64_t{f.offset} + size > b.size()) {
      return fail(Errc::kInvalidData, "field '" + f.name + "' needs bytes " +
                                          std::to_string(f.offset) + ".." +
                                          std::to_string(uint64_t{f.offset} + size - 1) +
                                          ", the frame has " + std::to_string(b.size()) + " bytes");
    }
    const uint64_t raw =
        f.endian == Endian::kBig ? readBig(b, f.offset, size) : readLittle(b, f.offset, size);
    model::Value v;
    const bool plain = f.scale == 1 && f.add == 0;
    switch (f.type) {
      case LayoutType::kBool:
        v = model::Value::ofBool(f.bit ? ((raw >> *f.bit) & 1) != 0 : raw != 0);
        break;
      case LayoutType::kF32: {
        uint32_t bits = static_cast<uint32_t>(raw);
        float x;
        std::memcpy(&x, &bits, 4);
        v = model::Value::ofDouble(static_cast<double>(x) * f.scale + f.add);
        break;
      }
      case LayoutType::kF64: {
        double x;
        std::memcpy(&x, &raw, 8);
        v = model::Value::ofDouble(x * f.scale + f.add);
        break;
      }
      case LayoutType::kI8:
      case LayoutType::kI16:
      case LayoutType::kI24:
      case LayoutType::kI32:
      case LayoutType::kI64: {
        int64_t x = signExtend(raw, size);
        v = plain ? model::Value::ofInt64(x)
                  : model::Value::ofDouble(static_cast<double>(x) * f.scale + f.add);
        break;
      }
      default: {  // unsigned
        if (plain) {
          v = raw <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                  ? model::Value::ofInt64(static_cast<int64_t>(raw))
                  : model::Value::ofUInt64(raw);
        } else {
          v = model::Value::ofDouble(static_cast<double>(raw) * f.scale + f.add);
        }
        break;
      }
    }
    out.push_back({f.name, std::move(v), f.unit});
  }
  return out;
}

}  // namespace sf::mqtt::lorawan
