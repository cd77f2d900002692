// Forwarder unit tests: the in-memory log (our own interface) feeding the real librdkafka
// producer against librdkafka's in-process mock cluster. The mock cluster is used for faults a
// real broker cannot be made to show on demand (injected OUT_OF_ORDER_SEQUENCE_NUMBER and other
// produce errors, a partition leader that stays down); tests/integration/forwarder/ runs the
// same forwarder against real Kafka.
#include "dataplane/kafka/forwarder.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "dataplane/kafka/testing/memory_log.h"
#include "model/record_codec.h"
#include "model/record_json.h"

namespace sf::kafka {
namespace {

using namespace std::chrono_literals;
using testing::MemoryLog;

constexpr int16_t kProduceApiKey = 0;  // the Kafka protocol's ApiKey of Produce

// --- librdkafka mock cluster -------------------------------------------------------------

class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  rd_kafka_mock_cluster_t* get() { return mc_; }
  void createTopic(const std::string& topic, int partitions, int replication = 1) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mc_, topic.c_str(), partitions, replication),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

struct Consumed {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  int32_t partition = 0;
};

// Every message of `topic` (partitions 0..partitions-1), read from the beginning up to each
// partition's high watermark.
std::vector<Consumed> consumeAll(const std::string& bootstrap, const std::string& topic,
                                 int partitions) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "forwarder-test", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  rd_kafka_poll_set_consumer(rk);
  std::vector<int64_t> high(partitions, 0);
  std::vector<bool> done(partitions, false);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    high[p] = hi;
    done[p] = hi <= lo;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Consumed> out;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::find(done.begin(), done.end(), false) != done.end() &&
         std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      Consumed c;
      c.partition = m->partition;
      if (m->key) c.key.assign(static_cast<const char*>(m->key), m->key_len);
      c.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
          c.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(c));
      if (m->offset + 1 >= high[m->partition]) done[m->partition] = true;
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(std::find(done.begin(), done.end(), false), done.end()) << "consume timed out";
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// --- records --------------------------------------------------------------------------------

// A telemetry record of `tag` on `device` whose value is its sequence number.
log::Entry entryFor(const std::string& device, const std::string& tag, int64_t seq,
                    const std::string& site = "plant1") {
  model::Record r;
  r.site = site;
  r.gateway = "gw1";
  r.stream = "main";
  r.adapter = "modbus1";
  r.device = device;
  r.tag = tag;
  r.source_ts_ns = 1'700'000'000'000'000'000LL + seq;
  r.gateway_ts_ns = core::SystemClock::instance().nowUnixNanos();
  r.value = model::Value::ofInt64(seq);
  log::Entry e;
  e.cls = log::EntryClass::kTelemetry;
  e.ts_ns = r.gateway_ts_ns;
  model::encodeBinary(r, e.payload);
  return e;
}

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds max = 60s) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// What Kafka holds, checked against the log: every offset in `expected` is there, the first
// occurrences of each key come in offset order, and duplicates are counted.
struct Verdict {
  std::set<uint64_t> offsets;
  size_t duplicates = 0;
};
Verdict verify(const std::vector<Consumed>& messages, const std::set<uint64_t>& expected) {
  Verdict v;
  std::map<std::string, uint64_t> last_per_key;
  std::map<int32_t, std::vector<uint64_t>> per_partition;
  for (const auto& m : messages) {
    auto rec = model::fromJson(m.value);
    EXPECT_TRUE(rec) << (rec ? "" : rec.error().message) << " in " << m.value;
    if (!rec) continue;
    uint64_t offset = rec->offset.value_or(~0ull);
    EXPECT_EQ(m.headers.at("sf-record-id"), "gw1/main/" + std::to_string(offset));
    EXPECT_EQ(m.headers.at("sf-class"), "telemetry");
    EXPECT_EQ(m.headers.at("sf-schema"), "sf.record/1");
    EXPECT_EQ(m.headers.at("content-type"), "application/json");
    EXPECT_EQ(m.key, rec->device + "/" + rec->tag);
    if (!v.offsets.insert(offset).second) {
      ++v.duplicates;
      continue;
    }
    auto [it, fresh] = last_per_key.emplace(m.key, offset);
    if (!fresh) {
      EXPECT_GT(offset, it->second) << "per-key order broken for " << m.key;
      it->second = offset;
    }
  }
  for (uint64_t o : expected) EXPECT_TRUE(v.offsets.count(o)) << "offset " << o << " lost";
  return v;
}

