#include "dataplane/adapters/modbus/config.h"

#include <set>

#include "dataplane/pipeline/tag_spec.h"

namespace sf::modbus {
namespace {

using namespace std::chrono_literals;
using config::Checker;
using config::Json;
using config::Spec;

// A base-class member as a member of the derived config struct (Spec<T> binds T members).
template <class D, class B, class V>
V D::*up(V B::*m) {
  return static_cast<V D::*>(m);
}

const config::EnumTable<Table>& tableNames() {
  static const config::EnumTable<Table> t = {{"holding", Table::kHolding},
                                             {"input", Table::kInput},
                                             {"coil", Table::kCoil},
                                             {"discrete_input", Table::kDiscreteInput}};
  return t;
}

const config::EnumTable<DataType>& typeNames() {
  static const config::EnumTable<DataType> t = {
      {"bool", DataType::kBool},       {"int16", DataType::kInt16},
      {"uint16", DataType::kUInt16},   {"int32", DataType::kInt32},
      {"uint32", DataType::kUInt32},   {"int64", DataType::kInt64},
      {"uint64", DataType::kUInt64},   {"float32", DataType::kFloat32},
      {"float64", DataType::kFloat64}, {"string", DataType::kString},
      {"bcd16", DataType::kBcd16},     {"bcd32", DataType::kBcd32}};
  return t;
}

const config::EnumTable<ByteOrder>& orderNames() {
  static const config::EnumTable<ByteOrder> t = {{"ABCD", ByteOrder::kABCD},
                                                 {"CDAB", ByteOrder::kCDAB},
                                                 {"BADC", ByteOrder::kBADC},
                                                 {"DCBA", ByteOrder::kDCBA}};
  return t;
}

template <class T>
void declareCommon(Spec<T>& s, std::chrono::milliseconds default_timeout) {
  s.option("name", up<T>(&ModbusCommonConfig::name))
      .required()
      .nonEmpty()
      .doc("Instance name, unique per gateway; records carry it as `adapter`.")
      .example("line1");
  s.option("poll_interval", up<T>(&ModbusCommonConfig::poll_interval))
      .range(10ms, 24h)
      .doc(
          "Interval of the default poll group (tags without `poll_group`). Polls are "
          "scheduled drift-free on multiples of the interval; a poll still running at the next "
          "slot makes that slot an overrun (counted, skipped, never queued).")
      .example("1s");
  s.option("poll_groups", up<T>(&ModbusCommonConfig::poll_groups), pollGroupSpec())
      .doc("Named poll groups with their own interval; tags join one with `poll_group`.")
      .example(Json::array({Json{{"name", "fast"}, {"interval", "100ms"}}}));
  auto timeout = s.option("timeout", up<T>(&ModbusCommonConfig::timeout));
  timeout.range(1ms, 60s)
      .doc(
          "Response timeout of one request. A response that arrives later is discarded "
          "(matched by transaction id on TCP; by silence on RTU).")
      .example("500ms");
  if (default_timeout.count() > 0) timeout.defaultValue(default_timeout);
  s.option("request_gap", up<T>(&ModbusCommonConfig::request_gap))
      .range(0ms, 10s)
      .advanced()
      .doc(
          "Idle time between the end of one transaction and the next request, for devices "
          "and gateways that need it.");
  s.option("devices", up<T>(&ModbusCommonConfig::devices), deviceSpec())
      .required()
      .nonEmpty()
      .doc(
          "The devices (unit ids) behind this connection; each has its own tags, limits and "
          "failure handling.");
  s.check([](const T& c, Checker& k) {
    std::set<std::string> groups;
    for (size_t i = 0; i < c.poll_groups.size(); ++i) {
      const auto& g = c.poll_groups[i].name;
      if (g == kDefaultGroup) {
        k.error("poll_groups/" + std::to_string(i) + "/name",
                "'default' is the implicit group of poll_interval; pick another name");
      } else if (!groups.insert(g).second) {
        k.error("poll_groups/" + std::to_string(i) + "/name", "duplicate poll group '" + g + "'");
      }
    }
    std::set<std::string> devices;
    for (size_t d = 0; d < c.devices.size(); ++d) {
      const auto& dev = c.devices[d];
      if (!devices.insert(dev.name).second) {
        k.error("devices/" + std::to_string(d) + "/name", "duplicate device '" + dev.name + "'");
      }
      for (size_t t = 0; t < dev.tags.size(); ++t) {
        const auto& g = dev.tags[t].poll_group;
        if (!g.empty() && g != kDefaultGroup && !groups.count(g)) {
          k.error("devices/" + std::to_string(d) + "/tags/" + std::to_string(t) + "/poll_group",
                  "unknown poll group '" + g + "' (declare it in poll_groups)");
        }
      }
    }
  });
}

}  // namespace

TagCodec ModbusTagConfig::codec() const {
  TagCodec c;
  c.table = table;
  c.type = resolvedType();
  c.order = word_order;
  c.bit = bit ? *bit : -1;
  c.length = length;
  return c;
}

std::chrono::milliseconds groupInterval(const ModbusCommonConfig& c, const std::string& group) {
  if (group.empty() || group == kDefaultGroup) return c.poll_interval;
  for (const auto& g : c.poll_groups) {
    if (g.name == group) return g.interval;
  }
  return c.poll_interval;
}

const Spec<ModbusTagConfig>& tagSpec() {
  static const Spec<ModbusTagConfig> spec = [] {
    Spec<ModbusTagConfig> s("tag", "One value read from a device: where it is and how it decodes.");
    s.option("name", up<ModbusTagConfig>(&pipeline::TagPipelineConfig::tag))
        .required()
        .nonEmpty()
        .doc("Tag name, unique per device; records carry it as `tag`.")
        .example("flow");
    s.option("table", &ModbusTagConfig::table, tableNames())
        .doc(
            "Data table: `holding` (FC 3), `input` (FC 4), `coil` (FC 1), `discrete_input` "
            "(FC 2).");
    s.option("address", &ModbusTagConfig::address)
        .required()
        .doc(
            "Protocol address of the first register or bit, 0-based (holding register 40001 "
            "is address 0).")
        .example(100);
    s.option("type", &ModbusTagConfig::type, typeNames())
        .doc(
            "Data type. Default: `bool` in coil and discrete input tables, `uint16` in "
            "registers. `bool` in a register needs `bit`; `string` needs `length`.")
        .example("float32");
    s.option("word_order", &ModbusTagConfig::word_order, orderNames())
        .doc(
            "Byte order of multi-register values, bytes named from most to least significant "
            "in wire order: `ABCD` big-endian, `CDAB` word-swapped, `BADC` byte-swapped, "
            "`DCBA` little-endian. 16-bit values and strings use only the byte swap.")
        .example("CDAB");
    s.option("bit", &ModbusTagConfig::bit)
        .range(0, 15)
        .doc(
            "Bit of a register (0 = least significant) for a `bool` tag in a register table, "
            "e.g. 3.");
    s.option("length", &ModbusTagConfig::length)
        .range(0, kMaxReadRegisters)
        .doc("Registers of a `string` tag (two characters each), e.g. 8.");
    s.option("poll_group", &ModbusTagConfig::poll_group)
        .doc(
            "The poll group (from the adapter's `poll_groups`) that reads this tag; empty: the "
            "default group of `poll_interval`.")
        .example("fast");
    pipeline::declareTagPipelineOptions(s);
    s.check([](const ModbusTagConfig& t, Checker& k) {
      const DataType type = t.resolvedType();
      if (isBitTable(t.table)) {
        if (type != DataType::kBool) {
          k.error("type", std::string("a ") + std::string(tableName(t.table)) +
                              " tag is a bool, not " + std::string(dataTypeName(type)));
        }
        if (t.bit) k.error("bit", "bit applies to register tables only");
      } else if (type == DataType::kBool && !t.bit) {
        k.error("bit", "a bool in a register table needs `bit` (0..15)");
      } else if (type != DataType::kBool && t.bit) {
        k.error("bit", "bit applies to bool tags only");
      }
      if (type == DataType::kString && t.length == 0) {
        k.error("length", "a string tag needs `length` (registers)");
      }
      if (type != DataType::kString && t.length != 0) {
        k.error("length", "length applies to string tags only");
      }
      const uint32_t end = uint32_t{t.address} + quantityOf(t.codec());
      if (end > 0x10000) k.error("address", "the tag runs past address 65535");
    });
    return s;
  }();
  return spec;
}

const Spec<PollGroupConfig>& pollGroupSpec() {
  static const Spec<PollGroupConfig> spec = [] {
    Spec<PollGroupConfig> s("poll_group", "A set of tags polled at their own interval.");
    s.option("name", &PollGroupConfig::name)
        .required()
        .nonEmpty()
        .doc("Group name, referenced by tags' `poll_group`.")
        .example("fast");
    s.option("interval", &PollGroupConfig::interval)
        .range(10ms, 24h)
        .doc("Poll interval of the group.")
        .example("100ms");
    return s;
  }();
  return spec;
}

const Spec<ModbusDeviceConfig>& deviceSpec() {
  static const Spec<ModbusDeviceConfig> spec = [] {
    Spec<ModbusDeviceConfig> s("device", "A Modbus unit behind the connection.");
    s.option("name", &ModbusDeviceConfig::name)
        .required()
        .nonEmpty()
        .doc("Device name, unique per gateway; records carry it as `device`.")
        .example("pump1");
    s.option("unit_id", &ModbusDeviceConfig::unit_id)
        .doc(
            "Unit identifier (slave id). Behind a TCP-to-RTU gateway each serial device has "
            "its own; many TCP devices answer any (use 1 or 255). RTU: 1..247.")
        .example(1);
    s.option("writes_enabled", &ModbusDeviceConfig::writes_enabled)
        .doc("Allow writes (FC 5, 6, 15, 16) to this device's tags through the API and CLI.");
    s.option("coalesce", &ModbusDeviceConfig::coalesce)
        .advanced()
        .doc("Merge tags into as few requests as the limits allow; off: one request per tag.");
    s.option("max_read_registers", &ModbusDeviceConfig::max_read_registers)
        .range(1, kMaxReadRegisters)
        .doc("Most registers one read may ask for (some devices accept fewer than 125).");
    s.option("max_read_bits", &ModbusDeviceConfig::max_read_bits)
        .range(1, kMaxReadBits)
        .doc("Most coils or discrete inputs one read may ask for.");
    s.option("max_gap_registers", &ModbusDeviceConfig::max_gap_registers)
        .range(0, kMaxReadRegisters)
        .doc(
            "Unused registers a read may span to merge two tags. A device that refuses the "
            "span (exception 02/03) is learned from: the read is split and the gap remembered.");
    s.option("max_gap_bits", &ModbusDeviceConfig::max_gap_bits)
        .range(0, kMaxReadBits)
        .doc("Unused bits a read may span to merge two bit tags.");
    s.option("failures_before_backoff", &ModbusDeviceConfig::failures_before_backoff)
        .range(1, 1000)
        .doc(
            "Consecutive failed polls (timeouts, gateway exceptions 0A/0B) after which the "
            "device is backed off; other devices keep their schedule.");
    s.option("backoff_initial", &ModbusDeviceConfig::backoff_initial)
        .range(10ms, 1h)
        .doc("First back-off of a failing device; doubles per failed probe up to backoff_max.");
    s.option("backoff_max", &ModbusDeviceConfig::backoff_max)
        .range(10ms, 24h)
        .doc("Longest back-off of a failing device.");
    s.option("bad_address_retry", &ModbusDeviceConfig::bad_address_retry)
        .range(1s, 24h)
        .advanced()
        .doc(
            "How long a tag whose own read failed with exception 02/03 is left out of polls "
            "before it is tried again.");
    s.option("tags", &ModbusDeviceConfig::tags, tagSpec())
        .required()
        .nonEmpty()
        .doc("The tags read from this device.");
    s.check([](const ModbusDeviceConfig& d, Checker& k) {
      std::set<std::string> names;
      for (size_t i = 0; i < d.tags.size(); ++i) {
        const auto& t = d.tags[i];
        if (!names.insert(t.tag).second) {
          k.error("tags/" + std::to_string(i) + "/name", "duplicate tag '" + t.tag + "'");
        }
        const uint16_t q = quantityOf(t.codec());
        const uint16_t limit = isBitTable(t.table) ? d.max_read_bits : d.max_read_registers;
        if (q > limit) {
          k.error("tags/" + std::to_string(i), "the tag needs " + std::to_string(q) +
                                                   " registers, more than max_read_registers " +
                                                   std::to_string(limit));
        }
      }
      if (d.backoff_initial > d.backoff_max) {
        k.error("backoff_initial", "is longer than backoff_max");
      }
    });
    return s;
  }();
  return spec;
}

const Spec<ModbusTcpConfig>& tcpSpec() {
  static const Spec<ModbusTcpConfig> spec = [] {
    Spec<ModbusTcpConfig> s("modbus_tcp",
                            "Polls Modbus TCP devices (and RTU devices behind TCP gateways or "
                            "serial servers) over one TCP connection.");
    s.option("host", &ModbusTcpConfig::host)
        .required()
        .nonEmpty()
        .doc("Address or host name of the device, gateway or serial server.")
        .example("10.0.0.5");
    s.option("port", &ModbusTcpConfig::port).range(1, 65535).doc("TCP port.").example(502);
    s.option("framing", &ModbusTcpConfig::framing,
             {{"mbap", Framing::kMbap}, {"rtu", Framing::kRtu}})
        .doc(
            "`mbap`: Modbus TCP. `rtu`: RTU frames with CRC over the TCP stream (serial "
            "servers in transparent mode, \"RTU over TCP\").");
    declareCommon(s, std::chrono::milliseconds(0));
    s.option("connect_timeout", &ModbusTcpConfig::connect_timeout)
        .range(10ms, 5min)
        .doc("Time allowed to establish the TCP connection.");
    s.option("max_in_flight", &ModbusTcpConfig::max_in_flight)
        .range(1, 16)
        .advanced()
        .doc(
            "Requests sent before their responses arrive (MBAP only, matched by transaction "
            "id). 1 suits most devices and every TCP-to-RTU gateway.");
    s.check([](const ModbusTcpConfig& c, Checker& k) {
      if (c.framing == Framing::kRtu && c.max_in_flight != 1) {
        k.error("max_in_flight", "RTU framing has no transaction id: it must be 1");
      }
    });
    return s;
  }();
  return spec;
}

const Spec<ModbusRtuConfig>& rtuSpec() {
  static const Spec<ModbusRtuConfig> spec = [] {
    Spec<ModbusRtuConfig> s("modbus_rtu",
                            "Polls Modbus RTU devices on a serial line (RS-485/RS-232) that the "
                            "gateway masters.");
    s.option("serial_port", &ModbusRtuConfig::serial_port)
        .required()
        .nonEmpty()
        .doc("Serial device path.")
        .example("/dev/ttyUSB0");
    s.option("baud_rate", &ModbusRtuConfig::baud_rate)
        .doc("Line speed: 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 or 230400.")
        .example(19200);
    s.option("parity", &ModbusRtuConfig::parity,
             {{"even", Parity::kEven}, {"odd", Parity::kOdd}, {"none", Parity::kNone}})
        .doc("Parity (the Modbus serial default is even).");
    s.option("data_bits", &ModbusRtuConfig::data_bits).range(7, 8).doc("Data bits.");
    s.option("stop_bits", &ModbusRtuConfig::stop_bits).range(1, 2).doc("Stop bits.");
    s.option("frame_gap", &ModbusRtuConfig::frame_gap)
        .range(std::chrono::microseconds(0), std::chrono::microseconds(1'000'000))
        .advanced()
        .doc("Silence between frames; 0: 3.5 character times (1.75 ms above 19200 baud).");
    declareCommon(s, std::chrono::milliseconds(500));
    s.check([](const ModbusRtuConfig& c, Checker& k) {
      static const std::set<uint32_t> kBauds = {1200,  2400,  4800,   9600,  19200,
                                                38400, 57600, 115200, 230400};
      if (!kBauds.count(c.baud_rate)) k.error("baud_rate", "unsupported baud rate");
      for (size_t d = 0; d < c.devices.size(); ++d) {
        const auto u = c.devices[d].unit_id;
        if (u < 1 || u > 247) {
          k.error("devices/" + std::to_string(d) + "/unit_id",
                  "an RTU unit id is 1..247 (0 is broadcast)");
        }
      }
    });
    return s;
  }();
  return spec;
}

}  // namespace sf::modbus
