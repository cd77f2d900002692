#include "dataplane/adapters/mqtt/sparkplug/payload.h"

#include <array>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "model/record.h"

namespace sf::mqtt::sparkplug {

using core::Errc;
using core::fail;

namespace {

constexpr int kMaxTemplateDepth = 8;

core::Unexpected<core::Error> bad(std::string what) {
  return fail(Errc::kInvalidData, "undecodable Sparkplug payload: " + std::move(what));
}

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// A bounds-checked protobuf reader.
class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  bool done() const { return pos_ >= d_.size(); }

  bool varint(uint64_t& out) {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= d_.size()) return false;
      auto b = static_cast<uint8_t>(d_[pos_++]);
      if (i == 9 && b > 1) return false;  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        out = v;
        return true;
      }
    }
    return false;
  }
  bool fixed32(uint32_t& out) {
    if (d_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i)
      out |= static_cast<uint32_t>(static_cast<uint8_t>(d_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool fixed64(uint64_t& out) {
    if (d_.size() - pos_ < 8) return false;
    out = 0;
    for (int i = 0; i < 8; ++i)
      out |= static_cast<uint64_t>(static_cast<uint8_t>(d_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool len(std::string_view& out) {
    uint64_t n = 0;
    if (!varint(n) || n > d_.size() - pos_) return false;
    out = d_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }
  // Reads a tag; false at a malformed one.
  bool tag(uint32_t& field, uint8_t& wire) {
    uint64_t t = 0;
    if (!varint(t)) return false;
    field = static_cast<uint32_t>(t >> 3);
    wire = static_cast<uint8_t>(t & 7);
    return field != 0 && t >> 3 <= 0x1FFFFFFF;
  }
  bool skip(uint8_t wire) {
    uint64_t u64 = 0;
    uint32_t u32 = 0;
    std::string_view s;
    switch (wire) {
      case kVarint:
        return varint(u64);
      case kFixed64:
        return fixed64(u64);
      case kLen:
        return len(s);
      case kFixed32:
        return fixed32(u32);
      default:
        return false;  // groups (3, 4) are not used by Sparkplug; 6, 7 do not exist
    }
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

float floatOf(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
double doubleOf(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// The scalar choices of Sparkplug's value oneofs (int, long, float, double, boolean, string at
// consecutive field numbers; `choice` 0..5 counts from the first): reads one of wire type
// `wire` into the common oneof shape. False when the wire type is wrong or the bytes end.
bool readScalarOneof(Reader& r, uint8_t wire, uint32_t choice, Field& field, uint64_t& integer,
                     double& number, bool& boolean, std::string_view& text) {
  uint32_t u32 = 0;
  bool ok = false;
  switch (choice) {
    case 0:
      ok = wire == kVarint && r.varint(integer);
      integer &= 0xFFFFFFFFu;
      field = Field::kInt;
      break;
    case 1:
      ok = wire == kVarint && r.varint(integer);
      field = Field::kLong;
      break;
    case 2:
      ok = wire == kFixed32 && r.fixed32(u32);
      number = floatOf(u32);
      field = Field::kFloat;
      break;
    case 3:
      ok = wire == kFixed64 && r.fixed64(integer);
      number = doubleOf(integer);
      field = Field::kDouble;
      break;
    case 4:
      ok = wire == kVarint && r.varint(integer);
      boolean = integer != 0;
      field = Field::kBool;
      break;
    case 5:
      ok = wire == kLen && r.len(text);
      field = Field::kString;
      break;
  }
  return ok;
}

// Reads one field's value of the expected wire type into the common oneof shape.
#define SF_EXPECT_WIRE(w, name) \
  if (wire != (w)) return bad(std::string(name) + ": wrong wire type " + std::to_string(wire))

core::Result<PropertyValue> decodePropertyValue(std::string_view raw) {
  PropertyValue v;
  Reader r(raw);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("PropertyValue tag");
    uint64_t u = 0;
    uint32_t u32 = 0;
    std::string_view s;
    switch (f) {
      case 1:
        SF_EXPECT_WIRE(kVarint, "PropertyValue.type");
        if (!r.varint(u)) return bad("PropertyValue.type");
        v.type = static_cast<uint32_t>(u);
        break;
      case 2:
        SF_EXPECT_WIRE(kVarint, "PropertyValue.is_null");
        if (!r.varint(u)) return bad("PropertyValue.is_null");
        v.is_null = u != 0;
        break;
      case 3:
        SF_EXPECT_WIRE(kVarint, "PropertyValue.int_value");
        if (!r.varint(u)) return bad("PropertyValue.int_value");
        v.field = Field::kInt;
        v.integer = u & 0xFFFFFFFFu;
        break;
      case 4:
        SF_EXPECT_WIRE(kVarint, "PropertyValue.long_value");
        if (!r.varint(u)) return bad("PropertyValue.long_value");
        v.field = Field::kLong;
        v.integer = u;
        break;
      case 5:
        SF_EXPECT_WIRE(kFixed32, "PropertyValue.float_value");
        if (!r.fixed32(u32)) return bad("PropertyValue.float_value");
        v.field = Field::kFloat;
        v.number = floatOf(u32);
        break;
      case 6:
        SF_EXPECT_WIRE(kFixed64, "PropertyValue.double_value");
        if (!r.fixed64(u)) return bad("PropertyValue.double_value");
        v.field = Field::kDouble;
        v.number = doubleOf(u);
        break;
      case 7:
        SF_EXPECT_WIRE(kVarint, "PropertyValue.boolean_value");
        if (!r.varint(u)) return bad("PropertyValue.boolean_value");
        v.field = Field::kBool;
        v.boolean = u != 0;
        break;
      case 8:
        SF_EXPECT_WIRE(kLen, "PropertyValue.string_value");
        if (!r.len(s)) return bad("PropertyValue.string_value");
        v.field = Field::kString;
        v.text = s;
        break;
      case 9:
        SF_EXPECT_WIRE(kLen, "PropertyValue.propertyset_value");
        if (!r.len(s)) return bad("PropertyValue.propertyset_value");
        v.field = Field::kPropertySet;
        v.text = s;
        break;
      case 10:
        SF_EXPECT_WIRE(kLen, "PropertyValue.propertysets_value");
        if (!r.len(s)) return bad("PropertyValue.propertysets_value");
        v.field = Field::kPropertySetList;
        v.text = s;
        break;
      case 11:
        SF_EXPECT_WIRE(kLen, "PropertyValue.extension_value");
        if (!r.len(s)) return bad("PropertyValue.extension_value");
        v.field = Field::kExtension;
        break;
      default:
        if (!r.skip(wire)) return bad("PropertyValue unknown field " + std::to_string(f));
        break;
    }
  }
  return v;
}

core::Status decodePropertySet(std::string_view raw,
                               std::vector<std::pair<std::string_view, PropertyValue>>& out) {
  std::vector<std::string_view> keys;
  std::vector<PropertyValue> values;
  Reader r(raw);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("PropertySet tag");
    std::string_view s;
    if (f == 1) {
      SF_EXPECT_WIRE(kLen, "PropertySet.keys");
      if (!r.len(s)) return bad("PropertySet.keys");
      keys.push_back(s);
    } else if (f == 2) {
      SF_EXPECT_WIRE(kLen, "PropertySet.values");
      if (!r.len(s)) return bad("PropertySet.values");
      SF_ASSIGN_OR_RETURN(auto v, decodePropertyValue(s));
      values.push_back(v);
    } else if (!r.skip(wire)) {
      return bad("PropertySet unknown field " + std::to_string(f));
    }
  }
  if (keys.size() != values.size()) {
    return bad("PropertySet with " + std::to_string(keys.size()) + " keys and " +
               std::to_string(values.size()) + " values");
  }
  for (size_t i = 0; i < keys.size(); ++i) out.emplace_back(keys[i], values[i]);
  return core::ok();
}

core::Result<Metric> decodeMetric(std::string_view raw) {
  Metric m;
  Reader r(raw);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("Metric tag");
    uint64_t u = 0;
    uint32_t u32 = 0;
    std::string_view s;
    switch (f) {
      case 1:
        SF_EXPECT_WIRE(kLen, "Metric.name");
        if (!r.len(s)) return bad("Metric.name");
        m.name = s;
        break;
      case 2:
        SF_EXPECT_WIRE(kVarint, "Metric.alias");
        if (!r.varint(u)) return bad("Metric.alias");
        m.alias = u;
        break;
      case 3:
        SF_EXPECT_WIRE(kVarint, "Metric.timestamp");
        if (!r.varint(u)) return bad("Metric.timestamp");
        m.timestamp = u;
        break;
      case 4:
        SF_EXPECT_WIRE(kVarint, "Metric.datatype");
        if (!r.varint(u)) return bad("Metric.datatype");
        m.datatype = static_cast<uint32_t>(u);
        break;
      case 5:
        SF_EXPECT_WIRE(kVarint, "Metric.is_historical");
        if (!r.varint(u)) return bad("Metric.is_historical");
        m.is_historical = u != 0;
        break;
      case 6:
        SF_EXPECT_WIRE(kVarint, "Metric.is_transient");
        if (!r.varint(u)) return bad("Metric.is_transient");
        m.is_transient = u != 0;
        break;
      case 7:
        SF_EXPECT_WIRE(kVarint, "Metric.is_null");
        if (!r.varint(u)) return bad("Metric.is_null");
        m.is_null = u != 0;
        break;
      case 8:
        SF_EXPECT_WIRE(kLen, "Metric.metadata");
        if (!r.len(s)) return bad("Metric.metadata");
        break;
      case 9:
        SF_EXPECT_WIRE(kLen, "Metric.properties");
        if (!r.len(s)) return bad("Metric.properties");
        SF_TRY(decodePropertySet(s, m.properties));
        break;
      case 10:
        SF_EXPECT_WIRE(kVarint, "Metric.int_value");
        if (!r.varint(u)) return bad("Metric.int_value");
        m.field = Field::kInt;
        m.integer = u & 0xFFFFFFFFu;
        break;
      case 11:
        SF_EXPECT_WIRE(kVarint, "Metric.long_value");
        if (!r.varint(u)) return bad("Metric.long_value");
        m.field = Field::kLong;
        m.integer = u;
        break;
      case 12:
        SF_EXPECT_WIRE(kFixed32, "Metric.float_value");
        if (!r.fixed32(u32)) return bad("Metric.float_value");
        m.field = Field::kFloat;
        m.number = floatOf(u32);
        break;
      case 13:
        SF_EXPECT_WIRE(kFixed64, "Metric.double_value");
        if (!r.fixed64(u)) return bad("Metric.double_value");
        m.field = Field::kDouble;
        m.number = doubleOf(u);
        break;
      case 14:
        SF_EXPECT_WIRE(kVarint, "Metric.boolean_value");
        if (!r.varint(u)) return bad("Metric.boolean_value");
        m.field = Field::kBool;
        m.boolean = u != 0;
        break;
      case 15:
        SF_EXPECT_WIRE(kLen, "Metric.string_value");
        if (!r.len(s)) return bad("Metric.string_value");
        m.field = Field::kString;
        m.bytes = s;
        break;
      case 16:
        SF_EXPECT_WIRE(kLen, "Metric.bytes_value");
        if (!r.len(s)) return bad("Metric.bytes_value");
        m.field = Field::kBytes;
        m.bytes = s;
        break;
      case 17:
        SF_EXPECT_WIRE(kLen, "Metric.dataset_value");
        if (!r.len(s)) return bad("Metric.dataset_value");
        m.field = Field::kDataSet;
        m.bytes = s;
        break;
      case 18:
        SF_EXPECT_WIRE(kLen, "Metric.template_value");
        if (!r.len(s)) return bad("Metric.template_value");
        m.field = Field::kTemplate;
        m.bytes = s;
        break;
      case 19:
        SF_EXPECT_WIRE(kLen, "Metric.extension_value");
        if (!r.len(s)) return bad("Metric.extension_value");
        m.field = Field::kExtension;
        m.bytes = s;
        break;
      default:
        if (!r.skip(wire)) return bad("Metric unknown field " + std::to_string(f));
        break;
    }
  }
  return m;
}

// Sign-extends the low `bits` of v.
int64_t signExtend(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  uint64_t mask = (uint64_t{1} << bits) - 1;
  v &= mask;
  if (v & (uint64_t{1} << (bits - 1))) v |= ~mask;
  return static_cast<int64_t>(v);
}

template <class T>
T readLe(const char* p) {
  T v{};
  uint64_t acc = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    acc |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (sizeof(T) == 4) {
      auto bits = static_cast<uint32_t>(acc);
      std::memcpy(&v, &bits, 4);
    } else {
      std::memcpy(&v, &acc, 8);
    }
  } else {
    v = static_cast<T>(acc);
  }
  return v;
}

core::Result<model::Value> decodeArray(std::string_view b, uint32_t type) {
  using model::Value;
  auto need = [&](size_t size) -> core::Status {
    if (b.size() % size != 0) {
      return bad(std::string(dataTypeName(type)) + " of " + std::to_string(b.size()) +
                 " bytes, not a multiple of " + std::to_string(size));
    }
    return core::ok();
  };
  switch (type) {
    case kInt8Array:
    case kInt16Array:
    case kInt32Array:
    case kInt64Array:
    case kDateTimeArray: {
      size_t size = type == kInt8Array ? 1 : type == kInt16Array ? 2 : type == kInt32Array ? 4 : 8;
      SF_TRY(need(size));
      std::vector<int64_t> v;
      v.reserve(b.size() / size);
      for (size_t i = 0; i < b.size(); i += size) {
        uint64_t raw = size == 1   ? readLe<uint8_t>(b.data() + i)
                       : size == 2 ? readLe<uint16_t>(b.data() + i)
                       : size == 4 ? readLe<uint32_t>(b.data() + i)
                                   : readLe<uint64_t>(b.data() + i);
        v.push_back(signExtend(raw, static_cast<int>(size * 8)));
      }
      return Value::ofInt64Array(std::move(v));
    }
    case kUInt8Array:
    case kUInt16Array:
    case kUInt32Array: {
      size_t size = type == kUInt8Array ? 1 : type == kUInt16Array ? 2 : 4;
      SF_TRY(need(size));
      std::vector<int64_t> v;
      v.reserve(b.size() / size);
      for (size_t i = 0; i < b.size(); i += size) {
        uint64_t raw = size == 1   ? readLe<uint8_t>(b.data() + i)
                       : size == 2 ? readLe<uint16_t>(b.data() + i)
                                   : readLe<uint32_t>(b.data() + i);
        v.push_back(static_cast<int64_t>(raw));
      }
      return Value::ofInt64Array(std::move(v));
    }
    case kUInt64Array: {
      SF_TRY(need(8));
      std::vector<uint64_t> v;
      for (size_t i = 0; i < b.size(); i += 8) v.push_back(readLe<uint64_t>(b.data() + i));
      return Value::ofUInt64Array(std::move(v));
    }
    case kFloatArray: {
      SF_TRY(need(4));
      std::vector<double> v;
      for (size_t i = 0; i < b.size(); i += 4) v.push_back(readLe<float>(b.data() + i));
      return Value::ofDoubleArray(std::move(v));
    }
    case kDoubleArray: {
      SF_TRY(need(8));
      std::vector<double> v;
      for (size_t i = 0; i < b.size(); i += 8) v.push_back(readLe<double>(b.data() + i));
      return Value::ofDoubleArray(std::move(v));
    }
    case kBooleanArray: {
      if (b.size() < 4) return bad("BooleanArray shorter than its 4-byte count");
      uint32_t count = readLe<uint32_t>(b.data());
      if ((uint64_t{count} + 7) / 8 > b.size() - 4) {
        return bad("BooleanArray count " + std::to_string(count) + " beyond its " +
                   std::to_string(b.size() - 4) + " bytes");
      }
      std::vector<bool> v(count);
      for (uint32_t i = 0; i < count; ++i) {
        auto byte = static_cast<uint8_t>(b[4 + i / 8]);
        v[i] = (byte >> (7 - i % 8)) & 1;
      }
      return Value::ofBoolArray(std::move(v));
    }
    case kStringArray: {
      std::vector<std::string> v;
      size_t start = 0;
      while (start < b.size()) {
        size_t nul = b.find('\0', start);
        if (nul == std::string_view::npos) nul = b.size();  // tolerate a missing final NUL
        v.emplace_back(b.substr(start, nul - start));
        start = nul + 1;
      }
      for (const auto& s : v) {
        if (!model::isValidUtf8(s)) return bad("StringArray element is not UTF-8");
      }
      return Value::ofStringArray(std::move(v));
    }
    default:
      return bad("not an array type");
  }
}

nlohmann::json jsonOfOneof(Field field, uint64_t integer, double number, bool boolean,
                           std::string_view text, uint32_t type) {
  switch (field) {
    case Field::kInt:
    case Field::kLong:
      if (type == kInt8 || type == kInt16 || type == kInt32 || type == kInt64 ||
          type == kDateTime) {
        int bits = type == kInt8 ? 8 : type == kInt16 ? 16 : type == kInt32 ? 32 : 64;
        return signExtend(integer, bits);
      }
      return integer;
    case Field::kFloat:
    case Field::kDouble:
      return number;
    case Field::kBool:
      return boolean;
    case Field::kString:
      return std::string(text);
    default:
      return nullptr;
  }
}

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

core::Result<nlohmann::json> dataSetJson(std::string_view raw) {
  nlohmann::json columns = nlohmann::json::array(), types = nlohmann::json::array(),
                 rows = nlohmann::json::array();
  std::vector<uint32_t> type_list;
  Reader r(raw);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("DataSet tag");
    uint64_t u = 0;
    std::string_view s;
    if (f == 1) {
      SF_EXPECT_WIRE(kVarint, "DataSet.num_of_columns");
      if (!r.varint(u)) return bad("DataSet.num_of_columns");
    } else if (f == 2) {
      SF_EXPECT_WIRE(kLen, "DataSet.columns");
      if (!r.len(s)) return bad("DataSet.columns");
      columns.push_back(std::string(s));
    } else if (f == 3) {
      if (wire == kLen) {  // packed
        if (!r.len(s)) return bad("DataSet.types");
        Reader p(s);
        while (!p.done()) {
          if (!p.varint(u)) return bad("DataSet.types");
          type_list.push_back(static_cast<uint32_t>(u));
        }
      } else {
        SF_EXPECT_WIRE(kVarint, "DataSet.types");
        if (!r.varint(u)) return bad("DataSet.types");
        type_list.push_back(static_cast<uint32_t>(u));
      }
    } else if (f == 4) {
      SF_EXPECT_WIRE(kLen, "DataSet.rows");
      if (!r.len(s)) return bad("DataSet.rows");
      nlohmann::json row = nlohmann::json::array();
      Reader rr(s);
      while (!rr.done()) {
        uint32_t rf = 0;
        uint8_t rw = 0;
        if (!rr.tag(rf, rw)) return bad("DataSet.Row tag");
        std::string_view cell;
        if (rf != 1) {
          if (!rr.skip(rw)) return bad("DataSet.Row unknown field");
          continue;
        }
        if (rw != kLen || !rr.len(cell)) return bad("DataSet.Row.elements");
        Field field = Field::kNone;
        uint64_t integer = 0;
        double number = 0;
        bool boolean = false;
        std::string_view text;
        Reader c(cell);
        while (!c.done()) {
          uint32_t cf = 0;
          uint8_t cw = 0;
          if (!c.tag(cf, cw)) return bad("DataSetValue tag");
          const bool ok = cf >= 1 && cf <= 6 ? readScalarOneof(c, cw, cf - 1, field, integer,
                                                               number, boolean, text)
                                             : c.skip(cw);
          if (!ok) return bad("DataSetValue field " + std::to_string(cf));
        }
        uint32_t col_type = row.size() < type_list.size() ? type_list[row.size()] : 0;
        row.push_back(jsonOfOneof(field, integer, number, boolean, text, col_type));
      }
      rows.push_back(std::move(row));
    } else if (!r.skip(wire)) {
      return bad("DataSet unknown field " + std::to_string(f));
    }
  }
  for (uint32_t t : type_list) types.push_back(std::string(dataTypeName(t)));
  nlohmann::json out;
  out["columns"] = std::move(columns);
  out["types"] = std::move(types);
  out["rows"] = std::move(rows);
  return out;
}

core::Result<nlohmann::json> templateJson(std::string_view raw, int depth);

core::Result<nlohmann::json> metricJson(const Metric& m, int depth) {
  nlohmann::json j;
  if (m.name) j["name"] = std::string(*m.name);
  if (m.alias) j["alias"] = *m.alias;
  uint32_t type = m.datatype.value_or(0);
  j["datatype"] = std::string(dataTypeName(type));
  if (m.is_null) {
    j["value"] = nullptr;
  } else if (m.field == Field::kDataSet) {
    SF_ASSIGN_OR_RETURN(j["value"], dataSetJson(m.bytes));
  } else if (m.field == Field::kTemplate) {
    SF_ASSIGN_OR_RETURN(j["value"], templateJson(m.bytes, depth + 1));
  } else if (m.field == Field::kBytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : m.bytes) {
      hex.push_back(kHex[c >> 4]);
      hex.push_back(kHex[c & 15]);
    }
    j["value"] = hex;
  } else {
    j["value"] = jsonOfOneof(m.field, m.integer, m.number, m.boolean, m.bytes, type);
  }
  return j;
}

core::Result<nlohmann::json> templateJson(std::string_view raw, int depth) {
  if (depth > kMaxTemplateDepth)
    return bad("templates nested deeper than " + std::to_string(kMaxTemplateDepth));
  nlohmann::json out;
  nlohmann::json metrics = nlohmann::json::array(), params = nlohmann::json::array();
  Reader r(raw);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("Template tag");
    uint64_t u = 0;
    std::string_view s;
    switch (f) {
      case 1:
        SF_EXPECT_WIRE(kLen, "Template.version");
        if (!r.len(s)) return bad("Template.version");
        out["version"] = std::string(s);
        break;
      case 2: {
        SF_EXPECT_WIRE(kLen, "Template.metrics");
        if (!r.len(s)) return bad("Template.metrics");
        SF_ASSIGN_OR_RETURN(Metric m, decodeMetric(s));
        SF_ASSIGN_OR_RETURN(auto mj, metricJson(m, depth));
        metrics.push_back(std::move(mj));
        break;
      }
      case 3: {
        SF_EXPECT_WIRE(kLen, "Template.parameters");
        if (!r.len(s)) return bad("Template.parameters");
        nlohmann::json p;
        Reader pr(s);
        uint32_t ptype = 0;
        Field field = Field::kNone;
        uint64_t integer = 0;
        double number = 0;
        bool boolean = false;
        std::string_view text;
        while (!pr.done()) {
          uint32_t pf = 0;
          uint8_t pw = 0;
          if (!pr.tag(pf, pw)) return bad("Parameter tag");
          bool ok = true;
          if (pf == 1) {
            ok = pw == kLen && pr.len(text);
            if (ok) p["name"] = std::string(text);
            text = {};
          } else if (pf == 2) {
            ok = pw == kVarint && pr.varint(u);
            ptype = static_cast<uint32_t>(u);
          } else if (pf >= 3 && pf <= 8) {
            ok = readScalarOneof(pr, pw, pf - 3, field, integer, number, boolean, text);
          } else {
            ok = pr.skip(pw);
          }
          if (!ok) return bad("Parameter field " + std::to_string(pf));
        }
        p["type"] = std::string(dataTypeName(ptype));
        p["value"] = jsonOfOneof(field, integer, number, boolean, text, ptype);
        params.push_back(std::move(p));
        break;
      }
      case 4:
        SF_EXPECT_WIRE(kLen, "Template.template_ref");
        if (!r.len(s)) return bad("Template.template_ref");
        out["template_ref"] = std::string(s);
        break;
      case 5:
        SF_EXPECT_WIRE(kVarint, "Template.is_definition");
        if (!r.varint(u)) return bad("Template.is_definition");
        out["is_definition"] = u != 0;
        break;
      default:
        if (!r.skip(wire)) return bad("Template unknown field " + std::to_string(f));
        break;
    }
  }
  out["metrics"] = std::move(metrics);
  out["parameters"] = std::move(params);
  return out;
}

}  // namespace

std::string_view dataTypeName(uint32_t type) {
  static constexpr std::array<std::string_view, 35> kNames = {"Unknown",      "Int8",
                                                              "Int16",        "Int32",
                                                              "Int64",        "UInt8",
                                                              "UInt16",       "UInt32",
                                                              "UInt64",       "Float",
                                                              "Double",       "Boolean",
                                                              "String",       "DateTime",
                                                              "Text",         "UUID",
                                                              "DataSet",      "Bytes",
                                                              "File",         "Template",
                                                              "PropertySet",  "PropertySetList",
                                                              "Int8Array",    "Int16Array",
                                                              "Int32Array",   "Int64Array",
                                                              "UInt8Array",   "UInt16Array",
                                                              "UInt32Array",  "UInt64Array",
                                                              "FloatArray",   "DoubleArray",
                                                              "BooleanArray", "StringArray",
                                                              "DateTimeArray"};
  return type < kNames.size() ? kNames[type] : "Unknown";
}

core::Result<Payload> decodePayload(std::string_view bytes) {
  Payload p;
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f = 0;
    uint8_t wire = 0;
    if (!r.tag(f, wire)) return bad("Payload tag");
    uint64_t u = 0;
    std::string_view s;
    switch (f) {
      case 1:
        SF_EXPECT_WIRE(kVarint, "Payload.timestamp");
        if (!r.varint(u)) return bad("Payload.timestamp");
        p.timestamp = u;
        break;
      case 2: {
        SF_EXPECT_WIRE(kLen, "Payload.metrics");
        if (!r.len(s)) return bad("Payload.metrics");
        SF_ASSIGN_OR_RETURN(Metric m, decodeMetric(s));
        p.metrics.push_back(std::move(m));
        break;
      }
      case 3:
        SF_EXPECT_WIRE(kVarint, "Payload.seq");
        if (!r.varint(u)) return bad("Payload.seq");
        p.seq = u;
        break;
      case 4:
        SF_EXPECT_WIRE(kLen, "Payload.uuid");
        if (!r.len(s)) return bad("Payload.uuid");
        p.uuid = s;
        break;
      case 5:
        SF_EXPECT_WIRE(kLen, "Payload.body");
        if (!r.len(s)) return bad("Payload.body");
        p.body = s;
        break;
      default:
        if (!r.skip(wire)) return bad("Payload unknown field " + std::to_string(f));
        break;
    }
  }
  return p;
}

