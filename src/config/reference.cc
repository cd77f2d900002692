#include "config/reference.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "config/parse.h"
#include "config/yaml_writer.h"

namespace sf::config {
namespace {

constexpr std::string_view kGeneratedNotice =
    "<!-- Generated from the C++ option specs (src/config/reference.h). Do not edit: change the "
    "spec and regenerate. -->\n";

std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string code(const Json& v) {
  std::string text =
      v.is_primitive() ? yamlScalar(v) : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return "`" + cell(text) + "`";
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'.
std::string slug(std::string_view heading) {
  std::string out;
  for (char c : heading) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '-') {
      out += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      out += '-';
    }
  }
  return out;
}

std::string firstSentence(std::string_view doc) {
  size_t end = doc.find(". ");
  std::string s(end == std::string_view::npos ? doc : doc.substr(0, end + 1));
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

const TypeDesc& elementOrSelf(const TypeDesc& t) {
  return (t.kind == ValueKind::kList && t.element) ? *t.element : t;
}

bool isObjectLike(const TypeDesc& t) {
  const TypeDesc& e = elementOrSelf(t);
  return e.kind == ValueKind::kObject && e.object;
}

std::string rangeText(const Option& o) {
  bool integer = o.type.kind == ValueKind::kInt || o.type.kind == ValueKind::kUint;
  std::optional<Json> lo = o.minimum ? o.minimum : (integer ? o.type.type_min : std::nullopt);
  std::optional<Json> hi = o.maximum ? o.maximum : (integer ? o.type.type_max : std::nullopt);
  auto text = [](const Json& v) { return detail::display(v); };
  if (lo && hi) return ", " + text(*lo) + " to " + text(*hi);
  if (lo) return ", at least " + text(*lo);
  if (hi) return ", at most " + text(*hi);
  return "";
}

struct Section {
  std::string heading;  // "devices[].registers[]"
  const ObjectSpec* spec;
};

class MarkdownWriter {
 public:
  void table(const ObjectSpec& spec, const std::string& prefix, const ComponentInfo* component) {
    out_ += "| Option | Type | Default | Required | Description | Example |\n";
    out_ += "| --- | --- | --- | --- | --- | --- |\n";
    if (component != nullptr) {
      out_ += "| `type` | string | — | yes | Selects this " +
              std::string(componentKindName(component->kind)) + ": `" + component->type + "`. | `" +
              component->type + "` |\n";
    }
    std::vector<Section> nested;
    for (const auto& o : spec.options()) {
      std::string type = typeName(o.type) + rangeText(o);
      std::string description = cell(o.doc);
      auto add = [&description](const std::string& s) {
        description += (description.empty() ? "" : " ") + s;
      };
      if (o.secret) add("**Secret:** shown as `***`; set it with `${VAR}`.");
      if (o.advanced) add("*Advanced.*");
      if (o.non_empty) add("Must not be empty.");
      const TypeDesc& e = elementOrSelf(o.type);
      if (isObjectLike(o.type)) {
        std::string heading = prefix + o.name + (o.type.kind == ValueKind::kList ? "[]" : "");
        add("See [`" + heading + "`](#" + slug(heading) + ").");
        nested.push_back(Section{heading, e.object.get()});
      } else if (e.kind == ValueKind::kComponent) {
        std::string plural(componentKindPlural(e.component));
        std::string text = "Each is one of the registered " + plural;
        text += ", selected by its `type`; see the [" + plural + "](README.md#" + plural + ").";
        add(text);
      }
      std::string def = "—";
      if (o.type.kind != ValueKind::kObject) {
        if (auto d = spec.defaultOf(o)) def = code(*d);
      }
      out_ += "| `" + o.name + "` | ";
      out_ += cell(type) + " | " + def + " | " + (o.required ? "yes" : "no") + " | ";
      out_ += description + " | " + (o.example ? code(*o.example) : "") + " |\n";
    }
    for (const auto& s : nested) {
      out_ += "\n### `" + s.heading + "`\n\n";
      if (!s.spec->doc().empty()) out_ += s.spec->doc() + "\n\n";
      table(*s.spec, s.heading + ".", nullptr);
    }
  }

  std::string& out() { return out_; }

 private:
  std::string out_;
};

std::string page(const ObjectSpec& spec, std::string_view title, std::string_view intro,
                 const ComponentInfo* component, const std::string& example) {
  MarkdownWriter w;
  std::string& out = w.out();
  out += kGeneratedNotice;
  out += "\n# " + std::string(title) + "\n\n";
  if (!intro.empty()) out += std::string(intro) + "\n\n";
  if (!spec.doc().empty() && spec.doc() != intro) out += spec.doc() + "\n\n";
  out += "## Options\n\n";
  w.table(spec, "", component);
  out += "\n## Example\n\n```yaml\n" + example + "```\n";
  return out;
}

// ---- examples -------------------------------------------------------------------------------

std::string pad(int indent) { return std::string(static_cast<size_t>(indent), ' '); }

void comment(std::string& out, std::string_view doc, int indent) {
  std::string sentence = firstSentence(doc);
  if (sentence.empty()) return;
  // Wrap at 100 columns.
  std::istringstream words(sentence);
  std::string word;
  std::string line = pad(indent) + "#";
  while (words >> word) {
    if (line.size() + 1 + word.size() > 100 && line.size() > static_cast<size_t>(indent) + 1) {
      out += line + "\n";
      line = pad(indent) + "#";
    }
    line += " " + word;
  }
  out += line + "\n";
}

bool writeObjectExample(const ObjectSpec& spec, int indent, std::string& out,
                        const Registry* registry);

// Turns a block written at indent + 2 into a list item: comments move to the dash's column,
// the first key line gets the dash.
void appendAsListItem(std::string sub, int indent, std::string& out) {
  const std::string deeper = pad(indent + 2);
  size_t pos = 0;
  while (pos < sub.size()) {
    bool is_comment = sub.compare(pos, deeper.size() + 1, deeper + "#") == 0;
    sub.replace(pos, deeper.size(), is_comment ? pad(indent) : pad(indent) + "- ");
    size_t eol = sub.find('\n', pos);
    if (!is_comment || eol == std::string::npos) break;
    pos = eol + 1;
  }
  out += sub;
}

// `type: <type>` and the component's own example options.
void writeComponentExample(const ComponentInfo& info, int indent, std::string& out,
                           const Registry* registry) {
  out += pad(indent) + "type: " + yamlScalar(Json(info.type)) + "\n";
  writeObjectExample(*info.spec, indent, out, registry);
}

// Returns false when nothing was written (no examples or required options anywhere below).
bool writeObjectExample(const ObjectSpec& spec, int indent, std::string& out,
                        const Registry* registry) {
  bool wrote = false;
  for (const auto& o : spec.options()) {
    std::string body;
    const TypeDesc& e = elementOrSelf(o.type);
    const bool is_list = o.type.kind == ValueKind::kList;
    std::string items;
    if (o.example) {
      appendYamlMember(body, o.name, *o.example, indent);
    } else if (isObjectLike(o.type) && (o.required || !o.advanced)) {
      std::string sub;
      if (writeObjectExample(*e.object, indent + (is_list ? 4 : 2), sub, registry)) {
        if (is_list) {
          appendAsListItem(std::move(sub), indent + 2, items);
        } else {
          items = std::move(sub);
        }
      }
    } else if (e.kind == ValueKind::kComponent && registry != nullptr && !o.advanced) {
      // One item per registered type of the kind (the first one for a single object).
      for (const ComponentInfo* info : registry->list(e.component)) {
        std::string sub;
        writeComponentExample(*info, indent + (is_list ? 4 : 2), sub, registry);
        if (!is_list) {
          items = std::move(sub);
          break;
        }
        appendAsListItem(std::move(sub), indent + 2, items);
      }
    }
    if (!items.empty()) body = pad(indent) + o.name + ":\n" + items;
    if (body.empty() && o.required) {
      body = pad(indent) + "# " + o.name + ": <required, no example declared>\n";
    }
    if (body.empty()) continue;
    comment(out, o.doc, indent);
    out += body;
    wrote = true;
  }
  return wrote;
}

}  // namespace

std::string exampleYaml(const ObjectSpec& spec, const Registry* registry) {
  std::string out;
  if (!writeObjectExample(spec, 0, out, registry)) out += "{}\n";
  return out;
}

std::string exampleYaml(const ComponentInfo& info, const Registry* registry) {
  std::string out;
  comment(out, info.type + " " + std::string(componentKindName(info.kind)) + ": " + info.summary,
          0);
  writeComponentExample(info, 0, out, registry);
  return out;
}

std::string markdownReference(const ObjectSpec& spec, std::string_view title,
                              std::string_view intro, const Registry* registry) {
  return page(spec, title, intro, nullptr, exampleYaml(spec, registry));
}

std::string markdownReference(const ComponentInfo& info, const Registry* registry) {
  std::string title = "`" + info.type + "` " + std::string(componentKindName(info.kind));
  return page(*info.spec, title, info.summary, &info, exampleYaml(info, registry));
}

std::string referencePath(const ComponentInfo& info) {
  return std::string(componentKindPlural(info.kind)) + "/" + info.type + ".md";
}

std::map<std::string, std::string> renderReferenceDocs(const Registry& registry,
                                                       const std::vector<RootDoc>& roots) {
  std::map<std::string, std::string> files;
  std::string index(kGeneratedNotice);
  index += "\n# Configuration reference\n\n";
  index +=
      "Every option of every registered component, generated from the option specs that the "
      "gateway and the control plane parse with. See docs/CONFIG.md for the file format, "
      "`${VAR}` expansion and secrets.\n";
  if (!roots.empty()) {
    index += "\n## Configuration files\n\n| File | Summary |\n| --- | --- |\n";
    for (const RootDoc& root : roots) {
      index += "| [" + cell(root.title) + "](" + root.file + ") | " + cell(root.intro) + " |\n";
      files[root.file] = markdownReference(*root.spec, root.title, root.intro, &registry);
    }
  }
  for (ComponentKind kind : kComponentKinds) {
    auto infos = registry.list(kind);
    if (infos.empty()) continue;
    std::string plural(componentKindPlural(kind));
    std::string heading = plural;
    heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
    index += "\n## " + heading + "\n\n| Type | Summary |\n| --- | --- |\n";
    for (const ComponentInfo* info : infos) {
      std::string path = referencePath(*info);
      index += "| [`" + info->type + "`](" + path + ") | " + cell(info->summary) + " |\n";
      files[path] = markdownReference(*info, &registry);
    }
  }
  files["README.md"] = index;
  return files;
}

namespace {

std::optional<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Generated pages start with the notice; other .md files in the folder are left alone.
std::vector<std::string> staleGenerated(const std::filesystem::path& dir,
                                        const std::map<std::string, std::string>& files) {
  std::vector<std::string> stale;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return stale;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".md") continue;
    std::string rel = std::filesystem::relative(it->path(), dir).generic_string();
    if (files.count(rel) > 0) continue;
    auto content = readFile(it->path());
    if (content && content->rfind(std::string(kGeneratedNotice), 0) == 0) stale.push_back(rel);
  }
  std::sort(stale.begin(), stale.end());
  return stale;
}

}  // namespace

