#pragma once
// Option specs: every adapter, output, sink and transform declares each of its options once, in
// C++, bound to a member of its config struct. From that one declaration come parsing with every
// error located (parse.h), the JSON Schema the API serves (schema.h), and the Markdown reference
// and example configs in docs/reference/ (reference.h).
//
//   struct ModbusTcpConfig {
//     std::string host;
//     uint16_t port = 502;                          // the default is the member's initial value
//     std::chrono::milliseconds poll_interval{1000};
//     std::string password;
//     std::vector<DeviceConfig> devices;
//   };
//
//   const Spec<ModbusTcpConfig>& modbusTcpSpec() {
//     static const Spec<ModbusTcpConfig> spec = [] {
//       Spec<ModbusTcpConfig> s("modbus_tcp", "Polls registers from a Modbus TCP server.");
//       s.option("host", &ModbusTcpConfig::host).required().doc("Server
//       address.").example("10.0.0.5"); s.option("port", &ModbusTcpConfig::port).range(1,
//       65535).doc("TCP port."); s.option("poll_interval",
//       &ModbusTcpConfig::poll_interval).min(10ms).doc("..."); s.option("password",
//       &ModbusTcpConfig::password).secret().doc("..."); s.option("devices",
//       &ModbusTcpConfig::devices, deviceSpec()).required().nonEmpty(); s.check([](const
//       ModbusTcpConfig& c, Checker& k) { /* cross-field rules, pure */ }); return s;
//     }();
//     return spec;
//   }
//
// Value types come from the member: bool, integers (bounds of the C++ type are enforced),
// floating point, std::string (an enum with .oneOf), std::chrono durations ("250ms"), ByteSize
// ("64MiB"), StringMap, a C++ enum with an EnumTable, a nested struct with its own Spec,
// ComponentConfig for polymorphic objects picked by their `type` key (see registry.h), and
// std::vector / std::optional of any of these. An absent option keeps the default; an absent
// std::optional stays empty.
//
// Thread-safety: build a spec once (e.g. a function-local static), then share it; every const
// operation is safe from any thread. Building is not thread-safe. ParseContext and Checker are
// per parse call.

#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/error.h"
#include "config/node.h"
#include "config/units.h"

namespace sf::config {

// Ordered so that rendered configs and schemas keep declaration order.
using Json = nlohmann::ordered_json;
using StringMap = std::map<std::string, std::string>;

enum class ComponentKind { kAdapter, kOutput, kSink, kTransform };
inline constexpr ComponentKind kComponentKinds[] = {ComponentKind::kAdapter, ComponentKind::kOutput,
                                                    ComponentKind::kSink,
                                                    ComponentKind::kTransform};
std::string_view componentKindName(ComponentKind kind);    // "adapter"
std::string_view componentKindPlural(ComponentKind kind);  // "adapters"

class ObjectSpec;
class Registry;

enum class ValueKind {
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kDuration,
  kBytes,
  kEnum,
  kList,
  kMap,  // StringMap
  kObject,
  kComponent,  // polymorphic, chosen by `type`
};

// What an option holds, for schema and documentation. std::optional is transparent here.
struct TypeDesc {
  ValueKind kind = ValueKind::kString;
  std::vector<std::string> enum_values;               // kEnum
  std::shared_ptr<const TypeDesc> element;            // kList
  std::shared_ptr<const ObjectSpec> object;           // kObject
  ComponentKind component = ComponentKind::kAdapter;  // kComponent
  std::optional<Json> type_min, type_max;             // implied by the C++ type, e.g. 0..65535
};

// "integer", "list of string", "one of `a`, `b`", "list of adapter".
std::string typeName(const TypeDesc& type);

// Secrets render as "***" (empty values stay empty so "not set" remains visible).
inline constexpr std::string_view kRedacted = "***";
struct RenderOptions {
  bool redact_secrets = true;
};

struct ParseOptions {
  std::string file = {};               // for error messages: "gateway.yaml:14:7: ..."
  const Registry* registry = nullptr;  // resolves polymorphic (`type:`) options
  EnvLookup env = {};                  // expands ${VAR} when set; literal text when empty
};

// Per-parse state: the JSON Pointer of the value being decoded, the errors so far, and where
// each value was written. Decoders report into it and carry on, so all errors are collected.
class ParseContext {
 public:
  ParseContext(std::string file, const Registry* registry)
      : file_(std::move(file)), registry_(registry) {}

