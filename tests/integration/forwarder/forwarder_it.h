#pragma once
// Shared support of the forwarder's integration tests: numbered records, a real local log in a
// temporary directory, and the check of what Kafka holds against what the log holds.
// Plain functions; not thread-safe unless stated.

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/kafka/output_options.h"
#include "dataplane/log/log.h"
#include "harness/services.h"

namespace sf::kafka::it {

inline constexpr const char* kGateway = "gw-it";
inline constexpr const char* kStream = "main";

// A record of class `cls` whose value is `seq`, keyed by one of `keys` tags: "dev<k%4>/tag<k>".
log::Entry numberedEntry(int64_t seq, int keys, const std::string& site,
                         log::EntryClass cls = log::EntryClass::kTelemetry);

// A fresh directory under $TMPDIR, removed by removeTree().
std::string makeTempDir(const std::string& prefix);
void removeTree(const std::string& dir);

// The log a gateway would open: fsync per group commit (the safe default).
core::Result<std::unique_ptr<log::Log>> openTestLog(const std::string& dir);
// Appends and waits for durability; returns the offsets (empty on error, with a test failure).
std::vector<uint64_t> appendSync(log::Log& log, std::vector<log::Entry> entries);

// Options for a test output: small commit interval, quick rebuild backoff.
KafkaOutputOptions testOutput(const std::string& name, const std::string& brokers);

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds max);

// What Kafka holds, checked message by message: the value is canonical JSON of a record whose
// id matches the sf-record-id header, the headers and key are right, and the first occurrences
// of each key come in increasing log offsets (per-key order). Duplicates are counted.
struct Verdict {
  std::set<uint64_t> offsets;  // distinct offsets seen
  size_t messages = 0;
  size_t duplicates = 0;
  size_t bad = 0;  // messages that failed a check (details in the test's failures)
};
Verdict verify(const std::vector<testing::Message>& messages);
// Every offset of `expected` is in `verdict` (one failure lists the first missing ones).
::testing::AssertionResult nothingLost(const Verdict& verdict, const std::set<uint64_t>& expected);

// Consumes `topic` and expects exactly the records `expected` (log offsets): none missing, no
// duplicate, every message valid (verify()) and valid against schemas/ (harness/schemas.h).
void expectExactlyOnce(const std::string& bootstrap, const std::string& topic,
                       const std::set<uint64_t>& expected);

// Every offset stored in `log` (reads it whole).
std::set<uint64_t> storedOffsets(const log::Log& log);

}  // namespace sf::kafka::it
