#include "config/spec.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "config/registry.h"

namespace sf::config {

std::string_view componentKindName(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kAdapter:
      return "adapter";
    case ComponentKind::kOutput:
      return "output";
    case ComponentKind::kSink:
      return "sink";
    case ComponentKind::kTransform:
      return "transform";
  }
  return "component";
}

std::string_view componentKindPlural(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kAdapter:
      return "adapters";
    case ComponentKind::kOutput:
      return "outputs";
    case ComponentKind::kSink:
      return "sinks";
    case ComponentKind::kTransform:
      return "transforms";
  }
  return "components";
}

std::string typeName(const TypeDesc& type) {
  switch (type.kind) {
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
    case ValueKind::kUint:
      return "integer";
    case ValueKind::kDouble:
      return "number";
    case ValueKind::kString:
      return "string";
    case ValueKind::kDuration:
      return "duration";
    case ValueKind::kBytes:
      return "byte size";
    case ValueKind::kEnum: {
      std::string out = "one of ";
      for (size_t i = 0; i < type.enum_values.size(); ++i) {
        if (i > 0) out += ", ";
        out += "`" + type.enum_values[i] + "`";
      }
      return out;
    }
    case ValueKind::kList:
      return "list of " + (type.element ? typeName(*type.element) : std::string("value"));
    case ValueKind::kMap:
      return "map of string to string";
    case ValueKind::kObject:
      return "object";
    case ValueKind::kComponent:
      return std::string(componentKindName(type.component));
  }
  return "value";
}

std::string ParseContext::describe(const Node& node) const {
  switch (node.kind) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kList:
      return "a list";
    case Node::Kind::kMap:
      return "an object";
    case Node::Kind::kScalar:
      break;
  }
  switch (node.style) {
    case Node::Style::kQuoted:
      return secret_ ? "a string" : "the string '" + node.text + "'";
    case Node::Style::kNumber:
      return secret_ ? "a number" : "the number " + node.text;
    case Node::Style::kBool:
      return secret_ ? "a boolean" : "the boolean " + node.text;
    case Node::Style::kPlain:
      break;
  }
  return secret_ ? "a value" : "'" + node.text + "'";
}

std::string ParseContext::show(const Json& value) const {
  return secret_ ? "the value" : detail::display(value);
}

void Checker::error(std::string_view relative, std::string reason) {
  std::string pointer = ctx_.path();
  if (!relative.empty()) {
    pointer += '/';
    pointer += relative;
  }
  Mark mark = ctx_.markOf(pointer);
  ctx_.errorAt(ConfigErrc::kInvalid, pointer, mark.known() ? mark : object_mark_,
               std::move(reason));
}

