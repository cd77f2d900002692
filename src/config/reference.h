#pragma once
// Generated documentation from option specs: the Markdown reference in docs/reference/ (one page
// per registered component plus an index), example YAML configs built from the declared examples,
// the drift check a test runs against the committed files, and the per-component conformance
// check (spec documented, example validates). Output is deterministic: declaration order for
// options, registry order (kind, then type) for pages.
// Thread-safety: pure functions, except the two that read or write files (not synchronised).

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/registry.h"
#include "config/spec.h"
#include "core/result.h"

namespace sf::config {

// One page: `# title`, the intro, an options table (option, type, default, required,
// description, example), a sub-section per nested object ("devices[]", "devices[].registers[]"),
// and the example config. `registry` fills polymorphic options of the example.
std::string markdownReference(const ObjectSpec& spec, std::string_view title,
                              std::string_view intro = {}, const Registry* registry = nullptr);
// A component's page, with its `type` row first.
std::string markdownReference(const ComponentInfo& info, const Registry* registry = nullptr);

// An example config: every option that has an example or is required, nested objects built the
// same way, each preceded by the first sentence of its doc as a comment. With a registry, a
// polymorphic list without example gets one item per registered type of its kind. A required
// option without example shows up as a comment, so the example then fails to validate (on
// purpose: the conformance test catches it).
std::string exampleYaml(const ObjectSpec& spec, const Registry* registry = nullptr);
// The same for a component, starting with `type: <type>`.
std::string exampleYaml(const ComponentInfo& info, const Registry* registry = nullptr);

// "adapters/modbus_tcp.md".
std::string referencePath(const ComponentInfo& info);

// A top-level configuration file documented next to the components (e.g. the gateway's file).
struct RootDoc {
  std::string file;   // page name below docs/reference/, e.g. "gateway.md"
  std::string title;  // "Gateway configuration"
  std::string intro;  // one sentence for the index
  const ObjectSpec* spec = nullptr;
};

// Every page for docs/reference/: README.md (the index), one per root file and one per
// registered component ("adapters/modbus_tcp.md").
std::map<std::string, std::string> renderReferenceDocs(const Registry& registry,
                                                       const std::vector<RootDoc>& roots = {});

// Differences between generated `files` and what is in `dir`: missing, out of date, and stale
// .md files that nothing generates. Empty when the committed reference is current.
std::vector<std::string> compareReferenceDocs(const std::filesystem::path& dir,
                                              const std::map<std::string, std::string>& files);
// Writes `files` below `dir` (creating folders) and removes stale generated .md files.
core::Status writeReferenceDocs(const std::filesystem::path& dir,
                                const std::map<std::string, std::string>& files);

// Conformance of one registered component: lintSpec() problems, a summary, and its generated
// example parsing back without errors. Empty when conformant.
std::vector<std::string> checkComponent(const ComponentInfo& info, const Registry& registry);

}  // namespace sf::config
