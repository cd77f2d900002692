#pragma once
// Demo component specs for sf_config's own tests only (real components live with their code).
// They exercise every value type: nested structs, lists of structs, C++ enums, oneOf strings,
// durations, byte sizes, maps, optionals, secrets, advanced options, cross-field checks and
// polymorphic lists.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/registry.h"
#include "config/spec.h"

namespace sf::config::testing {

using namespace std::chrono_literals;

enum class Table { kHolding, kInput, kCoil };

struct RegisterConfig {
  std::string tag;
  uint16_t address = 0;
  Table table = Table::kHolding;
  double scale = 1.0;
};

struct DeviceConfig {
  std::string name;
  uint8_t unit_id = 1;
  std::vector<RegisterConfig> registers;
};

struct TlsConfig {
  std::string ca_file;
  std::string key_password;
};

struct DemoModbusConfig {
  std::string host;
  uint16_t port = 502;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::seconds timeout{5};
  bool enabled = true;
  uint32_t unlock_code = 0;
  std::optional<TlsConfig> tls;
  StringMap labels;
  std::vector<DeviceConfig> devices;
  int32_t retries = 3;
};

struct DemoMqttConfig {
  std::string broker;
  std::string client_id;
  std::vector<std::string> topics;
  int qos = 1;
  std::string format = "json";
  std::string password;
};

struct DemoKafkaConfig {
  std::vector<std::string> brokers;
  std::string topic_template = "sf.<site>.<class>";
  ByteSize batch_bytes = ByteSize::mib(1);
  std::string sasl_password;
};

struct DemoGatewayConfig {
  std::string site;
  std::vector<ComponentConfig> adapters;
  std::vector<ComponentConfig> outputs;
  ByteSize log_quota = ByteSize::gib(1);
  std::chrono::seconds retention = std::chrono::hours(24 * 7);
};

inline const Spec<RegisterConfig>& registerSpec() {
  static const Spec<RegisterConfig> spec = [] {
    Spec<RegisterConfig> s("register", "One value read from the device.");
    s.option("tag", &RegisterConfig::tag)
        .required()
        .nonEmpty()
        .doc("Tag name.")
        .example("pressure");
    s.option("address", &RegisterConfig::address)
        .required()
        .doc("Register address (0-based).")
        .example(40001);
    s.option("table", &RegisterConfig::table,
             {{"holding", Table::kHolding}, {"input", Table::kInput}, {"coil", Table::kCoil}})
        .doc("Modbus table.");
    s.option("scale", &RegisterConfig::scale).doc("Factor applied to the raw value.");
    return s;
  }();
  return spec;
}

inline const Spec<DeviceConfig>& deviceSpec() {
  static const Spec<DeviceConfig> spec = [] {
    Spec<DeviceConfig> s("device", "A Modbus unit behind the connection.");
    s.option("name", &DeviceConfig::name).required().doc("Device name.").example("pump_1");
    s.option("unit_id", &DeviceConfig::unit_id).range(1, 247).doc("Modbus unit identifier.");
    s.option("registers", &DeviceConfig::registers, registerSpec())
        .required()
        .nonEmpty()
        .doc("Registers to poll.");
    s.check([](const DeviceConfig& d, Checker& k) {
      for (size_t j = 0; j < d.registers.size(); ++j) {
        for (size_t i = 0; i < j; ++i) {
          if (d.registers[i].tag == d.registers[j].tag) {
            k.error("registers/" + std::to_string(j) + "/tag",
                    "duplicate tag '" + d.registers[j].tag + "' (also registers/" +
                        std::to_string(i) + ")");
          }
        }
      }
    });
    return s;
  }();
  return spec;
}

inline const Spec<TlsConfig>& tlsSpec() {
  static const Spec<TlsConfig> spec = [] {
    Spec<TlsConfig> s("tls", "TLS settings.");
    s.option("ca_file", &TlsConfig::ca_file).doc("CA bundle path.").example("/etc/ssl/ca.pem");
    s.option("key_password", &TlsConfig::key_password)
        .secret()
        .doc("Password of the private key.")
        .example("${TLS_KEY_PASSWORD}");
    return s;
  }();
  return spec;
}

inline const Spec<DemoModbusConfig>& demoModbusSpec() {
  static const Spec<DemoModbusConfig> spec = [] {
    Spec<DemoModbusConfig> s("demo_modbus", "Polls registers from a Modbus TCP server.");
    s.option("host", &DemoModbusConfig::host)
        .required()
        .nonEmpty()
        .doc("IP address or host name of the server.")
        .example("10.0.0.5");
    s.option("port", &DemoModbusConfig::port).range(1, 65535).doc("TCP port.");
    s.option("poll_interval", &DemoModbusConfig::poll_interval)
        .range(10ms, 1h)
        .doc("How often every register is read.")
        .example("250ms");
    s.option("timeout", &DemoModbusConfig::timeout).doc("Response timeout, whole seconds.");
    s.option("enabled", &DemoModbusConfig::enabled).doc("Poll this server.");
    s.option("unlock_code", &DemoModbusConfig::unlock_code)
        .max(9999)
        .secret()
        .advanced()
        .doc("Code that unlocks writes.");
    s.option("tls", &DemoModbusConfig::tls, tlsSpec()).advanced().doc("TLS; off when absent.");
    s.option("labels", &DemoModbusConfig::labels)
        .doc("Attributes added to every record.")
        .example(Json{{"line", "3"}});
    s.option("devices", &DemoModbusConfig::devices, deviceSpec())
        .required()
        .nonEmpty()
        .doc("Units on this connection.");
    s.option("retries", &DemoModbusConfig::retries)
        .range(0, 10)
        .advanced()
        .doc("Retries | before giving up.");
    return s;
  }();
  return spec;
}

inline const Spec<DemoMqttConfig>& demoMqttSpec() {
  static const Spec<DemoMqttConfig> spec = [] {
    Spec<DemoMqttConfig> s("demo_mqtt", "Subscribes to MQTT topics.");
    s.option("broker", &DemoMqttConfig::broker)
        .required()
        .doc("Broker URL.")
        .example("tcp://10.0.0.9:1883");
    s.option("client_id", &DemoMqttConfig::client_id).doc("MQTT client id.");
    s.option("topics", &DemoMqttConfig::topics)
        .required()
        .nonEmpty()
        .doc("Topic filters.")
        .example(Json::array({"plant/+/telemetry"}));
    s.option("qos", &DemoMqttConfig::qos).range(0, 2).doc("Subscription QoS.");
    s.option("format", &DemoMqttConfig::format)
        .oneOf({"json", "sparkplug_b"})
        .doc("Payload format.");
    s.option("password", &DemoMqttConfig::password)
        .secret()
        .doc("Broker password.")
        .example("${MQTT_PASSWORD}");
    return s;
  }();
  return spec;
}

inline const Spec<DemoKafkaConfig>& demoKafkaSpec() {
  static const Spec<DemoKafkaConfig> spec = [] {
    Spec<DemoKafkaConfig> s("demo_kafka", "Delivers the local log to Kafka.");
    s.option("brokers", &DemoKafkaConfig::brokers)
        .required()
        .nonEmpty()
        .doc("Bootstrap servers.")
        .example(Json::array({"kafka-1:9092"}));
    s.option("topic_template", &DemoKafkaConfig::topic_template).doc("Topic per class and site.");
    s.option("batch_bytes", &DemoKafkaConfig::batch_bytes)
        .range(ByteSize::kib(1), ByteSize::mib(64))
        .doc("Largest produce batch.");
    s.option("sasl_password", &DemoKafkaConfig::sasl_password).secret().doc("SASL password.");
    return s;
  }();
  return spec;
}

inline const Spec<DemoGatewayConfig>& demoGatewaySpec() {
  static const Spec<DemoGatewayConfig> spec = [] {
    Spec<DemoGatewayConfig> s("gateway", "The gateway configuration file.");
    s.option("site", &DemoGatewayConfig::site).required().doc("Site name.").example("plant1");
    s.option("adapters", &DemoGatewayConfig::adapters, ComponentKind::kAdapter)
        .doc("Southbound connections.");
    s.option("outputs", &DemoGatewayConfig::outputs, ComponentKind::kOutput)
        .doc("Where records go.");
    s.option("log_quota", &DemoGatewayConfig::log_quota).doc("Disk quota of the local log.");
    s.option("retention", &DemoGatewayConfig::retention).doc("Local log retention.");
    return s;
  }();
  return spec;
}

inline Registry demoRegistry() {
  Registry r;
  (void)r.add(ComponentKind::kAdapter, "demo_modbus", "Polls registers from a Modbus TCP server.",
              demoModbusSpec());
  (void)r.add(ComponentKind::kAdapter, "demo_mqtt", "Subscribes to MQTT topics.", demoMqttSpec());
  (void)r.add(ComponentKind::kOutput, "demo_kafka", "Delivers the local log to Kafka.",
              demoKafkaSpec());
  return r;
}

}  // namespace sf::config::testing
