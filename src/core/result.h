#pragma once
// Result<T>: the error channel of the data plane (no exceptions cross it).
// Member names follow std::expected so a later switch is mechanical.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sf::core {

// A small classifying code: retry policy branches on meaning, never on strings.
enum class Errc {
  kTimeout,            // retriable: the peer did not answer in time
  kUnavailable,        // retriable: the peer or resource is not there right now
  kInvalidConfig,      // permanent until the config changes
  kInvalidData,        // bytes from outside that do not parse; counted, never fatal
  kDataLoss,           // something durable was damaged or lost
  kUnsupported,        // a feature or value the component does not do
  kNotFound,           // a named thing does not exist
  kResourceExhausted,  // quota, disk full, queue full
  kCancelled,          // stop was requested
  kInternal,           // a bug
};

std::string_view errcName(Errc code);
bool isRetriable(Errc code);

// Error: a code plus a human message that names what failed and why.
struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string msg) : code(c), message(std::move(msg)) {}

  // "timeout: modbus 10.0.0.1:502 unit 3 did not answer"
  std::string toString() const;
  // Prefixes context: err.wrap("segment 00000042.log") -> "segment 00000042.log: <message>"
  Error wrap(std::string_view context) const;
};

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

inline Unexpected<Error> fail(Errc code, std::string message) {
  return Unexpected<Error>(Error(code, std::move(message)));
}
inline Unexpected<Error> fail(Error e) { return Unexpected<Error>(std::move(e)); }

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e).error()) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Unexpected<Error> e) : err_(std::move(e).error()), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const& {
    assert(!ok_);
    return err_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(err_);
  }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace sf::core

// Propagates an error from an expression returning Result<...>.
#define SF_TRY(expr)                                                                 \
  do {                                                                               \
    auto sf_try_result_ = (expr);                                                    \
    if (!sf_try_result_) return ::sf::core::fail(std::move(sf_try_result_).error()); \
  } while (0)

// Assigns the value of a Result<T> to `lhs` or returns its error.
#define SF_ASSIGN_OR_RETURN(lhs, expr) \
  SF_ASSIGN_OR_RETURN_IMPL_(SF_CONCAT_(sf_r_, __LINE__), lhs, expr)
#define SF_CONCAT_INNER_(a, b) a##b
#define SF_CONCAT_(a, b) SF_CONCAT_INNER_(a, b)
#define SF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)            \
  auto tmp = (expr);                                         \
  if (!tmp) return ::sf::core::fail(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