const Option* ObjectSpec::find(std::string_view name) const {
  for (const auto& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::vector<std::string> ObjectSpec::optionNames() const {
  std::vector<std::string> names;
  names.reserve(options_.size());
  for (const auto& o : options_) names.push_back(o.name);
  return names;
}

std::optional<Json> ObjectSpec::defaultOf(const Option& option) const {
  if (option.required || option.secret) return std::nullopt;
  Json v = option.encode(access(prototype_), RenderOptions{false});
  if (v.is_null()) return std::nullopt;
  return v;
}

namespace {

Json redact(const Json& v) {
  if (v.is_null()) return v;
  if (v.is_string() && v.get_ref<const std::string&>().empty()) return v;
  if ((v.is_array() || v.is_object()) && v.empty()) return v;
  return Json(std::string(kRedacted));
}

}  // namespace

Json ObjectSpec::render(const void* object, const RenderOptions& options) const {
  Json out = Json::object();
  for (const auto& o : options_) {
    Json v = o.encode(object, options);
    if (v.is_null()) continue;
    out[o.name] = (o.secret && options.redact_secrets) ? redact(v) : std::move(v);
  }
  return out;
}

bool ObjectSpec::decode(const Node& node, void* object, ParseContext& ctx,
                        std::string_view discriminator) const {
  if (node.reported) return false;
  if (node.kind != Node::Kind::kMap) {
    ctx.error(ConfigErrc::kType, node.mark, "expected an object, got " + ctx.describe(node));
    return false;
  }
  const size_t before = ctx.blockingErrorCount();
  std::vector<bool> seen(options_.size(), false);
  for (const auto& m : node.members) {
    if (!discriminator.empty() && m.key == discriminator) continue;
    const Option* opt = find(m.key);
    auto scope = ctx.enter(m.key, opt != nullptr && opt->secret);
    if (opt == nullptr) {
      std::string reason = "unknown option '" + m.key + "'";
      auto names = optionNames();
      if (auto close = closestMatch(m.key, names)) {
        reason += "; did you mean '" + *close + "'?";
      } else if (names.empty()) {
        reason += " (this object takes no options)";
      } else if (names.size() <= 12) {
        reason += " (expected one of: ";
        for (size_t i = 0; i < names.size(); ++i) reason += (i ? ", " : "") + names[i];
        reason += ")";
      }
      ctx.error(ConfigErrc::kUnknownKey, m.key_mark, std::move(reason));
      continue;
    }
    seen[static_cast<size_t>(opt - options_.data())] = true;
    ctx.recordMark(m.value.mark);
    opt->decode(m.value, object, ctx);
  }
  for (size_t i = 0; i < options_.size(); ++i) {
    if (options_[i].required && !seen[i]) {
      ctx.errorAt(ConfigErrc::kMissing, appendPointer(ctx.path(), options_[i].name), node.mark,
                  "missing required option '" + options_[i].name + "'");
    }
  }
  if (ctx.blockingErrorCount() != before) return false;
  Checker checker(ctx, node.mark);
  for (const auto& check : checks_) check(object, checker);
  return true;
}

Json ComponentConfig::toJson(const RenderOptions& options) const {
  Json out = Json::object();
  out["type"] = type;
  if (spec && value.has_value()) {
    Json options_json = spec->render(spec->access(value), options);
    for (auto& [k, v] : options_json.items()) out[k] = std::move(v);
  }
  return out;
}

bool operator==(const ComponentConfig& a, const ComponentConfig& b) {
  if (a.kind != b.kind || a.type != b.type) return false;
  // Same words, same meaning: the common case of a reload (most components unchanged) skips
  // rendering. Different words may still mean the same (1m30s and 90s): compare the values.
  if (!a.source.empty() && a.source == b.source) return true;
  return a.toJson(RenderOptions{false}) == b.toJson(RenderOptions{false});
}

namespace detail {
namespace {

bool isPlainOr(const Node& n, Node::Style other) {
  return n.isScalar() && (n.style == Node::Style::kPlain || n.style == other);
}

struct ParsedInt {
  bool ok = false;
  bool negative = false;
  bool overflow = false;
  uint64_t magnitude = 0;
};

// Decimal with optional sign, or 0x hexadecimal (YAML 1.2 core schema).
ParsedInt parseInteger(std::string_view s) {
  ParsedInt p;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    p.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty() || s[0] == '-' || s[0] == '+') return p;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p.magnitude, base);
  if (ptr != s.data() + s.size()) return p;
  if (ec == std::errc::result_out_of_range) {
    p.overflow = true;
  } else if (ec != std::errc()) {
    return p;
  }
  p.ok = true;
  return p;
}

}  // namespace

std::string display(const Json& value) {
  return value.is_string() ? value.get<std::string>()
                           : value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool decodeBool(const Node& n, bool& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (isPlainOr(n, Node::Style::kBool)) {
    if (n.text == "true" || n.text == "True" || n.text == "TRUE") {
      out = true;
      return true;
    }
    if (n.text == "false" || n.text == "False" || n.text == "FALSE") {
      out = false;
      return true;
    }
  }
  std::string reason = "expected true or false, got " + ctx.describe(n);
  static const std::set<std::string> kYaml11 = {"yes", "no",  "on", "off", "y",
                                                "n",   "Yes", "No", "On",  "Off"};
  if (n.isScalar() && kYaml11.count(n.text) > 0)
    reason += " (YAML 1.1 yes/no/on/off are not booleans)";
  ctx.error(ConfigErrc::kType, n.mark, std::move(reason));
  return false;
}

bool decodeInt(const Node& n, int64_t min, int64_t max, int64_t& out, ParseContext& ctx) {
  if (n.reported) return false;
  ParsedInt p;
  if (isPlainOr(n, Node::Style::kNumber)) p = parseInteger(n.text);
  if (!p.ok) {
    ctx.error(ConfigErrc::kType, n.mark, "expected an integer, got " + ctx.describe(n));
    return false;
  }
  const std::string shown = ctx.secret() ? "the value" : n.text;
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // |INT64_MIN|
  bool above = !p.negative && (p.overflow || p.magnitude > static_cast<uint64_t>(INT64_MAX));
  bool below = p.negative && (p.overflow || p.magnitude > kMinMagnitude);
  int64_t v = 0;
  if (!above && !below) {
    v = !p.negative                    ? static_cast<int64_t>(p.magnitude)
        : p.magnitude == kMinMagnitude ? INT64_MIN
                                       : -static_cast<int64_t>(p.magnitude);
    above = v > max;
    below = v < min;
  }
  if (above) {
    ctx.error(ConfigErrc::kRange, n.mark, shown + " is above the maximum " + std::to_string(max));
    return false;
  }
  if (below) {
    ctx.error(ConfigErrc::kRange, n.mark, shown + " is below the minimum " + std::to_string(min));
    return false;
  }
  out = v;
  return true;
}

bool decodeUint(const Node& n, uint64_t min, uint64_t max, uint64_t& out, ParseContext& ctx) {
  if (n.reported) return false;
  ParsedInt p;
  if (isPlainOr(n, Node::Style::kNumber)) p = parseInteger(n.text);
  if (!p.ok) {
    ctx.error(ConfigErrc::kType, n.mark, "expected an integer, got " + ctx.describe(n));
    return false;
  }
  const std::string shown = ctx.secret() ? "the value" : n.text;
  if ((p.negative && p.magnitude != 0) || (!p.negative && !p.overflow && p.magnitude < min)) {
    ctx.error(ConfigErrc::kRange, n.mark, shown + " is below the minimum " + std::to_string(min));
    return false;
  }
  if (p.overflow || p.magnitude > max) {
    ctx.error(ConfigErrc::kRange, n.mark, shown + " is above the maximum " + std::to_string(max));
    return false;
  }
  out = p.magnitude;
  return true;
}

bool decodeDouble(const Node& n, double& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (isPlainOr(n, Node::Style::kNumber)) {
    std::string_view s = n.text;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v)) {
      out = v;
      return true;
    }
  }
  ctx.error(ConfigErrc::kType, n.mark, "expected a number, got " + ctx.describe(n));
  return false;
}

