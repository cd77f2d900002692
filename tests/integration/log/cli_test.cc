// `streamforge log inspect|verify|dump` on real log directories written by the real log with
// real model records: output, exit codes, corruption reporting.

#include <gtest/gtest.h>

#include <filesystem>

#include "app/args.h"
#include "app/commands.h"
#include "dataplane/log/format.h"
#include "dataplane/log/log.h"
#include "dataplane/log/storage.h"
#include "dataplane/log/test_util.h"
#include "model/record.h"
#include "model/record_codec.h"

namespace sf::log {
namespace {

using testing::TempDir;

struct Run {
  int rc;
  std::string out;
  std::string err;
};

Run run(std::vector<std::string> argv) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int rc = app::cmdLog(argv);
  std::fflush(stdout);
  Run r{rc, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
  return r;
}

class LogCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_ = tmp_.sub("logs/main");
    LogOptions o;
    o.dir = stream_;
    o.stream = "main";
    o.segment_bytes = 2048;
    core::MetricsRegistry metrics;
    auto log = openLog(o, posixStorage(), core::SystemClock::instance(), metrics);
    ASSERT_TRUE(log);
    for (int i = 0; i < 60; ++i) {
      model::Record r;
      r.site = "plant1";
      r.gateway = "gw1";
      r.stream = "main";
      r.adapter = "modbus1";
      r.device = "pump1";
      r.gateway_ts_ns = r.source_ts_ns = 1'700'000'000'000'000'000LL + i * 1'000'000'000LL;
      EntryClass cls = EntryClass::kTelemetry;
      if (i % 10 == 9) {
        model::LogInfo info;
        info.message = "line " + std::to_string(i);
        r.detail = info;
        cls = EntryClass::kLog;
      } else {
        r.tag = "flow";
        r.value = model::Value::ofDouble(i * 0.5);
        r.unit = "m3/h";
      }
      Entry e;
      e.cls = cls;
      e.ts_ns = r.gateway_ts_ns;
      model::encodeBinary(r, e.payload);
      ASSERT_TRUE(testing::appendOne(**log, std::move(e)));
    }
    Entry junk;
    junk.payload = "not a record";
    ASSERT_TRUE(testing::appendOne(**log, std::move(junk)));
    ASSERT_TRUE((*log)->commitCursor("kafka", 40));
    (*log)->close();
  }
  TempDir tmp_;
  std::string stream_;
};

TEST_F(LogCliTest, Inspect) {
  auto r = run({"inspect", tmp_.sub("logs")});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("stream main"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("offsets   0 .. 60 (next 61)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("records   61 (telemetry 55, event 0, alarm 0, log 6)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("kafka"), std::string::npos);
  EXPECT_NE(r.out.find("lag 21 record(s)"), std::string::npos) << r.out;
  auto j = run({"inspect", "--json", stream_});
  EXPECT_EQ(j.rc, 0);
  EXPECT_EQ(j.out.front(), '{');
  EXPECT_NE(j.out.find("\"end_offset\":61"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("{\"output\":\"kafka\",\"next_offset\":40,\"lag_records\":21}"),
            std::string::npos)
      << j.out;
}

TEST_F(LogCliTest, DumpDecodesRecordsWithTheirIds) {
  auto r = run({"dump", stream_, "--from", "8", "--count", "3"});
  EXPECT_EQ(r.rc, 0) << r.err;
  std::vector<std::string> lines;
  size_t p = 0, nl;
  while ((nl = r.out.find('\n', p)) != std::string::npos) {
    lines.push_back(r.out.substr(p, nl - p));
    p = nl + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_NE(lines[0].find("\"id\":\"gw1/main/8\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"class\":\"log\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("line 9"), std::string::npos) << lines[1];
  auto logs = run({"dump", stream_, "--class", "log"});
  EXPECT_EQ(std::count(logs.out.begin(), logs.out.end(), '\n'), 6);
  auto junk = run({"dump", stream_, "--from", "60"});
  EXPECT_NE(junk.out.find("\"decode_error\""), std::string::npos) << junk.out;
  EXPECT_NE(junk.out.find("\"payload_base64\":\"bm90IGEgcmVjb3Jk\""), std::string::npos);
  auto raw = run({"dump", stream_, "--raw", "--count", "1"});
  EXPECT_NE(raw.out.find("{\"offset\":0,\"class\":\"telemetry\""), std::string::npos) << raw.out;
}

TEST_F(LogCliTest, VerifyReportsWhatAndWhere) {
  auto ok = run({"verify", tmp_.sub("logs")});
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok "), std::string::npos);
  std::string seg = stream_ + "/" + segmentFileName(0);
  std::string data = testing::readBytes(seg);
  data[60] ^= 0x01;
  testing::writeBytes(seg, data);
  auto bad = run({"verify", stream_});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.out.find("CORRUPT " + seg + ": bytes 0.."), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("frame CRC mismatch; offsets 0..0 unreadable"), std::string::npos)
      << bad.out;
  auto all = run({"dump", stream_});
  EXPECT_EQ(all.rc, 1) << "what can be read is dumped, and the damage reported";
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 60);
  EXPECT_NE(all.err.find("corrupt frame at byte 0"), std::string::npos) << all.err;
}

TEST_F(LogCliTest, TornTailIsAWarning) {
  auto segs = testing::filesEndingWith(stream_, ".seg");
  std::string last = stream_ + "/" + segs.back();
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 2);
  auto r = run({"verify", stream_});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("WARNING"), std::string::npos);
  EXPECT_EQ(run({"verify", "--strict", stream_}).rc, 1);
}

TEST_F(LogCliTest, UsageErrors) {
  EXPECT_EQ(run({"inspect"}).rc, 2);
  EXPECT_EQ(run({"frob", stream_}).rc, 2);
  EXPECT_EQ(run({"inspect", tmp_.sub("missing")}).rc, 2);
  EXPECT_EQ(run({"dump", stream_, "--from", "x"}).rc, 2);
  EXPECT_EQ(run({"dump", stream_, "--class", "metric"}).rc, 2);
  EXPECT_EQ(run({"inspect", tmp_.path() + "/logs/main/kafka.cursor"}).rc, 1);
  auto help = run({"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("Usage: streamforge log"), std::string::npos);
}

}  // namespace
}  // namespace sf::log
