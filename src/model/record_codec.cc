#include "model/record_codec.h"

#include <bit>
#include <cstring>

namespace sf::model {
namespace {

// --- writing ----------------------------------------------------------------------------------

void putVarint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void putFixed64(std::string& out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out.append(buf, 8);
}

void putStr(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

void putU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

void putDouble(std::string& out, double d) { putFixed64(out, std::bit_cast<uint64_t>(d)); }

void putValue(std::string& out, const Value& v) {
  putU8(out, static_cast<uint8_t>(v.type()));
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
        } else if constexpr (std::is_same_v<T, bool>) {
          putU8(out, x ? 1 : 0);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          putVarint(out, zigzag(x));
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          putVarint(out, x);
        } else if constexpr (std::is_same_v<T, double>) {
          putDouble(out, x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          putStr(out, x);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          putStr(out, x.data);
        } else {
          putVarint(out, x.size());
          for (const auto& e : x) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, std::vector<bool>>) {
              putU8(out, e ? 1 : 0);
            } else if constexpr (std::is_same_v<E, int64_t>) {
              putVarint(out, zigzag(e));
            } else if constexpr (std::is_same_v<E, uint64_t>) {
              putVarint(out, e);
            } else if constexpr (std::is_same_v<E, double>) {
              putDouble(out, e);
            } else if constexpr (std::is_same_v<E, std::string>) {
              putStr(out, e);
            } else {
              putStr(out, e.data);
            }
          }
        }
      },
      v.storage());
}

// --- reading ----------------------------------------------------------------------------------

