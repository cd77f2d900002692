#include "forwarder_it.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "harness/schemas.h"
#include "model/record.h"
#include "model/record_codec.h"
#include "model/record_json.h"

namespace sf::kafka::it {

log::Entry numberedEntry(int64_t seq, int keys, const std::string& site, log::EntryClass cls) {
  model::Record r;
  r.site = site;
  r.gateway = kGateway;
  r.stream = kStream;
  r.adapter = "sim1";
  int k = static_cast<int>(seq % keys);
  r.device = "dev" + std::to_string(k % 4);
  r.tag = "tag" + std::to_string(k);
  r.gateway_ts_ns = core::SystemClock::instance().nowUnixNanos();
  r.source_ts_ns = r.gateway_ts_ns;
  r.value = model::Value::ofInt64(seq);
  switch (cls) {
    case log::EntryClass::kTelemetry:
      break;
    case log::EntryClass::kEvent:
      r.detail = model::EventInfo{"state", "off", "on"};
      break;
    case log::EntryClass::kAlarm: {
      model::AlarmInfo a;
      a.alarm_id = r.device + "." + r.tag + ".hi";
      a.severity = 700;
      a.limit = 80.0;
      a.message = "high";
      r.detail = a;
      break;
    }
    case log::EntryClass::kLog: {
      model::LogInfo l;
      l.message = "log line " + std::to_string(seq);
      l.origin = "it";
      r.detail = l;
      break;
    }
  }
  log::Entry e;
  e.cls = cls;
  e.ts_ns = r.gateway_ts_ns;
  model::encodeBinary(r, e.payload);
  return e;
}

std::string makeTempDir(const std::string& prefix) {
  std::string templ = sf::testing::env("TMPDIR").value_or("/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return {};
  return buf.data();
}

void removeTree(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

core::Result<std::unique_ptr<log::Log>> openTestLog(const std::string& dir) {
  log::LogOptions o;
  o.dir = dir;
  o.stream = kStream;
  o.fsync = log::FsyncPolicy::kBatch;
  o.segment_bytes = 8ull << 20;
  return log::openLog(o);
}

std::vector<uint64_t> appendSync(log::Log& log, std::vector<log::Entry> entries) {
  std::promise<core::Result<log::AppendResult>> done;
  auto f = done.get_future();
  log.append(std::move(entries),
             [&done](core::Result<log::AppendResult> r) { done.set_value(std::move(r)); });
  auto r = f.get();
  std::vector<uint64_t> offsets;
  if (!r) {
    ADD_FAILURE() << "append: " << r.error().toString();
    return offsets;
  }
  for (uint32_t i = 0; i < r->count; ++i) offsets.push_back(r->first_offset + i);
  return offsets;
}

KafkaOutputOptions testOutput(const std::string& name, const std::string& brokers) {
  KafkaOutputOptions o;
  o.name = name;
  o.brokers = brokers;
  o.linger = std::chrono::milliseconds(5);
  o.commit_interval = std::chrono::milliseconds(100);
  o.rebuild_backoff_initial = std::chrono::milliseconds(100);
  o.rebuild_backoff_max = std::chrono::milliseconds(2000);
  o.stop_timeout = std::chrono::milliseconds(10'000);
  return o;
}

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds max) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Verdict verify(const std::vector<testing::Message>& messages) {
  Verdict v;
  std::map<std::string, uint64_t> last_per_key;
  for (const auto& m : messages) {
    ++v.messages;
    std::map<std::string, std::string> headers(m.headers.begin(), m.headers.end());
    auto rec = model::fromJson(m.value);
    if (!rec || !rec->offset) {
      ++v.bad;
      ADD_FAILURE() << "not a record: " << (rec ? "no offset" : rec.error().message) << ": "
                    << m.value.substr(0, 200);
      continue;
    }
    uint64_t offset = *rec->offset;
    std::string id = std::string(kGateway) + "/" + kStream + "/" + std::to_string(offset);
    bool ok = headers["sf-record-id"] == id && rec->id() == id &&
              headers["sf-class"] == model::recordClassName(rec->recordClass()) &&
              headers["sf-schema"] == "sf.record/1" &&
              headers["content-type"] == "application/json" && m.key &&
              *m.key == rec->device + "/" + rec->tag;
    if (!ok) {
      ++v.bad;
      ADD_FAILURE() << "headers/key of " << id << ": key=" << m.key.value_or("<null>")
                    << " sf-record-id=" << headers["sf-record-id"]
                    << " sf-class=" << headers["sf-class"];
    }
    if (!v.offsets.insert(offset).second) {
      ++v.duplicates;
      continue;
    }
    auto [it, fresh] = last_per_key.emplace(*m.key, offset);
    if (!fresh) {
      if (offset <= it->second) {
        ++v.bad;
        ADD_FAILURE() << "per-key order broken for " << *m.key << ": " << offset << " after "
                      << it->second;
      }
      it->second = offset;
    }
  }
  return v;
}

void expectExactlyOnce(const std::string& bootstrap, const std::string& topic,
                       const std::set<uint64_t>& expected) {
  auto messages = sf::testing::consumeAll(bootstrap, topic, expected.size());
  auto v = verify(messages);
  EXPECT_TRUE(nothingLost(v, expected)) << topic;
  EXPECT_EQ(v.duplicates, 0u) << topic;
  EXPECT_EQ(v.bad, 0u) << topic;
  EXPECT_EQ(v.messages, expected.size()) << topic;
  EXPECT_TRUE(sf::testing::matchRecordSchemas(messages)) << topic;
}

::testing::AssertionResult nothingLost(const Verdict& verdict, const std::set<uint64_t>& expected) {
  std::vector<uint64_t> missing;
  for (uint64_t o : expected) {
    if (!verdict.offsets.count(o)) missing.push_back(o);
  }
  if (missing.empty()) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure();
  r << missing.size() << " of " << expected.size() << " records lost, first:";
  for (size_t i = 0; i < missing.size() && i < 20; ++i) r << " " << missing[i];
  return r;
}

std::set<uint64_t> storedOffsets(const log::Log& log) {
  std::set<uint64_t> out;
  uint64_t from = log.startOffset();
  for (;;) {
    auto batch = log.read(from, 10'000, 16u << 20);
    if (!batch) {
      ADD_FAILURE() << "log read: " << batch.error().toString();
      break;
    }
    if (batch->empty()) break;
    for (const auto& e : *batch) out.insert(e.offset);
    from = batch->back().offset + 1;
  }
  return out;
}

}  // namespace sf::kafka::it
