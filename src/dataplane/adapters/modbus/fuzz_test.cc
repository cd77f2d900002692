// Runs the fuzz entry (fuzz_entry.h) over random inputs and over mutations of valid frames, so
// the parsers' robustness is checked on every test run, not only under libFuzzer.

#include <gtest/gtest.h>

#include <random>

#include "dataplane/adapters/modbus/fuzz_entry.h"
#include "dataplane/adapters/modbus/protocol.h"

namespace sf::modbus {
namespace {

// A valid answer to `request` (as fuzzRequestFor builds it): read data of the requested
// quantity, or the echo of a write.
std::vector<uint8_t> answerTo(const std::vector<uint8_t>& request) {
  const uint8_t function = request[0];
  if (function == fc::kWriteSingleRegister || function == fc::kWriteMultipleRegisters) {
    return std::vector<uint8_t>(request.begin(), request.begin() + 5);
  }
  const size_t count = (size_t{request[3]} << 8) | request[4];
  const bool bits = function == fc::kReadCoils || function == fc::kReadDiscreteInputs;
  const size_t n = bits ? (count + 7) / 8 : 2 * count;
  static constexpr uint8_t kData[] = {0x42, 0xF6, 0xE9, 0x79, 0x12, 0x34, 0x00, 0x01};
  std::vector<uint8_t> pdu{function, static_cast<uint8_t>(n)};
  for (size_t i = 0; i < n; ++i) pdu.push_back(kData[i % sizeof kData]);
  return pdu;
}

// For each selector (reads of all four tables, both write kinds): the answer to its request as
// an MBAP stream (two frames), as an RTU frame, as a bare PDU, and an exception answer.
std::vector<std::vector<uint8_t>> seeds() {
  std::vector<std::vector<uint8_t>> out;
  for (uint8_t sel : {0x00, 0x0E, 0x12, 0x3B, 0x81, 0xC2}) {
    const auto request = fuzzRequestFor(sel);
    const auto pdu = answerTo(request);
    std::vector<uint8_t> tcp{sel};
    appendMbapFrame(tcp, 1, 1, pdu);
    appendMbapFrame(tcp, 2, 1, pdu);
    out.push_back(tcp);
    std::vector<uint8_t> rtu{sel};
    appendRtuFrame(rtu, 1, pdu);
    out.push_back(rtu);
    std::vector<uint8_t> bare{sel};
    bare.insert(bare.end(), pdu.begin(), pdu.end());
    out.push_back(bare);
    std::vector<uint8_t> e{sel};
    appendMbapFrame(
        e, 3, 1,
        std::vector<uint8_t>{static_cast<uint8_t>(request[0] | 0x80), ex::kIllegalDataAddress});
    out.push_back(e);
  }
  return out;
}

TEST(ModbusFuzz, RandomAndMutatedInputsNeverCrash) {
  std::mt19937_64 rng(20240601);
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> in(rng() % 300);
    for (auto& b : in) b = static_cast<uint8_t>(rng());
    parsed += fuzzModbusParsers(in.data(), in.size());
  }
  const auto base = seeds();
  for (int i = 0; i < 50000; ++i) {
    auto in = base[rng() % base.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !in.empty(); ++k) {
      switch (rng() % 4) {
        case 0:
          in[rng() % in.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          in.erase(in.begin() + static_cast<std::ptrdiff_t>(rng() % in.size()));
          break;
        case 2:
          in.insert(in.begin() + static_cast<std::ptrdiff_t>(rng() % in.size()),
                    static_cast<uint8_t>(rng()));
          break;
        default:
          in.resize(rng() % (in.size() + 1));
      }
    }
    parsed += fuzzModbusParsers(in.data(), in.size());
  }
  // Every seed answers its request: it parses (and a read's payload decodes).
  for (const auto& s : seeds()) {
    const size_t n = fuzzModbusParsers(s.data(), s.size());
    EXPECT_GT(n, 0u) << "selector " << int{s[0]} << ", " << s.size() << " bytes";
  }
  // The MBAP stream seed parses both frames, each read decoding more than the frame itself.
  const auto tcp = seeds()[4];  // selector 0x0E: holding registers
  EXPECT_GT(fuzzModbusParsers(tcp.data(), tcp.size()), 4u);
  // A wrong answer does not parse: a holding-register answer to a coil read (selector 0).
  std::vector<uint8_t> wrong{0x00};
  appendMbapFrame(wrong, 1, 1, answerTo(fuzzRequestFor(0x0E)));
  EXPECT_EQ(fuzzModbusParsers(wrong.data(), wrong.size()), 0u);
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace sf::modbus
