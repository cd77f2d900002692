#include "core/result.h"

namespace sf::core {

std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::kTimeout:
      return "timeout";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInvalidConfig:
      return "invalid_config";
    case Errc::kInvalidData:
      return "invalid_data";
    case Errc::kDataLoss:
      return "data_loss";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kResourceExhausted:
      return "resource_exhausted";
    case Errc::kCancelled:
      return "cancelled";
    case Errc::kInternal:
      return "internal";
  }
  return "internal";
}

bool isRetriable(Errc code) {
  return code == Errc::kTimeout || code == Errc::kUnavailable || code == Errc::kResourceExhausted;
}

std::string Error::toString() const {
  std::string out(errcName(code));
  out += ": ";
  out += message;
  return out;
}

Error Error::wrap(std::string_view context) const {
  std::string msg(context);
  msg += ": ";
  msg += message;
  return Error(code, std::move(msg));
}

}  // namespace sf::core
