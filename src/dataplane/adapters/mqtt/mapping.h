#pragma once
// What every payload mapper (JSON/value, Sparkplug B, LoRaWAN) shares: the message it gets, the
// records, problems and outbound publishes it produces, and small value helpers. Mappers are
// pure with respect to I/O: the adapter counts problems, turns them into rate-limited `log`
// records, publishes what they ask for and emits the records. A mapper instance runs on one
// strand (not thread-safe); stateless helpers here are thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/pipeline/tag_config.h"
#include "model/record.h"

namespace sf::mqtt {

// Why (part of) a message did not become what it should. The name is the `reason` label of
// sf_mqtt_bad_input_total and the attribute `reason` of the log record.
enum class Issue : uint8_t {
  kNoSubscription,  // no configured subscription matches the topic (e.g. overlapping filters)
  kOversized,       // payload above max_message_size
  kInvalidUtf8,     // topic or text payload not UTF-8
  kInvalidJson,
  kWrongType,     // a value of a type the field cannot take
  kMissingField,  // a configured path is absent
  kBadTimestamp,
  kBadQuality,
  kInvalidTopic,     // a Sparkplug/LoRaWAN topic that does not follow the scheme
  kInvalidProtobuf,  // an undecodable Sparkplug payload
  kUnknownAlias,     // Sparkplug DATA with an alias no BIRTH defined
  kSeqGap,           // Sparkplug seq out of order
  kDataBeforeBirth,  // Sparkplug DATA/DBIRTH for a node without NBIRTH
  kStaleDeath,       // Sparkplug NDEATH whose bdSeq is not the current birth's (ignored)
  kInvalidUplink,    // a LoRaWAN event that does not follow its network server's format
  kShortFrame,       // a LoRaWAN payload shorter than its layout
  kInvalidLpp,       // a Cayenne LPP payload that does not decode
  kFcntGap,          // LoRaWAN frame counter skipped (uplinks lost)
  kFcntDuplicate,    // LoRaWAN frame counter seen before (dropped)
  kFcntReset,        // LoRaWAN frame counter went back (device rejoined or reset)
  kTooManyTags,      // a JSON payload with more scalars than the auto mapping takes
};
inline constexpr int kIssueCount = 21;
std::string_view issueName(Issue issue);

struct Problem {
  Issue issue = Issue::kInvalidJson;
  std::string message;  // human text; the adapter adds the topic
  std::string device;   // when known
};

// A message the mapper asks the adapter to publish (Sparkplug rebirth NCMD, host STATE).
struct Outbound {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
};

struct MessageView {
  std::string_view topic;
  std::string_view payload;
  bool retain = false;
  int64_t received_ns = 0;  // gateway time at receipt
};

struct MapOutput {
  std::vector<model::Record> records;
  std::vector<Problem> problems;
  std::vector<Outbound> publish;
  uint64_t lost_uplinks = 0;  // LoRaWAN frame-counter gaps: uplinks the network never delivered
  void clear() {
    records.clear();
    problems.clear();
    publish.clear();
    lost_uplinks = 0;
  }
};

// Identity every record of an adapter instance carries.
struct RecordStamp {
  std::string adapter;  // instance name
};

// "12.5", "true", "abc", "[1,2]", "" for null: the text event states and log messages use.
std::string valueText(const model::Value& v);

// Turns a telemetry record into the class an undeclared tag should have: event (type, from "",
// to = value text) or log (level, message = value text). Telemetry stays as is.
void applyClass(model::Record& r, pipeline::TagClass cls, std::string_view event_type = "mqtt",
                model::LogLevel log_level = model::LogLevel::kInfo);

// Makes text safe for records (which must be UTF-8): invalid bytes become \xNN escapes.
std::string sanitizeUtf8(std::string_view s);

}  // namespace sf::mqtt
