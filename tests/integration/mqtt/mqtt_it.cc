#include "mqtt_it.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "harness/process.h"
#include "model/record_codec.h"

namespace sf::mqtt::it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

uint16_t freePort() {
  static std::mt19937 rng(
      static_cast<unsigned>(::getpid()) * 7919u +
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto port = static_cast<uint16_t>(10000 + rng() % 20000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

std::string makeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* d = ::mkdtemp(buf.data());
  return d ? std::string(d) : std::string();
}

void removeAll(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
}

// ---------------------------------------------------------------------------------------------

Mosquitto::Mosquitto(Options options) : options_(std::move(options)) {
  dir_ = makeTempDir("sf-mqtt-broker");
  port_ = freePort();
  fs::create_directories(dir_ + "/data");
  std::ofstream conf(dir_ + "/mosquitto.conf");
  if (::geteuid() == 0) conf << "user root\n";
  conf << "per_listener_settings false\n";
  conf << "persistence " << (options_.persistence ? "true" : "false") << "\n";
  conf << "persistence_location " << dir_ << "/data/\n";
  conf << "log_dest file " << dir_ << "/mosquitto.log\n";
  conf << "log_type all\n";
  // Queue everything for a persistent session while the gateway is away (the default of
  // 1000 would drop the rest silently at the broker).
  conf << "max_queued_messages 0\n";
  conf << "max_inflight_messages 100\n";
  conf << "listener " << port_ << " 127.0.0.1\n";
  if (options_.users.empty()) {
    conf << "allow_anonymous true\n";
  } else {
    conf << "allow_anonymous false\n";
    conf << "password_file " << dir_ << "/passwd\n";
    bool first = true;
    for (const auto& [user, pass] : options_.users) {
      std::vector<std::string> argv = {"mosquitto_passwd", "-b"};
      if (first) argv.push_back("-c");
      argv.push_back(dir_ + "/passwd");
      argv.push_back(user);
      argv.push_back(pass);
      runProgram(argv);
      first = false;
    }
    runProgram({"chmod", "600", dir_ + "/passwd"});
  }
  conf << options_.extra << "\n";
}

Mosquitto::~Mosquitto() {
  stop();
  if (std::getenv("SF_KEEP_BROKER_DIR") == nullptr) removeAll(dir_);
}

bool Mosquitto::start() {
  if (pid_ > 0) return true;
  pid_t pid = sf::testing::spawnProcess({"mosquitto", "-c", dir_ + "/mosquitto.conf"},
                                        {.output_file = "/dev/null", .new_session = true})
                  .pid;
  if (pid < 0) return false;
  pid_ = pid;
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

void Mosquitto::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 400; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(25ms);
  }
  kill();
}

void Mosquitto::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Mosquitto::logTail() const {
  std::ifstream in(dir_ + "/mosquitto.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

// ---------------------------------------------------------------------------------------------

Gateway::Gateway(std::string log_dir, MqttConfig config)
    : log_dir_(std::move(log_dir)), config_(std::move(config)) {}

Gateway::~Gateway() { stop(); }

core::Status Gateway::start() {
  log::LogOptions lo;
  lo.dir = log_dir_;
  lo.stream = "main";
  SF_ASSIGN_OR_RETURN(log_, log::openLog(lo, nullptr, core::SystemClock::instance(), metrics_));
  runtime::Ingest::Options io;
  io.site = "site1";
  io.gateway = "gw1";
  ingest_ = std::make_unique<runtime::Ingest>(*log_, io, metrics_);
  io_ = std::make_unique<asio::io_context>();
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_->get_executor());
  runtime::AdapterContext ctx{config_.name,
                              "mqtt",
                              "site1",
                              "gw1",
                              asio::make_strand(*io_),
                              ingest_.get(),
                              &core::SystemClock::instance(),
                              &metrics_};
  SF_ASSIGN_OR_RETURN(auto adapter, MqttAdapter::create(config_, ctx));
  adapter_ = adapter.get();
  runtime::BackoffPolicy backoff;
  backoff.initial = 100ms;
  backoff.max = 1s;
  supervisor_ = std::make_unique<runtime::Supervisor>(ctx, std::move(adapter), backoff);
  thread_ = std::thread([this] { io_->run(); });
  supervisor_->start();
  return core::ok();
}

void Gateway::stop() {
  if (supervisor_) {
    supervisor_->stopAndWait();
  }
  if (log_) (void)log_->flush();
  if (work_) work_.reset();
  if (io_) io_->stop();
  if (thread_.joinable()) thread_.join();
  supervisor_.reset();
  adapter_ = nullptr;
  if (log_) log_->close();
  ingest_.reset();
  io_.reset();
  log_.reset();
}

bool Gateway::waitSubscribed(uint64_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (adapter_ && adapter_->subscribedCount() >= n) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

MqttAdapter& Gateway::adapter() { return *adapter_; }

std::vector<model::Record> Gateway::records() {
  return log_ ? readRecords(*log_) : std::vector<model::Record>{};
}

double Gateway::metric(const std::string& name, core::Labels extra) {
  core::Labels labels = {{"type", "mqtt"}, {"instance", config_.name}};
  for (auto& l : extra) labels.push_back(std::move(l));
  return metrics_.valueOf(name, labels);
}

std::vector<model::Record> readRecords(const log::Log& log) {
  std::vector<model::Record> out;
  uint64_t from = log.startOffset();
  while (from < log.endOffset()) {
    auto entries = log.read(from, 10000, 64 << 20);
    if (!entries || entries->empty()) break;
    for (const auto& e : *entries) {
      auto r = model::decodeBinary(e.payload);
      if (r) {
        r->offset = e.offset;
        out.push_back(std::move(*r));
      }
      from = e.offset + 1;
    }
  }
  return out;
}

std::vector<model::Record> readLogDir(const std::string& dir) {
  log::LogOptions lo;
  lo.dir = dir;
  core::MetricsRegistry metrics;
  auto log = log::openLog(lo, nullptr, core::SystemClock::instance(), metrics);
  if (!log) return {};
  auto out = readRecords(**log);
  (*log)->close();
  return out;
}

std::map<int64_t, int> numbers(const std::vector<model::Record>& records, const std::string& tag) {
  std::map<int64_t, int> out;
  for (const auto& r : records) {
    if (r.tag != tag) continue;
    if (const auto* v = r.value.get<int64_t>()) ++out[*v];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

int runProgram(const std::vector<std::string>& argv, std::string* output) {
  return sf::testing::runProcess(argv, output);
}

int mosquittoPub(uint16_t port, const std::string& topic, const std::string& message, int qos,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"mosquitto_pub",      "-h", "127.0.0.1", "-p",
                                   std::to_string(port), "-t", topic,       "-q",
                                   std::to_string(qos)};
  for (const auto& e : extra) argv.push_back(e);
  bool uses_file = false;
  for (const auto& e : extra) uses_file |= e == "-f" || e == "-s" || e == "-n";
  if (!uses_file) {
    argv.push_back("-m");
    argv.push_back(message);
  }
  return runProgram(argv);
}

LinePublisher::LinePublisher(uint16_t port, const std::string& topic, int qos,
                             const std::string& client_id) {
  auto p =
      sf::testing::spawnProcess({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port),
                                 "-t", topic, "-q", std::to_string(qos), "-i", client_id, "-l"},
                                {.pipe_stdin = true});
  if (p.pid < 0) return;
  pid_ = p.pid;
  fd_ = p.stdin_fd;
}

LinePublisher::~LinePublisher() {
  if (fd_ >= 0) finish();
}

void LinePublisher::publish(int64_t first, int64_t last, int per_second) {
  auto start = std::chrono::steady_clock::now();
  std::string chunk;
  for (int64_t n = first; n <= last; ++n) {
    chunk += std::to_string(n) + "\n";
    if (per_second > 0) {
      const int64_t i = n - first + 1;
      auto due = start + std::chrono::microseconds(i * 1'000'000 / per_second);
      if (chunk.size() > 512 || n == last) {
        if (::write(fd_, chunk.data(), chunk.size()) < 0) return;
        chunk.clear();
      }
      std::this_thread::sleep_until(due);
    } else if (chunk.size() > 65536 || n == last) {
      if (::write(fd_, chunk.data(), chunk.size()) < 0) return;
      chunk.clear();
    }
  }
}

int LinePublisher::finish() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

MqttConfig baseConfig(const std::string& name, uint16_t port, const std::string& topic,
                      PayloadFormat format, uint8_t qos) {
  MqttConfig c;
  c.name = name;
  c.host = "127.0.0.1";
  c.port = port;
  c.client_id = "sf-it-" + name + "-" + std::to_string(::getpid());
  c.keep_alive = std::chrono::seconds(10);
  c.connect_timeout = std::chrono::milliseconds(3000);
  c.bad_input_log_burst = 1000;
  SubscriptionConfig s;
  s.topic = topic;
  s.format = format;
  s.qos = qos;
  s.tag = "seq";
  s.device = "pub";
  c.subscriptions.push_back(s);
  return c;
}

std::optional<uint16_t> sharedMqttPort() {
  const char* p = std::getenv("SF_MQTT_PORT");
  if (!p || !*p) return std::nullopt;
  return static_cast<uint16_t>(std::atoi(p));
}

}  // namespace sf::mqtt::it
