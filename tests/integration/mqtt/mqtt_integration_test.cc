// The mqtt adapter against real Mosquitto brokers and publishers that are not ours
// (mosquitto_pub, a Python Sparkplug B edge node), writing into a real local log.
// docs/MQTT.md ("Tests") describes what each test proves.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "dataplane/adapters/mqtt/sparkplug/payload.h"
#include "harness/process.h"
#include "harness/services.h"
#include "mqtt_it.h"

#ifndef SF_MQTT_GATEWAY_CHILD
#error "SF_MQTT_GATEWAY_CHILD must name the child binary"
#endif
#ifndef SF_MQTT_IT_DIR
#error "SF_MQTT_IT_DIR must name this folder"
#endif

namespace sf::mqtt::it {
namespace {

using namespace std::chrono_literals;

std::string uniqueTopic(const std::string& what) {
  static int counter = 0;
  return "sf-it/" + std::to_string(::getpid()) + "/" + std::to_string(++counter) + "/" + what;
}

class TempDir {
 public:
  TempDir() : path(makeTempDir("sf-mqtt-it")) {}
  ~TempDir() { removeAll(path); }
  std::string path;
};

bool hasRecord(const std::vector<model::Record>& rs, const std::string& device,
               const std::string& tag, const model::Value& v) {
  for (const auto& r : rs) {
    if (r.device == device && r.tag == tag && r.value == v) return true;
  }
  return false;
}

size_t countMissing(const std::map<int64_t, int>& got, int64_t first, int64_t last) {
  size_t missing = 0;
  for (int64_t n = first; n <= last; ++n) missing += got.count(n) ? 0 : 1;
  return missing;
}

size_t duplicates(const std::map<int64_t, int>& got) {
  size_t d = 0;
  for (const auto& [n, c] : got) d += static_cast<size_t>(c - 1);
  return d;
}

// --- mapping against the services' broker, both protocol versions ------------------------------

class MqttVersions : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(MqttVersions, JsonValuesAndQoS012ReachTheLog) {
  auto shared = sharedMqttPort();
  std::unique_ptr<Mosquitto> own;
  uint16_t port = 0;
  if (shared) {
    port = *shared;
  } else {
    own = std::make_unique<Mosquitto>(Mosquitto::Options{});
    ASSERT_TRUE(own->start());
    port = own->port();
  }
  TempDir dir;
  const std::string base = uniqueTopic("map");
  MqttConfig c = baseConfig("map", port, base + "/value/{device}/{tag}", PayloadFormat::kValue, 2);
  c.version = GetParam();
  c.subscriptions[0].device.clear();
  c.subscriptions[0].tag.clear();
  SubscriptionConfig json;
  json.topic = base + "/json/{device}";
  json.qos = 1;
  json.timestamp = "ts";
  JsonFieldConfig t;
  t.tag = "temperature";
  t.value = "data.t";
  t.unit_path = "data.unit";
  JsonFieldConfig p;
  p.tag = "pressure";
  p.value = "data.p";
  json.fields = {t, p};
  c.subscriptions.push_back(json);
  SubscriptionConfig q0;
  q0.topic = base + "/q0/{tag}";
  q0.qos = 0;
  q0.format = PayloadFormat::kValue;
  q0.device = "dev0";
  c.subscriptions.push_back(q0);

