#include "app/signals.h"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace sf::app {
namespace {

sigset_t shutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void blockShutdownSignals() {
  sigset_t set = shutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed pipe must surface as an error on the write, not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

SignalEvent waitForSignal() {
  sigset_t set = shutdownSet();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0)
      return sig == SIGHUP ? SignalEvent::kReload : SignalEvent::kShutdown;
  }
}

bool waitForSignalFor(int timeout_ms, SignalEvent& out) {
  sigset_t set = shutdownSet();
  timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1'000'000L};
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) {
      out = sig == SIGHUP ? SignalEvent::kReload : SignalEvent::kShutdown;
      return true;
    }
    if (errno == EINTR) continue;
    return false;
  }
}

}  // namespace sf::app
