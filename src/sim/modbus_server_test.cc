#include "sim/modbus_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio.hpp>
#include <atomic>
#include <bit>
#include <map>
#include <thread>

#include "sim/plant.h"
#include "sim/simulator.h"

namespace sf::sim {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

// A raw Modbus TCP client on a blocking socket with a receive timeout, so a missing response
// fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : sock_(sharedIo()) {
    sock_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{10, 0};
    setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sock_.set_option(asio::ip::tcp::no_delay(true));
  }
  static Bytes frame(uint16_t tid, uint8_t unit, const Bytes& pdu, uint16_t protocol = 0) {
    // Element by element: g++ 12 reports a bogus -Warray-bounds for vector::insert here.
    Bytes f(7 + pdu.size());
    f[0] = static_cast<uint8_t>(tid >> 8);
    f[1] = static_cast<uint8_t>(tid);
    f[2] = static_cast<uint8_t>(protocol >> 8);
    f[3] = static_cast<uint8_t>(protocol);
    f[4] = static_cast<uint8_t>((pdu.size() + 1) >> 8);
    f[5] = static_cast<uint8_t>(pdu.size() + 1);
    f[6] = unit;
    for (size_t i = 0; i < pdu.size(); ++i) f[7 + i] = pdu[i];
    return f;
  }
  void send(const Bytes& bytes) { asio::write(sock_, asio::buffer(bytes)); }
  // Reads one response frame; empty on EOF, error or timeout.
  Bytes receive() {
    Bytes head(7);
    asio::error_code ec;
    asio::read(sock_, asio::buffer(head), ec);
    if (ec) return {};
    size_t len = (head[4] << 8) | head[5];
    if (len < 1 || len > 254) return head;  // not Modbus: hand back what came
    head.resize(6 + len);
    asio::read(sock_, asio::buffer(head.data() + 7, len - 1), ec);
    if (ec) return {};
    return head;
  }
  // The PDU of the response to one request (checks the MBAP echo).
  Bytes call(uint8_t unit, const Bytes& pdu) {
    uint16_t tid = ++tid_;
    send(frame(tid, unit, pdu));
    Bytes r = receive();
    if (r.size() < 8) return {};
    EXPECT_EQ((r[0] << 8) | r[1], tid);
    EXPECT_EQ(r[2], 0);
    EXPECT_EQ(r[3], 0);
    EXPECT_EQ(r[6], unit);
    return Bytes(r.begin() + 7, r.end());
  }
  // True when the server has closed the connection (read hits EOF or reset).
  bool closedByPeer() {
    uint8_t b;
    asio::error_code ec;
    sock_.read_some(asio::buffer(&b, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  // One io_context for every client: blocking calls only, and one reactor instead of one per
  // client keeps the descriptor count down when hundreds of clients connect.
  static asio::io_context& sharedIo() {
    static asio::io_context io;
    return io;
  }
  asio::ip::tcp::socket sock_;
  uint16_t tid_ = 0;
};

struct Fixture {
  std::unique_ptr<Plant> plant;
  core::MetricsRegistry registry;
  std::unique_ptr<ModbusServer> server;

  explicit Fixture(ModbusServerOptions so = {}, PlantOptions po = {}) {
    po.units = {1, 2};
    po.frozen_time = 500;
    po.scale_registers = 1000;
    plant = std::move(Plant::create(po)).value();
    server = std::make_unique<ModbusServer>(*plant, &registry);
    so.port = 0;
    auto st = server->start(so);
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
  }
  uint16_t port() const { return server->port(); }
};

TEST(ModbusServer, ServesEveryFunction) {
  Fixture f;
  RawClient c(f.port());
  // FC3: pump1 flow float matches the plant.
  Bytes r = c.call(1, {3, 0, 0, 0, 2});
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r[1], 4);
  std::vector<uint16_t> regs;
  ASSERT_EQ(f.plant->readRegisters(1, Table::kHoldingRegister, 0, 2, regs), ModbusException::kNone);
  EXPECT_EQ((r[2] << 8) | r[3], regs[0]);
  EXPECT_EQ((r[4] << 8) | r[5], regs[1]);
  // FC4, FC1, FC2.
  EXPECT_EQ(c.call(1, {4, 0x27, 0x10, 0, 125}).size(), 2u + 250);
  EXPECT_EQ(c.call(1, {1, 0, 0, 0, 1}), (Bytes{1, 1, 1}));  // run enable defaults to 1
  EXPECT_EQ(c.call(2, {2, 0x03, 0xE8, 0, 4}).size(), 3u);
  // FC6 / FC3 / FC16 / FC5 / FC15 on the scratch area.
  EXPECT_EQ(c.call(1, {6, 0x0F, 0xA0, 0x12, 0x34}), (Bytes{6, 0x0F, 0xA0, 0x12, 0x34}));
  EXPECT_EQ(c.call(1, {3, 0x0F, 0xA0, 0, 1}), (Bytes{3, 2, 0x12, 0x34}));
  EXPECT_EQ(c.call(1, {16, 0x0F, 0xA1, 0, 2, 4, 0, 7, 0, 8}), (Bytes{16, 0x0F, 0xA1, 0, 2}));
  EXPECT_EQ(c.call(1, {3, 0x0F, 0xA0, 0, 3}), (Bytes{3, 6, 0x12, 0x34, 0, 7, 0, 8}));
  EXPECT_EQ(c.call(1, {5, 0x0F, 0xA0, 0xFF, 0}), (Bytes{5, 0x0F, 0xA0, 0xFF, 0}));
  EXPECT_EQ(c.call(1, {15, 0x0F, 0xA1, 0, 3, 1, 0x05}), (Bytes{15, 0x0F, 0xA1, 0, 3}));
  EXPECT_EQ(c.call(1, {1, 0x0F, 0xA0, 0, 4}), (Bytes{1, 1, 0x0B}));
  // Unit 2's scratch area is its own.
  EXPECT_EQ(c.call(2, {3, 0x0F, 0xA0, 0, 1}), (Bytes{3, 2, 0, 0}));
  // Stopping pump 1 with its coil shows on its discrete input.
  EXPECT_EQ(c.call(1, {5, 0, 0, 0, 0}), (Bytes{5, 0, 0, 0, 0}));
  EXPECT_EQ(c.call(1, {2, 0, 0, 0, 1}), (Bytes{2, 1, 0}));
  auto s = f.server->stats();
  EXPECT_EQ(s.requests, 14u);
  EXPECT_EQ(s.exceptions, 0u);
  EXPECT_EQ(f.registry.valueOf(
                "sf_sim_modbus_requests_total",
                {{"type", "modbus_tcp"}, {"instance", "127.0.0.1:" + std::to_string(f.port())}}),
            14);
}

TEST(ModbusServer, ExceptionsAndUnknownUnits) {
  Fixture f;
  RawClient c(f.port());
  EXPECT_EQ(c.call(1, {0x2B, 0x0E, 1, 0}), (Bytes{0xAB, 0x01}));
  EXPECT_EQ(c.call(1, {3, 0x07, 0xDA, 0, 1}), (Bytes{0x83, 0x02}));  // 2010: no compressor 2
  EXPECT_EQ(c.call(1, {6, 0, 0, 0, 1}), (Bytes{0x86, 0x02}));        // measured value
  EXPECT_EQ(c.call(1, {3, 0, 0, 0, 0}), (Bytes{0x83, 0x03}));
  EXPECT_EQ(c.call(1, {3, 0, 0, 0, 126}), (Bytes{0x83, 0x03}));
  EXPECT_EQ(c.call(9, {3, 0, 0, 0, 1}), (Bytes{0x83, 0x0B}));
  EXPECT_EQ(c.call(0, {1, 0, 0, 0, 1}), (Bytes{0x81, 0x0B}));
  EXPECT_EQ(f.server->stats().exceptions, 7u);
  // The connection is still good.
  EXPECT_EQ(c.call(1, {3, 0x0B, 0xB8, 0, 1}).size(), 4u);
}

TEST(ModbusServer, SilenceForUnknownUnits) {
  ModbusServerOptions so;
  so.unknown_unit = UnknownUnitPolicy::kSilence;
  Fixture f(so);
  RawClient c(f.port());
  // No response to the first request: the first frame back answers the second.
  c.send(RawClient::frame(100, 9, {3, 0, 0, 0, 1}));
  c.send(RawClient::frame(101, 1, {3, 0x0B, 0xB8, 0, 1}));
  Bytes r = c.receive();
  ASSERT_GE(r.size(), 7u);
  EXPECT_EQ((r[0] << 8) | r[1], 101);
}

TEST(ModbusServer, MalformedMbap) {
  Fixture f;
  {
    // Protocol id 1: the frame is skipped, the connection stays.
    RawClient c(f.port());
    c.send(RawClient::frame(7, 1, {3, 0, 0, 0, 1}, 1));
    c.send(RawClient::frame(8, 1, {3, 0, 0, 0, 1}));
    Bytes r = c.receive();
    ASSERT_GE(r.size(), 7u);
    EXPECT_EQ((r[0] << 8) | r[1], 8);
  }
  for (uint16_t len : {0, 1, 255, 0xFFFF}) {
    RawClient c(f.port());
    c.send({0, 1, 0, 0, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 1, 3});
    EXPECT_TRUE(c.closedByPeer()) << len;
  }
  EXPECT_EQ(f.server->stats().malformed_frames, 5u);
  // Unit id and nothing else (length 1) is a bad length too; an empty PDU is function 0.
  RawClient c(f.port());
  EXPECT_EQ(c.call(1, {}), Bytes{});  // closed: no response
  RawClient c2(f.port());
  EXPECT_EQ(c2.call(1, {0}), (Bytes{0x80, 0x01}));
}

TEST(ModbusServer, PartialAndPipelinedFrames) {
  Fixture f;
  RawClient c(f.port());
  Bytes req = RawClient::frame(1, 1, {3, 0x0B, 0xB9, 0, 3});  // 3001..3003
  for (uint8_t b : req) {
    c.send({b});
    std::this_thread::sleep_for(2ms);
  }
  Bytes r = c.receive();
  ASSERT_EQ(r.size(), 7u + 2 + 6);
  EXPECT_EQ((r[7 + 2 + 4] << 8) | r[7 + 2 + 5], 1);  // unit id register
  // Three requests in one write, and one split across two writes.
  Bytes many;
  for (uint16_t tid = 10; tid < 13; ++tid) {
    Bytes one = RawClient::frame(tid, tid == 11 ? 2 : 1, {3, 0x0B, 0xBB, 0, 1});
    many.insert(many.end(), one.begin(), one.end());
  }
  Bytes split = RawClient::frame(13, 1, {4, 0x27, 0x10, 0, 2});
  many.insert(many.end(), split.begin(), split.begin() + 4);
  c.send(many);
  std::this_thread::sleep_for(5ms);
  c.send(Bytes(split.begin() + 4, split.end()));
  for (uint16_t tid = 10; tid < 14; ++tid) {
    r = c.receive();
    ASSERT_GE(r.size(), 9u);
    EXPECT_EQ((r[0] << 8) | r[1], tid);
    if (tid == 11) {
      EXPECT_EQ(r[6], 2);
    }
  }
}

TEST(ModbusServer, ManyConnections) {
  Fixture f;
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<RawClient>(f.port()));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kClients; ++i) {
      uint8_t unit = static_cast<uint8_t>(1 + i % 2);
      Bytes r = clients[static_cast<size_t>(i)]->call(unit, {3, 0x0B, 0xBB, 0, 1});
      ASSERT_EQ(r, (Bytes{3, 2, 0, unit}));
    }
  }
  EXPECT_EQ(f.server->stats().connections_open, static_cast<uint64_t>(kClients));
  EXPECT_EQ(f.server->stats().requests, 3u * kClients);
  clients.clear();
  for (int i = 0; i < 500 && f.server->stats().connections_open > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(f.server->stats().connections_open, 0u);
  EXPECT_EQ(f.server->stats().connections_accepted, static_cast<uint64_t>(kClients));
}

