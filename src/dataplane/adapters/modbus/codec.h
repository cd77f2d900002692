#pragma once
// Decoding register and bit contents into typed values, and encoding values back for writes:
// bool (coil, discrete input, bit in a register), int16/uint16, int32/uint32, int64/uint64,
// float32/float64, string and BCD, in the byte orders ABCD, DCBA, BADC and CDAB. Scaling to
// engineering units is the pipeline's job (scale/offset), not the codec's: it yields the raw
// device value. Pure functions; thread-safe.
//
// Byte orders name the bytes of a 32-bit value from most to least significant (A = MSB) in the
// order they arrive on the wire, register by register (each register big-endian on the wire):
//   ABCD  registers high word first, bytes big-endian       (Modbus default, "big-endian")
//   CDAB  low word first, bytes big-endian                  ("word swap", many PLCs)
//   BADC  high word first, bytes swapped in each register   ("byte swap")
//   DCBA  low word first, bytes swapped                     ("little-endian")
// 64-bit values extend the same rule to four registers (ABCDEFGH, GHEFCDAB, BADCFEHG,
// HGFEDCBA); 16-bit values use only the byte rule (AB for ABCD/CDAB, BA for BADC/DCBA).
// Strings are read register by register in address order; BADC and DCBA put the low byte of
// each register first.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/adapters/modbus/protocol.h"
#include "model/value.h"

namespace sf::modbus {

enum class DataType : uint8_t {
  kBool,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat32,
  kFloat64,
  kString,
  kBcd16,
  kBcd32,
};
std::string_view dataTypeName(DataType t);

enum class ByteOrder : uint8_t { kABCD, kCDAB, kBADC, kDCBA };
std::string_view byteOrderName(ByteOrder o);

// How one tag's registers or bit decode.
struct TagCodec {
  Table table = Table::kHolding;
  DataType type = DataType::kUInt16;
  ByteOrder order = ByteOrder::kABCD;
  int bit = -1;         // bool in a register: 0 (LSB) .. 15; -1 otherwise
  uint16_t length = 0;  // string: registers
};

// Registers (register tables) or bits (bit tables) one tag occupies.
uint16_t quantityOf(const TagCodec& c);

// The tag's value from the big-endian register bytes of a read payload starting at the tag's
// first register (`regs` holds at least 2 * quantityOf(c) bytes). kInvalidData for registers
// that do not decode (a BCD nibble above 9).
core::Result<model::Value> decodeRegisters(const TagCodec& c, std::span<const uint8_t> regs);

// Registers to write for `value` (bool, integers, double or string as the type needs): range
// checked (an int16 tag refuses 40000), in the tag's byte order. kInvalidData on a value the
// type cannot hold. Bits in registers are written by read-modify-write (see adapter.h).
core::Result<std::vector<uint16_t>> encodeRegisters(const TagCodec& c, const model::Value& value);

// bool from a value (bool, or a number 0/1) for coil writes.
core::Result<bool> valueToBool(const model::Value& value);

}  // namespace sf::modbus
