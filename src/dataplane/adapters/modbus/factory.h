#pragma once
// The factories of the two Modbus adapter types, for the gateway's explicit registry:
//   modbusTcpFactory()  type `modbus_tcp`: Modbus TCP, and RTU framing over TCP (serial servers)
//   modbusRtuFactory()  type `modbus_rtu`: RTU on a local serial port
// Both: the spec (config.h), the instance name, the tags with their pipeline options, create()
// (no I/O; the supervisor calls connect()).
// Thread-safety: the factories are built once (function-local statics) and then only read.

#include "dataplane/adapters/modbus/config.h"
#include "dataplane/adapters/modbus/transport.h"
#include "dataplane/runtime/factory.h"

namespace sf::modbus {

const runtime::AdapterFactory& modbusTcpFactory();
const runtime::AdapterFactory& modbusRtuFactory();

// The tags of a configuration as the pipeline sees them (adapter, device and tag set).
std::vector<pipeline::TagPipelineConfig> pipelineTags(const ModbusCommonConfig& c);

// Transports for one connection of a config (what create() wires into the adapter).
std::unique_ptr<Transport> makeTcpTransport(const ModbusTcpConfig& c, Executor ex,
                                            Counters& counters);
std::unique_ptr<Transport> makeSerialTransport(const ModbusRtuConfig& c, Executor ex,
                                               Counters& counters);

}  // namespace sf::modbus
