#pragma once
// Structured logging for the process's own diagnostics (stderr, logfmt or JSON lines).
// Thread-safe: one mutex around the sink write; formatting happens outside it.
// Operational messages that belong to the data (connected, lost, evicted) are additionally
// emitted as `log` records by the runtime; this logger is the process's own voice.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sf::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::string_view logLevelName(LogLevel level);
bool parseLogLevel(std::string_view text, LogLevel& out);

// A key/value field: log(kInfo, "connected", {{"device", "pump1"}, {"port", "502"}}).
using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  enum class Format { kText, kJson };

  static Logger& instance();

  void setLevel(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  void setFormat(Format format) { format_ = format; }
  bool enabled(LogLevel level) const { return level >= level_; }

  void log(LogLevel level, std::string_view component, std::string_view message,
           std::initializer_list<LogField> fields = {});

 private:
  LogLevel level_ = LogLevel::kInfo;
  Format format_ = Format::kText;
};

// Shorthands: SF_LOG_INFO("kafka", "producer rebuilt", {{"output", name}}).
#define SF_LOG_AT_(lvl, component, ...)                                       \
  do {                                                                        \
    auto& sf_logger_ = ::sf::core::Logger::instance();                        \
    if (sf_logger_.enabled(lvl)) sf_logger_.log(lvl, component, __VA_ARGS__); \
  } while (0)
#define SF_LOG_DEBUG(component, ...) \
  SF_LOG_AT_(::sf::core::LogLevel::kDebug, component, __VA_ARGS__)
#define SF_LOG_INFO(component, ...) SF_LOG_AT_(::sf::core::LogLevel::kInfo, component, __VA_ARGS__)
#define SF_LOG_WARN(component, ...) SF_LOG_AT_(::sf::core::LogLevel::kWarn, component, __VA_ARGS__)
#define SF_LOG_ERROR(component, ...) \
  SF_LOG_AT_(::sf::core::LogLevel::kError, component, __VA_ARGS__)

}  // namespace sf::core
