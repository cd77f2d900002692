#pragma once
// LoRaWAN uplinks from network servers' MQTT integrations: ChirpStack v4 (`application/<app>/
// device/<dev_eui>/event/up`, protobuf-JSON with camelCase names) and The Things Stack v3
// (`v3/<app>@<tenant>/devices/<device>/up`, snake_case names). Parsing into one Uplink, frame
// counter tracking per device (gaps, duplicates, resets), and the mapper that turns an uplink
// into records: decoded fields as tags, radio metadata (RSSI, SNR, gateway ids, frequency,
// spreading factor, FPort, FCnt, DevEUI) as attributes.
//
// The mapper runs on the adapter's strand; not thread-safe. The parse functions are pure.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "dataplane/adapters/mqtt/config.h"
#include "dataplane/adapters/mqtt/json_mapper.h"
#include "dataplane/adapters/mqtt/mapping.h"

namespace sf::mqtt::lorawan {

struct RxInfo {
  std::string gateway_id;
  std::optional<double> rssi;
  std::optional<double> snr;
};

struct Uplink {
  std::string network;  // "chirpstack" or "tts"
  std::string dev_eui;  // lower-case hex
  std::string device_name;
  std::string application;
  std::string dev_addr;
  std::optional<uint32_t> f_port;
  uint32_t f_cnt = 0;     // absent in the JSON means 0 (protobuf JSON omits zero values)
  std::string payload;    // the FRMPayload bytes (base64-decoded)
  nlohmann::json object;  // the network server's decoded payload, or null
  int64_t time_ns = 0;    // 0 when the event carries no time
  std::vector<RxInfo> rx;
  std::optional<uint64_t> frequency;
  std::optional<uint32_t> spreading_factor;
  std::optional<uint32_t> bandwidth;
  std::optional<uint32_t> dr;
};

// kInvalidData naming the missing or mistyped field.
core::Result<Uplink> parseChirpstackUplink(const nlohmann::json& event);
core::Result<Uplink> parseTtsUplink(const nlohmann::json& message);

// Whether a topic carries an uplink (ChirpStack: .../event/up; TTS: .../up). Other events (join,
// status, ack, downlink, ...) are skipped by the mapper without counting as bad input.
bool isChirpstackUplinkTopic(std::string_view topic);
bool isTtsUplinkTopic(std::string_view topic);

// Frame counters per device. LoRaWAN 1.0/1.1 counters only grow within a session; a counter
// that goes back is a new session (rejoin) unless it was seen recently (a duplicate).
class FcntTracker {
 public:
  enum class Verdict { kFirst, kNext, kGap, kDuplicate, kReset };
  struct Result {
    Verdict verdict = Verdict::kFirst;
    uint32_t expected = 0;
    uint32_t lost = 0;  // kGap: uplinks missing between the last and this one
  };
  explicit FcntTracker(size_t max_devices = 100'000) : max_devices_(max_devices) {}
  Result track(const std::string& dev_eui, uint32_t fcnt);
  size_t devices() const { return devices_.size(); }

 private:
  static constexpr size_t kRecent = 32;
  struct State {
    uint32_t last = 0;
    uint32_t recent[kRecent] = {};
    uint8_t recent_count = 0;
    uint8_t recent_next = 0;
  };
  size_t max_devices_;
  std::unordered_map<std::string, State> devices_;
};

class LoraMapper {
 public:
  static core::Result<std::unique_ptr<LoraMapper>> create(
      const SubscriptionConfig& sub, std::string adapter,
      std::shared_ptr<const DeclaredTags> declared);
  void map(const MessageView& m, MapOutput& out);

  uint64_t lostUplinks() const { return lost_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t ignored() const { return ignored_; }

 private:
  LoraMapper() = default;
  const LoraDecoderConfig* decoderFor(const Uplink& u) const;

  SubscriptionConfig sub_;
  std::string adapter_;
  std::shared_ptr<const DeclaredTags> declared_;
  FcntTracker fcnt_;
  uint64_t lost_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t ignored_ = 0;
};

}  // namespace sf::mqtt::lorawan
