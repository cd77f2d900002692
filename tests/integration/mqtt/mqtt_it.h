#pragma once
// Helpers of the MQTT integration tests: a Mosquitto instance of the test's own (persistence,
// passwords, stop/start/kill on a free port), a gateway in miniature (real local log + Ingest +
// Supervisor + MqttAdapter), log read-back, and running the independent publishers
// (mosquitto_pub, the project venv's Python with a Sparkplug B implementation).
//
// Not thread-safe: each test owns its instances. Processes started here are stopped by their
// destructors (by pid).

#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "dataplane/adapters/mqtt/adapter.h"
#include "dataplane/log/log.h"
#include "dataplane/runtime/ingest.h"
#include "dataplane/runtime/supervisor.h"
#include "model/record.h"

namespace sf::mqtt::it {

// A loopback TCP port that was free a moment ago, from below the ephemeral range.
uint16_t freePort();
// A fresh directory under $TMPDIR (removed by the caller with removeAll).
std::string makeTempDir(const std::string& prefix);
void removeAll(const std::string& dir);

class Mosquitto {
 public:
  struct Options {
    bool persistence = true;
    std::vector<std::pair<std::string, std::string>> users;  // password file entries
    std::string extra;                                       // more mosquitto.conf lines
  };
  explicit Mosquitto(Options options);
  ~Mosquitto();
  Mosquitto(const Mosquitto&) = delete;
  Mosquitto& operator=(const Mosquitto&) = delete;

  // Starts (again, on the same port and data) and waits until the port accepts connections.
  bool start();
  // SIGTERM (mosquitto saves its persistence database) and wait for the exit.
  void stop();
  // SIGKILL.
  void kill();
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string logTail() const;

 private:
  Options options_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A gateway in miniature: one local log, Ingest, and one mqtt adapter under a Supervisor on
// its own io_context thread.
class Gateway {
 public:
  Gateway(std::string log_dir, MqttConfig config);
  ~Gateway();
  core::Status start();
  void stop();
  // True once the adapter has `n` SUBACKs (its subscriptions are in place).
  bool waitSubscribed(uint64_t n = 1, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits until `pred(records)` holds for the records in the log, reading it every 50 ms.
  template <class Pred>
  bool waitRecords(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(records())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred(records());
  }
  std::vector<model::Record> records();
  runtime::Supervisor& supervisor() { return *supervisor_; }
  MqttAdapter& adapter();
  core::MetricsRegistry& metrics() { return metrics_; }
  double metric(const std::string& name, core::Labels extra = {});
  log::Log& log() { return *log_; }

 private:
  std::string log_dir_;
  MqttConfig config_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<runtime::Ingest> ingest_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<runtime::Supervisor> supervisor_;
  MqttAdapter* adapter_ = nullptr;
};

// Every record in a log (durable ones), decoded.
std::vector<model::Record> readRecords(const log::Log& log);
// Opens a log directory read-write, reads everything, closes it (the gateway must be gone).
std::vector<model::Record> readLogDir(const std::string& dir);

// The integer values of telemetry records with tag `tag`, with how often each was seen.
std::map<int64_t, int> numbers(const std::vector<model::Record>& records, const std::string& tag);

// Runs a program and returns its exit status (-1 when it could not start); stdout+stderr are
// appended to `output` when given.
int runProgram(const std::vector<std::string>& argv, std::string* output = nullptr);
// mosquitto_pub one message (`-m`), or the file's bytes (`-f`) when file is set.
int mosquittoPub(uint16_t port, const std::string& topic, const std::string& message, int qos,
                 const std::vector<std::string>& extra = {});

// mosquitto_pub -l (a message per stdin line) fed from a thread: numbers first..last, paced.
class LinePublisher {
 public:
  LinePublisher(uint16_t port, const std::string& topic, int qos, const std::string& client_id);
  ~LinePublisher();
  // Writes the numbers as lines, `per_second` of them a second (0: as fast as the pipe takes).
  void publish(int64_t first, int64_t last, int per_second);
  // Closes stdin and waits for mosquitto_pub to exit; its exit status.
  int finish();

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

// A minimal valid MqttConfig for `port` with one subscription.
MqttConfig baseConfig(const std::string& name, uint16_t port, const std::string& topic,
                      PayloadFormat format = PayloadFormat::kValue, uint8_t qos = 1);

// The services' Mosquitto (scripts/services/up.sh) when its variables are set.
std::optional<uint16_t> sharedMqttPort();

}  // namespace sf::mqtt::it
