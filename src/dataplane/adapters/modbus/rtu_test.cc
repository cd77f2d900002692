// RTU framing over a pseudo-terminal pair: the adapter opens the slave side as its serial port
// (termios raw mode, baud, parity), the test answers on the master side, first with libmodbus
// (an independent RTU implementation), then with a raw responder for the line faults a real
// device shows rarely: CRC errors, answers from another unit, noise, partial frames, silence.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <atomic>

#include "dataplane/adapters/modbus/test_util.h"

namespace sf::modbus {
namespace {

using namespace testing;

struct Pty {
  int master = -1, slave = -1;
  std::string path;
  Pty() {
    char name[128];
    if (::openpty(&master, &slave, name, nullptr, nullptr) != 0)
      throw std::runtime_error("openpty");
    path = name;
    // Raw mode on the master too, so bytes pass through untouched.
    termios t{};
    ::tcgetattr(master, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(master, TCSANOW, &t);
  }
  ~Pty() {
    ::close(master);
    ::close(slave);
  }
};

// libmodbus as the RTU server on the master side: unit 1, holding registers = address * 3.
class LibmodbusServer {
 public:
  explicit LibmodbusServer(int fd) : fd_(fd) {
    ctx_ = modbus_new_rtu("/dev/null", 19200, 'E', 8, 1);
    modbus_set_socket(ctx_, fd_);
    modbus_set_slave(ctx_, 1);
    modbus_set_indication_timeout(ctx_, 0, 100000);
    map_ = modbus_mapping_new(64, 0, 200, 0);
    for (int i = 0; i < 200; ++i) map_->tab_registers[i] = static_cast<uint16_t>(i * 3);
    map_->tab_bits[5] = 1;
    thread_ = std::thread([this] {
      uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
      while (!stop_) {
        int rc = modbus_receive(ctx_, query);
        if (rc > 0) modbus_reply(ctx_, query, rc, map_);
      }
    });
  }
  ~LibmodbusServer() {
    stop_ = true;
    thread_.join();
    modbus_mapping_free(map_);
    modbus_set_socket(ctx_, -1);
    modbus_free(ctx_);
  }
  uint16_t reg(int i) const { return map_->tab_registers[i]; }

 private:
  int fd_;
  modbus_t* ctx_;
  modbus_mapping_t* map_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ModbusRtuConfig rtuConfig(const std::string& yaml, const std::string& port) {
  auto r = config::parseYaml(yaml, rtuSpec());
  if (!r) throw std::runtime_error(r.errorText());
  ModbusRtuConfig c = *r;
  c.serial_port = port;
  return c;
}

std::unique_ptr<AdapterUnderTest> rtuAdapter(IoThread& io, const ModbusRtuConfig& c) {
  auto cfg = c;
  return std::make_unique<AdapterUnderTest>(
      io, static_cast<const ModbusCommonConfig&>(c),
      [cfg](Executor ex, Counters& k) { return makeSerialTransport(cfg, ex, k); }, "modbus_rtu");
}

TEST(ModbusRtu, ReadsAndWritesAgainstLibmodbus) {
  Pty pty;
  LibmodbusServer server(pty.master);
  IoThread io;
  auto a = rtuAdapter(io, rtuConfig(R"(
name: bus
serial_port: x
baud_rate: 19200
timeout: 300ms
devices:
  - name: meter
    unit_id: 1
    writes_enabled: true
    tags:
      - {name: a, address: 10}
      - {name: b, address: 11, type: uint32}
      - {name: c, address: 150}
      - {name: coil5, table: coil, address: 5}
)",
                                    pty.path));
  ASSERT_TRUE(a->connect());
  a->pollOnce();
  auto rs = a->emitter.take();
  ASSERT_EQ(rs.size(), 4u);
  for (const auto& r : rs)
    ASSERT_EQ(r.quality.level, model::QualityLevel::kGood) << r.tag << ": " << r.quality.text;
  EXPECT_EQ(*findRecord(rs, "a")->value.get<uint64_t>(), 30u);
  EXPECT_EQ(*findRecord(rs, "b")->value.get<uint64_t>(), (33u << 16) | 36u);
  EXPECT_EQ(*findRecord(rs, "c")->value.get<uint64_t>(), 450u);
  EXPECT_TRUE(*findRecord(rs, "coil5")->value.get<bool>());
  ASSERT_TRUE(a->write("meter", "a", model::Value::ofUInt64(4242)));
  ASSERT_TRUE(a->write("meter", "b", model::Value::ofUInt64(0x00010002)));
  EXPECT_EQ(server.reg(10), 4242);
  EXPECT_EQ(server.reg(11), 1);
  EXPECT_EQ(server.reg(12), 2);
  EXPECT_EQ(a->metric("sf_modbus_crc_errors_total"), 0);
}

// Answers each read request per `mode` (registers hold their address).
class RawResponder {
 public:
  enum Mode { kGood, kBadCrc, kForeignThenGood, kNoise, kPartial, kSilent };
  explicit RawResponder(int fd) : fd_(fd) {
    thread_ = std::thread([this] { loop(); });
  }
  ~RawResponder() {
    stop_ = true;
    thread_.join();
  }
  std::atomic<int> mode{kGood};
  std::atomic<int> requests{0};

