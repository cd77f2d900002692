// The hand-written Sparkplug B decoder against payloads built with protoc-generated code from
// sparkplug_b.proto, and the host state machine (aliases, seq, rebirth, deaths, STATE).
#include <gtest/gtest.h>

#include "dataplane/adapters/mqtt/sparkplug/host.h"
#include "dataplane/adapters/mqtt/sparkplug/payload.h"
#include "sparkplug_b.pb.h"

namespace sf::mqtt::sparkplug {
namespace {

namespace pb = org::eclipse::tahu::protobuf;
constexpr int64_t kNow = 1'700'000'000'000'000'000;

pb::Payload::Metric* addMetric(pb::Payload& p, const std::string& name, uint64_t alias,
                               pb::DataType type) {
  auto* m = p.add_metrics();
  if (!name.empty()) m->set_name(name);
  if (alias) m->set_alias(alias);
  m->set_datatype(type);
  return m;
}

void addUnit(pb::Payload::Metric* m, const std::string& unit) {
  auto* props = m->mutable_properties();
  props->add_keys("engUnit");
  auto* v = props->add_values();
  v->set_type(pb::String);
  v->set_string_value(unit);
  props->add_keys("engLow");
  auto* low = props->add_values();
  low->set_type(pb::Double);
  low->set_double_value(-10);
}

TEST(SparkplugPayload, DecodesWhatGeneratedCodeEncodes) {
  pb::Payload p;
  p.set_timestamp(1714564800000);
  p.set_seq(7);
  p.set_uuid("u-1");
  addMetric(p, "i8", 1, pb::Int8)->set_int_value(static_cast<uint32_t>(static_cast<uint8_t>(-5)));
  addMetric(p, "i32", 2, pb::Int32)->set_int_value(static_cast<uint32_t>(-70000));
  addMetric(p, "i64", 3, pb::Int64)->set_long_value(static_cast<uint64_t>(-3));
  addMetric(p, "u64", 4, pb::UInt64)->set_long_value(18446744073709551615ull);
  addMetric(p, "f", 5, pb::Float)->set_float_value(1.5f);
  auto* d = addMetric(p, "d", 6, pb::Double);
  d->set_double_value(2.25);
  d->set_timestamp(1714564801000);
  addUnit(d, "bar");
  addMetric(p, "b", 7, pb::Boolean)->set_boolean_value(true);
  addMetric(p, "s", 8, pb::String)->set_string_value("héllo");
  addMetric(p, "n", 9, pb::Double)->set_is_null(true);
  std::string ints;
  for (int16_t v : {int16_t{-1}, int16_t{2}, int16_t{300}}) {
    ints.push_back(static_cast<char>(v & 0xff));
    ints.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  addMetric(p, "arr", 10, pb::Int16Array)->set_bytes_value(ints);
  addMetric(p, "bools", 11, pb::BooleanArray)
      ->set_bytes_value(std::string("\x03\x00\x00\x00\xA0", 5));
  addMetric(p, "strs", 12, pb::StringArray)->set_bytes_value(std::string("ab\0c\0", 5));
  std::string wire = p.SerializeAsString();

  auto decoded = decodePayload(wire);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->timestamp, 1714564800000u);
  EXPECT_EQ(decoded->seq, 7u);
  EXPECT_EQ(decoded->uuid, "u-1");
  ASSERT_EQ(decoded->metrics.size(), 12u);
  auto value = [&](size_t i) {
    bool json = false;
    auto v = metricValue(decoded->metrics[i], 0, json);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : model::Value();
  };
  EXPECT_EQ(value(0), model::Value::ofInt64(-5));
  EXPECT_EQ(value(1), model::Value::ofInt64(-70000));
  EXPECT_EQ(value(2), model::Value::ofInt64(-3));
  EXPECT_EQ(value(3), model::Value::ofUInt64(18446744073709551615ull));
  EXPECT_EQ(value(4), model::Value::ofDouble(1.5));
  EXPECT_EQ(value(5), model::Value::ofDouble(2.25));
  EXPECT_EQ(decoded->metrics[5].timestamp, 1714564801000u);
  ASSERT_EQ(decoded->metrics[5].properties.size(), 2u);
  EXPECT_EQ(decoded->metrics[5].properties[0].first, "engUnit");
  EXPECT_EQ(decoded->metrics[5].properties[0].second.text, "bar");
  EXPECT_EQ(value(6), model::Value::ofBool(true));
  EXPECT_EQ(value(7), model::Value::ofString("héllo"));
  EXPECT_TRUE(value(8).isNull());
  EXPECT_EQ(value(9), model::Value::ofInt64Array({-1, 2, 300}));
  EXPECT_EQ(value(10), model::Value::ofBoolArray({true, false, true}));
  EXPECT_EQ(value(11), model::Value::ofStringArray({"ab", "c"}));
}

TEST(SparkplugPayload, DataSetAndTemplateAsJson) {
  pb::Payload p;
  auto* m = addMetric(p, "table", 0, pb::DataSet);
  auto* ds = m->mutable_dataset_value();
  ds->set_num_of_columns(2);
  ds->add_columns("id");
  ds->add_columns("name");
  ds->add_types(pb::Int32);
  ds->add_types(pb::String);
  auto* row = ds->add_rows();
  row->add_elements()->set_int_value(static_cast<uint32_t>(-2));
  row->add_elements()->set_string_value("x");
  auto* t = addMetric(p, "motor", 0, pb::Template);
  auto* tv = t->mutable_template_value();
  tv->set_template_ref("Motor");
  tv->set_version("1");
  auto* inner = tv->add_metrics();
  inner->set_name("rpm");
  inner->set_datatype(pb::Double);
  inner->set_double_value(1500);
  auto* param = tv->add_parameters();
  param->set_name("size");
  param->set_type(pb::Int32);
  param->set_int_value(3);
  const std::string wire = p.SerializeAsString();  // decoded views point into it
  auto decoded = decodePayload(wire);
  ASSERT_TRUE(decoded);
  bool json = false;
  auto v = metricValue(decoded->metrics[0], 0, json);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(json);
  EXPECT_EQ(*v->get<std::string>(),
            R"({"columns":["id","name"],"rows":[[-2,"x"]],"types":["Int32","String"]})");
  v = metricValue(decoded->metrics[1], 0, json);
  ASSERT_TRUE(v) << v.error().message;
  auto tj = nlohmann::json::parse(*v->get<std::string>());
  EXPECT_EQ(tj["template_ref"], "Motor");
  EXPECT_EQ(tj["metrics"][0]["name"], "rpm");
  EXPECT_EQ(tj["metrics"][0]["value"], 1500.0);
  EXPECT_EQ(tj["parameters"][0]["value"], 3);
}

TEST(SparkplugPayload, RejectsMalformed) {
  EXPECT_FALSE(decodePayload(std::string("\x12\x05\x0A", 3)));  // metrics length beyond end
  EXPECT_FALSE(decodePayload(
      std::string("\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x7F", 11)));  // varint > 64 bits
  EXPECT_FALSE(decodePayload(std::string("\x0A\x01\x00", 3)));  // timestamp as length-delimited
  EXPECT_FALSE(decodePayload(std::string("\x0B", 1)));          // group wire type
  EXPECT_TRUE(decodePayload(std::string("\x30\x01", 2)));       // unknown field skipped
  // A FloatArray of 5 bytes does not fit.
  Writer m;
  m.bytes(1, "a");
  m.varint(4, kFloatArray);
  m.bytes(16, "12345");
  Writer p;
  p.bytes(2, m.data());
  auto decoded = decodePayload(p.data());
  ASSERT_TRUE(decoded);
  bool json = false;
  EXPECT_FALSE(metricValue(decoded->metrics[0], 0, json));
  // Deeply nested templates are refused, not recursed without bound.
  std::string tmpl;
  for (int i = 0; i < 20; ++i) {
    Writer metric;
    metric.varint(4, kTemplate);
    metric.bytes(18, tmpl);
    Writer t;
    t.bytes(2, metric.data());
    tmpl = t.take();
  }
  EXPECT_FALSE(templateToJson(tmpl));
}

TEST(SparkplugPayload, RebirthRequestDecodesWithGeneratedCode) {
  pb::Payload p;
  ASSERT_TRUE(p.ParseFromString(encodeRebirthRequest(1714564800000)));
  ASSERT_EQ(p.metrics_size(), 1);
  EXPECT_EQ(p.metrics(0).name(), "Node Control/Rebirth");
  EXPECT_EQ(p.metrics(0).datatype(), pb::Boolean);
  EXPECT_TRUE(p.metrics(0).boolean_value());
  EXPECT_EQ(p.timestamp(), 1714564800000u);
}

// --- host -------------------------------------------------------------------------------------

class HostTest : public ::testing::Test {
 protected:
  HostTest() : host_("sp", config(), std::make_shared<DeclaredTags>()) {}
  static SparkplugConfig config() {
    SparkplugConfig c;
    c.host_id = "gwhost";
    c.rebirth_interval = std::chrono::milliseconds(1000);
    return c;
  }
  MapOutput send(const std::string& topic, const pb::Payload& p, int64_t now = kNow) {
    std::string wire = p.SerializeAsString();
    MapOutput out;
    host_.map(MessageView{topic, wire, false, now}, out);
    for (auto& r : out.records) {
      r.gateway = "gw";
      EXPECT_TRUE(model::validate(r)) << model::validate(r).error().message;
    }
    return out;
  }
  static pb::Payload nbirth(uint64_t bd_seq) {
    pb::Payload p;
    p.set_timestamp(1714564800000);
    p.set_seq(0);
    addMetric(p, "bdSeq", 0, pb::Int64)->set_long_value(bd_seq);
    addMetric(p, "Node Control/Rebirth", 1, pb::Boolean)->set_boolean_value(false);
    auto* t = addMetric(p, "Inputs/Temp", 2, pb::Float);
    t->set_float_value(20.5f);
    addUnit(t, "degC");
    addMetric(p, "Inputs/Count", 3, pb::UInt32)->set_int_value(5);
    return p;
  }
  static pb::Payload ndata(uint64_t seq, uint64_t alias, float v) {
    pb::Payload p;
    p.set_timestamp(1714564801000);
    p.set_seq(seq);
    auto* m = p.add_metrics();
    m->set_alias(alias);
    m->set_float_value(v);
    return p;
  }
  static const model::Record* find(const MapOutput& out, const std::string& tag) {
    for (const auto& r : out.records) {
      if (r.tag == tag) return &r;
    }
    return nullptr;
  }
  SparkplugHost host_;
};

TEST_F(HostTest, BirthDataAliasesAndUnits) {
  auto out = send("spBv1.0/Plant/NBIRTH/edge1", nbirth(3));
  EXPECT_TRUE(out.problems.empty());
  const auto* temp = find(out, "Inputs/Temp");
  ASSERT_NE(temp, nullptr);
  EXPECT_EQ(temp->device, "Plant.edge1");
  EXPECT_EQ(temp->unit, "degC");
  EXPECT_EQ(temp->value, model::Value::ofDouble(20.5));
  EXPECT_EQ(*temp->attributes.find("property.engLow"), "-10");
  EXPECT_EQ(find(out, "bdSeq"), nullptr);
  EXPECT_NE(find(out, "_sparkplug"), nullptr);  // the birth is announced

  out = send("spBv1.0/Plant/NDATA/edge1", ndata(1, 2, 21.0f));
  EXPECT_TRUE(out.problems.empty());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].tag, "Inputs/Temp");  // resolved from the alias
  EXPECT_EQ(out.records[0].unit, "degC");
  EXPECT_EQ(out.records[0].value, model::Value::ofDouble(21.0));
  EXPECT_EQ(out.records[0].source_ts_ns, 1714564801000LL * 1'000'000);
  EXPECT_TRUE(out.publish.empty());
}

