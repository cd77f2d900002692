#pragma once
// Shared handling of --help and usage errors so every subcommand behaves the same.

#include <cstdio>
#include <optional>

#include "app/args.h"
#include "app/commands.h"

namespace sf::app {

// Parses argv into args. Returns an exit code when the command should stop now (help was
// printed: 0; usage error printed: 2), or nullopt to continue.
inline std::optional<int> parseOrExit(Args& args, const Argv& argv) {
  auto st = args.parse(argv);
  if (!st) {
    std::fprintf(stderr, "streamforge: %s\n", st.error().message.c_str());
    return kExitUsage;
  }
  if (args.helpRequested()) {
    std::fputs(args.helpText().c_str(), stdout);
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace sf::app
