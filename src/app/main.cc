// streamforge: one binary, several roles (DESIGN.md "One binary, several roles").

#include <cstdio>
#include <cstring>
#include <string>

#include "app/args.h"
#include "app/commands.h"
#include "app/signals.h"
#include "core/log.h"

namespace {

void printUsage(FILE* out) {
  std::fprintf(out,
               "streamforge - industrial data gateway\n\n"
               "Usage: streamforge <command> [options]\n\nCommands:\n");
  for (const auto& c : sf::app::kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\nRun `streamforge <command> --help` for a command's options.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  sf::app::blockShutdownSignals();
  if (const char* level = std::getenv("SF_LOG_LEVEL")) {
    sf::core::LogLevel l;
    if (sf::core::parseLogLevel(level, l)) sf::core::Logger::instance().setLevel(l);
  }
  if (const char* fmt = std::getenv("SF_LOG_FORMAT"); fmt && std::strcmp(fmt, "json") == 0) {
    sf::core::Logger::instance().setFormat(sf::core::Logger::Format::kJson);
  }
  if (argc < 2) {
    printUsage(stderr);
    return sf::app::kExitUsage;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    printUsage(stdout);
    return sf::app::kExitOk;
  }
  if (name == "--version") name = "version";
  sf::app::Argv rest(argv + 2, argv + argc);
  for (const auto& c : sf::app::kCommands) {
    if (name == c.name) return c.fn(rest);
  }
  std::fprintf(stderr, "streamforge: unknown command '%s'\n\n", name.c_str());
  printUsage(stderr);
  return sf::app::kExitUsage;
}