TEST_F(HostTest, SeqGapRequestsRebirthOncePerInterval) {
  send("spBv1.0/Plant/NBIRTH/edge1", nbirth(3));
  send("spBv1.0/Plant/NDATA/edge1", ndata(1, 2, 21.0f));
  auto out = send("spBv1.0/Plant/NDATA/edge1", ndata(5, 2, 22.0f));  // 2..4 missing
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kSeqGap);
  ASSERT_EQ(out.publish.size(), 1u);
  EXPECT_EQ(out.publish[0].topic, "spBv1.0/Plant/NCMD/edge1");
  pb::Payload cmd;
  ASSERT_TRUE(cmd.ParseFromString(out.publish[0].payload));
  EXPECT_EQ(cmd.metrics(0).name(), "Node Control/Rebirth");
  EXPECT_NE(find(out, "Inputs/Temp"), nullptr);  // the data itself is still recorded
  // Another gap right away: no second request within the interval.
  out = send("spBv1.0/Plant/NDATA/edge1", ndata(9, 2, 23.0f), kNow + 1000);
  EXPECT_TRUE(out.publish.empty());
  // After the interval, yes.
  out = send("spBv1.0/Plant/NDATA/edge1", ndata(20, 2, 23.0f), kNow + 2'000'000'000);
  EXPECT_EQ(out.publish.size(), 1u);
  // The rebirth resets the sequence.
  out = send("spBv1.0/Plant/NBIRTH/edge1", nbirth(4));
  out = send("spBv1.0/Plant/NDATA/edge1", ndata(1, 2, 24.0f));
  EXPECT_TRUE(out.problems.empty());
  EXPECT_EQ(host_.rebirthRequests(), 2u);
}

