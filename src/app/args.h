#pragma once
// Args: the small command-line parser every subcommand uses, so `--help`, errors and exit
// codes look the same everywhere. Not thread-safe (used once at start).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace sf::app {

// Exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure
inline constexpr int kExitUsage = 2;    // usage or configuration error

struct FlagSpec {
  std::string name;        // without dashes: "config"
  std::string value_name;  // empty for boolean flags: "FILE"
  std::string help;
  std::string default_value;
};

class Args {
 public:
  Args(std::string command, std::string summary, std::string usage_tail = "");

  Args& flag(std::string name, std::string help);  // boolean
  Args& option(std::string name, std::string value_name, std::string help,
               std::string default_value = "");
  Args& positional(std::string name, std::string help, bool required = true);

  // Parses argv (after the subcommand name). On error the message is ready to print.
  core::Status parse(const std::vector<std::string>& argv);
  bool helpRequested() const { return help_; }
  std::string helpText() const;

  bool has(const std::string& name) const;         // boolean flag set, or option given
  std::string get(const std::string& name) const;  // option value or its default
  const std::vector<std::string>& positionals() const { return positional_values_; }

 private:
  std::string command_;
  std::string summary_;
  std::string usage_tail_;
  std::vector<FlagSpec> flags_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  size_t required_positionals_ = 0;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_values_;
  bool help_ = false;
};

}  // namespace sf::app