TEST(ModbusServer, ConnectionLimitAndIdleTimeout) {
  ModbusServerOptions so;
  so.max_connections = 2;
  so.idle_timeout = 300ms;
  Fixture f(so);
  RawClient a(f.port());
  RawClient b(f.port());
  EXPECT_EQ(a.call(1, {3, 0x0B, 0xBB, 0, 1}).size(), 4u);
  EXPECT_EQ(b.call(1, {3, 0x0B, 0xBB, 0, 1}).size(), 4u);
  RawClient third(f.port());
  EXPECT_TRUE(third.closedByPeer());
  EXPECT_EQ(f.server->stats().connections_rejected, 1u);
  // Idle connections are closed, which frees their slots.
  EXPECT_TRUE(a.closedByPeer());
  EXPECT_TRUE(b.closedByPeer());
  for (int i = 0; i < 500 && f.server->stats().connections_open > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  RawClient d(f.port());
  EXPECT_EQ(d.call(1, {3, 0x0B, 0xBB, 0, 1}).size(), 4u);
}

TEST(ModbusServer, FaultInjection) {
  Fixture f;
  RawClient c(f.port());
  std::atomic<InjectedFault> next{InjectedFault::kNone};
  std::atomic<int> calls{0};
  f.server->setFaultHook([&](const RequestInfo& info) {
    ++calls;
    EXPECT_EQ(info.function, 3);
    return next.load();
  });
  next = InjectedFault::kWrongTransactionId;
  c.send(RawClient::frame(40, 1, {3, 0x0B, 0xBB, 0, 1}));
  Bytes r = c.receive();
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ((r[0] << 8) | r[1], 41);

  next = InjectedFault::kGarbage;
  c.send(RawClient::frame(42, 1, {3, 0x0B, 0xBB, 0, 1}));
  r = c.receive();
  ASSERT_GE(r.size(), 4u);
  EXPECT_EQ((r[2] << 8) | r[3], 0xBEEF);  // not protocol 0

  next = InjectedFault::kDropResponse;
  RawClient c2(f.port());
  c2.send(RawClient::frame(50, 1, {3, 0x0B, 0xBB, 0, 1}));
  std::this_thread::sleep_for(20ms);
  next = InjectedFault::kNone;
  c2.send(RawClient::frame(51, 1, {3, 0x0B, 0xBB, 0, 1}));
  r = c2.receive();
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ((r[0] << 8) | r[1], 51);

  next = InjectedFault::kCloseConnection;
  RawClient c3(f.port());
  c3.send(RawClient::frame(60, 1, {3, 0x0B, 0xBB, 0, 1}));
  EXPECT_TRUE(c3.closedByPeer());
  EXPECT_EQ(f.server->stats().faults_injected, 4u);
  EXPECT_EQ(calls, 5);

  // Delay: the response still arrives (its timing is not asserted).
  next = InjectedFault::kNone;
  f.server->setResponseDelay(30ms);
  RawClient c4(f.port());
  EXPECT_EQ(c4.call(1, {3, 0x0B, 0xBB, 0, 1}).size(), 4u);
  f.server->setFaultHook(nullptr);
}

TEST(ModbusServer, RandomFaultRates) {
  auto rates = parseFaultRates("drop=0.1,wrong-tid=0.2,garbage=0.05,close=0.01");
  ASSERT_TRUE(rates);
  EXPECT_DOUBLE_EQ(rates->wrong_transaction_id, 0.2);
  EXPECT_FALSE(parseFaultRates("drop=2"));
  EXPECT_FALSE(parseFaultRates("drop=0.6,garbage=0.6"));
  EXPECT_FALSE(parseFaultRates("boom=0.1"));
  EXPECT_FALSE(parseFaultRates("drop"));
  EXPECT_TRUE(parseFaultRates(""));
  auto hook = randomFaults(3, *rates);
  std::map<InjectedFault, int> counts;
  for (int i = 0; i < 10000; ++i) counts[hook(RequestInfo{})]++;
  EXPECT_NEAR(counts[InjectedFault::kDropResponse], 1000, 150);
  EXPECT_NEAR(counts[InjectedFault::kWrongTransactionId], 2000, 200);
  EXPECT_NEAR(counts[InjectedFault::kGarbage], 500, 100);
  EXPECT_NEAR(counts[InjectedFault::kNone], 6400, 300);
}

TEST(ModbusServer, SurvivesRandomBytes) {
  Fixture f;
  uint64_t x = 99;
  for (int conn = 0; conn < 20; ++conn) {
    RawClient c(f.port());
    Bytes junk(4096);
    for (auto& b : junk) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<uint8_t>(x >> 56);
    }
    if (conn % 2) {
      // Plausible headers (protocol 0, small lengths) with random PDUs.
      for (size_t i = 0; i + 12 < junk.size(); i += 12) {
        junk[i + 2] = 0;
        junk[i + 3] = 0;
        junk[i + 4] = 0;
        junk[i + 5] = 6;
      }
    }
    try {
      c.send(junk);
    } catch (const std::exception&) {
      // The server may close the connection mid-write: that is fine.
    }
  }
  RawClient c(f.port());
  EXPECT_EQ(c.call(1, {3, 0x0B, 0xBB, 0, 1}), (Bytes{3, 2, 0, 1}));
}

