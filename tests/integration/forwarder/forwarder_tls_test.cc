// The forwarder over TLS with SASL (SCRAM-SHA-256) to the real single broker's SASL_SSL
// listener (scripts/services/up.sh: a throwaway CA, a random password per run), configured the
// way a user would: librdkafka properties in `kafka`, the password in `kafka_secrets`.
// - everything arrives, and the password never reaches the logs, even at librdkafka's debug level;
// - a wrong password, or a server certificate the client does not trust, delivers and
//   acknowledges nothing, and says why.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"

namespace sf::kafka::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSaslBootstrapVar = "SF_KAFKA_SASL_SSL_BOOTSTRAP";
constexpr const char* kCaFileVar = "SF_KAFKA_CA_FILE";
constexpr const char* kMechanismVar = "SF_KAFKA_SASL_MECHANISM";
constexpr const char* kUserVar = "SF_KAFKA_SASL_USERNAME";
constexpr const char* kPasswordVar = "SF_KAFKA_SASL_PASSWORD";

class ForwarderTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SF_REQUIRE_SERVICES(sf::testing::kKafkaBootstrapVar, kSaslBootstrapVar, kCaFileVar,
                        kMechanismVar, kUserVar, kPasswordVar);
    plain_bootstrap_ = sf::testing::kafkaBootstrap();
    dir_ = makeTempDir("sf-fwd-tls");
    ASSERT_FALSE(dir_.empty());
    auto log = openTestLog(dir_);
    ASSERT_TRUE(log) << log.error().toString();
    log_ = std::move(*log);
    site_ = sf::testing::uniqueTopic("tls");
    topic_ = "sf." + site_ + ".telemetry";
    ASSERT_TRUE(sf::testing::createTopic(plain_bootstrap_, topic_, 3, 1));
    std::vector<log::Entry> batch;
    for (int i = 0; i < 2000; ++i) batch.push_back(numberedEntry(i, 16, site_));
    for (uint64_t o : appendSync(*log_, std::move(batch))) expected_.insert(o);
    ASSERT_EQ(expected_.size(), 2000u);
  }
  void TearDown() override {
    if (log_) log_->close();
    removeTree(dir_);
  }

  // The output as a user configures it for a SASL_SSL listener.
  KafkaOutputOptions saslSslOutput(const std::string& password) const {
    auto o = testOutput("secure", *sf::testing::env(kSaslBootstrapVar));
    o.kafka["security.protocol"] = "SASL_SSL";
    o.kafka["ssl.ca.location"] = *sf::testing::env(kCaFileVar);
    o.kafka["sasl.mechanism"] = *sf::testing::env(kMechanismVar);
    o.kafka["sasl.username"] = *sf::testing::env(kUserVar);
    o.kafka_secrets["sasl.password"] = password;
    return o;
  }

  double errors(const std::string& kind) const {
    return metrics_.valueOf("sf_forwarder_errors_total", {{"output", "secure"}, {"kind", kind}});
  }

  // Runs a forwarder with `o` until the client reports an error; nothing may be acknowledged
  // or committed. Returns what was logged meanwhile.
  std::string runUntilRefused(const KafkaOutputOptions& o) {
    ::testing::internal::CaptureStderr();
    {
      auto f = Forwarder::create(o, *log_, {kGateway, kStream}, metrics_);
      EXPECT_TRUE(f) << f.error().message;
      if (f && (*f)->start()) {
        EXPECT_TRUE(waitUntil([&] { return errors("client") > 0; }, 60s));
        (*f)->stop();
        EXPECT_EQ((*f)->stats().acked, 0u);
      }
    }
    EXPECT_EQ(log_->cursor("secure").value_or(0), 0u);
    return ::testing::internal::GetCapturedStderr();
  }

  std::string plain_bootstrap_, dir_, site_, topic_;
  std::unique_ptr<log::Log> log_;
  std::set<uint64_t> expected_;
  core::MetricsRegistry metrics_;
};

TEST_F(ForwarderTlsTest, DeliversOverSaslSslAndNeverLogsThePassword) {
  std::string password = *sf::testing::env(kPasswordVar);
  auto o = saslSslOutput(password);
  o.kafka["debug"] = "security,broker,protocol";  // librdkafka at its most talkative
  bool done = false;
  Forwarder::Stats stats;
  ::testing::internal::CaptureStderr();
  {
    auto f = Forwarder::create(o, *log_, {kGateway, kStream}, metrics_);
    ASSERT_TRUE(f) << f.error().message;
    ASSERT_TRUE((*f)->start());
    done = waitUntil([&] { return (*f)->stats().cursor == log_->endOffset(); }, 120s);
    (*f)->stop();
    stats = (*f)->stats();
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(done) << "cursor " << stats.cursor << " of " << log_->endOffset() << "; log:\n"
                    << err.substr(err.size() > 6000 ? err.size() - 6000 : 0);
  EXPECT_EQ(stats.rebuilds, 0u);
  EXPECT_EQ(err.find(password), std::string::npos) << "the password was logged";
  EXPECT_NE(err.find("sasl.password=***"), std::string::npos) << "the redacted property is shown";
  EXPECT_NE(err.find("SASL_SSL"), std::string::npos);

  expectExactlyOnce(plain_bootstrap_, topic_, expected_);
}

TEST_F(ForwarderTlsTest, AWrongPasswordDeliversNothingAndSaysWhy) {
  std::string wrong = "wrong-" + *sf::testing::env(kPasswordVar);
  std::string err = runUntilRefused(saslSslOutput(wrong));
  EXPECT_EQ(err.find(wrong), std::string::npos) << "the password was logged";
  EXPECT_NE(err.find("Authentication failed"), std::string::npos) << err.substr(0, 4000);
}

TEST_F(ForwarderTlsTest, AnUntrustedServerCertificateIsRefused) {
  auto o = saslSslOutput(*sf::testing::env(kPasswordVar));
  o.kafka.erase("ssl.ca.location");  // the system's CAs do not include the test CA
  std::string err = runUntilRefused(o);
  EXPECT_NE(err.find("certificate verify failed"), std::string::npos) << err.substr(0, 4000);
}

}  // namespace
}  // namespace sf::kafka::it