KafkaOutputOptions optionsFor(const std::string& bootstrap) {
  KafkaOutputOptions o;
  o.name = "central";
  o.brokers = bootstrap;
  o.linger = 2ms;
  o.commit_interval = 20ms;
  o.rebuild_backoff_initial = 20ms;
  o.rebuild_backoff_max = 200ms;
  o.message_timeout = 5s;
  o.stop_timeout = 5s;
  // Quiet: librdkafka's own log lines only for errors.
  o.kafka["log_level"] = "3";
  return o;
}

const ForwarderIdentity kIdentity{"gw1", "main"};

class ForwarderTest : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 4;
  const std::string topic_ = "sf.plant1.telemetry";
  MockCluster cluster_{3};
  MemoryLog log_;
  core::MetricsRegistry metrics_;

  void SetUp() override { cluster_.createTopic(topic_, kPartitions, 3); }

  std::unique_ptr<Forwarder> make(KafkaOutputOptions options) {
    auto f = Forwarder::create(std::move(options), log_, kIdentity, metrics_);
    EXPECT_TRUE(f) << (f ? "" : f.error().message);
    return f ? std::move(*f) : nullptr;
  }
  // Appends `n` records over 16 tags (keys spread over every partition); returns their offsets.
  std::set<uint64_t> appendRecords(int n, int first_seq = 0) {
    std::set<uint64_t> offsets;
    for (int i = first_seq; i < first_seq + n; ++i) {
      offsets.insert(log_.appendSync(
          entryFor("pump" + std::to_string(i % 4), "t" + std::to_string(i % 16), i)));
    }
    return offsets;
  }
  bool drained(Forwarder& f) {
    return waitUntil([&] { return f.stats().cursor == log_.endOffset(); });
  }
  double metric(const std::string& name, const core::Labels& extra = {}) {
    core::Labels l{{"output", "central"}};
    for (auto& e : extra) l.push_back(e);
    return metrics_.valueOf(name, l);
  }
};

TEST_F(ForwarderTest, DeliversEveryRecordWithKeyHeadersAndCanonicalJson) {
  auto expected = appendRecords(500);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  auto more = appendRecords(100, 500);  // live data after the backlog
  expected.insert(more.begin(), more.end());
  ASSERT_TRUE(drained(*f));
  f->stop();

  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_EQ(v.duplicates, 0u);
  EXPECT_EQ(v.offsets.size(), 600u);
  auto s = f->stats();
  EXPECT_EQ(s.acked, 600u);
  EXPECT_EQ(s.resent, 0u);
  EXPECT_EQ(s.committed, 600u);
  EXPECT_EQ(log_.cursor("central").value_or(0), 600u);
  EXPECT_EQ(metric("sf_forwarder_acked_records_total"), 600);
  EXPECT_EQ(metric("sf_forwarder_sent_records_total"), 600);
  EXPECT_EQ(metric("sf_forwarder_lag_records"), 0);
  EXPECT_EQ(metric("sf_forwarder_producer_state"), 0) << "stopped";
  EXPECT_NE(metrics_.renderPrometheus().find("sf_forwarder_delivery_latency_seconds_count{"
                                             "output=\"central\"} 600"),
            std::string::npos);
}

TEST_F(ForwarderTest, CommittedCursorsOnlyEverCoverAcknowledgedOffsets) {
  appendRecords(2000);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto commits = log_.commits("central");
  ASSERT_FALSE(commits.empty());
  EXPECT_EQ(commits.back(), 2000u);
  for (size_t i = 1; i < commits.size(); ++i) EXPECT_GE(commits[i], commits[i - 1]);
}

