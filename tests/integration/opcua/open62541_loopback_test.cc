// Proves the open62541 route end to end: the library we build (or the system's) links into a
// C++20 test, an in-process open62541 server listens on an OS-chosen loopback port on its own
// thread, and the client API reads and writes a variable over real TCP, with SecurityPolicy#None
// and, when the build has encryption, Basic256Sha256 with SignAndEncrypt.

#include <gtest/gtest.h>
#include <open62541/client.h>
#include <open62541/client_config_default.h>
#include <open62541/client_highlevel.h>
#include <open62541/plugin/log_stdout.h>
#include <open62541/server.h>
#include <open62541/server_config_default.h>

#ifdef UA_ENABLE_ENCRYPTION
#include <open62541/plugin/create_certificate.h>
#endif

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr UA_UInt16 kNamespace = 1;
constexpr char kAnswerId[] = "sf.test.answer";
constexpr UA_Int32 kAnswer = 42;
constexpr char kServerAppUri[] = "urn:streamforge:test:opcua-server";
constexpr char kClientAppUri[] = "urn:streamforge:test:opcua-client";
constexpr char kBasic256Sha256[] = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

std::string toString(const UA_String& s) {
  return std::string(reinterpret_cast<const char*>(s.data), s.length);
}

UA_NodeId answerNode() { return UA_NODEID_STRING(kNamespace, const_cast<char*>(kAnswerId)); }

// Owns a UA_ByteString allocated by open62541.
struct OwnedBytes {
  UA_ByteString bytes = UA_BYTESTRING_NULL;
  OwnedBytes() = default;
  OwnedBytes(const OwnedBytes&) = delete;
  OwnedBytes& operator=(const OwnedBytes&) = delete;
  ~OwnedBytes() { UA_ByteString_clear(&bytes); }
};

struct ClientDeleter {
  void operator()(UA_Client* c) const {
    UA_Client_disconnect(c);
    UA_Client_delete(c);
  }
};
using ClientPtr = std::unique_ptr<UA_Client, ClientDeleter>;