  const Registry* registry() const { return registry_; }
  const std::string& path() const { return path_; }
  bool secret() const { return secret_; }

  void error(ConfigErrc code, Mark mark, std::string reason) {
    errorAt(code, path_, mark, std::move(reason));
  }
  void errorAt(ConfigErrc code, std::string path, Mark mark, std::string reason) {
    if (code != ConfigErrc::kInvalid && code != ConfigErrc::kUnknownKey) ++blocking_;
    errors_.push_back(ConfigError{code, file_, mark, std::move(path), std::move(reason)});
  }
  size_t errorCount() const { return errors_.size(); }
  // Errors after which a value may not hold what the file says (it kept its default): all but
  // check() findings and ignored unknown keys. check() rules run only when none occurred below.
  size_t blockingErrorCount() const { return blocking_; }
  std::vector<ConfigError> takeErrors() { return std::move(errors_); }

  // Descends into a map key or list index until the scope ends. Inside a secret option,
  // messages never quote the value.
  class [[nodiscard]] Scope {
   public:
    ~Scope() {
      ctx_.path_.resize(length_);
      ctx_.secret_ = secret_;
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    friend class ParseContext;
    Scope(ParseContext& ctx, std::string_view token, bool secret)
        : ctx_(ctx), length_(ctx.path_.size()), secret_(ctx.secret_) {
      ctx.path_ = appendPointer(ctx.path_, token);
      ctx.secret_ = ctx.secret_ || secret;
    }
    ParseContext& ctx_;
    size_t length_;
    bool secret_;
  };
  Scope enter(std::string_view key, bool secret = false) { return Scope(*this, key, secret); }
  Scope enter(size_t index) { return Scope(*this, std::to_string(index), false); }

  void recordMark(Mark mark) {
    if (mark.known()) marks_[path_] = mark;
  }
  Mark markOf(const std::string& pointer) const {
    auto it = marks_.find(pointer);
    return it == marks_.end() ? Mark{} : it->second;
  }

  // For messages: "'abc'", "the number 5", "a list", "null"; never a secret's text.
  std::string describe(const Node& node) const;
  // A rendered value in a message ("70000", "2h"), or "the value" inside a secret.
  std::string show(const Json& value) const;

 private:
  std::string file_;
  const Registry* registry_;
  std::string path_;
  bool secret_ = false;
  std::vector<ConfigError> errors_;
  size_t blocking_ = 0;
  std::unordered_map<std::string, Mark> marks_;
};

// Given to a spec's check() functions: reports a cross-field problem at an option's location.
class Checker {
 public:
  Checker(ParseContext& ctx, Mark object_mark) : ctx_(ctx), object_mark_(object_mark) {}
  // `relative` is a JSON Pointer below the checked object without the leading '/' ("end",
  // "registers/3/address"); "" means the object itself.
  void error(std::string_view relative, std::string reason);

 private:
  ParseContext& ctx_;
  Mark object_mark_;
};

// One declared option: its metadata and its type-erased binding to the struct member.
struct Option {
  std::string name;
  TypeDesc type;
  std::string doc;
  std::optional<Json> example;
  std::optional<Json> minimum, maximum;  // explicit range, rendered like values ("10ms")
  bool required = false;
  bool secret = false;
  bool advanced = false;
  bool non_empty = false;
  std::function<void(const Node&, void* object, ParseContext&)> decode;
  std::function<Json(const void* object, const RenderOptions&)> encode;
};

// The type-erased form of a Spec<T>: what the schema, reference and registry work from.
class ObjectSpec {
 public:
  const std::string& title() const { return title_; }
  const std::string& doc() const { return doc_; }
  const std::vector<Option>& options() const { return options_; }
  const Option* find(std::string_view name) const;
  std::vector<std::string> optionNames() const;

