// `streamforge modbus`: tools for the Modbus adapters (docs/MODBUS.md).
//   plan  CONFIG   the read requests per device and poll group the adapters will send
//   read  CONFIG   connect, poll every device once, print the records
//   write CONFIG   write one tag (the device must have writes_enabled: true)
// CONFIG is a gateway configuration (its `adapters:` of type modbus_tcp / modbus_rtu are used)
// or a single adapter object with `type:`.

#include <yaml-cpp/yaml.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <charconv>
#include <cstdio>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "app/command_util.h"
#include "config/loader.h"
#include "config/parse.h"
#include "dataplane/adapters/modbus/adapter.h"
#include "dataplane/adapters/modbus/factory.h"
#include "dataplane/adapters/modbus/plan.h"

namespace sf::app {
namespace {

struct Loaded {
  config::ComponentConfig component;
  const runtime::AdapterFactory* factory = nullptr;
  const modbus::ModbusCommonConfig* common = nullptr;
};

const runtime::AdapterFactory* factoryFor(const std::string& type) {
  if (type == "modbus_tcp") return &modbus::modbusTcpFactory();
  if (type == "modbus_rtu") return &modbus::modbusRtuFactory();
  return nullptr;
}

// Every Modbus adapter of the file, or the errors that keep it from loading.
core::Result<std::vector<Loaded>> loadAdapters(const std::string& path) {
  auto text = config::readConfigText(path, 16u << 20);
  if (!text) return core::fail(core::Errc::kInvalidConfig, text.errorText());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return core::fail(core::Errc::kInvalidConfig, path + ": " + e.what());
  }
  std::vector<YAML::Node> items;
  if (root.IsMap() && root["adapters"] && root["adapters"].IsSequence()) {
    for (const auto& a : root["adapters"]) items.push_back(a);
  } else if (root.IsMap() && root["type"]) {
    items.push_back(root);
  } else {
    return core::fail(
        core::Errc::kInvalidConfig,
        path + ": neither a gateway config with `adapters:` nor an adapter with `type:`");
  }
  config::Registry registry;
  SF_TRY(registry.add(modbus::modbusTcpFactory().info));
  SF_TRY(registry.add(modbus::modbusRtuFactory().info));
  config::ParseOptions po = config::parseOptionsFor(path, config::LoadOptions{&registry});
  std::vector<Loaded> out;
  std::string errors;
  for (const auto& item : items) {
    const auto type = item["type"] ? item["type"].as<std::string>("") : std::string();
    const auto* factory = factoryFor(type);
    if (factory == nullptr) continue;
    YAML::Emitter em;
    em << item;
    auto cc = config::parseComponentYaml(em.c_str(), config::ComponentKind::kAdapter, po);
    if (!cc) {
      errors += cc.errorText() + "\n";
      continue;
    }
    Loaded l;
    l.component = std::move(*cc);
    l.factory = factory;
    if (const auto* t = l.component.as<modbus::ModbusTcpConfig>()) l.common = t;
    if (const auto* r = l.component.as<modbus::ModbusRtuConfig>()) l.common = r;
    out.push_back(std::move(l));
  }
  if (!errors.empty()) return core::fail(core::Errc::kInvalidConfig, errors);
  if (out.empty()) {
    return core::fail(core::Errc::kInvalidConfig, path + ": no modbus_tcp or modbus_rtu adapter");
  }
  return out;
}

class PrintingEmitter : public runtime::RecordEmitter {
 public:
  void emit(std::vector<model::Record> records,
            std::function<void(core::Status)> durable) override {
    std::lock_guard lock(mu_);
    for (const auto& r : records) {
      if (r.log() != nullptr) {
        std::printf("%s/%s: %s\n", r.adapter.c_str(), r.device.c_str(), r.log()->message.c_str());
        continue;
      }
      std::string value;
      const auto& v = r.value;
      if (const auto* b = v.get<bool>()) value = *b ? "true" : "false";
      if (const auto* i = v.get<int64_t>()) value = std::to_string(*i);
      if (const auto* u = v.get<uint64_t>()) value = std::to_string(*u);
      if (const auto* d = v.get<double>()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", *d);
        value = buf;
      }
      if (const auto* s = v.get<std::string>()) value = "\"" + *s + "\"";
      if (r.quality.level == model::QualityLevel::kGood) {
        std::printf("%s/%s/%s = %s\n", r.adapter.c_str(), r.device.c_str(), r.tag.c_str(),
                    value.c_str());
      } else {
        std::printf("%s/%s/%s: bad (code 0x%X: %s)\n", r.adapter.c_str(), r.device.c_str(),
                    r.tag.c_str(), r.quality.code, r.quality.text.c_str());
        ++bad;
      }
    }
    if (durable) durable(core::ok());
  }
  size_t bad = 0;

