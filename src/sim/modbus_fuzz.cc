// libFuzzer target: a byte stream from a client, cut into MBAP frames exactly as the server
// does, each PDU processed against a plant with every table (and the load block) mapped.
// Build with the `fuzz` preset; run: build/fuzz/src/sim/sim_modbus_fuzz -max_total_time=60

#include <cstddef>
#include <cstdint>
#include <span>

#include "sim/modbus_pdu.h"
#include "sim/plant.h"

namespace {

sf::sim::Plant& plant() {
  static auto p = [] {
    sf::sim::PlantOptions o;
    o.units = {1, 2};
    o.scale_registers = 1000;
    o.frozen_time = 1000;
    return std::move(sf::sim::Plant::create(o)).value();
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sf::sim;
  std::span<const uint8_t> in(data, size);
  std::vector<uint8_t> response;
  while (in.size() >= kMbapHeaderSize) {
    MbapHeader h = parseMbap(in.first<kMbapHeaderSize>());
    MbapCheck check = checkMbap(h);
    if (check == MbapCheck::kBadLength) break;
    in = in.subspan(kMbapHeaderSize);
    size_t pdu_size = h.length - 1u;
    if (in.size() < pdu_size) break;
    auto pdu = in.first(pdu_size);
    in = in.subspan(pdu_size);
    if (check != MbapCheck::kOk || !plant().hasUnit(h.unit_id)) continue;
    processRequest(plant(), h.unit_id, pdu, response);
    if (response.size() < 2 || response.size() > kMaxPduSize) __builtin_trap();
  }
  return 0;
}