  // The default of an option, rendered from the prototype; nullopt when the option is
  // required, secret or has no value by default (an empty std::optional).
  std::optional<Json> defaultOf(const Option& option) const;
  // Renders an instance (a T* for a Spec<T>) in declaration order; empty optionals omitted.
  Json render(const void* object, const RenderOptions& options) const;

  // A copy of the prototype (T with all defaults) in a std::any, and access to it as T*.
  const std::any& prototype() const { return prototype_; }
  std::any makeDefault() const { return prototype_; }
  void* access(std::any& value) const { return access_(value); }
  const void* access(const std::any& value) const {
    return access_(const_cast<std::any&>(value));  // NOLINT: read-only use
  }

  // Decodes a mapping into `object`, reporting every problem into ctx. `discriminator` names
  // a key that is consumed elsewhere (the `type` of a component). Returns true when every value
  // decoded; check() findings are reported but leave the decoded values in place, so checks of
  // enclosing objects still run (all cross-field problems are listed in one pass).
  bool decode(const Node& node, void* object, ParseContext& ctx,
              std::string_view discriminator = {}) const;

 private:
  template <class T>
  friend class Spec;
  template <class T, class V>
  friend class OptionBuilder;

  std::string title_;
  std::string doc_;
  std::vector<Option> options_;
  std::any prototype_;
  std::function<void*(std::any&)> access_;
  std::vector<std::function<void(const void*, Checker&)>> checks_;
};

// The value of a polymorphic option: which registered component, and its typed config.
struct ComponentConfig {
  ComponentKind kind = ComponentKind::kAdapter;
  std::string type;
  std::any value;                          // the component's config struct
  std::shared_ptr<const ObjectSpec> spec;  // the registered spec that decoded it
  // The options as written (after ${VAR} expansion) in a canonical text form, when decoded
  // from a document: equal sources mean equal configs, which spares the comparison of rendered
  // values for the components a reload leaves unchanged.
  std::string source;