  Gateway gw(dir.path, c);
  ASSERT_TRUE(gw.start());
  ASSERT_TRUE(gw.waitSubscribed());
  ASSERT_EQ(mosquittoPub(port, base + "/json/boiler1",
                         R"({"ts":1714564800000,"data":{"t":81.5,"p":2,"unit":"degC"}})", 1),
            0);
  ASSERT_EQ(mosquittoPub(port, base + "/value/pump1/speed", "1450", 2), 0);
  ASSERT_EQ(mosquittoPub(port, base + "/q0/flag", "true", 0), 0);
  ASSERT_TRUE(gw.waitRecords(
      [](const std::vector<model::Record>& rs) {
        return hasRecord(rs, "boiler1", "temperature", model::Value::ofDouble(81.5)) &&
               hasRecord(rs, "boiler1", "pressure", model::Value::ofInt64(2)) &&
               hasRecord(rs, "pump1", "speed", model::Value::ofInt64(1450)) &&
               hasRecord(rs, "dev0", "flag", model::Value::ofBool(true));
      },
      20s));
  for (const auto& r : gw.records()) {
    if (r.tag == "temperature") {
      EXPECT_EQ(r.unit, "degC");
      EXPECT_EQ(r.source_ts_ns, 1714564800000LL * 1'000'000);
      EXPECT_EQ(r.gateway, "gw1");
      EXPECT_EQ(r.adapter, "map");
    }
  }
  // QoS 1 and 2 were acknowledged (PUBACK, PUBREC) once durable.
  for (int i = 0; i < 100 && gw.metric("sf_mqtt_acks_total") < 2; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(gw.metric("sf_mqtt_acks_total"), 2);
  EXPECT_EQ(gw.supervisor().connects(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Mqtt, MqttVersions,
                         ::testing::Values(ProtocolVersion::kV5, ProtocolVersion::kV311),
                         [](const auto& info) {
                           return info.param == ProtocolVersion::kV5 ? "v5" : "v311";
                         });

// --- TLS against the services' broker ---------------------------------------------------------

TEST(MqttTls, CaAndHostnameVerification) {
  SF_REQUIRE_SERVICES(::sf::testing::kMqttHostVar, "SF_MQTT_TLS_PORT", "SF_MQTT_CA_FILE");
  const auto tls_port = static_cast<uint16_t>(std::atoi(std::getenv("SF_MQTT_TLS_PORT")));
  const std::string ca = std::getenv("SF_MQTT_CA_FILE");
  const std::string topic = uniqueTopic("tls");
  {
    TempDir dir;
    MqttConfig c = baseConfig("tls", tls_port, topic);
    c.tls = TlsConfig{};
    c.tls->ca_file = ca;
    Gateway gw(dir.path, c);
    ASSERT_TRUE(gw.start());
    ASSERT_TRUE(gw.waitSubscribed()) << gw.supervisor().lastError();
    ASSERT_EQ(mosquittoPub(*sharedMqttPort(), topic, "5", 1), 0);
    EXPECT_TRUE(gw.waitRecords([](const auto& rs) { return !numbers(rs, "seq").empty(); }, 10s));
  }
  {  // The certificate names 127.0.0.1 and localhost, not this.
    TempDir dir;
    MqttConfig c = baseConfig("tlsname", tls_port, topic);
    c.tls = TlsConfig{};
    c.tls->ca_file = ca;
    c.tls->server_name = "broker.wrong.example";
    Gateway gw(dir.path, c);
    ASSERT_TRUE(gw.start());
    EXPECT_FALSE(gw.waitSubscribed(1, 3s));
    EXPECT_NE(gw.supervisor().lastError().find("handshake"), std::string::npos)
        << gw.supervisor().lastError();
  }
  {  // Without our CA the chain does not verify.
    TempDir dir;
    MqttConfig c = baseConfig("tlsca", tls_port, topic);
    c.tls = TlsConfig{};
    Gateway gw(dir.path, c);
    ASSERT_TRUE(gw.start());
    EXPECT_FALSE(gw.waitSubscribed(1, 3s));
    EXPECT_NE(gw.supervisor().lastError().find("handshake"), std::string::npos)
        << gw.supervisor().lastError();
  }
}

// --- own brokers --------------------------------------------------------------------------------

TEST(MqttAuth, UsernameAndPassword) {
  Mosquitto broker(Mosquitto::Options{true, {{"gw", "s3cret"}}, ""});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  for (ProtocolVersion v : {ProtocolVersion::kV5, ProtocolVersion::kV311}) {
    {
      TempDir dir;
      MqttConfig c = baseConfig("auth", broker.port(), "a/#");
      c.version = v;
      c.username = "gw";
      c.password = "s3cret";
      Gateway gw(dir.path, c);
      ASSERT_TRUE(gw.start());
      EXPECT_TRUE(gw.waitSubscribed()) << gw.supervisor().lastError();
    }
    {
      TempDir dir;
      MqttConfig c = baseConfig("authbad", broker.port(), "a/#");
      c.version = v;
      c.username = "gw";
      c.password = "wrong";
      Gateway gw(dir.path, c);
      ASSERT_TRUE(gw.start());
      EXPECT_FALSE(gw.waitSubscribed(1, 2s));
      EXPECT_NE(gw.supervisor().lastError().find("refused the connection"), std::string::npos)
          << gw.supervisor().lastError();
    }
  }
}

class MqttSession : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(MqttSession, MessagesQueuedWhileTheGatewayIsDownArriveAfterRestart) {
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir dir;
  MqttConfig c = baseConfig("session", broker.port(), "queued/n");
  c.version = GetParam();
  {
    Gateway gw(dir.path, c);
    ASSERT_TRUE(gw.start());
    ASSERT_TRUE(gw.waitSubscribed());
  }  // stopped: the broker keeps the session
  LinePublisher pub(broker.port(), "queued/n", 1, "pub-session");
  pub.publish(1, 500, 0);
  ASSERT_EQ(pub.finish(), 0);
  Gateway gw(dir.path, c);
  ASSERT_TRUE(gw.start());
  ASSERT_TRUE(gw.waitRecords(
      [](const auto& rs) { return countMissing(numbers(rs, "seq"), 1, 500) == 0; }, 30s))
      << countMissing(numbers(gw.records(), "seq"), 1, 500) << " missing";
  EXPECT_EQ(gw.metric("sf_mqtt_sessions_lost_total"), 0);
}

INSTANTIATE_TEST_SUITE_P(Mqtt, MqttSession,
                         ::testing::Values(ProtocolVersion::kV5, ProtocolVersion::kV311),
                         [](const auto& info) {
                           return info.param == ProtocolVersion::kV5 ? "v5" : "v311";
                         });

TEST(MqttBrokerRestart, NothingLostAcrossABrokerRestartMidStream) {
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir dir;
  MqttConfig c = baseConfig("restart", broker.port(), "stream/n");
  // Few messages in flight, each durable after a group fsync: the drain of the backlog takes
  // seconds on a disk with a millisecond fsync, so the broker stops in the middle of it.
  c.max_inflight = 10;
  {
    Gateway gw(dir.path, c);
    ASSERT_TRUE(gw.start());
    ASSERT_TRUE(gw.waitSubscribed());
  }
  // A backlog queued in the persistent session while the gateway is away. (mosquitto_pub
  // loses messages when it publishes far more at once: the broker drops it "out of memory".)
  constexpr int64_t kBacklog = 20000;
  {
    LinePublisher pub(broker.port(), "stream/n", 1, "pub-restart-1");
    pub.publish(1, kBacklog, 0);
    ASSERT_EQ(pub.finish(), 0);
  }
  Gateway gw(dir.path, c);
  ASSERT_TRUE(gw.start());
  // Stop the broker while the gateway drains the backlog (messages in flight both ways).
  ASSERT_TRUE(gw.waitRecords([](const auto& rs) { return numbers(rs, "seq").size() >= 500; }, 30s));
  broker.stop();
  const size_t before = numbers(gw.records(), "seq").size();
  ASSERT_TRUE(broker.start()) << broker.logTail();
  {
    LinePublisher pub(broker.port(), "stream/n", 1, "pub-restart-2");
    pub.publish(kBacklog + 1, kBacklog + 2000, 0);
    ASSERT_EQ(pub.finish(), 0);
  }
  ASSERT_TRUE(gw.waitRecords(
      [&](const auto& rs) { return countMissing(numbers(rs, "seq"), 1, kBacklog + 2000) == 0; },
      240s))
      << countMissing(numbers(gw.records(), "seq"), 1, kBacklog + 2000) << " missing";
  auto got = numbers(gw.records(), "seq");
  RecordProperty("in_log_when_broker_stopped", static_cast<int>(before));
  RecordProperty("duplicates", static_cast<int>(duplicates(got)));
  std::cout << "[ restart  ] " << before << " of " << kBacklog
            << " in the log when the broker stopped; " << duplicates(got)
            << " duplicates; connects " << gw.supervisor().connects() << std::endl;
  EXPECT_LT(before, static_cast<size_t>(kBacklog)) << "the broker stopped after the drain";
  EXPECT_GE(gw.supervisor().connects(), 2u);
  EXPECT_EQ(gw.metric("sf_mqtt_sessions_lost_total"), 0);
}

TEST(MqttShared, ASharedSubscriptionSplitsTheLoad) {
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir d1, d2;
  MqttConfig c1 = baseConfig("share1", broker.port(), "work/n");
  c1.subscriptions[0].share_group = "gws";
  MqttConfig c2 = c1;
  c2.name = "share2";
  c2.client_id += "-2";
  Gateway g1(d1.path, c1), g2(d2.path, c2);
  ASSERT_TRUE(g1.start());
  ASSERT_TRUE(g2.start());
  ASSERT_TRUE(g1.waitSubscribed());
  ASSERT_TRUE(g2.waitSubscribed());
  LinePublisher pub(broker.port(), "work/n", 1, "pub-share");
  pub.publish(1, 2000, 0);
  ASSERT_EQ(pub.finish(), 0);
  auto all_there = [&] {
    auto a = numbers(g1.records(), "seq"), b = numbers(g2.records(), "seq");
    for (const auto& [n, k] : b) a[n] += k;
    return countMissing(a, 1, 2000) == 0;
  };
  for (int i = 0; i < 600 && !all_there(); ++i) std::this_thread::sleep_for(50ms);
  auto a = numbers(g1.records(), "seq"), b = numbers(g2.records(), "seq");
  EXPECT_GT(a.size(), 0u);
  EXPECT_GT(b.size(), 0u);
  size_t both = 0;
  for (const auto& [n, k] : a) both += b.count(n);
  EXPECT_EQ(both, 0u);
  EXPECT_EQ(a.size() + b.size(), 2000u);
}

// --- the kill test ------------------------------------------------------------------------------

pid_t spawnChild(const std::vector<std::string>& argv, int* out_fd) {
  auto p = sf::testing::spawnProcess(argv, {.pipe_stdout = true});
  *out_fd = p.stdout_fd;
  return p.pid;
}

TEST(MqttKill, EveryAcknowledgedNumberIsInTheLogAfterRepeatedSigkill) {
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir dir;
  const std::string client_id = "sf-kill-" + std::to_string(::getpid());
  const std::vector<std::string> argv = {SF_MQTT_GATEWAY_CHILD, dir.path,
                                         std::to_string(broker.port()), client_id, "kill/n"};
  const int64_t kCount = 8000;
  // First start: the subscription (and the session) must exist before anything is published.
  int fd = -1;
  pid_t child = spawnChild(argv, &fd);
  ASSERT_GT(child, 0);
  char buf[64] = {};
  ASSERT_GT(::read(fd, buf, sizeof buf - 1), 0) << "child did not subscribe";
  ::close(fd);
  std::thread publisher([&] {
    LinePublisher pub(broker.port(), "kill/n", 1, "pub-kill");
    pub.publish(1, kCount, 1000);  // ~8 s of numbered QoS 1 messages
    EXPECT_EQ(pub.finish(), 0);
  });
  std::mt19937 rng(12345);
  int kills = 0;
  for (; kills < 6; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + rng() % 900));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    child = spawnChild(argv, &fd);
    ASSERT_GT(child, 0);
    ::close(fd);
  }
  publisher.join();
  // The last run: let it drain, stop it cleanly, look into the log. Repeat while numbers are
  // still queued at the broker.
  std::map<int64_t, int> got;
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(2s);
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
    got = numbers(readLogDir(dir.path), "seq");
    if (countMissing(got, 1, kCount) == 0) break;
    child = spawnChild(argv, &fd);
    ::close(fd);
  }
  std::cout << "[ kill     ] " << kills << " SIGKILLs; " << got.size() << " distinct numbers of "
            << kCount << "; " << duplicates(got) << " duplicates (redelivered after a kill)"
            << std::endl;
  EXPECT_EQ(countMissing(got, 1, kCount), 0u);
  RecordProperty("duplicates", static_cast<int>(duplicates(got)));
}

// --- bad input --------------------------------------------------------------------------------

std::string writeFile(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(MqttBadInput, CountedLoggedWithTopicAcknowledgedNeverFatal) {
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir dir, files;
  MqttConfig c = baseConfig("bad", broker.port(), "json/{device}", PayloadFormat::kJson);
  c.subscriptions[0].device.clear();
  c.subscriptions[0].tag.clear();
  JsonFieldConfig f;
  f.tag = "speed";
  f.value = "speed";
  f.type = ValueKind::kDouble;
  c.subscriptions[0].fields = {f};
  c.max_message_size = config::ByteSize{1024};
  SubscriptionConfig sp;
  sp.topic = "spBv1.0/G/#";
  sp.format = PayloadFormat::kSparkplug;
  c.subscriptions.push_back(sp);
  SubscriptionConfig tts;
  tts.topic = "v3/+/devices/+/up";
  tts.format = PayloadFormat::kTts;
  LoraDecoderConfig layout;
  layout.type = LoraDecoderType::kLayout;
  layout.fields = {
      LayoutFieldConfig{"t", 0, LayoutType::kI32, Endian::kBig, std::nullopt, 1, 0, ""}};
  tts.decoders = {layout};
  c.subscriptions.push_back(tts);
  Gateway gw(dir.path, c);
  ASSERT_TRUE(gw.start());
  ASSERT_TRUE(gw.waitSubscribed());

  ASSERT_EQ(mosquittoPub(broker.port(), "json/m1", "{\"speed\": 1.5,", 1), 0);
  ASSERT_EQ(mosquittoPub(broker.port(), "json/m1", R"({"speed":"fast"})", 1), 0);
  ASSERT_EQ(mosquittoPub(broker.port(), "json/m1", "", 1,
                         {"-f", writeFile(files.path, "big", std::string(5000, '{'))}),
            0);
  ASSERT_EQ(mosquittoPub(broker.port(), "spBv1.0/G/NDATA/n1", "", 1,
                         {"-f", writeFile(files.path, "junk", std::string("\xff\xff\xff\x0b", 4))}),
            0);
  // A birth, then data with an alias the birth did not define.
  sparkplug::Writer metric;
  metric.bytes(1, "m");
  metric.varint(2, 1);
  metric.varint(4, sparkplug::kDouble);
  metric.doubleValue(13, 1);
  sparkplug::Writer birth;
  birth.varint(3, 0);
  birth.bytes(2, metric.data());
  ASSERT_EQ(mosquittoPub(broker.port(), "spBv1.0/G/NBIRTH/n2", "", 1,
                         {"-f", writeFile(files.path, "birth", birth.data())}),
            0);
  sparkplug::Writer m99;
  m99.varint(2, 99);
  m99.doubleValue(13, 2);
  sparkplug::Writer data;
  data.varint(3, 1);
  data.bytes(2, m99.data());
  ASSERT_EQ(mosquittoPub(broker.port(), "spBv1.0/G/NDATA/n2", "", 1,
                         {"-f", writeFile(files.path, "data", data.data())}),
            0);
  ASSERT_EQ(
      mosquittoPub(
          broker.port(), "v3/app@ttn/devices/d1/up",
          R"({"end_device_ids":{"device_id":"d1","dev_eui":"0102030405060708"},"uplink_message":{"f_port":1,"f_cnt":5,"frm_payload":"AQI="}})",
          1),
      0);
  // A good message after all that still flows.
  ASSERT_EQ(mosquittoPub(broker.port(), "json/m1", R"({"speed":3.5})", 1), 0);

  ASSERT_TRUE(gw.waitRecords(
      [](const auto& rs) { return hasRecord(rs, "m1", "speed", model::Value::ofDouble(3.5)); },
      20s));
  for (const char* reason : {"invalid_json", "wrong_type", "oversized", "invalid_protobuf",
                             "unknown_alias", "short_frame"}) {
    EXPECT_GE(gw.metric("sf_mqtt_bad_input_total", {{"reason", reason}}), 1) << reason;
  }
  std::set<std::string> logged_topics;
  for (const auto& r : gw.records()) {
    if (r.tag != "_bad_input") continue;
    ASSERT_NE(r.log(), nullptr);
    ASSERT_NE(r.attributes.find("topic"), nullptr);
    logged_topics.insert(*r.attributes.find("topic"));
    EXPECT_NE(r.log()->message.find(*r.attributes.find("topic")), std::string::npos);
  }
  EXPECT_TRUE(logged_topics.count("json/m1"));
  EXPECT_TRUE(logged_topics.count("spBv1.0/G/NDATA/n1"));
  EXPECT_TRUE(logged_topics.count("spBv1.0/G/NDATA/n2"));
  EXPECT_TRUE(logged_topics.count("v3/app@ttn/devices/d1/up"));
  // Everything was acknowledged (bad input included) and the session never dropped.
  for (int i = 0; i < 100 && gw.metric("sf_mqtt_acks_total") < 8; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(gw.metric("sf_mqtt_acks_total"), 8);
  EXPECT_EQ(gw.supervisor().connects(), 1u);
}

// --- Sparkplug B with an independent edge node -------------------------------------------------

TEST(MqttSparkplug, AliasesRebirthOnSeqGapDeathMakesQualityBad) {
  const char* python = std::getenv("SF_PYTHON");
  if (python == nullptr || *python == '\0') {
    GTEST_SKIP() << "SF_PYTHON is not set (scripts/test.sh exports the project venv's python)";
  }
  std::string probe;
  if (runProgram({python, "-c", "import pysparkplug, paho.mqtt.client"}, &probe) != 0) {
    GTEST_FAIL() << python
                 << " has no pysparkplug/paho-mqtt (scripts/requirements-test.txt): " << probe;
  }
  Mosquitto broker(Mosquitto::Options{});
  ASSERT_TRUE(broker.start()) << broker.logTail();
  TempDir dir;
  MqttConfig c = baseConfig("spb", broker.port(), "spBv1.0/#", PayloadFormat::kSparkplug, 0);
  c.subscriptions[0].device.clear();
  c.subscriptions[0].tag.clear();
  c.sparkplug = SparkplugConfig{};
  c.sparkplug->host_id = "sfhost";
  Gateway gw(dir.path, c);
  ASSERT_TRUE(gw.start());
  ASSERT_TRUE(gw.waitSubscribed());

  std::string out;
  int rc = runProgram({python, std::string(SF_MQTT_IT_DIR) + "/sparkplug_edge.py", "127.0.0.1",
                       std::to_string(broker.port()), "G1", "node1", "motor1"},
                      &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("rebirth-received"), std::string::npos) << out;

  auto bad_temp = [](const std::vector<model::Record>& rs) {
    for (const auto& r : rs) {
      if (r.device == "G1.node1" && r.tag == "Inputs/Temp" &&
          r.quality.level == model::QualityLevel::kBad)
        return true;
    }
    return false;
  };
  ASSERT_TRUE(gw.waitRecords(bad_temp, 20s));
  auto rs = gw.records();
  // Aliases resolved, units from the birth's properties, signed Int32.
  EXPECT_TRUE(hasRecord(rs, "G1.node1", "Inputs/Temp", model::Value::ofDouble(21.5)));
  EXPECT_TRUE(hasRecord(rs, "G1.node1", "Inputs/Temp", model::Value::ofDouble(24.5)));
  EXPECT_TRUE(hasRecord(rs, "G1.node1", "Inputs/Count", model::Value::ofInt64(-3)));
  EXPECT_TRUE(hasRecord(rs, "G1.node1.motor1", "Speed", model::Value::ofDouble(2.5)));
  bool seq_gap_logged = false, speed_bad = false;
  for (const auto& r : rs) {
    if (r.tag == "Inputs/Temp") {
      EXPECT_EQ(r.unit, "degC");
    }
    if (r.tag == "Speed") {
      EXPECT_EQ(r.unit, "rpm");
    }
    if (r.tag == "Speed" && r.quality.level == model::QualityLevel::kBad) speed_bad = true;
    if (r.tag == "_bad_input" && r.attributes.find("reason") &&
        *r.attributes.find("reason") == "seq_gap") {
      seq_gap_logged = true;
    }
  }
  EXPECT_TRUE(seq_gap_logged);
  EXPECT_TRUE(speed_bad);  // the node's death takes its devices' metrics with it
  EXPECT_GE(gw.metric("sf_sparkplug_rebirth_requests_total"), 1);
  // Our host STATE is retained online.
  std::string state;
  runProgram({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-t",
              "spBv1.0/STATE/sfhost", "-C", "1", "-W", "5"},
             &state);
  EXPECT_NE(state.find("\"online\":true"), std::string::npos) << state;
}

}  // namespace
}  // namespace sf::mqtt::it