bool decodeString(const Node& n, std::string& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (!isPlainOr(n, Node::Style::kQuoted)) {
    ctx.error(ConfigErrc::kType, n.mark, "expected a string, got " + ctx.describe(n));
    return false;
  }
  out = n.text;
  return true;
}

bool decodeDuration(const Node& n, std::chrono::nanoseconds& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (!isPlainOr(n, Node::Style::kQuoted)) {
    ctx.error(ConfigErrc::kType, n.mark,
              "expected a duration such as \"250ms\", \"5s\" or \"1m\", got " + ctx.describe(n));
    return false;
  }
  auto d = parseDuration(n.text);
  if (!d) {
    ctx.error(ConfigErrc::kType, n.mark, d.error().message);
    return false;
  }
  out = *d;
  return true;
}

bool decodeBytes(const Node& n, ByteSize& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (!n.isScalar() || n.style == Node::Style::kBool) {
    ctx.error(ConfigErrc::kType, n.mark,
              "expected a byte size such as \"64MiB\", got " + ctx.describe(n));
    return false;
  }
  auto b = parseByteSize(n.text);
  if (!b) {
    ctx.error(ConfigErrc::kType, n.mark, b.error().message);
    return false;
  }
  out = *b;
  return true;
}

bool decodeStringMap(const Node& n, StringMap& out, ParseContext& ctx) {
  if (n.reported) return false;
  if (n.kind != Node::Kind::kMap) {
    ctx.error(ConfigErrc::kType, n.mark, "expected a map of strings, got " + ctx.describe(n));
    return false;
  }
  StringMap result;
  bool ok = true;
  for (const auto& m : n.members) {
    auto scope = ctx.enter(m.key);
    ctx.recordMark(m.value.mark);
    std::string s;
    if (!decodeString(m.value, s, ctx)) {
      ok = false;
      continue;
    }
    result[m.key] = std::move(s);
  }
  if (ok) out = std::move(result);
  return ok;
}

bool decodeEnum(const Node& n, const std::vector<std::string>& names, size_t& index,
                ParseContext& ctx) {
  if (n.reported) return false;
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + names[i];
  if (!isPlainOr(n, Node::Style::kQuoted)) {
    ctx.error(ConfigErrc::kType, n.mark, "expected one of " + list + ", got " + ctx.describe(n));
    return false;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == n.text) {
      index = i;
      return true;
    }
  }
  std::string reason = "'" + n.text + "' is not one of " + list;
  if (auto close = closestMatch(n.text, names)) reason += "; did you mean '" + *close + "'?";
  ctx.error(ConfigErrc::kEnum, n.mark, std::move(reason));
  return false;
}

bool expectList(const Node& n, ParseContext& ctx) {
  if (n.reported) return false;
  if (n.kind == Node::Kind::kList) return true;
  ctx.error(ConfigErrc::kType, n.mark, "expected a list, got " + ctx.describe(n));
  return false;
}

