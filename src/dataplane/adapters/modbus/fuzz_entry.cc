#include "dataplane/adapters/modbus/fuzz_entry.h"

#include <span>
#include <vector>

#include "dataplane/adapters/modbus/codec.h"
#include "dataplane/adapters/modbus/protocol.h"

namespace sf::modbus {
namespace {

// Decodes a validated read payload as every type and order the tags may use.
size_t decodeAll(Table table, uint16_t count, std::span<const uint8_t> payload) {
  size_t ok = 0;
  if (isBitTable(table)) {
    for (size_t i = 0; i < count; ++i) ok += bitAt(payload, i) ? 1 : 0;
    return ok;
  }
  static constexpr DataType kTypes[] = {DataType::kBool,   DataType::kInt16,   DataType::kUInt16,
                                        DataType::kInt32,  DataType::kUInt32,  DataType::kInt64,
                                        DataType::kUInt64, DataType::kFloat32, DataType::kFloat64,
                                        DataType::kString, DataType::kBcd16,   DataType::kBcd32};
  static constexpr ByteOrder kOrders[] = {ByteOrder::kABCD, ByteOrder::kCDAB, ByteOrder::kBADC,
                                          ByteOrder::kDCBA};
  for (DataType type : kTypes) {
    for (ByteOrder order : kOrders) {
      TagCodec c{table, type, order, type == DataType::kBool ? 5 : -1,
                 static_cast<uint16_t>(type == DataType::kString ? count : 0)};
      const uint16_t q = quantityOf(c);
      if (q == 0 || q > count) continue;
      for (uint16_t off = 0; off + q <= count; off = static_cast<uint16_t>(off + q)) {
        auto v = decodeRegisters(c, payload.subspan(2u * off));
        ok += v ? 1 : 0;
      }
    }
  }
  return ok;
}

Table selectedTable(uint8_t selector) {
  static constexpr Table kTables[] = {Table::kCoil, Table::kDiscreteInput, Table::kHolding,
                                      Table::kInput};
  return kTables[selector & 3];
}

uint16_t selectedCount(uint8_t selector) {
  return static_cast<uint16_t>(
      1 + ((selector >> 2) % (isBitTable(selectedTable(selector)) ? 64 : 16)) * 3);
}

}  // namespace

std::vector<uint8_t> fuzzRequestFor(uint8_t selector) {
  const Table table = selectedTable(selector);
  const uint16_t count = selectedCount(selector);
  switch ((selector >> 6) & 3) {
    case 0:
    case 1:
      return buildRead(ReadRequest{table, 10, count});
    case 2:
      return buildWriteSingleRegister(7, 0x1234);
    default: {
      std::vector<uint16_t> regs(count, 0xABCD);
      return buildWriteMultipleRegisters(7, regs);
    }
  }
}

size_t fuzzModbusParsers(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t parsed = 0;
  // The first byte picks the request the bytes answer; the rest is what the device sent.
  const uint8_t selector = data[0];
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const Table table = selectedTable(selector);
  const uint16_t count = selectedCount(selector);
  const std::vector<uint8_t> request = fuzzRequestFor(selector);
  // A TCP stream: frames one after the other, as the transport scans them.
  size_t at = 0;
  while (at < bytes.size()) {
    auto scan = scanMbap(bytes.subspan(at));
    if (scan.status == FrameStatus::kNeedMore || scan.status == FrameStatus::kMalformed) break;
    at += scan.size;
    if (scan.status != FrameStatus::kFrame) continue;
    auto r = parseResponse(request, scan.pdu);
    if (r) {
      ++parsed;
      if (!r->exception && !r->payload.empty()) parsed += decodeAll(table, count, r->payload);
    }
  }
  // The same bytes as an RTU line.
  auto rtu = scanRtuResponse(bytes, request[0]);
  if (rtu.status == FrameStatus::kFrame) {
    auto r = parseResponse(request, rtu.pdu);
    if (r) {
      ++parsed;
      if (!r->exception && !r->payload.empty()) parsed += decodeAll(table, count, r->payload);
    }
  }
  // And as a bare PDU.
  if (auto r = parseResponse(request, bytes); r) {
    ++parsed;
    if (!r->exception && !r->payload.empty()) parsed += decodeAll(table, count, r->payload);
  }
  return parsed;
}

}  // namespace sf::modbus
