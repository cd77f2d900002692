#include "app/args.h"

#include <algorithm>

namespace sf::app {

Args::Args(std::string command, std::string summary, std::string usage_tail)
    : command_(std::move(command)),
      summary_(std::move(summary)),
      usage_tail_(std::move(usage_tail)) {}

Args& Args::flag(std::string name, std::string help) {
  flags_.push_back({std::move(name), "", std::move(help), ""});
  return *this;
}

Args& Args::option(std::string name, std::string value_name, std::string help,
                   std::string default_value) {
  flags_.push_back(
      {std::move(name), std::move(value_name), std::move(help), std::move(default_value)});
  return *this;
}

Args& Args::positional(std::string name, std::string help, bool required) {
  positional_specs_.emplace_back(std::move(name), std::move(help));
  if (required) required_positionals_ = positional_specs_.size();
  return *this;
}

core::Status Args::parse(const std::vector<std::string>& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      return core::ok();
    }
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2);
      std::string value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      auto it = std::find_if(flags_.begin(), flags_.end(),
                             [&](const FlagSpec& f) { return f.name == name; });
      if (it == flags_.end()) {
        return core::fail(
            core::Errc::kInvalidConfig,
            "unknown option --" + name + " (see `streamforge " + command_ + " --help`)");
      }
      if (it->value_name.empty()) {
        if (inline_value) {
          return core::fail(core::Errc::kInvalidConfig, "--" + name + " takes no value");
        }
        values_[name] = "true";
      } else {
        if (!inline_value) {
          if (i + 1 >= argv.size()) {
            return core::fail(core::Errc::kInvalidConfig,
                              "--" + name + " needs a value (" + it->value_name + ")");
          }
          value = argv[++i];
        }
        values_[name] = value;
      }
      continue;
    }
    positional_values_.push_back(a);
  }
  if (positional_values_.size() < required_positionals_) {
    return core::fail(core::Errc::kInvalidConfig,
                      "missing " + positional_specs_[positional_values_.size()].first +
                          " (see `streamforge " + command_ + " --help`)");
  }
  if (positional_values_.size() > positional_specs_.size() && usage_tail_.empty()) {
    return core::fail(core::Errc::kInvalidConfig,
                      "unexpected argument '" + positional_values_[positional_specs_.size()] + "'");
  }
  return core::ok();
}

std::string Args::helpText() const {
  std::string out =
      "streamforge " + command_ + " - " + summary_ + "\n\nUsage: streamforge " + command_;
  if (!flags_.empty()) out += " [options]";
  for (size_t i = 0; i < positional_specs_.size(); ++i) {
    out += i < required_positionals_ ? " " + positional_specs_[i].first
                                     : " [" + positional_specs_[i].first + "]";
  }
  if (!usage_tail_.empty()) out += " " + usage_tail_;
  out += "\n";
  if (!positional_specs_.empty()) {
    out += "\nArguments:\n";
    for (const auto& [n, h] : positional_specs_) {
      out += "  " + n + std::string(n.size() < 24 ? 24 - n.size() : 1, ' ') + h + "\n";
    }
  }
  out += "\nOptions:\n";
  for (const auto& f : flags_) {
    std::string left = "--" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
    out += "  " + left + std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') + f.help;
    if (!f.default_value.empty()) out += " (default: " + f.default_value + ")";
    out += "\n";
  }
  out += "  -h, --help              Show this help\n";
  return out;
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  for (const auto& f : flags_) {
    if (f.name == name) return f.default_value;
  }
  return {};
}

}  // namespace sf::app
