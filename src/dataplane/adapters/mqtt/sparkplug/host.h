#pragma once
// SparkplugHost: the Sparkplug B host-application side of the adapter. It keeps, per edge node
// and device, the metrics their BIRTH declared (name, alias, datatype, engineering unit), checks
// the node's `seq` on every message, and turns NBIRTH/DBIRTH/NDATA/DDATA into records and
// NDEATH/DDEATH into bad-quality records for every metric the birth declared. It asks for a
// rebirth (NCMD `Node Control/Rebirth`) on a seq gap, an unknown alias or data from a node whose
// birth it has not seen, at most once per rebirth_interval per node. With a host_id it also
// provides the STATE birth and will (Sparkplug 3.0 JSON) and answers an `online: false` on its
// own STATE topic by publishing online again.
//
// Runs on the adapter's strand; not thread-safe. Memory is bounded by the births seen.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dataplane/adapters/mqtt/config.h"
#include "dataplane/adapters/mqtt/json_mapper.h"
#include "dataplane/adapters/mqtt/mapping.h"
#include "dataplane/adapters/mqtt/packet.h"
#include "dataplane/adapters/mqtt/sparkplug/payload.h"

namespace sf::mqtt::sparkplug {

inline constexpr std::string_view kNamespace = "spBv1.0";

class SparkplugHost {
 public:
  SparkplugHost(std::string adapter, SparkplugConfig config,
                std::shared_ptr<const DeclaredTags> declared);

  // Maps one message from a spBv1.0 topic (including STATE).
  void map(const MessageView& m, MapOutput& out);

  // Host application STATE (only with a host_id): the topic, the will set at CONNECT and the
  // birth published once subscribed. Both carry the CONNECT time (Sparkplug 3.0).
  bool publishesState() const { return !config_.host_id.empty(); }
  std::string stateTopic() const;
  Will stateWill(int64_t connect_ms);
  Outbound stateBirth() const;
  Outbound stateDeath() const;  // what the will says, for a clean MQTT 3.1.1 disconnect

  // Counts for tests and the status view.
  size_t nodes() const { return nodes_.size(); }
  uint64_t rebirthRequests() const { return rebirth_requests_; }

 private:
  struct MetricInfo {
    std::string name;
    uint32_t datatype = 0;
    std::string unit;
  };
  struct Entity {  // an edge node or a device: what its birth declared
    bool born = false;
    std::unordered_map<uint64_t, std::string> aliases;       // alias -> name
    std::map<std::string, MetricInfo, std::less<>> metrics;  // name -> info
    std::string device_name;                                 // the records' device
  };
  struct Node {
    Entity self;
    std::map<std::string, Entity, std::less<>> devices;
    std::optional<uint64_t> bd_seq;
    int last_seq = -1;  // -1: unknown
    int64_t last_rebirth_request_ns = 0;
    bool rebirth_requested = false;
  };

  Node& node(std::string_view group, std::string_view node_id);
  std::string deviceName(std::string_view group, std::string_view node,
                         std::string_view device) const;
  void requestRebirth(Node& n, std::string_view group, std::string_view node_id, int64_t now_ns,
                      std::string reason, MapOutput& out);
  void checkSeq(Node& n, const std::optional<uint64_t>& seq, std::string_view group,
                std::string_view node_id, int64_t now_ns, MapOutput& out);
  void birth(Entity& e, const Payload& p, const MessageView& m, MapOutput& out);
  void data(Node& n, Entity& e, const Payload& p, std::string_view group, std::string_view node_id,
            const MessageView& m, MapOutput& out);
  void death(Entity& e, int64_t ts_ns, std::string_view what, MapOutput& out);
  void logRecord(const std::string& device, model::LogLevel level, std::string message,
                 int64_t ts_ns, MapOutput& out) const;

  std::string adapter_;
  SparkplugConfig config_;
  std::shared_ptr<const DeclaredTags> declared_;
  std::map<std::string, Node, std::less<>> nodes_;  // key "group/node"
  int64_t state_ts_ms_ = 0;
  uint64_t rebirth_requests_ = 0;
};

}  // namespace sf::mqtt::sparkplug