  template <class C>
  const C* as() const {
    return std::any_cast<C>(&value);
  }
  // Mutable access forgets `source`: the value may no longer be what was written.
  template <class C>
  C* as() {
    source.clear();
    return std::any_cast<C>(&value);
  }
  // {"type": "...", <options>}.
  Json toJson(const RenderOptions& options = {}) const;
  // Same kind, type and (unredacted) options: what a live reconfiguration diffs on.
  friend bool operator==(const ComponentConfig& a, const ComponentConfig& b);
};

// Names for a C++ enum's values as written in config files.
template <class E>
using EnumTable = std::vector<std::pair<std::string, E>>;

namespace detail {

template <class V>
struct IsVector : std::false_type {};
template <class E, class A>
struct IsVector<std::vector<E, A>> : std::true_type {};
template <class V>
struct IsOptional : std::false_type {};
template <class E>
struct IsOptional<std::optional<E>> : std::true_type {};
template <class V>
struct IsDuration : std::false_type {};
template <class R, class P>
struct IsDuration<std::chrono::duration<R, P>> : std::true_type {};

// The element of a std::vector or std::optional, else V.
template <class V>
struct InnerOf {
  using type = V;
};
template <class E>
struct InnerOf<std::vector<E>> {
  using type = E;
};
template <class E>
struct InnerOf<std::optional<E>> {
  using type = E;
};
template <class V>
using Inner = typename InnerOf<V>::type;

// V without std::optional: what min/max/oneOf/nonEmpty compare.
template <class V>
using Unwrapped = std::conditional_t<IsOptional<V>::value, Inner<V>, V>;
template <class V>
const Unwrapped<V>* unwrap(const V& v) {
  if constexpr (IsOptional<V>::value) {
    return v ? &*v : nullptr;
  } else {
    return &v;
  }
}

template <class>
inline constexpr bool kAlwaysFalse = false;

// B is T or a base class of T, so `&Base::member` binds as a member of T.
template <class B, class T>
concept BaseOf = std::is_base_of_v<B, T>;
template <class V>
concept NestedObject = std::is_class_v<Inner<V>> && !std::is_same_v<Inner<V>, ComponentConfig>;
template <class V>
concept EnumValue = std::is_enum_v<Inner<V>>;
template <class V>
concept Polymorphic = std::is_same_v<Inner<V>, ComponentConfig>;

// Scalar decoders (spec.cc). Each reports its own error and returns false on failure.
bool decodeBool(const Node& n, bool& out, ParseContext& ctx);
bool decodeInt(const Node& n, int64_t min, int64_t max, int64_t& out, ParseContext& ctx);
bool decodeUint(const Node& n, uint64_t min, uint64_t max, uint64_t& out, ParseContext& ctx);
bool decodeDouble(const Node& n, double& out, ParseContext& ctx);
bool decodeString(const Node& n, std::string& out, ParseContext& ctx);
bool decodeDuration(const Node& n, std::chrono::nanoseconds& out, ParseContext& ctx);
bool decodeBytes(const Node& n, ByteSize& out, ParseContext& ctx);
bool decodeStringMap(const Node& n, StringMap& out, ParseContext& ctx);
bool decodeEnum(const Node& n, const std::vector<std::string>& names, size_t& index,
                ParseContext& ctx);
bool decodeComponent(ComponentKind kind, const Node& n, ComponentConfig& out, ParseContext& ctx);
bool expectList(const Node& n, ParseContext& ctx);
// A value as text in a message: strings bare, everything else as JSON.
std::string display(const Json& value);

// How one C++ type is read from a Node and written back to JSON.
template <class V>
struct Codec {
  TypeDesc type;
  std::function<bool(const Node&, V&, ParseContext&)> decode;
  std::function<Json(const V&, const RenderOptions&)> encode;
};

template <class E>
Codec<std::vector<E>> listCodec(Codec<E> element) {
  Codec<std::vector<E>> c;
  c.type.kind = ValueKind::kList;
  c.type.element = std::make_shared<const TypeDesc>(element.type);
  c.decode = [element](const Node& n, std::vector<E>& out, ParseContext& ctx) {
    if (!expectList(n, ctx)) return false;
    std::vector<E> result;
    bool ok = true;
    for (size_t i = 0; i < n.items.size(); ++i) {
      auto scope = ctx.enter(i);
      ctx.recordMark(n.items[i].mark);
      E e{};
      if (n.items[i].reported || !element.decode(n.items[i], e, ctx)) {
        ok = false;
        continue;
      }
      result.push_back(std::move(e));
    }
    if (ok) out = std::move(result);
    return ok;
  };
  c.encode = [element](const std::vector<E>& v, const RenderOptions& o) {
    Json a = Json::array();
    for (const auto& e : v) a.push_back(element.encode(e, o));
    return a;
  };
  return c;
}

// null (`tls:` or `tls: ~`) leaves an optional empty.
template <class E>
Codec<std::optional<E>> optionalCodec(Codec<E> inner) {
  Codec<std::optional<E>> c;
  c.type = inner.type;
  c.decode = [inner](const Node& n, std::optional<E>& out, ParseContext& ctx) {
    if (n.kind == Node::Kind::kNull) {
      out.reset();
      return true;
    }
    E e = out ? *out : E{};
    if (!inner.decode(n, e, ctx)) return false;
    out = std::move(e);
    return true;
  };
  c.encode = [inner](const std::optional<E>& v, const RenderOptions& o) {
    return v ? inner.encode(*v, o) : Json();
  };
  return c;
}

// Integers within [lo, hi]: the C++ type's bounds, narrowed by min()/max() so that the message
// names the documented limit ("300 is above the maximum 247", not 255).
template <class V>
using WideInt = std::conditional_t<std::is_signed_v<V>, int64_t, uint64_t>;
template <class V>
Codec<V> integerCodec(WideInt<V> lo, WideInt<V> hi) {
  Codec<V> c;
  c.type.kind = std::is_signed_v<V> ? ValueKind::kInt : ValueKind::kUint;
  if (lo != std::numeric_limits<WideInt<V>>::min() || std::is_unsigned_v<V>) c.type.type_min = lo;
  if (hi != std::numeric_limits<WideInt<V>>::max()) c.type.type_max = hi;
  c.decode = [lo, hi](const Node& n, V& out, ParseContext& ctx) {
    WideInt<V> v = 0;
    bool ok = false;
    if constexpr (std::is_signed_v<V>) {
      ok = decodeInt(n, lo, hi, v, ctx);
    } else {
      ok = decodeUint(n, lo, hi, v, ctx);
    }
    if (ok) out = static_cast<V>(v);
    return ok;
  };
  c.encode = [](const V& v, const RenderOptions&) { return Json(static_cast<WideInt<V>>(v)); };
  return c;
}

template <class V>
Codec<V> defaultCodec() {
  Codec<V> c;
  if constexpr (std::is_same_v<V, bool>) {
    c.type.kind = ValueKind::kBool;
    c.decode = decodeBool;
    c.encode = [](const bool& v, const RenderOptions&) { return Json(v); };
  } else if constexpr (std::is_integral_v<V>) {
    return integerCodec<V>(std::numeric_limits<V>::min(), std::numeric_limits<V>::max());
  } else if constexpr (std::is_floating_point_v<V>) {
    c.type.kind = ValueKind::kDouble;
    c.decode = [](const Node& n, V& out, ParseContext& ctx) {
      double v = 0;
      if (!decodeDouble(n, v, ctx)) return false;
      out = static_cast<V>(v);
      return true;
    };
    c.encode = [](const V& v, const RenderOptions&) { return Json(static_cast<double>(v)); };
  } else if constexpr (std::is_same_v<V, std::string>) {
    c.type.kind = ValueKind::kString;
    c.decode = decodeString;
    c.encode = [](const std::string& v, const RenderOptions&) { return Json(v); };
  } else if constexpr (IsDuration<V>::value) {
    c.type.kind = ValueKind::kDuration;
    c.decode = [](const Node& n, V& out, ParseContext& ctx) {
      std::chrono::nanoseconds ns{};
      if (!decodeDuration(n, ns, ctx)) return false;
      V v = std::chrono::duration_cast<V>(ns);
      if constexpr (!std::is_floating_point_v<typename V::rep>) {
        if (std::chrono::duration_cast<std::chrono::nanoseconds>(v) != ns) {
          ctx.error(ConfigErrc::kRange, n.mark,
                    formatDuration(ns) + " is finer than this option's resolution of " +
                        formatDuration(std::chrono::duration_cast<std::chrono::nanoseconds>(V(1))));
          return false;
        }
      }
      out = v;
      return true;
    };
    c.encode = [](const V& v, const RenderOptions&) {
      return Json(formatDuration(std::chrono::duration_cast<std::chrono::nanoseconds>(v)));
    };
  } else if constexpr (std::is_same_v<V, ByteSize>) {
    c.type.kind = ValueKind::kBytes;
    c.decode = decodeBytes;
    c.encode = [](const ByteSize& v, const RenderOptions&) { return Json(formatByteSize(v)); };
  } else if constexpr (std::is_same_v<V, StringMap>) {
    c.type.kind = ValueKind::kMap;
    c.decode = decodeStringMap;
    c.encode = [](const StringMap& v, const RenderOptions&) {
      Json o = Json::object();
      for (const auto& [k, s] : v) o[k] = s;
      return o;
    };
  } else if constexpr (IsVector<V>::value) {
    return listCodec(defaultCodec<typename V::value_type>());
  } else if constexpr (IsOptional<V>::value) {
    return optionalCodec(defaultCodec<typename V::value_type>());
  } else {
    static_assert(kAlwaysFalse<V>,
                  "no built-in codec for this member type: bind a struct with its Spec, a C++ "
                  "enum with an EnumTable, a ComponentConfig with a ComponentKind");
  }
  return c;
}

template <class E>
Codec<E> objectCodec(const std::shared_ptr<const ObjectSpec>& spec) {
  Codec<E> c;
  c.type.kind = ValueKind::kObject;
  c.type.object = spec;
  c.decode = [spec](const Node& n, E& out, ParseContext& ctx) {
    // Start from the nested spec's defaults so behaviour matches the documented defaults.
    out = *std::any_cast<E>(&spec->prototype());
    return spec->decode(n, &out, ctx);
  };
  c.encode = [spec](const E& v, const RenderOptions& o) { return spec->render(&v, o); };
  return c;
}

template <class E>
Codec<E> enumCodec(EnumTable<E> table) {
  Codec<E> c;
  c.type.kind = ValueKind::kEnum;
  for (const auto& entry : table) c.type.enum_values.push_back(entry.first);
  auto names = c.type.enum_values;
  c.decode = [table, names](const Node& n, E& out, ParseContext& ctx) {
    size_t index = 0;
    if (!decodeEnum(n, names, index, ctx)) return false;
    out = table[index].second;
    return true;
  };
  c.encode = [table](const E& v, const RenderOptions&) {
    for (const auto& entry : table) {
      if (entry.second == v) return Json(entry.first);
    }
    return Json(static_cast<int64_t>(v));  // not in the table: a bug, shown rather than hidden
  };
  return c;
}

inline Codec<ComponentConfig> componentCodec(ComponentKind kind) {
  Codec<ComponentConfig> c;
  c.type.kind = ValueKind::kComponent;
  c.type.component = kind;
  c.decode = [kind](const Node& n, ComponentConfig& out, ParseContext& ctx) {
    return decodeComponent(kind, n, out, ctx);
  };
  c.encode = [](const ComponentConfig& v, const RenderOptions& o) { return v.toJson(o); };
  return c;
}

// Wraps a codec for E into one for M = E, std::vector<E> or std::optional<E>.
template <class M, class E>
Codec<M> lift(Codec<E> c) {
  if constexpr (std::is_same_v<M, E>) {
    return c;
  } else if constexpr (IsVector<M>::value) {
    return listCodec(lift<typename M::value_type>(std::move(c)));
  } else if constexpr (IsOptional<M>::value) {
    return optionalCodec(lift<typename M::value_type>(std::move(c)));
  } else {
    static_assert(kAlwaysFalse<M>, "member must be E, std::vector<E> or std::optional<E>");
  }
}

// The typed binding behind one Option; checks are added by the builder after creation.
template <class T, class V>
struct Binding {
  V T::*member = nullptr;
  Codec<V> codec;
  std::vector<std::function<void(const V&, const Node&, ParseContext&)>> checks;
};

}  // namespace detail

// Returned by Spec::option(); sets an option's metadata. Calls chain.
template <class T, class V>
class OptionBuilder {
 public:
  using Bound = detail::Unwrapped<V>;