core::Result<std::string> dataSetToJson(std::string_view raw) {
  SF_ASSIGN_OR_RETURN(auto j, dataSetJson(raw));
  return j.dump(-1, ' ', false, kReplace);
}

core::Result<std::string> templateToJson(std::string_view raw, int depth) {
  SF_ASSIGN_OR_RETURN(auto j, templateJson(raw, depth));
  return j.dump(-1, ' ', false, kReplace);
}

core::Result<model::Value> metricValue(const Metric& m, uint32_t datatype, bool& json) {
  using model::Value;
  json = false;
  if (m.is_null) return Value::null();
  uint32_t type = datatype != 0 ? datatype : m.datatype.value_or(0);
  const std::string type_name(dataTypeName(type));
  auto mismatch = [&]() {
    return bad("metric of type " + type_name + " carries " +
               (m.field == Field::kNone ? std::string("no value") : "another value field"));
  };
  auto integral = [&]() -> core::Result<uint64_t> {
    if (m.field == Field::kInt || m.field == Field::kLong) return m.integer;
    if (m.field == Field::kBool) return m.boolean ? 1u : 0u;
    return mismatch();
  };
  switch (type) {
    case kInt8:
    case kInt16:
    case kInt32:
    case kInt64: {
      SF_ASSIGN_OR_RETURN(uint64_t v, integral());
      int bits = type == kInt8 ? 8 : type == kInt16 ? 16 : type == kInt32 ? 32 : 64;
      return Value::ofInt64(signExtend(v, bits));
    }
    case kUInt8:
    case kUInt16:
    case kUInt32: {
      SF_ASSIGN_OR_RETURN(uint64_t v, integral());
      uint64_t mask = type == kUInt8 ? 0xFF : type == kUInt16 ? 0xFFFF : 0xFFFFFFFFu;
      return Value::ofInt64(static_cast<int64_t>(v & mask));
    }
    case kUInt64: {
      SF_ASSIGN_OR_RETURN(uint64_t v, integral());
      return Value::ofUInt64(v);
    }
    case kDateTime: {
      SF_ASSIGN_OR_RETURN(uint64_t v, integral());
      return Value::ofInt64(static_cast<int64_t>(v));
    }
    case kFloat:
    case kDouble:
      if (m.field == Field::kFloat || m.field == Field::kDouble) return Value::ofDouble(m.number);
      if (m.field == Field::kInt || m.field == Field::kLong)
        return Value::ofDouble(static_cast<double>(m.integer));
      return mismatch();
    case kBoolean:
      if (m.field == Field::kBool) return Value::ofBool(m.boolean);
      if (m.field == Field::kInt || m.field == Field::kLong) return Value::ofBool(m.integer != 0);
      return mismatch();
    case kString:
    case kText:
    case kUuid:
      if (m.field != Field::kString) return mismatch();
      if (!model::isValidUtf8(m.bytes)) return bad(type_name + " value is not UTF-8");
      return Value::ofString(std::string(m.bytes));
    case kBytes:
    case kFile:
      if (m.field != Field::kBytes && m.field != Field::kString) return mismatch();
      return Value::ofBytes(std::string(m.bytes));
    case kDataSet: {
      if (m.field != Field::kDataSet) return mismatch();
      SF_ASSIGN_OR_RETURN(std::string text, dataSetToJson(m.bytes));
      json = true;
      return Value::ofString(std::move(text));
    }
    case kTemplate: {
      if (m.field != Field::kTemplate) return mismatch();
      SF_ASSIGN_OR_RETURN(std::string text, templateToJson(m.bytes));
      json = true;
      return Value::ofString(std::move(text));
    }
    case kInt8Array:
    case kInt16Array:
    case kInt32Array:
    case kInt64Array:
    case kUInt8Array:
    case kUInt16Array:
    case kUInt32Array:
    case kUInt64Array:
    case kFloatArray:
    case kDoubleArray:
    case kBooleanArray:
    case kStringArray:
    case kDateTimeArray:
      if (m.field != Field::kBytes) return mismatch();
      return decodeArray(m.bytes, type);
    case kPropertySet:
    case kPropertySetList:
      return Value::null();  // opaque; never seen as a metric value in practice
    default:
      // Unknown or absent type: what the value field says.
      switch (m.field) {
        case Field::kInt:
          return Value::ofInt64(static_cast<int64_t>(m.integer));
        case Field::kLong:
          return Value::ofUInt64(m.integer);
        case Field::kFloat:
        case Field::kDouble:
          return Value::ofDouble(m.number);
        case Field::kBool:
          return Value::ofBool(m.boolean);
        case Field::kString:
          if (!model::isValidUtf8(m.bytes)) return Value::ofBytes(std::string(m.bytes));
          return Value::ofString(std::string(m.bytes));
        case Field::kBytes:
          return Value::ofBytes(std::string(m.bytes));
        case Field::kDataSet: {
          SF_ASSIGN_OR_RETURN(std::string text, dataSetToJson(m.bytes));
          json = true;
          return Value::ofString(std::move(text));
        }
        case Field::kTemplate: {
          SF_ASSIGN_OR_RETURN(std::string text, templateToJson(m.bytes));
          json = true;
          return Value::ofString(std::move(text));
        }
        default:
          return Value::null();
      }
  }
}

// --- writer ----------------------------------------------------------------------------------

void Writer::rawVarint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}
void Writer::varint(uint32_t field, uint64_t v) {
  rawVarint(uint64_t{field} << 3 | kVarint);
  rawVarint(v);
}
void Writer::fixed32(uint32_t field, uint32_t v) {
  rawVarint(uint64_t{field} << 3 | kFixed32);
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Writer::fixed64(uint32_t field, uint64_t v) {
  rawVarint(uint64_t{field} << 3 | kFixed64);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Writer::bytes(uint32_t field, std::string_view v) {
  rawVarint(uint64_t{field} << 3 | kLen);
  rawVarint(v.size());
  out_.append(v);
}
void Writer::floatValue(uint32_t field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  fixed32(field, bits);
}
void Writer::doubleValue(uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  fixed64(field, bits);
}

std::string encodeRebirthRequest(uint64_t timestamp_ms) {
  Writer metric;
  metric.bytes(1, "Node Control/Rebirth");
  metric.varint(3, timestamp_ms);
  metric.varint(4, kBoolean);
  metric.varint(14, 1);
  Writer payload;
  payload.varint(1, timestamp_ms);
  payload.bytes(2, metric.data());
  return payload.take();
}

}  // namespace sf::mqtt::sparkplug
