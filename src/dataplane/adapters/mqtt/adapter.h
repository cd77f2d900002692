#pragma once
// The `mqtt` adapter: one broker session (MqttClient) whose messages are routed by topic to the
// subscription's mapper (JSON / value, Sparkplug B host, ChirpStack / TTS LoRaWAN), emitted as
// records, and acknowledged to the broker only once the records are durable in the local log.
// Bad input is counted per reason (sf_mqtt_bad_input_total) and announced as rate-limited `log`
// records carrying the topic; it is acknowledged too (after its log record is durable), so a
// poison message never blocks a session.
//
// Runs on its AdapterContext strand; the Supervisor drives connect() -> run() -> close(). Not
// thread-safe (strand-confined); devices() may be called from any thread.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/adapters/mqtt/client.h"
#include "dataplane/adapters/mqtt/config.h"
#include "dataplane/adapters/mqtt/factory.h"
#include "dataplane/adapters/mqtt/json_mapper.h"
#include "dataplane/adapters/mqtt/lorawan/uplink.h"
#include "dataplane/adapters/mqtt/mapping.h"
#include "dataplane/adapters/mqtt/sparkplug/host.h"
#include "dataplane/runtime/adapter.h"
#include "dataplane/runtime/factory.h"

namespace sf::mqtt {

class MqttAdapter final : public runtime::Adapter, private MqttHandler {
 public:
  static core::Result<std::unique_ptr<MqttAdapter>> create(MqttConfig config,
                                                           const runtime::AdapterContext& ctx);
  ~MqttAdapter() override;

  asio::awaitable<core::Status> connect() override;
  asio::awaitable<core::Status> run() override;
  asio::awaitable<void> close() override;
  std::vector<DeviceStatus> devices() const override;

  const MqttConfig& config() const { return config_; }
  MqttClient& client() { return *client_; }
  // SUBACKs received so far (tests wait for the subscriptions to be in place).
  uint64_t subscribedCount() const { return subscribed_.load(); }
  // The client options create() derived from the config (tests, status).
  static ClientOptions clientOptions(const MqttConfig& config, std::string_view gateway);

 private:
  MqttAdapter(MqttConfig config, const runtime::AdapterContext& ctx);

  void onMessages(std::span<const Message> messages, DoneCallback done) override;
  void onSubscribed(const std::vector<uint8_t>& granted) override;

  void mapOne(const Message& m, int64_t now_ns);
  void problem(std::string_view topic, const Problem& p, int64_t now_ns);
  void logRecord(model::LogLevel level, std::string message, int64_t now_ns,
                 std::string tag = "_mqtt");

  struct Route {
    std::string filter;
    PayloadFormat format = PayloadFormat::kJson;
    JsonMapper* json = nullptr;
    lorawan::LoraMapper* lora = nullptr;
  };
  struct Limiter {  // bad-input log records per reason
    int64_t window_start_ns = 0;
    uint32_t in_window = 0;
    uint64_t suppressed = 0;
  };

  MqttConfig config_;
  runtime::AdapterContext ctx_;
  std::shared_ptr<MqttClient> client_;
  std::shared_ptr<const DeclaredTags> declared_;
  std::vector<std::unique_ptr<JsonMapper>> json_;
  std::vector<std::unique_ptr<lorawan::LoraMapper>> lora_;
  std::unique_ptr<sparkplug::SparkplugHost> sparkplug_;
  std::vector<Route> routes_;
  std::string state_topic_;

  // Per-batch scratch (strand-confined).
  MapOutput out_;
  std::vector<model::Record> batch_;
  Limiter limiters_[kIssueCount];
  bool closed_ = false;

  std::atomic<uint64_t> subscribed_{0};
  mutable std::mutex status_mu_;
  DeviceStatus status_;

  core::Counter* bad_input_total_[kIssueCount];
  core::Counter* records_total_;
  core::Counter* lost_uplinks_total_;
  core::Counter* rebirths_total_;
  core::Counter* published_total_;
};

}  // namespace sf::mqtt