TEST_F(HostTest, UnknownAliasAndDataBeforeBirth) {
  auto out = send("spBv1.0/Plant/NDATA/edge2", ndata(1, 2, 1.0f));
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kDataBeforeBirth);
  EXPECT_EQ(out.publish.size(), 1u);
  send("spBv1.0/Plant/NBIRTH/edge1", nbirth(3));
  out = send("spBv1.0/Plant/NDATA/edge1", ndata(1, 99, 1.0f));
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kUnknownAlias);
  EXPECT_EQ(out.publish.size(), 1u);
}

TEST_F(HostTest, DeathsMakeQualityBadAndStaleDeathsAreIgnored) {
  send("spBv1.0/Plant/NBIRTH/edge1", nbirth(3));
  pb::Payload dbirth;
  dbirth.set_seq(1);
  addMetric(dbirth, "Speed", 1, pb::Double)->set_double_value(3);
  auto out = send("spBv1.0/Plant/DBIRTH/edge1/motor1", dbirth);
  ASSERT_NE(find(out, "Speed"), nullptr);
  EXPECT_EQ(find(out, "Speed")->device, "Plant.edge1.motor1");
  pb::Payload ddeath;
  ddeath.set_seq(2);
  out = send("spBv1.0/Plant/DDEATH/edge1/motor1", ddeath);
  ASSERT_NE(find(out, "Speed"), nullptr);
  EXPECT_EQ(find(out, "Speed")->quality.level, model::QualityLevel::kBad);
  EXPECT_TRUE(find(out, "Speed")->value.isNull());

  pb::Payload stale;
  addMetric(stale, "bdSeq", 0, pb::Int64)->set_long_value(2);
  out = send("spBv1.0/Plant/NDEATH/edge1", stale);
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kStaleDeath);
  EXPECT_TRUE(out.records.empty());

  pb::Payload death;
  addMetric(death, "bdSeq", 0, pb::Int64)->set_long_value(3);
  out = send("spBv1.0/Plant/NDEATH/edge1", death);
  const auto* temp = find(out, "Inputs/Temp");
  ASSERT_NE(temp, nullptr);
  EXPECT_EQ(temp->quality.level, model::QualityLevel::kBad);
  EXPECT_EQ(temp->unit, "degC");
  EXPECT_NE(find(out, "_sparkplug"), nullptr);
  // Data after death waits for a new birth.
  out = send("spBv1.0/Plant/NDATA/edge1", ndata(3, 2, 1.0f));
  EXPECT_EQ(out.problems[0].issue, Issue::kDataBeforeBirth);
}

