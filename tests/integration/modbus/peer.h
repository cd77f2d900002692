#pragma once
// Starts and drives the pymodbus peer (pymodbus_peer.py) and socat pseudo-terminal pairs for the
// Modbus integration tests. Processes are children of the test, killed by the destructors.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/process.h"

namespace sf::modbus::itest {

inline std::string envOr(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// A child process with its stdin and stdout piped to us.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    auto p = sf::testing::spawnProcess(argv, {.pipe_stdin = true, .pipe_stdout = true});
    if (p.pid < 0) throw std::runtime_error("cannot start " + argv.front());
    pid_ = p.pid;
    stdin_ = p.stdin_fd;
    out_ = ::fdopen(p.stdout_fd, "r");
  }
  ~Child() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (out_) std::fclose(out_);
  }
  // The next line of its stdout ("" at EOF).
  std::string readLine() {
    char buf[65536];
    if (!std::fgets(buf, sizeof buf, out_)) return {};
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    if (::write(stdin_, l.data(), l.size()) < 0) throw std::runtime_error("write to child");
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  FILE* out_ = nullptr;
};

// The pymodbus peer over a map (JSON text). `args`: "tcp" [--framer rtu] or "serial" --port P.
class PymodbusPeer {
 public:
  PymodbusPeer(const std::string& map_json, std::vector<std::string> args) {
    static int n = 0;
    map_path_ =
        std::filesystem::temp_directory_path() /
        ("sf_modbus_map_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".json");
    std::ofstream(map_path_) << map_json;
    std::vector<std::string> argv{
        envOr("SF_PYTHON"), envOr("SF_REPO_DIR") + "/tests/integration/modbus/pymodbus_peer.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(map_path_.string());
    child_ = std::make_unique<Child>(argv);
    const auto line = child_->readLine();
    if (line.rfind("READY", 0) != 0)
      throw std::runtime_error("pymodbus peer did not start: " + line);
    if (line.size() > 6 && line.substr(6) != "serial")
      port_ = static_cast<uint16_t>(std::stoi(line.substr(6)));
  }
  ~PymodbusPeer() {
    child_.reset();
    std::error_code ec;
    std::filesystem::remove(map_path_, ec);
  }
  uint16_t port() const { return port_; }
  // Applies a command (see pymodbus_peer.py) and waits for its "OK".
  void command(const std::string& json) {
    child_->send(json);
    child_->readLine();
  }
  std::string dump(int unit) {
    child_->send("{\"dump\": " + std::to_string(unit) + "}");
    auto l = child_->readLine();
    return l.size() > 5 ? l.substr(5) : l;
  }

 private:
  std::filesystem::path map_path_;
  std::unique_ptr<Child> child_;
  uint16_t port_ = 0;
};

// `socat` linking two pseudo-terminals: a serial line without hardware.
class PtyPair {
 public:
  PtyPair() {
    static int n = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("sf_modbus_pty_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(dir_);
    a_ = (dir_ / "a").string();
    b_ = (dir_ / "b").string();
    child_ = std::make_unique<Child>(std::vector<std::string>{"socat", "pty,raw,echo=0,link=" + a_,
                                                              "pty,raw,echo=0,link=" + b_});
    for (int i = 0; i < 250 && !(std::filesystem::exists(a_) && std::filesystem::exists(b_)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!std::filesystem::exists(a_) || !std::filesystem::exists(b_)) {
      throw std::runtime_error("socat did not create the pty pair");
    }
  }
  ~PtyPair() {
    child_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }

 private:
  std::filesystem::path dir_;
  std::string a_, b_;
  std::unique_ptr<Child> child_;
};

// Integration prerequisites: the project venv's python with pymodbus, and socat.
inline std::string missingPrerequisite() {
  if (envOr("SF_PYTHON").empty() || envOr("SF_REPO_DIR").empty()) {
    return "SF_PYTHON / SF_REPO_DIR are not set (scripts/test.sh exports them)";
  }
  if (std::system((envOr("SF_PYTHON") + " -c 'import pymodbus, serial' 2>/dev/null").c_str()) !=
      0) {
    return envOr("SF_PYTHON") + " lacks pymodbus or pyserial (scripts/requirements-test.txt)";
  }
  if (std::system("command -v socat >/dev/null 2>&1") != 0) return "socat is not installed";
  return {};
}

}  // namespace sf::modbus::itest
