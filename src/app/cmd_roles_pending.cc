// Roles whose issues have not landed yet. Each answers --help and says plainly that it is not
// part of this build, with a runtime-failure exit code, rather than pretending to work.

#include <cstdio>

#include "app/command_util.h"

namespace sf::app {
namespace {

int notYetBuilt(const char* name, const char* summary, const char* what, const Argv& argv) {
  Args args(name, summary);
  args.option("config", "FILE", "Configuration file");
  if (auto rc = parseOrExit(args, argv)) return *rc;
  std::fprintf(stderr,
               "streamforge %s: %s is not part of this build yet (see the open issues and "
               "docs/DEVELOPMENT.md)\n",
               name, what);
  return kExitFailure;
}

}  // namespace

int cmdControl(const Argv& argv) {
  return notYetBuilt("control", "Control plane: REST API, fleet configuration, UI",
                     "the control plane", argv);
}

int cmdSink(const Argv& argv) {
  return notYetBuilt("sink", "Kafka consumer that writes to PostgreSQL, webhooks, MQTT",
                     "the sink role", argv);
}

}  // namespace sf::app