TEST_F(ForwarderTest, UndecodableEntryIsSkippedCountedAndDoesNotBlock) {
  appendRecords(10);
  log::Entry garbage;
  garbage.payload = "\xff\x01not a record";
  uint64_t bad = log_.appendSync(garbage);
  auto expected = appendRecords(10, 10);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  f->stop();
  EXPECT_EQ(f->stats().skipped_undecodable, 1u);
  EXPECT_EQ(metric("sf_forwarder_skipped_records_total", {{"reason", "undecodable"}}), 1);
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_EQ(v.offsets.size(), 20u);
  EXPECT_FALSE(v.offsets.count(bad));
}

TEST_F(ForwarderTest, EvictedGapsAndTruncatedStartAreNotWaitedFor) {
  appendRecords(50);
  log_.truncateBefore(10);       // retention took 0..9 (counted by the log, not ours)
  log_.erase({20, 21, 22, 40});  // evicted inside
  std::set<uint64_t> expected;
  for (uint64_t o = 10; o < 50; ++o) {
    if (o != 20 && o != 21 && o != 22 && o != 40) expected.insert(o);
  }
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_EQ(v.offsets.size(), expected.size());
}

TEST_F(ForwarderTest, RecordTooLargeForTheProducerIsSkippedAndCounted) {
  auto o = optionsFor(cluster_.bootstrap());
  o.kafka["message.max.bytes"] = "2000";
  appendRecords(5);
  model::Record big;
  big.site = "plant1";
  big.device = "pump0";
  big.tag = "blob";
  big.value = model::Value::ofString(std::string(5000, 'x'));
  log::Entry e;
  model::encodeBinary(big, e.payload);
  uint64_t bad = log_.appendSync(e);
  auto expected = appendRecords(5, 5);
  auto f = make(o);
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  f->stop();
  EXPECT_EQ(f->stats().skipped_too_large, 1u);
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_FALSE(v.offsets.count(bad));
  EXPECT_EQ(v.offsets.size(), 10u);
}

TEST_F(ForwarderTest, RestartResumesFromTheCommittedCursorWithoutResending) {
  auto expected = appendRecords(300);
  {
    auto f = make(optionsFor(cluster_.bootstrap()));
    ASSERT_TRUE(f->start());
    ASSERT_TRUE(drained(*f));
    f->stop();
  }
  auto more = appendRecords(200, 300);
  expected.insert(more.begin(), more.end());
  core::MetricsRegistry fresh;
  auto f2 = Forwarder::create(optionsFor(cluster_.bootstrap()), log_, kIdentity, fresh);
  ASSERT_TRUE(f2);
  ASSERT_TRUE((*f2)->start());
  ASSERT_TRUE(waitUntil([&] { return (*f2)->stats().cursor == 500; }));
  (*f2)->stop();
  EXPECT_EQ((*f2)->stats().sent, 200u) << "only the records after the cursor";
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_EQ(v.duplicates, 0u);
}

TEST_F(ForwarderTest, FatalProducerErrorRebuildsAndLosesNothing) {
  auto expected = appendRecords(1000);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(waitUntil([&] { return f->stats().acked >= 200; }));
  f->injectFatalErrorForTest();
  auto more = appendRecords(1000, 1000);
  expected.insert(more.begin(), more.end());
  ASSERT_TRUE(waitUntil([&] { return f->stats().rebuilds >= 1; }));
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto s = f->stats();
  EXPECT_GE(s.fatal_errors, 1u);
  EXPECT_EQ(metric("sf_forwarder_producer_rebuilds_total"), static_cast<double>(s.rebuilds));
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_LE(v.duplicates, s.resent) << "every duplicate is a counted re-send";
}

// The idempotent producer's desynchronisation (librdkafka < 2.3.0, #4438): the broker answers
// OUT_OF_ORDER_SEQUENCE_NUMBER, librdkafka raises a fatal error, the forwarder rebuilds.
TEST_F(ForwarderTest, SequenceDesynchronisationIsSurvivedByRebuilding) {
  auto o = optionsFor(cluster_.bootstrap());
  auto expected = appendRecords(300);
  auto f = make(o);
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  // A possibly-persisted failure followed by an out-of-order sequence, then plain desync.
  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceApiKey, 4,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  auto more = appendRecords(1000, 300);
  expected.insert(more.begin(), more.end());
  ASSERT_TRUE(waitUntil([&] { return f->stats().rebuilds >= 1; }));
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto s = f->stats();
  EXPECT_GE(s.delivery_errors + s.fatal_errors, 1u);
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_LE(v.duplicates, s.resent);
}