  OptionBuilder& required() {
    option().required = true;
    return *this;
  }
  OptionBuilder& doc(std::string text) {
    option().doc = std::move(text);
    return *this;
  }
  // As it would be written in JSON: .example("10.0.0.5"), .example(502), .example("5s"),
  // .example(Json::array({...})). A secret's example should be a ${VAR} reference.
  OptionBuilder& example(Json value) {
    option().example = std::move(value);
    return *this;
  }
  // Never printed: rendered as "***", not quoted in error messages.
  OptionBuilder& secret() {
    option().secret = true;
    return *this;
  }
  // Rarely needed; UIs fold it away, the reference marks it.
  OptionBuilder& advanced() {
    option().advanced = true;
    return *this;
  }
  // Overrides the member's initial value as the default. Prefer initializing the member.
  OptionBuilder& defaultValue(V value) {
    std::any_cast<T&>(spec_->prototype_).*(binding_->member) = std::move(value);
    return *this;
  }
  OptionBuilder& min(Bound lo) { return bound(std::move(lo), true); }
  OptionBuilder& max(Bound hi) { return bound(std::move(hi), false); }
  OptionBuilder& range(Bound lo, Bound hi) { return min(std::move(lo)).max(std::move(hi)); }

  // Restricts a string option to these values (an enum in schema and docs).
  OptionBuilder& oneOf(std::vector<std::string> values) {
    static_assert(std::is_same_v<Bound, std::string>, "oneOf() applies to string options");
    option().type.kind = ValueKind::kEnum;
    option().type.enum_values = values;
    binding_->checks.push_back(
        [values = std::move(values)](const V& v, const Node& n, ParseContext& ctx) {
          const Bound* s = detail::unwrap(v);
          if (s == nullptr) return;
          size_t index = 0;
          Node copy = Node::scalar(*s, Node::Style::kQuoted, n.mark);
          detail::decodeEnum(copy, values, index, ctx);
        });
    return *this;
  }

