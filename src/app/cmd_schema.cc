// `streamforge schema`: the JSON Schema of the gateway file or of any component type, and the
// generated reference in docs/reference/ (written, or checked for drift by a test).

#include <cstdio>

#include "app/command_util.h"
#include "app/components.h"
#include "config/reference.h"
#include "config/schema.h"
#include "dataplane/runtime/gateway_config.h"

namespace sf::app {
namespace {

std::vector<config::RootDoc> rootDocs() {
  return {{"gateway.md", "Gateway configuration",
           "The file `streamforge gateway --config` reads: identity, HTTP, local log, outputs "
           "and adapters.",
           &runtime::gatewayConfigSpec().object()}};
}

}  // namespace

int cmdSchema(const Argv& argv) {
  Args args("schema", "Print the JSON Schema of a component type's configuration");
  args.positional("TYPE", "`gateway` (the whole file) or a component type, e.g. kafka", false)
      .option("write-docs", "DIR", "Write the generated reference (docs/reference) into DIR")
      .option("check-docs", "DIR", "Exit 1 if DIR differs from the generated reference")
      .flag("list", "List the component types of this build");
  if (auto rc = parseOrExit(args, argv)) return *rc;
  const auto& registry = builtinComponents().registry();
  if (args.has("write-docs") || args.has("check-docs")) {
    auto files = config::renderReferenceDocs(registry, rootDocs());
    if (args.has("write-docs")) {
      auto st = config::writeReferenceDocs(args.get("write-docs"), files);
      if (!st) {
        std::fprintf(stderr, "streamforge schema: %s\n", st.error().toString().c_str());
        return kExitFailure;
      }
      std::printf("wrote %zu reference pages to %s\n", files.size(),
                  args.get("write-docs").c_str());
      return kExitOk;
    }
    auto diffs = config::compareReferenceDocs(args.get("check-docs"), files);
    for (const auto& d : diffs) std::fprintf(stderr, "%s\n", d.c_str());
    if (!diffs.empty()) {
      std::fprintf(stderr,
                   "the generated reference is out of date: run `streamforge schema --write-docs "
                   "docs/reference` and commit it\n");
      return kExitFailure;
    }
    std::printf("reference up to date (%zu pages)\n", files.size());
    return kExitOk;
  }
  if (args.has("list") || args.positionals().empty()) {
    std::printf("gateway   (the gateway configuration file)\n");
    for (const auto* info : registry.all()) {
      std::printf("%-9s %-14s %s\n", std::string(config::componentKindName(info->kind)).c_str(),
                  info->type.c_str(), info->summary.c_str());
    }
    return kExitOk;
  }
  const std::string type = args.positionals()[0];
  config::SchemaOptions so;
  so.registry = &registry;
  if (type == "gateway") {
    std::printf("%s\n",
                config::jsonSchema(runtime::gatewayConfigSpec().object(), so).dump(2).c_str());
    return kExitOk;
  }
  for (const auto* info : registry.all()) {
    if (info->type == type) {
      std::printf("%s\n", config::componentSchema(*info, so).dump(2).c_str());
      return kExitOk;
    }
  }
  std::fprintf(stderr, "streamforge schema: unknown type '%s' (see `streamforge schema --list`)\n",
               type.c_str());
  return kExitUsage;
}

}  // namespace sf::app