TEST(ModbusServer, RestartsAndCleansUpMetrics) {
  Fixture f;
  auto labels =
      core::Labels{{"type", "modbus_tcp"}, {"instance", "127.0.0.1:" + std::to_string(f.port())}};
  EXPECT_EQ(f.registry.valueOf("sf_sim_modbus_connections", labels), 0);
  EXPECT_FALSE(f.server->start({}));  // already running
  f.server->stop();
  f.server->stop();
  EXPECT_FALSE(f.server->running());
  EXPECT_EQ(f.registry.valueOf("sf_sim_modbus_connections", labels), -1);
  ModbusServerOptions so;
  so.port = 0;
  ASSERT_TRUE(f.server->start(so));
  RawClient c(f.server->port());
  EXPECT_EQ(c.call(1, {3, 0x0B, 0xBB, 0, 1}).size(), 4u);
  ModbusServer other(*f.plant, nullptr);
  so.port = f.server->port();
  so.host = "127.0.0.1";
  EXPECT_FALSE(other.start(so));  // port in use
  so.host = "not-an-address";
  EXPECT_FALSE(other.start(so));
}

TEST(Simulator, StartsInProcessOnAFreePort) {
  Simulator sim;
  SimulatorOptions o;
  o.server.port = 0;
  o.plant.units = {3};
  ASSERT_TRUE(sim.start(o));
  EXPECT_TRUE(sim.running());
  EXPECT_NE(sim.port(), 0);
  EXPECT_EQ(sim.endpoint(), "127.0.0.1:" + std::to_string(sim.port()));
  auto tags = sim.registerMap();
  ASSERT_FALSE(tags.empty());
  EXPECT_EQ(tags.front().device, "sim-u3");
  RawClient c(sim.port());
  Bytes r = c.call(3, {3, 0x0B, 0xBB, 0, 1});
  EXPECT_EQ(r, (Bytes{3, 2, 0, 3}));
  EXPECT_FALSE(sim.start(o));
  sim.stop();
  sim.stop();
  EXPECT_FALSE(sim.running());
  o.plant.pumps = -1;
  EXPECT_FALSE(sim.start(o));
}

}  // namespace
}  // namespace sf::sim