  // Rejects "", [] and {} (strings, lists, maps).
  OptionBuilder& nonEmpty() {
    static_assert(
        requires(const Bound& b) { b.empty(); }, "nonEmpty() needs a string, list or map");
    option().non_empty = true;
    binding_->checks.push_back([](const V& v, const Node& n, ParseContext& ctx) {
      const Bound* b = detail::unwrap(v);
      if (b != nullptr && b->empty()) ctx.error(ConfigErrc::kRange, n.mark, "must not be empty");
    });
    return *this;
  }

 private:
  template <class>
  friend class Spec;
  OptionBuilder(std::shared_ptr<ObjectSpec> spec, size_t index,
                std::shared_ptr<detail::Binding<T, V>> binding)
      : spec_(std::move(spec)), index_(index), binding_(std::move(binding)) {}

  Option& option() { return spec_->options_[index_]; }

  OptionBuilder& bound(Bound limit, bool is_min) {
    static_assert(std::is_arithmetic_v<Bound> || detail::IsDuration<Bound>::value ||
                      std::is_same_v<Bound, ByteSize>,
                  "min()/max() apply to numbers, durations and byte sizes");
    auto codec = detail::defaultCodec<Bound>();
    Json shown = codec.encode(limit, {});
    (is_min ? option().minimum : option().maximum) = shown;
    if constexpr (std::is_integral_v<Bound> && !std::is_same_v<Bound, bool>) {
      // Narrow the integer decoder itself: one check, one message with the documented limit.
      (is_min ? int_min_ : int_max_) = limit;
      binding_->codec = detail::lift<V>(
          detail::integerCodec<Bound>(int_min_.value_or(std::numeric_limits<Bound>::min()),
                                      int_max_.value_or(std::numeric_limits<Bound>::max())));
      option().type = binding_->codec.type;
    } else {
      binding_->checks.push_back(
          [limit, shown, is_min, codec](const V& v, const Node& n, ParseContext& ctx) {
            const Bound* x = detail::unwrap(v);
            if (x == nullptr) return;
            if (is_min ? *x < limit : limit < *x) {
              // As the user wrote it ("1m30s"), not re-rendered ("90s").
              std::string value = n.isScalar() ? n.text : detail::display(codec.encode(*x, {}));
              ctx.error(ConfigErrc::kRange, n.mark,
                        (ctx.secret() ? std::string("the value") : value) +
                            (is_min ? " is below the minimum " : " is above the maximum ") +
                            detail::display(shown));
            }
          });
    }
    return *this;
  }

