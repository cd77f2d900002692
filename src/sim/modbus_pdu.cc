#include "sim/modbus_pdu.h"

namespace sf::sim {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xFF));
}
// address + count must stay within the 16-bit address space.
bool rangeFits(uint16_t address, uint16_t count) { return uint32_t{address} + count <= 0x10000; }

ModbusException fail(uint8_t function, ModbusException code, std::vector<uint8_t>& response) {
  exceptionResponse(function, code, response);
  return code;
}

ModbusException readBits(ModbusBackend& backend, uint8_t unit, uint8_t fc, Table table,
                         std::span<const uint8_t> pdu, std::vector<uint8_t>& response) {
  if (pdu.size() != 5) return fail(fc, ModbusException::kIllegalDataValue, response);
  uint16_t address = be16(pdu, 1);
  uint16_t count = be16(pdu, 3);
  if (count < 1 || count > kMaxReadBits) {
    return fail(fc, ModbusException::kIllegalDataValue, response);
  }
  if (!rangeFits(address, count)) return fail(fc, ModbusException::kIllegalDataAddress, response);
  std::vector<uint8_t> bits;
  if (auto ex = backend.readBits(unit, table, address, count, bits); ex != ModbusException::kNone) {
    return fail(fc, ex, response);
  }
  if (bits.size() != count) return fail(fc, ModbusException::kServerDeviceFailure, response);
  size_t bytes = (count + 7) / 8;
  response.assign({fc, static_cast<uint8_t>(bytes)});
  response.resize(2 + bytes, 0);
  for (size_t i = 0; i < count; ++i) {
    if (bits[i]) response[2 + i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return ModbusException::kNone;
}

ModbusException readRegisters(ModbusBackend& backend, uint8_t unit, uint8_t fc, Table table,
                              std::span<const uint8_t> pdu, std::vector<uint8_t>& response) {
  if (pdu.size() != 5) return fail(fc, ModbusException::kIllegalDataValue, response);
  uint16_t address = be16(pdu, 1);
  uint16_t count = be16(pdu, 3);
  if (count < 1 || count > kMaxReadRegisters) {
    return fail(fc, ModbusException::kIllegalDataValue, response);
  }
  if (!rangeFits(address, count)) return fail(fc, ModbusException::kIllegalDataAddress, response);
  std::vector<uint16_t> regs;
  if (auto ex = backend.readRegisters(unit, table, address, count, regs);
      ex != ModbusException::kNone) {
    return fail(fc, ex, response);
  }
  if (regs.size() != count) return fail(fc, ModbusException::kServerDeviceFailure, response);
  response.assign({fc, static_cast<uint8_t>(count * 2)});
  for (uint16_t r : regs) put16(response, r);
  return ModbusException::kNone;
}

}  // namespace

std::string_view tableName(Table table) {
  switch (table) {
    case Table::kCoil:
      return "coil";
    case Table::kDiscreteInput:
      return "discrete_input";
    case Table::kHoldingRegister:
      return "holding_register";
    case Table::kInputRegister:
      return "input_register";
  }
  return "unknown";
}

uint8_t readFunctionOf(Table table) {
  switch (table) {
    case Table::kCoil:
      return 1;
    case Table::kDiscreteInput:
      return 2;
    case Table::kHoldingRegister:
      return 3;
    case Table::kInputRegister:
      return 4;
  }
  return 0;
}

MbapHeader parseMbap(std::span<const uint8_t, kMbapHeaderSize> b) {
  MbapHeader h;
  h.transaction_id = be16(b, 0);
  h.protocol_id = be16(b, 2);
  h.length = be16(b, 4);
  h.unit_id = b[6];
  return h;
}

MbapCheck checkMbap(const MbapHeader& h) {
  if (h.length < 2 || h.length > kMaxPduSize + 1) return MbapCheck::kBadLength;
  if (h.protocol_id != 0) return MbapCheck::kBadProtocol;
  return MbapCheck::kOk;
}

void appendMbap(std::vector<uint8_t>& out, uint16_t transaction_id, uint8_t unit, size_t pdu_size) {
  put16(out, transaction_id);
  put16(out, 0);
  put16(out, static_cast<uint16_t>(pdu_size + 1));
  out.push_back(unit);
}

void exceptionResponse(uint8_t function, ModbusException code, std::vector<uint8_t>& response) {
  response.assign({static_cast<uint8_t>(function | 0x80), static_cast<uint8_t>(code)});
}

ModbusException processRequest(ModbusBackend& backend, uint8_t unit, std::span<const uint8_t> pdu,
                               std::vector<uint8_t>& response) {
  response.clear();
  if (pdu.empty()) return fail(0, ModbusException::kIllegalFunction, response);
  uint8_t fc = pdu[0];
  switch (fc) {
    case 1:
      return readBits(backend, unit, fc, Table::kCoil, pdu, response);
    case 2:
      return readBits(backend, unit, fc, Table::kDiscreteInput, pdu, response);
    case 3:
      return readRegisters(backend, unit, fc, Table::kHoldingRegister, pdu, response);
    case 4:
      return readRegisters(backend, unit, fc, Table::kInputRegister, pdu, response);
    case 5: {  // write single coil: value 0xFF00 (on) or 0x0000 (off), echoed
      if (pdu.size() != 5) return fail(fc, ModbusException::kIllegalDataValue, response);
      uint16_t address = be16(pdu, 1);
      uint16_t value = be16(pdu, 3);
      if (value != 0xFF00 && value != 0x0000) {
        return fail(fc, ModbusException::kIllegalDataValue, response);
      }
      uint8_t bit = value == 0xFF00 ? 1 : 0;
      if (auto ex = backend.writeCoils(unit, address, std::span<const uint8_t>(&bit, 1));
          ex != ModbusException::kNone) {
        return fail(fc, ex, response);
      }
      response.assign(pdu.begin(), pdu.end());
      return ModbusException::kNone;
    }
    case 6: {  // write single register, echoed
      if (pdu.size() != 5) return fail(fc, ModbusException::kIllegalDataValue, response);
      uint16_t address = be16(pdu, 1);
      uint16_t value = be16(pdu, 3);
      if (auto ex = backend.writeRegisters(unit, address, std::span<const uint16_t>(&value, 1));
          ex != ModbusException::kNone) {
        return fail(fc, ex, response);
      }
      response.assign(pdu.begin(), pdu.end());
      return ModbusException::kNone;
    }
    case 15: {  // write multiple coils
      if (pdu.size() < 6) return fail(fc, ModbusException::kIllegalDataValue, response);
      uint16_t address = be16(pdu, 1);
      uint16_t count = be16(pdu, 3);
      uint8_t byte_count = pdu[5];
      if (count < 1 || count > kMaxWriteCoils || byte_count != (count + 7) / 8 ||
          pdu.size() != 6u + byte_count) {
        return fail(fc, ModbusException::kIllegalDataValue, response);
      }
      if (!rangeFits(address, count)) {
        return fail(fc, ModbusException::kIllegalDataAddress, response);
      }
      std::vector<uint8_t> bits(count);
      for (size_t i = 0; i < count; ++i) bits[i] = (pdu[6 + i / 8] >> (i % 8)) & 1;
      if (auto ex = backend.writeCoils(unit, address, bits); ex != ModbusException::kNone) {
        return fail(fc, ex, response);
      }
      response.assign(pdu.begin(), pdu.begin() + 5);
      return ModbusException::kNone;
    }
    case 16: {  // write multiple registers
      if (pdu.size() < 6) return fail(fc, ModbusException::kIllegalDataValue, response);
      uint16_t address = be16(pdu, 1);
      uint16_t count = be16(pdu, 3);
      uint8_t byte_count = pdu[5];
      if (count < 1 || count > kMaxWriteRegisters || byte_count != count * 2 ||
          pdu.size() != 6u + byte_count) {
        return fail(fc, ModbusException::kIllegalDataValue, response);
      }
      if (!rangeFits(address, count)) {
        return fail(fc, ModbusException::kIllegalDataAddress, response);
      }
      std::vector<uint16_t> regs(count);
      for (size_t i = 0; i < count; ++i) regs[i] = be16(pdu, 6 + 2 * i);
      if (auto ex = backend.writeRegisters(unit, address, regs); ex != ModbusException::kNone) {
        return fail(fc, ex, response);
      }
      response.assign(pdu.begin(), pdu.begin() + 5);
      return ModbusException::kNone;
    }
    default:
      return fail(fc, ModbusException::kIllegalFunction, response);
  }
}

}  // namespace sf::sim