// An open62541 server on 127.0.0.1 with a port chosen by the kernel (no probing, no race).
// start() binds on the calling thread, so the port is known and accepting before it returns;
// a dedicated thread then drives the server's event loop until stop(). Not thread-safe itself.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { stop(); }

  // With certificate and key (DER), the server offers every security policy the build has and
  // trusts exactly `trusted`; without, it offers SecurityPolicy#None only.
  UA_StatusCode start(const UA_ByteString* certificate = nullptr,
                      const UA_ByteString* private_key = nullptr,
                      const std::vector<UA_ByteString>& trusted = {}) {
    UA_ServerConfig config;
    std::memset(&config, 0, sizeof(config));
    // Errors only: the warnings are about this test's deliberately open setup (no access
    // control, RSA-only certificate so the ECC policies are skipped).
    config.logging = UA_Log_Stdout_new(UA_LOGLEVEL_ERROR);
    UA_StatusCode rc = UA_STATUSCODE_GOOD;
    if (certificate != nullptr) {
#ifdef UA_ENABLE_ENCRYPTION
      rc = UA_ServerConfig_setDefaultWithSecurityPolicies(&config, 0, certificate, private_key,
                                                          trusted.data(), trusted.size(), nullptr,
                                                          0, nullptr, 0);
#else
      rc = UA_STATUSCODE_BADNOTSUPPORTED;
#endif
    } else {
      rc = UA_ServerConfig_setMinimal(&config, 0, nullptr);
    }
    if (rc == UA_STATUSCODE_GOOD) {
      // Port 0: the kernel picks a free port; listen on loopback only.
      UA_Array_delete(config.serverUrls, config.serverUrlsSize, &UA_TYPES[UA_TYPES_STRING]);
      config.serverUrls = UA_String_new();
      config.serverUrlsSize = 1;
      *config.serverUrls = UA_STRING_ALLOC("opc.tcp://127.0.0.1:0");
      UA_String_clear(&config.applicationDescription.applicationUri);
      config.applicationDescription.applicationUri = UA_STRING_ALLOC(kServerAppUri);
    }
    if (rc != UA_STATUSCODE_GOOD) {
      UA_ServerConfig_clear(&config);
      return rc;
    }
    server_ = UA_Server_newWithConfig(&config);
    if (server_ == nullptr) return UA_STATUSCODE_BADOUTOFMEMORY;

    rc = addAnswerVariable();
    if (rc == UA_STATUSCODE_GOOD) rc = UA_Server_run_startup(server_);
    if (rc != UA_STATUSCODE_GOOD) {
      UA_Server_delete(server_);
      server_ = nullptr;
      return rc;
    }
    // The listen socket reports its real port into the discovery URLs during startup.
    const UA_ServerConfig* live = UA_Server_getConfig(server_);
    for (size_t i = 0; i < live->applicationDescription.discoveryUrlsSize; ++i) {
      std::string candidate = toString(live->applicationDescription.discoveryUrls[i]);
      if (candidate.rfind("opc.tcp://127.0.0.1:", 0) == 0 && !candidate.ends_with(":0")) {
        url_ = candidate;
      }
    }
    running_ = true;
    thread_ = std::thread([this] {
      while (running_.load(std::memory_order_relaxed)) UA_Server_run_iterate(server_, true);
    });
    return url_.empty() ? UA_STATUSCODE_BADINTERNALERROR : UA_STATUSCODE_GOOD;
  }

  void stop() {
    if (server_ == nullptr) return;
    running_ = false;
    // Wake the event loop from its wait so the thread sees the flag at once.
    UA_EventLoop* loop = UA_Server_getConfig(server_)->eventLoop;
    loop->cancel(loop);
    if (thread_.joinable()) thread_.join();
    UA_Server_run_shutdown(server_);
    UA_Server_delete(server_);
    server_ = nullptr;
  }

  const std::string& url() const { return url_; }
  UA_Server* get() { return server_; }

 private:
  UA_StatusCode addAnswerVariable() {
    UA_VariableAttributes attr = UA_VariableAttributes_default;
    UA_Int32 value = kAnswer;
    UA_Variant_setScalar(&attr.value, &value, &UA_TYPES[UA_TYPES_INT32]);
    attr.dataType = UA_TYPES[UA_TYPES_INT32].typeId;
    attr.displayName = UA_LOCALIZEDTEXT(const_cast<char*>("en-US"), const_cast<char*>(kAnswerId));
    attr.accessLevel = UA_ACCESSLEVELMASK_READ | UA_ACCESSLEVELMASK_WRITE;
    return UA_Server_addVariableNode(
        server_, answerNode(), UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER),
        UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES),
        UA_QUALIFIEDNAME(kNamespace, const_cast<char*>(kAnswerId)),
        UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE), attr, nullptr, nullptr);
  }

  UA_Server* server_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::string url_;
};

// A zeroed client config that logs errors only; fill it with a UA_ClientConfig_setDefault*.
UA_ClientConfig quietClientConfig() {
  UA_ClientConfig config;
  std::memset(&config, 0, sizeof(config));
  config.logging = UA_Log_Stdout_new(UA_LOGLEVEL_ERROR);
  config.timeout = 5000;
  return config;
}

// Takes over the config's contents (open62541 moves them into the client).
ClientPtr newClient(UA_ClientConfig& config) { return ClientPtr(UA_Client_newWithConfig(&config)); }

void expectAnswer(UA_Client* client, UA_Int32 expected) {
  UA_Variant value;
  UA_Variant_init(&value);
  ASSERT_EQ(UA_Client_readValueAttribute(client, answerNode(), &value), UA_STATUSCODE_GOOD);
  ASSERT_TRUE(UA_Variant_hasScalarType(&value, &UA_TYPES[UA_TYPES_INT32]));
  EXPECT_EQ(*static_cast<UA_Int32*>(value.data), expected);
  UA_Variant_clear(&value);
}

