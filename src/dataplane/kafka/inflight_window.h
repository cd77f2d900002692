#pragma once
// InFlightWindow: the records a forwarder has read from the log and handed to the producer, and
// the cursor rule of principle 1: the cursor (the next offset to deliver) advances only over a
// contiguous run of resolved offsets. Delivery reports arrive out of order across partitions;
// an offset acknowledged early waits in the window until everything before it is resolved.
//
// "Resolved" is acknowledged by Kafka, or skipped on purpose (a payload that does not decode,
// a record too large for any producer): skipped offsets never enter the window, so they are
// passed as soon as every earlier offset is. Offsets are added in increasing order but need not
// be consecutive (the log skips evicted gaps).
//
// Owned by one forwarder thread; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace sf::kafka {

class InFlightWindow {
 public:
  // What is known of a sent record's fate in Kafka.
  enum class Fate : uint8_t {
    kInFlight,           // no delivery report yet: it may or may not be in Kafka
    kAcked,              // in Kafka
    kNotPersisted,       // failed, and certainly not in Kafka (never sent, or rejected)
    kPossiblyPersisted,  // failed, but it may be in Kafka (timeout or disconnect in flight)
  };
  struct Slot {
    uint64_t offset = 0;
    int64_t append_ts_ns = 0;  // the entry's log timestamp (delivery latency, oldest age)
    int64_t sent_mono_ns = 0;  // when it was handed to the producer (stall detection)
    uint32_t bytes = 0;        // what it counts against the byte bound
    Fate fate = Fate::kInFlight;
  };

  explicit InFlightWindow(uint64_t cursor = 0) { reset(cursor); }

  // Forgets everything: the next offset to deliver is `cursor`.
  void reset(uint64_t cursor);

  // `offset` was handed to the producer. Must be >= end().
  void sent(uint64_t offset, int64_t append_ts_ns, int64_t sent_mono_ns, uint32_t bytes);
  // Offsets below `next` that were not sent need no delivery (skipped, or an evicted gap).
  // Must be >= end().
  void skipTo(uint64_t next);

  // A delivery report for `offset`: returns its slot (acked now), or nullopt when the offset is
  // not in flight (already acked, or from before a reset).
  std::optional<Slot> acked(uint64_t offset);
  // A failed delivery report for `offset`: it stays unresolved (the cursor waits for it) and
  // remembers whether it may be in Kafka anyway.
  void failed(uint64_t offset, bool possibly_persisted);
  // Offsets at or after the cursor that may already be in Kafka: all still in the window
  // (acknowledged but held back, failed, or without a report; a "not persisted" report is not
  // trusted, see the .cc). Re-sending them may duplicate them.
  std::vector<uint64_t> possiblyInKafka() const;

  // The next offset to deliver: the first unacknowledged one sent, else end().
  uint64_t cursor() const;
  // One past the last offset sent or skipped.
  uint64_t end() const { return end_; }

  size_t inFlightRecords() const { return in_flight_records_; }
  uint64_t inFlightBytes() const { return in_flight_bytes_; }
  // Acknowledged but held back by an earlier unacknowledged offset.
  size_t heldBack() const { return slots_.size() - in_flight_records_; }
  // The oldest unacknowledged slot, if any.
  const Slot* oldest() const { return slots_.empty() ? nullptr : &slots_.front(); }

 private:
  void popAcked();

  std::deque<Slot> slots_;  // increasing offsets; the front is never acked
  uint64_t end_ = 0;
  size_t in_flight_records_ = 0;
  uint64_t in_flight_bytes_ = 0;
};

}  // namespace sf::kafka