  std::shared_ptr<ObjectSpec> spec_;
  size_t index_;
  std::shared_ptr<detail::Binding<T, V>> binding_;
  std::optional<Bound> int_min_, int_max_;  // integer range set through this builder
};

// The declaration of a config struct T: its options in order, its defaults (a prototype T) and
// its cross-field checks. Copies share the same underlying ObjectSpec.
template <class T>
class Spec {
 public:
  // `title` names the object in docs (a component's type, or e.g. "device"); `doc` describes it.
  explicit Spec(std::string title = {}, std::string doc = {})
      : obj_(std::make_shared<ObjectSpec>()) {
    static_assert(std::is_default_constructible_v<T> && std::is_copy_constructible_v<T>);
    obj_->title_ = std::move(title);
    obj_->doc_ = std::move(doc);
    obj_->prototype_ = T{};
    obj_->access_ = [](std::any& a) -> void* { return std::any_cast<T>(&a); };
  }

  // Each option() binds a member of T or of a base class of T (`&Base::timeout` is fine).

  // Scalars, durations, ByteSize, StringMap, and std::vector / std::optional of those.
  template <class V, detail::BaseOf<T> B>
  OptionBuilder<T, V> option(std::string name, V B::*member) {
    return bind(std::move(name), static_cast<V T::*>(member), detail::defaultCodec<V>());
  }