TEST(Open62541Loopback, ClientReadsAndWritesServerVariable) {
  LoopbackServer server;
  ASSERT_EQ(server.start(), UA_STATUSCODE_GOOD);
  ASSERT_FALSE(server.url().empty());

  UA_ClientConfig config = quietClientConfig();
  ASSERT_EQ(UA_ClientConfig_setDefault(&config), UA_STATUSCODE_GOOD);
  ClientPtr client = newClient(config);
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(UA_Client_connect(client.get(), server.url().c_str()), UA_STATUSCODE_GOOD);

  expectAnswer(client.get(), kAnswer);

  // A namespace-0 node too: the server reports itself running.
  UA_Variant state;
  UA_Variant_init(&state);
  ASSERT_EQ(UA_Client_readValueAttribute(
                client.get(), UA_NODEID_NUMERIC(0, UA_NS0ID_SERVER_SERVERSTATUS_STATE), &state),
            UA_STATUSCODE_GOOD);
  // Enumerations travel as Int32.
  ASSERT_TRUE(UA_Variant_hasScalarType(&state, &UA_TYPES[UA_TYPES_INT32]));
  EXPECT_EQ(*static_cast<UA_Int32*>(state.data), UA_SERVERSTATE_RUNNING);
  UA_Variant_clear(&state);

  // Write through the wire, observe on the server side.
  UA_Int32 written = -7;
  ASSERT_EQ(UA_Client_writeValueAttribute_scalar(client.get(), answerNode(), &written,
                                                 &UA_TYPES[UA_TYPES_INT32]),
            UA_STATUSCODE_GOOD);
  UA_Variant on_server;
  UA_Variant_init(&on_server);
  ASSERT_EQ(UA_Server_readValue(server.get(), answerNode(), &on_server), UA_STATUSCODE_GOOD);
  ASSERT_TRUE(UA_Variant_hasScalarType(&on_server, &UA_TYPES[UA_TYPES_INT32]));
  EXPECT_EQ(*static_cast<UA_Int32*>(on_server.data), written);
  UA_Variant_clear(&on_server);

  // A node that does not exist is a status code, not a crash.
  UA_Variant missing;
  UA_Variant_init(&missing);
  EXPECT_EQ(UA_Client_readValueAttribute(
                client.get(), UA_NODEID_STRING(kNamespace, const_cast<char*>("nope")), &missing),
            UA_STATUSCODE_BADNODEIDUNKNOWN);
  UA_Variant_clear(&missing);
}

#ifdef UA_ENABLE_ENCRYPTION
UA_String uaString(const char* s) { return UA_STRING(const_cast<char*>(s)); }

// A self-signed DER certificate and key for an application, made in memory (2048-bit RSA keeps
// the test quick; production certificates come from configuration).
void makeCertificate(const char* common_name, const char* app_uri, OwnedBytes& cert,
                     OwnedBytes& key) {
  std::string cn = std::string("CN=") + common_name;
  std::string uri = std::string("URI:") + app_uri;
  UA_String subject[] = {uaString("C=DE"), uaString("O=StreamForge test"), uaString(cn.c_str())};
  UA_String alt_names[] = {uaString("DNS:localhost"), uaString("IP:127.0.0.1"),
                           uaString(uri.c_str())};
  UA_UInt16 key_bits = 2048;
  UA_KeyValueMap params = UA_KEYVALUEMAP_NULL;
  ASSERT_EQ(
      UA_KeyValueMap_setScalar(&params, UA_QUALIFIEDNAME(0, const_cast<char*>("key-size-bits")),
                               &key_bits, &UA_TYPES[UA_TYPES_UINT16]),
      UA_STATUSCODE_GOOD);
  UA_Logger logger = UA_Log_Stdout_withLevel(UA_LOGLEVEL_WARNING);
  UA_StatusCode rc =
      UA_CreateCertificate(&logger, subject, 3, alt_names, 3, UA_CERTIFICATEFORMAT_DER, &params,
                           &key.bytes, &cert.bytes);
  UA_KeyValueMap_clear(&params);
  ASSERT_EQ(rc, UA_STATUSCODE_GOOD);
  ASSERT_GT(cert.bytes.length, 0u);
  ASSERT_GT(key.bytes.length, 0u);
}