 private:
  void send(const std::vector<uint8_t>& b) {
    if (::write(fd_, b.data(), b.size()) < 0) return;
  }
  void loop() {
    std::vector<uint8_t> buf;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      uint8_t tmp[256];
      ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) continue;
      buf.insert(buf.end(), tmp, tmp + n);
      while (buf.size() >= 8) {
        std::vector<uint8_t> req(buf.begin(), buf.begin() + 8);
        buf.erase(buf.begin(), buf.begin() + 8);
        ++requests;
        const uint8_t unit = req[0], fn = req[1];
        const uint16_t addr = static_cast<uint16_t>((req[2] << 8) | req[3]);
        const uint16_t count = static_cast<uint16_t>((req[4] << 8) | req[5]);
        std::vector<uint8_t> pdu{fn, static_cast<uint8_t>(count * 2)};
        for (uint16_t i = 0; i < count; ++i) {
          pdu.push_back(static_cast<uint8_t>((addr + i) >> 8));
          pdu.push_back(static_cast<uint8_t>(addr + i));
        }
        std::vector<uint8_t> good;
        appendRtuFrame(good, unit, pdu);
        switch (mode.load()) {
          case kGood:
            send(good);
            break;
          case kBadCrc: {
            auto bad = good;
            bad.back() ^= 0x5A;
            send(bad);
            break;
          }
          case kForeignThenGood: {
            std::vector<uint8_t> other;
            appendRtuFrame(other, static_cast<uint8_t>(unit + 1), pdu);
            send(other);
            send(good);
            break;
          }
          case kNoise:
            send({0x00, 0xFF, 0x13, 0x37, 0x42});
            break;
          case kPartial:
            send(std::vector<uint8_t>(good.begin(), good.begin() + 4));
            break;
          case kSilent:
            break;
        }
      }
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(ModbusRtu, LineFaultsAreCountedAndTheNextRequestIsClean) {
  Pty pty;
  RawResponder dev(pty.master);
  IoThread io;
  auto a = rtuAdapter(io, rtuConfig(R"(
name: bus
serial_port: x
baud_rate: 115200
timeout: 300ms
devices: [{name: d, unit_id: 7, tags: [{name: a, address: 20}]}]
)",
                                    pty.path));
  ASSERT_TRUE(a->connect());
  const RawResponder::Mode modes[] = {RawResponder::kBadCrc, RawResponder::kForeignThenGood,
                                      RawResponder::kNoise,  RawResponder::kPartial,
                                      RawResponder::kSilent, RawResponder::kGood};
  std::vector<model::Record> rs;
  std::vector<std::string> changes;
  for (auto m : modes) {
    dev.mode = m;
    a->pollOnce();
    const auto all = a->emitter.take();
    const auto got = telemetry(all);
    ASSERT_EQ(got.size(), 1u);
    rs.push_back(got[0]);
    for (auto& c : stateChanges(all)) changes.push_back(c);
  }
  EXPECT_EQ(rs[0].quality.code, quality::kInvalidResponse);
  EXPECT_EQ(rs[1].quality.level, model::QualityLevel::kGood) << rs[1].quality.text;
  EXPECT_EQ(rs[2].quality.code, quality::kInvalidResponse);
  EXPECT_EQ(rs[3].quality.code, quality::kTimeout);
  EXPECT_EQ(rs[4].quality.code, quality::kTimeout);
  ASSERT_EQ(rs[5].quality.level, model::QualityLevel::kGood) << rs[5].quality.text;
  EXPECT_EQ(*rs[5].value.get<uint64_t>(), 20u);
  EXPECT_EQ(a->metric("sf_modbus_crc_errors_total"), 1);
  EXPECT_EQ(a->metric("sf_modbus_foreign_responses_total"), 1);
  EXPECT_GE(a->metric("sf_modbus_malformed_frames_total"), 2);  // noise, partial frame
  EXPECT_EQ(a->metric("sf_modbus_timeouts_total"), 2);
  // Device state (log records): bad, good, bad for three polls, good.
  EXPECT_EQ(changes,
            (std::vector<std::string>{"d:degraded", "d:connected", "d:degraded", "d:connected"}));
}

TEST(ModbusRtu, SharedBusTakesTurnsBetweenUnits) {
  Pty pty;
  RawResponder dev(pty.master);
  IoThread io;
  auto a = rtuAdapter(io, rtuConfig(R"(
name: bus
serial_port: x
baud_rate: 115200
timeout: 100ms
poll_interval: 50ms
devices:
  - {name: d1, unit_id: 1, tags: [{name: a, address: 1}]}
  - {name: d2, unit_id: 2, tags: [{name: a, address: 2}]}
  - {name: d3, unit_id: 3, tags: [{name: a, address: 3}]}
)",
                                    pty.path));
  ASSERT_TRUE(a->connect());
  a->start();
  ASSERT_TRUE(eventually([&] { return a->metric("sf_modbus_polls_total") >= 30; }));
  a->stop();
  std::map<std::string, int> good;
  for (const auto& r : a->emitter.snapshot()) {
    if (r.recordClass() == model::RecordClass::kTelemetry &&
        r.quality.level == model::QualityLevel::kGood)
      ++good[r.device];
  }
  EXPECT_GE(good["d1"], 8);
  EXPECT_GE(good["d2"], 8);
  EXPECT_GE(good["d3"], 8);
}

TEST(ModbusRtu, OpenFailsCleanlyOnAMissingPort) {
  IoThread io;
  auto a = rtuAdapter(io, rtuConfig(R"(
name: bus
serial_port: x
devices: [{name: d, unit_id: 1, tags: [{name: a, address: 1}]}]
)",
                                    "/dev/does-not-exist"));
  auto st = a->connect();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Errc::kUnavailable);
}

}  // namespace
}  // namespace sf::modbus