std::vector<std::string> compareReferenceDocs(const std::filesystem::path& dir,
                                              const std::map<std::string, std::string>& files) {
  std::vector<std::string> problems;
  for (const auto& [name, content] : files) {
    auto current = readFile(dir / name);
    if (!current) {
      problems.push_back(name + ": missing");
    } else if (*current != content) {
      problems.push_back(name + ": out of date");
    }
  }
  for (const auto& name : staleGenerated(dir, files)) {
    problems.push_back(name + ": stale (no registered component generates it)");
  }
  return problems;
}

core::Status writeReferenceDocs(const std::filesystem::path& dir,
                                const std::map<std::string, std::string>& files) {
  std::error_code ec;
  for (const auto& name : staleGenerated(dir, files)) std::filesystem::remove(dir / name, ec);
  for (const auto& [name, content] : files) {
    std::filesystem::path path = dir / name;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return core::fail(core::Errc::kUnavailable,
                        "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return core::fail(core::Errc::kUnavailable, "cannot write " + path.string());
  }
  return core::ok();
}

std::vector<std::string> checkComponent(const ComponentInfo& info, const Registry& registry) {
  const std::string who = std::string(componentKindName(info.kind)) + " '" + info.type + "'";
  std::vector<std::string> problems;
  if (!info.spec) return {who + ": no spec"};
  if (info.summary.empty()) problems.push_back(who + ": no summary");
  for (const auto& p : lintSpec(*info.spec)) problems.push_back(who + ": " + p);  // NOLINT
  ParseOptions options;
  options.file = info.type + " example";
  options.registry = &registry;
  auto parsed = parseComponentYaml(exampleYaml(info, &registry), info.kind, options);
  for (const auto& e : parsed.errors()) {
    problems.push_back(who + ": generated example does not validate: " + e.toString());
  }
  return problems;
}

}  // namespace sf::config
