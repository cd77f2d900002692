#include "config/schema.h"

#include <map>

namespace sf::config {
namespace {

class SchemaBuilder {
 public:
  explicit SchemaBuilder(const Registry* registry) : registry_(registry) {}

  Json object(const ObjectSpec& spec, const ComponentInfo* component) {
    Json s = Json::object();
    s["type"] = "object";
    if (!spec.doc().empty()) s["description"] = spec.doc();
    Json properties = Json::object();
    Json required = Json::array();
    if (component != nullptr) {
      properties["type"] =
          Json{{"const", component->type},
               {"description", "Selects the " + component->type + " " +
                                   std::string(componentKindName(component->kind)) + "."}};
      required.push_back("type");
    }
    for (const auto& o : spec.options()) {
      properties[o.name] = option(spec, o);
      if (o.required) required.push_back(o.name);
    }
    s["properties"] = std::move(properties);
    if (!required.empty()) s["required"] = std::move(required);
    s["additionalProperties"] = false;
    return s;
  }

  Json document(Json body, const std::string& title, const SchemaOptions& options) {
    Json s = Json::object();
    s["$schema"] = kJsonSchemaDialect;
    if (!options.id.empty()) s["$id"] = options.id;
    if (!title.empty()) s["title"] = title;
    for (auto& [k, v] : body.items()) s[k] = v;
    if (!defs_.empty()) {
      Json defs = Json::object();
      for (auto& [k, v] : defs_) defs[k] = v;
      s["$defs"] = std::move(defs);
    }
    return s;
  }

 private:
  Json option(const ObjectSpec& owner, const Option& o) {
    Json s = type(o.type, &o);
    if (!o.doc.empty()) s["description"] = o.doc;
    if (o.type.kind != ValueKind::kObject && o.type.kind != ValueKind::kComponent) {
      if (auto d = owner.defaultOf(o)) s["default"] = *d;
    }
    if (o.example) s["examples"] = Json::array({*o.example});
    if (o.secret) {
      s["writeOnly"] = true;
      s["x-secret"] = true;
    }
    if (o.advanced) s["x-advanced"] = true;
    return s;
  }

  // `o` is set for an option's own type (not for list elements): ranges apply there.
  Json type(const TypeDesc& t, const Option* o) {
    Json s = Json::object();
    auto numericRange = [&](bool integer) {
      std::optional<Json> lo = o && o->minimum ? o->minimum : (integer ? t.type_min : std::nullopt);
      std::optional<Json> hi = o && o->maximum ? o->maximum : (integer ? t.type_max : std::nullopt);
      if (lo) s["minimum"] = *lo;
      if (hi) s["maximum"] = *hi;
    };
    switch (t.kind) {
      case ValueKind::kBool:
        s["type"] = "boolean";
        break;
      case ValueKind::kInt:
      case ValueKind::kUint:
        s["type"] = "integer";
        numericRange(true);
        break;
      case ValueKind::kDouble:
        s["type"] = "number";
        numericRange(false);
        break;
      case ValueKind::kString:
        s["type"] = "string";
        if (o && o->non_empty) s["minLength"] = 1;
        break;
      case ValueKind::kDuration:
        s["type"] = "string";
        s["pattern"] = kDurationPattern;
        s["x-type"] = "duration";
        if (o && o->minimum) s["x-minimum"] = *o->minimum;
        if (o && o->maximum) s["x-maximum"] = *o->maximum;
        break;
      case ValueKind::kBytes:
        s["type"] = Json::array({"integer", "string"});
        s["minimum"] = 0;
        if (o && o->minimum) {
          if (auto b = parseByteSize(o->minimum->get<std::string>())) s["minimum"] = b->bytes;
        }
        if (o && o->maximum) {
          if (auto b = parseByteSize(o->maximum->get<std::string>())) s["maximum"] = b->bytes;
        }
        s["pattern"] = kByteSizePattern;
        s["x-type"] = "bytes";
        if (o && o->minimum) s["x-minimum"] = *o->minimum;
        if (o && o->maximum) s["x-maximum"] = *o->maximum;
        break;
      case ValueKind::kEnum:
        s["type"] = "string";
        s["enum"] = t.enum_values;
        break;
      case ValueKind::kList:
        s["type"] = "array";
        s["items"] = t.element ? type(*t.element, nullptr) : Json::object();
        if (o && o->non_empty) s["minItems"] = 1;
        break;
      case ValueKind::kMap:
        s["type"] = "object";
        s["additionalProperties"] = Json{{"type", "string"}};
        if (o && o->non_empty) s["minProperties"] = 1;
        break;
      case ValueKind::kObject:
        if (t.object) s = object(*t.object, nullptr);
        break;
      case ValueKind::kComponent:
        s = component(t.component);
        break;
    }
    return s;
  }

  Json component(ComponentKind kind) {
    std::vector<const ComponentInfo*> infos;
    if (registry_ != nullptr) infos = registry_->list(kind);
    if (infos.empty()) {
      return Json{{"type", "object"},
                  {"properties", {{"type", {{"type", "string"}}}}},
                  {"required", {"type"}}};
    }
    Json one_of = Json::array();
    for (const ComponentInfo* info : infos) {
      std::string name = std::string(componentKindName(kind)) + "." + info->type;
      if (defs_.find(name) == defs_.end()) {
        defs_[name] = Json();  // placeholder: a component may (indirectly) contain its own kind
        Json def = Json{{"title", info->type}};
        if (info->spec->doc().empty() && !info->summary.empty()) {
          def["description"] = info->summary;
        }
        Json body = object(*info->spec, info);
        for (auto& [k, v] : body.items()) def[k] = std::move(v);
        defs_[name] = std::move(def);
      }
      one_of.push_back(Json{{"$ref", "#/$defs/" + name}});
    }
    return Json{{"type", "object"}, {"oneOf", std::move(one_of)}};
  }

  const Registry* registry_;
  std::map<std::string, Json> defs_;  // sorted: deterministic output
};

}  // namespace

Json jsonSchema(const ObjectSpec& spec, const SchemaOptions& options) {
  SchemaBuilder b(options.registry);
  Json body = b.object(spec, nullptr);
  return b.document(std::move(body), options.title.empty() ? spec.title() : options.title, options);
}

Json componentSchema(const ComponentInfo& info, const SchemaOptions& options) {
  SchemaBuilder b(options.registry);
  Json body = b.object(*info.spec, &info);
  if (!body.contains("description") && !info.summary.empty()) {
    // keep "type" first, then description
    Json reordered = Json::object();
    reordered["type"] = body["type"];
    reordered["description"] = info.summary;
    for (auto& [k, v] : body.items()) {
      if (k != "type") reordered[k] = v;
    }
    body = std::move(reordered);
  }
  return b.document(std::move(body), options.title.empty() ? info.type : options.title, options);
}

}  // namespace sf::config
