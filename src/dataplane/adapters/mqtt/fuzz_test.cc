// Runs the fuzz entries (fuzz_entries.h) over seeds and thousands of their mutations on every
// ctest run; the libFuzzer targets (*_fuzz.cc, SF_FUZZ) do the same open-ended.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dataplane/adapters/mqtt/fuzz_entries.h"
#include "dataplane/adapters/mqtt/packet.h"
#include "dataplane/adapters/mqtt/sparkplug/payload.h"
#include "model/fuzz_corpus_test_util.h"

namespace sf::mqtt {
namespace {

using model::testing::rounds;
using model::testing::runCorpus;

std::string withTopic(const std::string& topic, const std::string& payload) {
  return topic + std::string(1, '\0') + payload;
}

TEST(MqttFuzzCorpus, PacketParser) {
  std::vector<std::string> seeds;
  std::string s;
  ASSERT_TRUE(encodePublish("a/b", "payload", 1, false, false, 3, Version::kV311, s));
  encodeAck(PacketType::kPubrel, 3, Version::kV311, s);
  seeds.push_back(s);
  seeds.push_back(std::string("\x20\x0C\x01\x00\x09\x21\x00\x0A\x12\x00\x01x\x24\x01", 14));
  seeds.push_back(std::string("\x90\x04\x00\x05\x01\x80\xD0\x00\xE0\x02\x8E\x00", 12));
  seeds.push_back(
      std::string("\x30\x16\x00\x01t\x0F\x01\x01\x03\x00\x03"
                  "a/j"
                  "\x26\x00\x01k\x00\x01v"
                  "xyz",
                  24));
  size_t runs = runCorpus(seeds, rounds(20000), fuzz::packetParser);
  EXPECT_GT(runs, 20000u);
}

TEST(MqttFuzzCorpus, JsonMapper) {
  std::vector<std::string> seeds = {
      withTopic("plant/s/d/t",
                R"({"ts":1714564800000,"q":"good","temp":21.5,"env":{"h":40},"a":[1,2]})"),
      withTopic(
          "f/dev/x/y",
          R"({"data":{"temp":[1]},"state":"3","m":"hello","unit":"C","meta":{"time":"2024-05-01T12:00:00Z"}})"),
      withTopic("v/a/b", "12.5"),
      withTopic("v/a/b", "true"),
      withTopic("plant/s/d/t", "[[[[[[1]]]]]]"),
  };
  size_t runs = runCorpus(seeds, rounds(10000), fuzz::jsonMapper);
  EXPECT_GT(runs, 10000u);
}

TEST(MqttFuzzCorpus, Sparkplug) {
  std::vector<std::string> seeds;
  sparkplug::Writer m1;
  m1.bytes(1, "m");
  m1.varint(2, 1);
  m1.varint(4, sparkplug::kDouble);
  m1.doubleValue(13, 2.5);
  sparkplug::Writer props;
  props.bytes(1, "engUnit");
  sparkplug::Writer pv;
  pv.varint(1, sparkplug::kString);
  pv.bytes(8, "degC");
  props.bytes(2, pv.data());
  sparkplug::Writer m2;
  m2.varint(2, 1);
  m2.doubleValue(13, 3.5);
  m2.bytes(9, props.data());
  sparkplug::Writer ds;
  ds.varint(1, 1);
  ds.bytes(2, "c");
  ds.varint(3, sparkplug::kInt32);
  sparkplug::Writer cell;
  cell.varint(1, 5);
  sparkplug::Writer row;
  row.bytes(1, cell.data());
  ds.bytes(4, row.data());
  sparkplug::Writer m3;
  m3.bytes(1, "t");
  m3.varint(4, sparkplug::kDataSet);
  m3.bytes(17, ds.data());
  sparkplug::Writer p;
  p.varint(1, 1714564800000);
  p.varint(3, 1);
  p.bytes(2, m2.data());
  p.bytes(2, m3.data());
  for (char type = 0; type < 8; ++type) seeds.push_back(std::string(1, type) + p.data());
  seeds.push_back(std::string(1, '\0') + sparkplug::encodeRebirthRequest(1));
  size_t runs = runCorpus(seeds, rounds(10000), fuzz::sparkplug);
  EXPECT_GT(runs, 10000u);
}

TEST(MqttFuzzCorpus, Lorawan) {
  std::vector<std::string> seeds = {
      std::string("\x01\x67\x01\x10\x02\x68\x64\x03\x88\x06\x76\x5f\xf2\x96\x0a\x00\x03\xe8", 18),
      R"({"deviceInfo":{"devEui":"0101","deviceName":"d"},"fCnt":3,"fPort":1,"data":"AWcBEA==","rxInfo":[{"gatewayId":"g","rssi":-50,"snr":5}],"txInfo":{"frequency":868100000}})",
      R"({"end_device_ids":{"device_id":"d","dev_eui":"AB"},"uplink_message":{"f_port":2,"f_cnt":9,"frm_payload":"CcQB9FoF","decoded_payload":{"t":1},"rx_metadata":[{"gateway_ids":{"gateway_id":"g"},"rssi":-1}]}})",
  };
  size_t runs = runCorpus(seeds, rounds(10000), fuzz::lorawan);
  EXPECT_GT(runs, 10000u);
}

}  // namespace
}  // namespace sf::mqtt