TEST_F(HostTest, StateBirthWillAndReassertion) {
  Will w = host_.stateWill(1714564800123);
  EXPECT_EQ(w.topic, "spBv1.0/STATE/gwhost");
  EXPECT_EQ(w.payload, R"({"online":false,"timestamp":1714564800123})");
  EXPECT_TRUE(w.retain);
  EXPECT_EQ(w.qos, 1);
  EXPECT_EQ(host_.stateBirth().payload, R"({"online":true,"timestamp":1714564800123})");
  MapOutput out;
  std::string offline = R"({"online":false,"timestamp":1})";
  host_.map(MessageView{"spBv1.0/STATE/gwhost", offline, true, kNow}, out);
  ASSERT_EQ(out.publish.size(), 1u);
  EXPECT_EQ(out.publish[0].payload, host_.stateBirth().payload);
  out.clear();
  host_.map(MessageView{"spBv1.0/STATE/otherhost", offline, true, kNow}, out);
  EXPECT_TRUE(out.publish.empty());
}

TEST_F(HostTest, UndecodablePayloadIsCountedAndAsksForRebirth) {
  send("spBv1.0/Plant/NBIRTH/edge1", nbirth(3));
  MapOutput out;
  std::string junk = "\xff\xff\xff";
  host_.map(MessageView{"spBv1.0/Plant/NDATA/edge1", junk, false, kNow}, out);
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].issue, Issue::kInvalidProtobuf);
  EXPECT_EQ(out.publish.size(), 1u);
  out.clear();
  host_.map(MessageView{"spBv1.0/Plant/NDATA", junk, false, kNow}, out);
  EXPECT_EQ(out.problems[0].issue, Issue::kInvalidTopic);
}

}  // namespace
}  // namespace sf::mqtt::sparkplug
