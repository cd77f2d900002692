#pragma once
// The subcommands of the one `streamforge` binary, one file each (cmd_<name>.cc).
// Each returns an exit code from app/args.h.

#include <string>
#include <vector>

namespace sf::app {

using Argv = std::vector<std::string>;

int cmdRun(const Argv& argv);
int cmdGateway(const Argv& argv);
int cmdControl(const Argv& argv);
int cmdSink(const Argv& argv);
int cmdSim(const Argv& argv);
int cmdLog(const Argv& argv);
int cmdModbus(const Argv& argv);
int cmdSchema(const Argv& argv);
int cmdVersion(const Argv& argv);

struct Command {
  const char* name;
  const char* summary;
  int (*fn)(const Argv&);
};

// The explicit list, in the order `streamforge --help` shows them.
inline constexpr Command kCommands[] = {
    {"run", "All-in-one: gateway + local log + simulator (+ API/UI when built)", cmdRun},
    {"gateway", "Edge gateway: adapters -> pipeline -> local log -> Kafka outputs", cmdGateway},
    {"control", "Control plane: REST API, fleet configuration, UI", cmdControl},
    {"sink", "Kafka consumer that writes to PostgreSQL, webhooks, MQTT", cmdSink},
    {"sim", "Plant simulator serving Modbus TCP", cmdSim},
    {"log", "Inspect, verify and dump a local log directory", cmdLog},
    {"modbus", "Modbus tools: print the read plan, poll once, write a tag", cmdModbus},
    {"schema", "Print the JSON Schema of a component type's configuration", cmdSchema},
    {"version", "Print version and build information", cmdVersion},
};

}  // namespace sf::app
