// The gateway as a user runs it: `streamforge sim` serves Modbus TCP, `streamforge gateway
// --config FILE` polls it into the local log and forwards the log to the real Kafka broker of
// scripts/services/up.sh. The gateway is SIGKILLed and restarted, its file is changed (applied
// live by diff) and broken (rejected, the running configuration keeps collecting), then stopped;
// `streamforge log verify` must pass and every record in the log must be in Kafka.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/process.h"
#include "harness/schemas.h"
#include "harness/services.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A child process with its output in a file (kept for failures).
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_file) {
  return sf::testing::spawnProcess(argv, {.output_file = out_file}).pid;
}

// Runs a program to completion; returns its exit code and stdout.
int run(const std::vector<std::string>& argv, std::string* out) {
  return sf::testing::runProcess(argv, out, /*merge_stderr=*/false);
}

using sf::testing::waitExit;

// GET http://127.0.0.1:port/path; the body, or nullopt when nothing answers.
std::optional<std::string> httpGet(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  auto body = resp.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  return resp.substr(body + 4);
}

std::optional<json> status(uint16_t port) {
  auto body = httpGet(port, "/api/v1/status");
  if (!body) return std::nullopt;
  auto j = json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("log")) return std::nullopt;
  return j;
}

pid_t g_gateway = -1;  // the gateway process the status comes from