  // A nested struct, std::optional<struct> or std::vector<struct>, declared by its own spec.
  template <detail::NestedObject V, detail::BaseOf<T> B>
  OptionBuilder<T, V> option(std::string name, V B::*member, const Spec<detail::Inner<V>>& nested) {
    using E = detail::Inner<V>;
    if constexpr (std::is_same_v<V, E>) prototypeRef().*member = nested.prototype();
    return bind(std::move(name), static_cast<V T::*>(member),
                detail::lift<V>(detail::objectCodec<E>(nested.shared())));
  }

  // A C++ enum (or a list / optional of one), written in files by the table's names.
  template <detail::EnumValue V, detail::BaseOf<T> B>
  OptionBuilder<T, V> option(std::string name, V B::*member, EnumTable<detail::Inner<V>> table) {
    return bind(std::move(name), static_cast<V T::*>(member),
                detail::lift<V>(detail::enumCodec<detail::Inner<V>>(std::move(table))));
  }

  // A polymorphic object (ComponentConfig) or list of them: each one's `type` key selects a
  // registered component of `kind`, whose spec decodes the rest.
  template <detail::Polymorphic V, detail::BaseOf<T> B>
  OptionBuilder<T, V> option(std::string name, V B::*member, ComponentKind kind) {
    return bind(std::move(name), static_cast<V T::*>(member),
                detail::lift<V>(detail::componentCodec(kind)));
  }

  // A cross-field rule, run once the object decoded without errors. Must be pure (no I/O).
  Spec& check(std::function<void(const T&, Checker&)> fn) {
    obj_->checks_.push_back(
        [fn = std::move(fn)](const void* obj, Checker& c) { fn(*static_cast<const T*>(obj), c); });
    return *this;
  }

  // T with every default applied.
  const T& prototype() const { return *std::any_cast<T>(&obj_->prototype_); }
  const ObjectSpec& object() const { return *obj_; }
  std::shared_ptr<const ObjectSpec> shared() const { return obj_; }

 private:
  T& prototypeRef() { return *std::any_cast<T>(&obj_->prototype_); }

  template <class V>
  OptionBuilder<T, V> bind(std::string name, V T::*member, detail::Codec<V> codec) {
    auto b = std::make_shared<detail::Binding<T, V>>();
    b->member = member;
    b->codec = std::move(codec);
    Option o;
    o.name = std::move(name);
    o.type = b->codec.type;
    o.decode = [b](const Node& n, void* obj, ParseContext& ctx) {
      V& dst = static_cast<T*>(obj)->*(b->member);
      const size_t before = ctx.blockingErrorCount();
      if (n.reported || !b->codec.decode(n, dst, ctx) || ctx.blockingErrorCount() != before) {
        return;
      }
      for (const auto& check : b->checks) check(dst, n, ctx);
    };
    o.encode = [b](const void* obj, const RenderOptions& r) {
      return b->codec.encode(static_cast<const T*>(obj)->*(b->member), r);
    };
    obj_->options_.push_back(std::move(o));
    return OptionBuilder<T, V>(obj_, obj_->options_.size() - 1, b);
  }

  std::shared_ptr<ObjectSpec> obj_;
};

// Problems a conformance test turns into failures: names that are not snake_case or repeat,
// options without doc, required options without example, examples that do not validate
// against their own option, defaults outside their range. Recurses into nested objects.
std::vector<std::string> lintSpec(const ObjectSpec& spec);

bool isSnakeCase(std::string_view name);

}  // namespace sf::config
