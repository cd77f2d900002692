#include "dataplane/adapters/modbus/factory.h"

#include "dataplane/adapters/modbus/adapter.h"

namespace sf::modbus {

std::vector<pipeline::TagPipelineConfig> pipelineTags(const ModbusCommonConfig& c) {
  std::vector<pipeline::TagPipelineConfig> out;
  for (const auto& d : c.devices) {
    for (const auto& t : d.tags) {
      pipeline::TagPipelineConfig p = t;  // the pipeline slice of the tag
      p.adapter = c.name;
      p.device = d.name;
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::unique_ptr<Transport> makeTcpTransport(const ModbusTcpConfig& c, Executor ex,
                                            Counters& counters) {
  auto stream = makeTcpStream(ex, c.host, c.port, c.connect_timeout);
  if (c.framing == Framing::kRtu) {
    return makeRtuTransport(ex, std::move(stream), counters, c.request_gap, 0);
  }
  return makeMbapTransport(ex, std::move(stream), counters, c.max_in_flight);
}

std::unique_ptr<Transport> makeSerialTransport(const ModbusRtuConfig& c, Executor ex,
                                               Counters& counters) {
  const int64_t char_ns = static_cast<int64_t>(1e9 * c.bitsPerChar() / c.baud_rate);
  const auto gap = c.frame_gap.count() > 0
                       ? std::chrono::nanoseconds(c.frame_gap)
                       : std::chrono::nanoseconds(rtuFrameGapNanos(c.baud_rate, c.bitsPerChar()));
  return makeRtuTransport(ex, makeSerialStream(ex, c), counters, gap, char_ns);
}

namespace {

template <class C>
runtime::AdapterFactory makeFactory(std::string type, std::string summary,
                                    const config::Spec<C>& spec,
                                    std::unique_ptr<Transport> (*transport)(const C&, Executor,
                                                                            Counters&)) {
  runtime::AdapterFactory f;
  f.info = config::ComponentInfo{config::ComponentKind::kAdapter, std::move(type),
                                 std::move(summary), spec.shared()};
  f.name = [](const config::ComponentConfig& cc) {
    const C* c = cc.as<C>();
    return c ? c->name : std::string();
  };
  f.tags = [](const config::ComponentConfig& cc) {
    const C* c = cc.as<C>();
    return c ? pipelineTags(*c) : std::vector<pipeline::TagPipelineConfig>{};
  };
  f.create = [transport](const config::ComponentConfig& cc, const runtime::AdapterContext& ctx)
      -> core::Result<std::unique_ptr<runtime::Adapter>> {
    const C* c = cc.as<C>();
    if (c == nullptr) {
      return core::fail(core::Errc::kInvalidConfig, "not a " + cc.type + " configuration");
    }
    C copy = *c;
    auto make = [copy, transport](Executor ex, Counters& counters) {
      return transport(copy, ex, counters);
    };
    return std::unique_ptr<runtime::Adapter>(
        std::make_unique<ModbusAdapter>(ctx, static_cast<const ModbusCommonConfig&>(*c), make));
  };
  return f;
}

}  // namespace

const runtime::AdapterFactory& modbusTcpFactory() {
  static const runtime::AdapterFactory f = makeFactory<ModbusTcpConfig>(
      "modbus_tcp", tcpSpec().object().doc(), tcpSpec(), &makeTcpTransport);
  return f;
}

const runtime::AdapterFactory& modbusRtuFactory() {
  static const runtime::AdapterFactory f = makeFactory<ModbusRtuConfig>(
      "modbus_rtu", rtuSpec().object().doc(), rtuSpec(), &makeSerialTransport);
  return f;
}

}  // namespace sf::modbus