TEST_F(ForwarderTest, UnknownProducerIdAndOtherProduceErrorsAreSurvived) {
  auto expected = appendRecords(100);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  // Not DUPLICATE_SEQUENCE_NUMBER: injected, it claims a batch the mock never stored was
  // stored, which a real broker never does (librdkafka rightly takes it as delivered).
  rd_kafka_mock_push_request_errors(
      cluster_.get(), kProduceApiKey, 4, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  auto more = appendRecords(1000, 100);
  expected.insert(more.begin(), more.end());
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_LE(v.duplicates, f->stats().resent);
}

// All brokers down longer than message_timeout: records time out, the producer is rebuilt
// (again and again), the in-flight window stays bounded, and everything arrives afterwards.
TEST_F(ForwarderTest, OutageLongerThanMessageTimeoutLosesNothing) {
  auto o = optionsFor(cluster_.bootstrap());
  o.message_timeout = 1s;
  o.max_in_flight_records = 100;
  auto expected = appendRecords(50);
  auto f = make(o);
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_down(cluster_.get(), b);
  auto more = appendRecords(1000, 50);
  expected.insert(more.begin(), more.end());
  uint64_t max_in_flight = 0;
  ASSERT_TRUE(waitUntil([&] {
    max_in_flight = std::max(max_in_flight, f->stats().in_flight);
    return f->stats().rebuilds >= 2;
  }));
  EXPECT_LE(max_in_flight, 100u);
  EXPECT_EQ(f->stats().committed, 50u) << "nothing unacknowledged is committed";
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_up(cluster_.get(), b);
  ASSERT_TRUE(drained(*f));
  f->stop();
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_LE(v.duplicates, f->stats().resent);
}

// The rebuild backoff spaces producer builds from the last build. A producer that lived through
// message_timeout in an outage is replaced at once, so a producer is always there to see the
// brokers come back; one that failed right after its build waits the backoff out. The
// forwarder's clock is a manual one: only the test moves time.
TEST_F(ForwarderTest, RebuildBackoffCountsFromTheLastBuild) {
  core::ManualClock clock;
  auto o = optionsFor(cluster_.bootstrap());
  o.message_timeout = 10s;
  o.rebuild_backoff_initial = 5s;
  o.rebuild_backoff_max = 5s;
  auto created = Forwarder::create(o, log_, kIdentity, metrics_, clock);
  ASSERT_TRUE(created) << created.error().message;
  auto& f = **created;
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_down(cluster_.get(), b);
  auto expected = appendRecords(10);
  ASSERT_TRUE(f.start());
  ASSERT_TRUE(waitUntil([&] { return f.stats().in_flight == 10; }));

  clock.advance(11s);  // the records time out after the producer lived 11 s > the backoff
  ASSERT_TRUE(waitUntil([&] {
    return f.stats().rebuilds == 1 && f.state() != ProducerState::kRebuilding &&
           f.stats().in_flight == 10;
  })) << "a new producer is built at once and the records are sent again";

  f.injectFatalErrorForTest();  // fails right after its build: the backoff applies
  ASSERT_TRUE(waitUntil([&] { return f.stats().rebuilds == 2; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(f.state(), ProducerState::kRebuilding);
  EXPECT_EQ(f.stats().in_flight, 0u);
  clock.advance(5s);
  ASSERT_TRUE(waitUntil([&] { return f.state() != ProducerState::kRebuilding; }));

  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_up(cluster_.get(), b);
  ASSERT_TRUE(drained(f));
  f.stop();
  verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
}

// One partition's leader is down: its records stay unacknowledged while the other partitions
// are acknowledged out of order; the cursor must stop at the first unacknowledged offset.
TEST_F(ForwarderTest, CursorStopsAtTheFirstUnacknowledgedOffset) {
  auto o = optionsFor(cluster_.bootstrap());
  o.message_timeout = 60s;  // no rebuild during the test: only the window logic
  // Partition 0 led by broker 1, which goes down; the others by brokers 2 and 3.
  rd_kafka_mock_partition_set_leader(cluster_.get(), topic_.c_str(), 0, 1);
  for (int p = 1; p < kPartitions; ++p) {
    rd_kafka_mock_partition_set_leader(cluster_.get(), topic_.c_str(), p, 2 + p % 2);
  }
  auto f = make(o);
  ASSERT_TRUE(f->start());
  auto first = appendRecords(40);
  ASSERT_TRUE(drained(*f));
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  auto more = appendRecords(400, 40);
  // Some records land on the other partitions and are acknowledged, the first one for
  // partition 0 is not: the cursor stays at or below it.
  ASSERT_TRUE(waitUntil([&] { return f->stats().acked >= 100; }));
  std::this_thread::sleep_for(300ms);  // let commits happen (a bound on what is checked)
  auto s = f->stats();
  EXPECT_LT(s.cursor, 440u);
  EXPECT_LE(s.committed, s.cursor);
  for (uint64_t c : log_.commits("central")) EXPECT_LE(c, s.cursor);
  rd_kafka_mock_broker_set_up(cluster_.get(), 1);
  ASSERT_TRUE(drained(*f));
  f->stop();
  std::set<uint64_t> expected(first);
  expected.insert(more.begin(), more.end());
  auto v = verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
  EXPECT_EQ(v.duplicates, 0u);
}

TEST_F(ForwarderTest, LogReadFailuresAreRetried) {
  auto expected = appendRecords(20);
  log_.failReads(3);
  auto f = make(optionsFor(cluster_.bootstrap()));
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(drained(*f));
  f->stop();
  // The lag gauge's reads may take some of the injected failures too.
  EXPECT_GE(metric("sf_forwarder_errors_total", {{"kind", "log_read"}}), 1);
  verify(consumeAll(cluster_.bootstrap(), topic_, kPartitions), expected);
}

TEST_F(ForwarderTest, StopIsBoundedWhenBrokersAreDown) {
  auto o = optionsFor(cluster_.bootstrap());
  o.stop_timeout = 300ms;
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_down(cluster_.get(), b);
  appendRecords(100);
  auto f = make(o);
  ASSERT_TRUE(f->start());
  ASSERT_TRUE(waitUntil([&] { return f->stats().sent >= 100; }));
  f->stop();  // returns (ctest's timeout is the bound); nothing acknowledged, nothing committed
  EXPECT_EQ(f->state(), ProducerState::kStopped);
  EXPECT_EQ(log_.cursor("central").value_or(99), 0u);
  f->stop();  // idempotent
}

TEST_F(ForwarderTest, SecretsNeverReachTheLogs) {
  auto o = optionsFor(cluster_.bootstrap());
  o.kafka["security.protocol"] = "SASL_PLAINTEXT";
  o.kafka["sasl.mechanism"] = "PLAIN";
  o.kafka["sasl.username"] = "gateway";
  o.kafka_secrets["sasl.password"] = "hunter2-do-not-log";
  o.kafka["log_level"] = "7";
  appendRecords(5);
  ::testing::internal::CaptureStderr();
  {
    auto f = make(o);
    ASSERT_TRUE(f->start());
    std::this_thread::sleep_for(500ms);
    f->stop();
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("hunter2"), std::string::npos);
  EXPECT_NE(err.find("sasl.password=***"), std::string::npos);
}

TEST_F(ForwarderTest, CreateRejectsBadOptionsAndIdentity) {
  auto o = optionsFor(cluster_.bootstrap());
  o.kafka["acks"] = "1";
  auto f = Forwarder::create(o, log_, kIdentity, metrics_);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, core::Errc::kInvalidConfig);
  EXPECT_NE(f.error().message.find("/kafka/acks"), std::string::npos) << f.error().message;
  auto g = Forwarder::create(optionsFor(cluster_.bootstrap()), log_, {"gw/1", "main"}, metrics_);
  ASSERT_FALSE(g);
}

}  // namespace
}  // namespace sf::kafka
