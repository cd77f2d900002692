#include "dataplane/runtime/adapter.h"

namespace sf::runtime {

std::string_view deviceStateName(DeviceState s) {
  switch (s) {
    case DeviceState::kConnecting:
      return "connecting";
    case DeviceState::kConnected:
      return "connected";
    case DeviceState::kDegraded:
      return "degraded";
    case DeviceState::kFailing:
      return "failing";
    case DeviceState::kStopped:
      return "stopped";
  }
  return "stopped";
}

asio::awaitable<core::Status> Adapter::write(const std::string& device, const std::string& tag,
                                             const model::Value&) {
  co_return core::fail(core::Errc::kUnsupported,
                       "this adapter does not write (" + device + "/" + tag + ")");
}

}  // namespace sf::runtime
