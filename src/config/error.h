#pragma once
// ConfigError and ConfigResult<T>: how configuration problems are reported. Parsing collects
// every problem it finds (not just the first), each with where it is (file, line, column and a
// JSON Pointer into the document) and why, so one run of `streamforge gateway --check` or one
// call of the validate endpoint lists everything to fix.
// Thread-safety: plain values; no shared state.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace sf::config {

// A position in a source document; 1-based. line == 0 means unknown (e.g. input given as JSON).
struct Mark {
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
  friend bool operator==(const Mark&, const Mark&) = default;
};

// What kind of problem it is, so a UI can highlight it and tests can assert on it.
enum class ConfigErrc {
  kSyntax,        // the YAML (or JSON) text does not parse
  kUnknownKey,    // a key the spec does not declare
  kDuplicateKey,  // the same key twice in one mapping
  kType,          // wrong type or malformed value ("5 sec", a list where a string is expected)
  kRange,         // outside min/max, or empty where non-empty is required
  kEnum,          // not one of the allowed values
  kMissing,       // a required option is absent
  kUnknownType,   // a polymorphic `type:` that is not registered
  kEnv,           // ${VAR} names an unset environment variable
  kInvalid,       // a component's own cross-field check failed
  kIo,            // the file could not be read
  kInternal,      // a bug (e.g. no registry given for a polymorphic option)
};

std::string_view configErrcName(ConfigErrc code);

struct ConfigError {
  ConfigErrc code = ConfigErrc::kInvalid;
  std::string file;  // as given to the loader; empty when parsing from memory
  Mark mark;
  std::string path;  // JSON Pointer, e.g. "/adapters/2/port"; "" is the document root
  std::string reason;

  // "gateway.yaml:14:7: /adapters/2/port: 70000 is above the maximum 65535". Parts that are
  // unknown are left out: "/adapters/2/port: ..." for JSON input without a file name.
  std::string toString() const;
};

// All errors, one per line (each line as ConfigError::toString()).
std::string formatErrors(const std::vector<ConfigError>& errors);

// Appends one reference token to a JSON Pointer, escaping '~' and '/' (RFC 6901).
std::string appendPointer(std::string_view pointer, std::string_view token);

// The candidate closest to `word` when it is plausibly a typo of it (edit distance with
// transpositions, case and '-'/'_' differences ignored); nullopt when nothing is close.
std::optional<std::string> closestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

// Either a value or at least one ConfigError. Member names follow core::Result.
template <class T>
class [[nodiscard]] ConfigResult {
 public:
  ConfigResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  ConfigResult(std::vector<ConfigError> errors)                            // NOLINT implicit
      : v_(std::in_place_index<1>, std::move(errors)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Empty when there is a value.
  const std::vector<ConfigError>& errors() const {
    static const std::vector<ConfigError> kNone;
    return has_value() ? kNone : std::get<1>(v_);
  }
  std::string errorText() const { return formatErrors(errors()); }

  // For callers that speak core::Result: the errors become one kInvalidConfig error whose
  // message lists them all, one per line.
  core::Result<T> toResult() && {
    if (has_value()) return std::get<0>(std::move(v_));
    return core::fail(core::Errc::kInvalidConfig, errorText());
  }

 private:
  std::variant<T, std::vector<ConfigError>> v_;
};

}  // namespace sf::config