// Polls the status until `pred` holds (false after ~90 s or when the gateway exits).
bool waitStatus(uint16_t port, const std::function<bool(const json&)>& pred, json* last = nullptr) {
  for (int i = 0; i < 900; ++i) {
    int st = 0;
    if (g_gateway > 0 && ::waitpid(g_gateway, &st, WNOHANG) == g_gateway) {
      g_gateway = -1;
      return false;
    }
    auto s = status(port);
    if (s) {
      if (last) *last = *s;
      if (pred(*s)) return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

uint64_t endOffset(const json& s) {
  return s.is_object() && s.contains("log") ? s["log"].value("end_offset", uint64_t{0}) : 0;
}

// Writes the file next to it and renames it over (what editors and config tools do).
void writeAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  std::ofstream(tmp) << text;
  fs::rename(tmp, path);
}

std::string gatewayConfig(const fs::path& dir, uint16_t http_port, uint16_t sim_port,
                          const std::string& bootstrap, const std::string& topic_prefix,
                          bool with_current) {
  std::ostringstream o;
  o << "gateway: {id: e2e-gw, site: e2e}\n"
    << "http: {listen: 127.0.0.1:" << http_port << "}\n"
    << "log: {dir: " << (dir / "log").string() << "}\n"
    << "state_dir: " << (dir / "state").string() << "\n"
    << "outputs:\n"
    << "  - {type: kafka, name: central, brokers: '" << bootstrap << "', topic_template: '"
    << topic_prefix << ".{class}', linger: 5ms}\n"
    << "adapters:\n"
    << "  - type: modbus_tcp\n"
    << "    name: plant\n"
    << "    host: 127.0.0.1\n"
    << "    port: " << sim_port << "\n"
    << "    poll_interval: 100ms\n"
    << "    devices:\n"
    << "      - name: pump1\n"
    << "        unit_id: 1\n"
    << "        tags:\n"
    << "          - {name: flow, table: holding, address: 0, type: float32, unit: "
       "m3/h}\n"
    << "          - {name: status, table: holding, address: 8, type: uint16}\n";
  if (with_current) {
    o << "          - {name: motor_current, table: holding, address: 4, type: float32}\n";
  }
  return o.str();
}

TEST(GatewayE2E, ModbusToLogToKafkaThroughKillsAndLiveReconfiguration) {
  if (auto missing = sf::testing::missingServicesMessage({"SF_KAFKA_BOOTSTRAP"});
      !missing.empty()) {
    if (sf::testing::skipAllowed()) GTEST_SKIP() << missing;
    FAIL() << missing;
  }
  const std::string bootstrap = sf::testing::kafkaBootstrap();
  const std::string bin = SF_STREAMFORGE_BIN;
  fs::path dir = fs::temp_directory_path() / ("sf-e2e-gateway-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = (dir / "output.txt").string();
  const uint16_t sim_port = freePort(), http_port = freePort();
  const std::string prefix = sf::testing::uniqueTopic("e2e");
  const fs::path cfg = dir / "gateway.yaml";
  std::ofstream(cfg) << gatewayConfig(dir, http_port, sim_port, bootstrap, prefix, false);

  // Whatever happens, no child outlives the test.
  struct Reaper {
    std::vector<pid_t*> pids;
    ~Reaper() {
      for (pid_t* p : pids) {
        if (*p > 0 && ::kill(*p, SIGKILL) == 0) waitExit(*p);
      }
    }
  } reaper;
  pid_t sim = spawn(
      {bin, "sim", "--listen", "127.0.0.1:" + std::to_string(sim_port), "--fault-probability", "0"},
      out);
  const std::vector<std::string> gw_argv = {bin, "gateway", "--config", cfg.string()};
  pid_t gw = g_gateway = spawn(gw_argv, out);
  reaper.pids = {&sim, &gw};
  auto dumpOutput = [&] {
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  // A clean stop of both: the gateway's forwarder flushes and commits its cursor.
  auto stopCleanly = [&] {
    g_gateway = -1;
    ::kill(gw, SIGTERM);
    EXPECT_EQ(waitExit(gw), 0) << dumpOutput();
    gw = -1;
    ::kill(sim, SIGTERM);
    waitExit(sim);
    sim = -1;
  };

  json s;
  ASSERT_TRUE(waitStatus(
      http_port, [](const json& j) { return endOffset(j) > 30; }, &s))
      << s.dump() << "\n"
      << dumpOutput();

  // SIGKILL mid-stream, twice; each restart resumes the same log.
  for (int kill = 0; kill < 2; ++kill) {
    ::kill(gw, SIGKILL);
    waitExit(gw);
    gw = g_gateway = spawn(gw_argv, out);
    uint64_t before = endOffset(s);
    ASSERT_TRUE(waitStatus(
        http_port, [&](const json& j) { return endOffset(j) > before + 30; }, &s))
        << s.dump() << "\n"
        << dumpOutput();
  }

  // A changed file is applied live: only the adapter changes, the gateway keeps running.
  writeAtomically(cfg, gatewayConfig(dir, http_port, sim_port, bootstrap, prefix, true));
  ASSERT_TRUE(waitStatus(
      http_port,
      [](const json& j) {
        auto a = j.value("/last_apply/adapters"_json_pointer, json::object());
        return j.value("/last_apply/applied"_json_pointer, false) &&
               a.value("changed", json::array()) == json::array({"plant"}) &&
               a.value("kept", json::array()).empty();
      },
      &s))
      << s.dump() << "\n"
      << dumpOutput();

  // A broken file is rejected with its location, and collection goes on.
  writeAtomically(cfg, gatewayConfig(dir, http_port, sim_port, bootstrap, prefix, true) +
                           "  - {type: modbus_tcp, name: broken, port: 502}\n");
  ASSERT_TRUE(waitStatus(
      http_port, [](const json& j) { return !j.value("/last_apply/applied"_json_pointer, true); },
      &s))
      << s.dump() << "\n"
      << dumpOutput();
  const std::string error = s.value("/last_apply/error"_json_pointer, std::string());
  EXPECT_NE(error.find("gateway.yaml"), std::string::npos) << error;
  EXPECT_NE(error.find("host"), std::string::npos) << error;
  uint64_t before = endOffset(s);
  ASSERT_TRUE(waitStatus(
      http_port, [&](const json& j) { return endOffset(j) > before + 20; }, &s))
      << "collection stopped after a rejected configuration\n"
      << dumpOutput();

  stopCleanly();

  // A start with the broken file keeps collecting from the cached applied configuration.
  gw = g_gateway = spawn(
      {bin, "gateway", "--config", cfg.string(), "--state-dir", (dir / "state").string()}, out);
  sim = spawn(
      {bin, "sim", "--listen", "127.0.0.1:" + std::to_string(sim_port), "--fault-probability", "0"},
      out);
  before = endOffset(s);
  ASSERT_TRUE(waitStatus(
      http_port, [&](const json& j) { return endOffset(j) > before + 20; }, &s))
      << "no start from the cached configuration\n"
      << dumpOutput();
  stopCleanly();

  std::string verify;
  EXPECT_EQ(run({bin, "log", "verify", (dir / "log").string()}, &verify), 0) << verify;

  std::string dump;
  ASSERT_EQ(run({bin, "log", "dump", (dir / "log").string()}, &dump), 0);
  std::map<std::string, std::set<std::string>> logged;  // class -> record ids
  std::set<std::string> tags;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    auto r = json::parse(line, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << line;
    logged[r.value("class", "")].insert(r.value("id", ""));
    if (r.value("class", "") == "telemetry") tags.insert(r.value("tag", ""));
  }
  EXPECT_TRUE(tags.count("flow") && tags.count("status") && tags.count("motor_current"))
      << "the tag added by the live change is collected";
  ASSERT_GT(logged["telemetry"].size(), 50u);
  ASSERT_GT(logged["log"].size(), 0u);  // connection changes, the rejection

  for (const auto& [cls, ids] : logged) {
    auto messages = sf::testing::consumeAll(bootstrap, prefix + "." + cls, ids.size(), 60s);
    std::set<std::string> in_kafka;
    for (const auto& m : messages) {
      auto v = json::parse(m.value, nullptr, false);
      if (!v.is_discarded()) in_kafka.insert(v.value("id", ""));
    }
    size_t missing = 0;
    for (const auto& id : ids) missing += in_kafka.count(id) == 0;
    EXPECT_EQ(missing, 0u) << cls << ": " << missing << " of " << ids.size()
                           << " logged records are not in Kafka";
    EXPECT_TRUE(sf::testing::matchRecordSchemas(messages)) << cls;
  }
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