TEST(Open62541Loopback, Basic256Sha256SignAndEncrypt) {
  OwnedBytes server_cert, server_key, client_cert, client_key;
  ASSERT_NO_FATAL_FAILURE(
      makeCertificate("sf-test-server", kServerAppUri, server_cert, server_key));
  ASSERT_NO_FATAL_FAILURE(
      makeCertificate("sf-test-client", kClientAppUri, client_cert, client_key));

  LoopbackServer server;
  ASSERT_EQ(server.start(&server_cert.bytes, &server_key.bytes, {client_cert.bytes}),
            UA_STATUSCODE_GOOD);

  // Each side trusts exactly the other's certificate.
  UA_ClientConfig config = quietClientConfig();
  ASSERT_EQ(UA_ClientConfig_setDefaultEncryption(&config, client_cert.bytes, client_key.bytes,
                                                 &server_cert.bytes, 1, nullptr, 0),
            UA_STATUSCODE_GOOD);
  UA_String_clear(&config.clientDescription.applicationUri);
  config.clientDescription.applicationUri = UA_STRING_ALLOC(kClientAppUri);
  config.securityMode = UA_MESSAGESECURITYMODE_SIGNANDENCRYPT;
  config.securityPolicyUri = UA_STRING_ALLOC(kBasic256Sha256);
  ClientPtr client = newClient(config);
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(UA_Client_connect(client.get(), server.url().c_str()), UA_STATUSCODE_GOOD);

  UA_SecureChannelState channel_state;
  UA_SessionState session_state;
  UA_StatusCode connect_status;
  UA_Client_getState(client.get(), &channel_state, &session_state, &connect_status);
  EXPECT_EQ(session_state, UA_SESSIONSTATE_ACTIVATED);
  expectAnswer(client.get(), kAnswer);
}

TEST(Open62541Loopback, UntrustedClientCertificateIsRejected) {
  OwnedBytes server_cert, server_key, client_cert, client_key;
  ASSERT_NO_FATAL_FAILURE(
      makeCertificate("sf-test-server", kServerAppUri, server_cert, server_key));
  ASSERT_NO_FATAL_FAILURE(
      makeCertificate("sf-test-client", kClientAppUri, client_cert, client_key));

  // The server trusts its own certificate only, not the client's.
  LoopbackServer server;
  ASSERT_EQ(server.start(&server_cert.bytes, &server_key.bytes, {server_cert.bytes}),
            UA_STATUSCODE_GOOD);

  UA_ClientConfig config = quietClientConfig();
  ASSERT_EQ(UA_ClientConfig_setDefaultEncryption(&config, client_cert.bytes, client_key.bytes,
                                                 &server_cert.bytes, 1, nullptr, 0),
            UA_STATUSCODE_GOOD);
  UA_String_clear(&config.clientDescription.applicationUri);
  config.clientDescription.applicationUri = UA_STRING_ALLOC(kClientAppUri);
  config.securityMode = UA_MESSAGESECURITYMODE_SIGNANDENCRYPT;
  config.securityPolicyUri = UA_STRING_ALLOC(kBasic256Sha256);
  ClientPtr client = newClient(config);
  ASSERT_NE(client, nullptr);
  EXPECT_NE(UA_Client_connect(client.get(), server.url().c_str()), UA_STATUSCODE_GOOD);
}
#else
TEST(Open62541Loopback, Basic256Sha256SignAndEncrypt) {
  GTEST_SKIP() << "open62541 built without encryption (SF_OPCUA_ENCRYPTION=OFF)";
}
#endif

}  // namespace