// A bounds-checked cursor. Every read returns false instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), begin_(p_), end_(p_ + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  bool atEnd() const { return p_ == end_; }

  bool u8(uint8_t& v) {
    if (p_ == end_) return false;
    v = *p_++;
    return true;
  }
  bool varint(uint64_t& v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return false;
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return false;  // overflows 64 bits
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        v = result;
        return true;
      }
    }
    return false;
  }
  bool fixed64(uint64_t& v) {
    if (remaining() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    return true;
  }
  bool f64(double& d) {
    uint64_t bits;
    if (!fixed64(bits)) return false;
    d = std::bit_cast<double>(bits);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n;
    if (!varint(n) || n > remaining()) return false;
    s.assign(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  bool skip(uint64_t n) {
    if (n > remaining()) return false;
    p_ += n;
    return true;
  }
  bool boolean(bool& b) {
    uint8_t v;
    if (!u8(v) || v > 1) return false;
    b = v == 1;
    return true;
  }
  template <class E>
  bool enumByte(E& e, int count) {
    uint8_t v;
    if (!u8(v) || v >= count) return false;
    e = static_cast<E>(v);
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
};

// Reads an array count, refusing counts the remaining bytes cannot hold (each element takes at
// least `min_element_size` bytes), so garbage cannot make us allocate gigabytes.
bool arrayCount(Reader& r, size_t min_element_size, size_t& n) {
  uint64_t count;
  if (!r.varint(count) || count > r.remaining() / min_element_size) return false;
  n = static_cast<size_t>(count);
  return true;
}

template <class T, class ReadOne>
bool readArray(Reader& r, size_t min_element_size, Value& out, ReadOne read_one) {
  size_t n;
  if (!arrayCount(r, min_element_size, n)) return false;
  std::vector<T> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    T item{};
    if (!read_one(item)) return false;
    items.push_back(std::move(item));
  }
  out = Value(Value::Storage(std::move(items)));
  return true;
}

bool readValue(Reader& r, Value& out) {
  ValueType type;
  if (!r.enumByte(type, kValueTypeCount)) return false;
  auto read_i64 = [&r](int64_t& v) {
    uint64_t u;
    if (!r.varint(u)) return false;
    v = unzigzag(u);
    return true;
  };
  auto read_u64 = [&r](uint64_t& v) { return r.varint(v); };
  auto read_f64 = [&r](double& v) { return r.f64(v); };
  auto read_str = [&r](std::string& v) { return r.str(v); };
  auto read_bytes = [&r](Bytes& v) { return r.str(v.data); };
  switch (type) {
    case ValueType::kNull:
      out = Value();
      return true;
    case ValueType::kBool: {
      bool b;
      if (!r.boolean(b)) return false;
      out = Value::ofBool(b);
      return true;
    }
    case ValueType::kInt64: {
      int64_t v;
      if (!read_i64(v)) return false;
      out = Value::ofInt64(v);
      return true;
    }
    case ValueType::kUInt64: {
      uint64_t v;
      if (!read_u64(v)) return false;
      out = Value::ofUInt64(v);
      return true;
    }
    case ValueType::kDouble: {
      double v;
      if (!read_f64(v)) return false;
      out = Value::ofDouble(v);
      return true;
    }
    case ValueType::kString: {
      std::string s;
      if (!r.str(s)) return false;
      out = Value::ofString(std::move(s));
      return true;
    }
    case ValueType::kBytes: {
      std::string s;
      if (!r.str(s)) return false;
      out = Value::ofBytes(std::move(s));
      return true;
    }
    case ValueType::kBoolArray: {
      size_t n;
      if (!arrayCount(r, 1, n)) return false;
      std::vector<bool> items(n);
      for (size_t i = 0; i < n; ++i) {
        bool b;
        if (!r.boolean(b)) return false;
        items[i] = b;
      }
      out = Value::ofBoolArray(std::move(items));
      return true;
    }
    case ValueType::kInt64Array:
      return readArray<int64_t>(r, 1, out, read_i64);
    case ValueType::kUInt64Array:
      return readArray<uint64_t>(r, 1, out, read_u64);
    case ValueType::kDoubleArray:
      return readArray<double>(r, 8, out, read_f64);
    case ValueType::kStringArray:
      return readArray<std::string>(r, 1, out, read_str);
    case ValueType::kBytesArray:
      return readArray<Bytes>(r, 1, out, read_bytes);
  }
  return false;
}

core::Unexpected<core::Error> malformed(const Reader& r, const char* what) {
  return core::fail(core::Errc::kInvalidData, std::string("binary record: bad or truncated ") +
                                                  what + " at byte " +
                                                  std::to_string(r.position()));
}

}  // namespace

void encodeBinary(const Record& rec, std::string& out) {
  putU8(out, kBinaryFormatVersion);
  putU8(out, static_cast<uint8_t>(rec.recordClass()));
  putU8(out, rec.offset ? 1 : 0);
  if (rec.offset) putVarint(out, *rec.offset);
  putStr(out, rec.site);
  putStr(out, rec.gateway);
  putStr(out, rec.stream);
  putStr(out, rec.adapter);
  putStr(out, rec.device);
  putStr(out, rec.tag);
  putFixed64(out, static_cast<uint64_t>(rec.source_ts_ns));
  // Wrapping difference: defined for any pair of int64s, and undone exactly by the decoder.
  putVarint(out, zigzag(static_cast<int64_t>(static_cast<uint64_t>(rec.gateway_ts_ns) -
                                             static_cast<uint64_t>(rec.source_ts_ns))));
  putU8(out, static_cast<uint8_t>(rec.quality.level));
  putVarint(out, rec.quality.code);
  putStr(out, rec.quality.text);
  putStr(out, rec.unit);
  putValue(out, rec.value);
  putVarint(out, rec.attributes.size());
  for (const auto& [k, v] : rec.attributes) {
    putStr(out, k);
    putStr(out, v);
  }
  switch (rec.recordClass()) {
    case RecordClass::kTelemetry:
      break;
    case RecordClass::kEvent: {
      const EventInfo& e = *rec.event();
      putStr(out, e.type);
      putStr(out, e.from);
      putStr(out, e.to);
      break;
    }
    case RecordClass::kAlarm: {
      const AlarmInfo& a = *rec.alarm();
      putStr(out, a.alarm_id);
      putU8(out, static_cast<uint8_t>(a.condition));
      putVarint(out, a.severity);
      putU8(out, static_cast<uint8_t>(a.state));
      putU8(out,
            static_cast<uint8_t>((a.shelved ? 1 : 0) | (a.suppressed ? 2 : 0) | (a.limit ? 4 : 0)));
      putU8(out, static_cast<uint8_t>(a.transition));
      if (a.limit) putDouble(out, *a.limit);
      putStr(out, a.message);
      putStr(out, a.actor);
      break;
    }
    case RecordClass::kLog: {
      const LogInfo& l = *rec.log();
      putU8(out, static_cast<uint8_t>(l.level));
      putStr(out, l.message);
      putStr(out, l.origin);
      break;
    }
  }
}

core::Result<Record> decodeBinary(std::string_view bytes) {
  Reader r(bytes);
  Record rec;
  uint8_t version;
  if (!r.u8(version)) return malformed(r, "version");
  if (version != kBinaryFormatVersion) {
    return core::fail(core::Errc::kInvalidData,
                      "binary record: unknown format version " + std::to_string(version));
  }
  RecordClass cls;
  if (!r.enumByte(cls, kRecordClassCount)) return malformed(r, "class");
  uint8_t flags;
  if (!r.u8(flags) || (flags & ~1u) != 0) return malformed(r, "flags");
  if (flags & 1) {
    uint64_t offset;
    if (!r.varint(offset)) return malformed(r, "offset");
    rec.offset = offset;
  }
  if (!r.str(rec.site) || !r.str(rec.gateway) || !r.str(rec.stream) || !r.str(rec.adapter) ||
      !r.str(rec.device) || !r.str(rec.tag)) {
    return malformed(r, "names");
  }
  uint64_t source, delta;
  if (!r.fixed64(source) || !r.varint(delta)) return malformed(r, "timestamps");
  rec.source_ts_ns = static_cast<int64_t>(source);
  rec.gateway_ts_ns = static_cast<int64_t>(source + static_cast<uint64_t>(unzigzag(delta)));
  uint64_t code;
  if (!r.enumByte(rec.quality.level, kQualityLevelCount) || !r.varint(code) || code > UINT32_MAX ||
      !r.str(rec.quality.text)) {
    return malformed(r, "quality");
  }
  rec.quality.code = static_cast<uint32_t>(code);
  if (!r.str(rec.unit)) return malformed(r, "unit");
  if (!readValue(r, rec.value)) return malformed(r, "value");
  size_t attr_count;
  if (!arrayCount(r, 2, attr_count)) return malformed(r, "attribute count");
  rec.attributes.reserve(attr_count);
  for (size_t i = 0; i < attr_count; ++i) {
    std::string k, v;
    if (!r.str(k) || !r.str(v)) return malformed(r, "attribute");
    if (!rec.attributes.tryAppend(std::move(k), std::move(v))) {
      return malformed(r, "attribute order");
    }
  }
  switch (cls) {
    case RecordClass::kTelemetry:
      break;
    case RecordClass::kEvent: {
      EventInfo e;
      if (!r.str(e.type) || !r.str(e.from) || !r.str(e.to)) return malformed(r, "event");
      rec.detail = std::move(e);
      break;
    }
    case RecordClass::kAlarm: {
      AlarmInfo a;
      uint64_t severity;
      uint8_t alarm_flags;
      if (!r.str(a.alarm_id) || !r.enumByte(a.condition, kAlarmConditionCount) ||
          !r.varint(severity) || severity > UINT16_MAX || !r.enumByte(a.state, kAlarmStateCount) ||
          !r.u8(alarm_flags) || (alarm_flags & ~7u) != 0 ||
          !r.enumByte(a.transition, kAlarmTransitionCount)) {
        return malformed(r, "alarm");
      }
      a.severity = static_cast<uint16_t>(severity);
      a.shelved = alarm_flags & 1;
      a.suppressed = alarm_flags & 2;
      if (alarm_flags & 4) {
        double limit;
        if (!r.f64(limit)) return malformed(r, "alarm limit");
        a.limit = limit;
      }
      if (!r.str(a.message) || !r.str(a.actor)) return malformed(r, "alarm");
      rec.detail = std::move(a);
      break;
    }
    case RecordClass::kLog: {
      LogInfo l;
      if (!r.enumByte(l.level, kLogLevelCount) || !r.str(l.message) || !r.str(l.origin)) {
        return malformed(r, "log");
      }
      rec.detail = std::move(l);
      break;
    }
  }
  while (!r.atEnd()) {
    uint64_t tag, len;
    if (!r.varint(tag) || tag == 0 || !r.varint(len) || !r.skip(len)) {
      return malformed(r, "extension");
    }
  }
  return rec;
}

}  // namespace sf::model
