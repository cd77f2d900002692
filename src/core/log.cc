#include "core/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace sf::core {
namespace {

std::mutex& sinkMutex() {
  static std::mutex m;
  return m;
}

void appendJsonEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

bool needsQuoting(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool parseLogLevel(std::string_view text, LogLevel& out) {
  for (auto l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == logLevelName(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message,
                 std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128);
  if (format_ == Format::kJson) {
    line += "{\"ts\":\"" + timestamp() + "\",\"level\":\"";
    line += logLevelName(level);
    line += "\",\"component\":\"";
    appendJsonEscaped(line, component);
    line += "\",\"msg\":\"";
    appendJsonEscaped(line, message);
    line += '"';
    for (const auto& [k, v] : fields) {
      line += ",\"";
      appendJsonEscaped(line, k);
      line += "\":\"";
      appendJsonEscaped(line, v);
      line += '"';
    }
    line += "}\n";
  } else {
    line += timestamp();
    line += ' ';
    line += logLevelName(level);
    line += ' ';
    line += component;
    line += ": ";
    line += message;
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      if (needsQuoting(v)) {
        line += '"';
        appendJsonEscaped(line, v);
        line += '"';
      } else {
        line += v;
      }
    }
    line += '\n';
  }
  std::lock_guard lock(sinkMutex());
  // One write per line so concurrent processes sharing stderr do not interleave mid-line.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace sf::core
