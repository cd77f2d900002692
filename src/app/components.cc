#include "app/components.h"

#include <cstdio>
#include <cstdlib>

#include "dataplane/adapters/modbus/factory.h"
#include "dataplane/adapters/mqtt/factory.h"
#include "dataplane/kafka/forwarder.h"
#include "dataplane/kafka/output_options.h"

namespace sf::app {
namespace {

// A Kafka output: the forwarder of the local log to one cluster.
class KafkaOutput final : public runtime::Output {
 public:
  explicit KafkaOutput(std::unique_ptr<kafka::Forwarder> f) : forwarder_(std::move(f)) {}
  core::Status start() override { return forwarder_->start(); }
  void stop() override { forwarder_->stop(); }
  nlohmann::json status() const override {
    auto s = forwarder_->stats();
    return {{"type", "kafka"},
            {"state", std::string(kafka::producerStateName(forwarder_->state()))},
            {"brokers", forwarder_->options().brokers},
            {"cursor", s.cursor},
            {"acked", s.acked},
            {"resent", s.resent},
            {"rebuilds", s.rebuilds},
            {"in_flight", s.in_flight}};
  }

 private:
  std::unique_ptr<kafka::Forwarder> forwarder_;
};

runtime::OutputFactory kafkaOutputFactory() {
  runtime::OutputFactory f;
  f.info =
      config::ComponentInfo{config::ComponentKind::kOutput, std::string(kafka::kKafkaOutputType),
                            "Forwards the local log to an Apache Kafka cluster (idempotent, "
                            "acks=all).",
                            kafka::kafkaOutputSpec().shared()};
  f.name = [](const config::ComponentConfig& c) { return c.as<kafka::KafkaOutputOptions>()->name; };
  f.create = [](const config::ComponentConfig& c, log::Log& log, const runtime::IdentityConfig& id,
                const runtime::LogConfig& lc) -> core::Result<std::unique_ptr<runtime::Output>> {
    SF_ASSIGN_OR_RETURN(auto fw,
                        kafka::Forwarder::create(*c.as<kafka::KafkaOutputOptions>(), log,
                                                 kafka::ForwarderIdentity{id.id, lc.stream}));
    return std::unique_ptr<runtime::Output>(new KafkaOutput(std::move(fw)));
  };
  return f;
}

runtime::Components build() {
  runtime::Components c;
  auto must = [](core::Status st) {
    if (!st) {
      std::fprintf(stderr, "streamforge: component registry: %s\n", st.error().toString().c_str());
      std::abort();  // a bug in the explicit list, found by every test run
    }
  };
  must(c.addOutput(kafkaOutputFactory()));
  must(c.addAdapter(modbus::modbusTcpFactory()));
  must(c.addAdapter(modbus::modbusRtuFactory()));
  must(c.addAdapter(mqtt::mqttFactory()));
  return c;
}

}  // namespace

const runtime::Components& builtinComponents() {
  static const runtime::Components components = build();
  return components;
}

}  // namespace sf::app
