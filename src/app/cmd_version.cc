#include <librdkafka/rdkafka.h>

#include <cstdio>

#include "app/build_info.h"
#include "app/command_util.h"

namespace sf::app {

int cmdVersion(const Argv& argv) {
  Args args("version", "Print version and build information");
  args.flag("json", "Print as JSON");
  if (auto rc = parseOrExit(args, argv)) return *rc;
  if (args.has("json")) {
    std::printf(
        "{\"version\":\"%s\",\"commit\":\"%s\",\"build_type\":\"%s\",\"opcua\":%s,"
        "\"librdkafka\":\"%s\"}\n",
        kVersion, kGitCommit, kBuildType, kWithOpcua ? "true" : "false", rd_kafka_version_str());
  } else {
    std::printf("streamforge %s (commit %s, %s build)\n", kVersion, kGitCommit, kBuildType);
    std::printf("  opcua: %s\n  librdkafka: %s\n", kWithOpcua ? "enabled" : "disabled",
                rd_kafka_version_str());
  }
  return kExitOk;
}

}  // namespace sf::app