 private:
  std::mutex mu_;
};

model::Value parseValue(const std::string& text, bool as_string) {
  if (as_string) return model::Value::ofString(text);
  if (text == "true") return model::Value::ofBool(true);
  if (text == "false") return model::Value::ofBool(false);
  int64_t i = 0;
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (e == std::errc() && p == text.data() + text.size()) return model::Value::ofInt64(i);
  uint64_t u = 0;
  auto [pu, eu] = std::from_chars(text.data(), text.data() + text.size(), u);
  if (eu == std::errc() && pu == text.data() + text.size()) return model::Value::ofUInt64(u);
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size()) return model::Value::ofDouble(d);
  return model::Value::ofString(text);
}

// Runs `fn(adapter)` on a fresh adapter of `l` on its own strand, after connect().
int withAdapter(const Loaded& l, PrintingEmitter& emitter,
                std::function<asio::awaitable<core::Status>(runtime::Adapter&)> fn) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  runtime::AdapterContext ctx{
      l.factory->name(l.component), l.component.type, "", "cli", strand, &emitter};
  auto adapter = l.factory->create(l.component, ctx);
  if (!adapter) {
    std::fprintf(stderr, "streamforge modbus: %s\n", adapter.error().toString().c_str());
    return kExitUsage;
  }
  core::Status result;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        result = co_await (*adapter)->connect();
        if (result) result = co_await fn(**adapter);
        co_await (*adapter)->close();
      },
      asio::detached);
  io.run();
  if (!result) {
    std::fprintf(stderr, "streamforge modbus: %s: %s\n", ctx.name.c_str(),
                 result.error().toString().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int cmdModbus(const Argv& argv) {
  Args args("modbus", "Modbus tools: the read plan, one poll, a write (docs/MODBUS.md)");
  args.positional("ACTION", "plan | read | write");
  args.positional("CONFIG", "gateway config, or one adapter object with `type:`");
  args.option("format", "FORMAT", "plan: text or json", "text");
  args.option("adapter", "NAME", "Only this adapter (read, write)");
  args.option("device", "NAME", "write: the device");
  args.option("tag", "NAME", "write: the tag");
  args.option("value", "VALUE", "write: the raw value (true/false, integer, number, text)");
  args.flag("string", "write: take VALUE as text even if it looks like a number");
  if (auto code = parseOrExit(args, argv)) return *code;
  const auto& pos = args.positionals();
  const std::string action = pos[0];
  auto loaded = loadAdapters(pos[1]);
  if (!loaded) {
    std::fprintf(stderr, "streamforge modbus: %s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  std::vector<const Loaded*> selected;
  for (const auto& l : *loaded) {
    if (!args.has("adapter") || l.common->name == args.get("adapter")) selected.push_back(&l);
  }
  if (selected.empty()) {
    std::fprintf(stderr, "streamforge modbus: no adapter named '%s'\n",
                 args.get("adapter").c_str());
    return kExitUsage;
  }

  if (action == "plan") {
    const bool json = args.get("format") == "json";
    if (json) std::printf("[");
    for (size_t i = 0; i < selected.size(); ++i) {
      const auto& c = *selected[i]->common;
      auto plans = modbus::planAdapter(c);
      if (json) {
        std::printf("%s{\"adapter\": \"%s\", \"type\": \"%s\", \"plan\": %s}", i ? ", " : "",
                    c.name.c_str(), selected[i]->component.type.c_str(),
                    modbus::planJson(c, plans).c_str());
      } else {
        std::printf("adapter %s (%s)\n%s", c.name.c_str(), selected[i]->component.type.c_str(),
                    modbus::describePlan(c, plans).c_str());
      }
    }
    if (json) std::printf("]\n");
    return kExitOk;
  }

  if (action == "read") {
    PrintingEmitter emitter;
    int rc = kExitOk;
    for (const auto* l : selected) {
      rc = std::max(
          rc, withAdapter(*l, emitter, [](runtime::Adapter& a) -> asio::awaitable<core::Status> {
            co_await static_cast<modbus::ModbusAdapter&>(a).pollOnce();
            co_return core::ok();
          }));
    }
    if (rc == kExitOk && emitter.bad > 0) rc = kExitFailure;
    return rc;
  }

  if (action == "write") {
    if (selected.size() != 1 || !args.has("device") || !args.has("tag") || !args.has("value")) {
      std::fprintf(stderr,
                   "streamforge modbus write: needs --device, --tag, --value (and --adapter when "
                   "the config has several)\n");
      return kExitUsage;
    }
    const auto device = args.get("device"), tag = args.get("tag");
    const auto value = parseValue(args.get("value"), args.has("string"));
    PrintingEmitter emitter;
    int rc = withAdapter(*selected[0], emitter,
                         [&](runtime::Adapter& a) -> asio::awaitable<core::Status> {
                           co_return co_await a.write(device, tag, value);
                         });
    if (rc == kExitOk) std::printf("wrote %s/%s\n", device.c_str(), tag.c_str());
    return rc;
  }

  std::fprintf(stderr, "streamforge modbus: unknown action '%s' (plan, read, write)\n",
               action.c_str());
  return kExitUsage;
}

}  // namespace sf::app