bool decodeComponent(ComponentKind kind, const Node& n, ComponentConfig& out, ParseContext& ctx) {
  if (n.reported) return false;
  const std::string kind_name(componentKindName(kind));
  if (n.kind != Node::Kind::kMap) {
    ctx.error(ConfigErrc::kType, n.mark,
              "expected an object with a 'type' key selecting the " + kind_name + ", got " +
                  ctx.describe(n));
    return false;
  }
  const Registry* registry = ctx.registry();
  std::vector<std::string> known =
      registry ? registry->typeNames(kind) : std::vector<std::string>{};
  auto listed = [&known] {
    std::string s;
    for (size_t i = 0; i < known.size(); ++i) s += (i ? ", " : "") + known[i];
    return s;
  };
  const Node* type_node = n.find("type");
  if (type_node == nullptr) {
    ctx.errorAt(ConfigErrc::kMissing, appendPointer(ctx.path(), "type"), n.mark,
                "missing required option 'type' (the " + kind_name + " type" +
                    (known.empty() ? std::string() : ": one of " + listed()) + ")");
    return false;
  }
  const ComponentInfo* info = nullptr;
  {
    auto scope = ctx.enter("type");
    ctx.recordMark(type_node->mark);
    std::string type;
    if (!decodeString(*type_node, type, ctx)) return false;
    if (registry == nullptr) {
      ctx.error(ConfigErrc::kInternal, type_node->mark,
                "no component registry was given to resolve " + kind_name + " type '" + type + "'");
      return false;
    }
    info = registry->find(kind, type);
    if (info == nullptr) {
      std::string reason = "unknown " + kind_name + " type '" + type + "'";
      if (auto close = closestMatch(type, known)) {
        reason += "; did you mean '" + *close + "'?";
      } else if (known.empty()) {
        reason += " (no " + kind_name + " types are registered)";
      } else {
        reason += " (registered: " + listed() + ")";
      }
      ctx.error(ConfigErrc::kUnknownType, type_node->mark, std::move(reason));
      return false;
    }
  }
  ComponentConfig result;
  result.kind = kind;
  result.type = info->type;
  result.spec = info->spec;
  result.value = info->spec->makeDefault();
  if (!info->spec->decode(n, info->spec->access(result.value), ctx, "type")) return false;
  result.source = canonicalText(n);
  out = std::move(result);
  return true;
}

}  // namespace detail

bool isSnakeCase(std::string_view name) {
  if (name.empty() || !std::islower(static_cast<unsigned char>(name[0]))) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    if (!ok || (c == '_' && (i + 1 == name.size() || name[i + 1] == '_'))) return false;
  }
  return true;
}

namespace {

void lintInto(const ObjectSpec& spec, const std::string& prefix, std::vector<std::string>& out,
              std::set<const ObjectSpec*>& visited) {
  if (!visited.insert(&spec).second) return;
  std::set<std::string> names;
  for (const auto& o : spec.options()) {
    const std::string where = "option '" + prefix + o.name + "'";
    if (!isSnakeCase(o.name)) out.push_back(where + ": name is not snake_case");
    if (!names.insert(o.name).second) out.push_back(where + ": declared twice");
    if (o.doc.empty()) out.push_back(where + ": no doc string");
    if (o.required && !o.example && o.type.kind != ValueKind::kObject &&
        !(o.type.kind == ValueKind::kList && o.type.element &&
          o.type.element->kind == ValueKind::kObject)) {
      out.push_back(where + ": required but has no example");
    }
    // Examples and scalar defaults must pass the option's own validation.
    auto validate = [&](const Json& value, const char* what) {
      if (o.type.kind == ValueKind::kComponent ||
          (o.type.element && o.type.element->kind == ValueKind::kComponent)) {
        return;  // needs the registry; checked through the component examples instead
      }
      ParseContext ctx("", nullptr);
      std::any scratch = spec.makeDefault();
      auto scope = ctx.enter(o.name);
      o.decode(nodeFromJson(value), spec.access(scratch), ctx);
      for (const auto& e : ctx.takeErrors()) {
        out.push_back(where + ": " + what + " does not validate: " + e.reason);
      }
    };
    if (o.example) validate(*o.example, "example");
    if (o.type.kind != ValueKind::kObject && o.type.kind != ValueKind::kList) {
      if (auto d = spec.defaultOf(o)) validate(*d, "default");
    }
    const TypeDesc* t = &o.type;
    std::string nested = prefix + o.name;
    if (t->kind == ValueKind::kList && t->element) {
      t = t->element.get();
      nested += "[]";
    }
    if (t->kind == ValueKind::kObject && t->object)
      lintInto(*t->object, nested + ".", out, visited);
  }
}

}  // namespace

std::vector<std::string> lintSpec(const ObjectSpec& spec) {
  std::vector<std::string> out;
  std::set<const ObjectSpec*> visited;
  lintInto(spec, "", out, visited);
  return out;
}

}  // namespace sf::config
