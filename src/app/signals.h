#pragma once
// Process signal handling for long-running roles. Call blockShutdownSignals() first thing in
// main (before any thread starts) so every thread inherits the mask; then one thread waits.

namespace sf::app {

enum class SignalEvent { kShutdown, kReload };

void blockShutdownSignals();
// Blocks until SIGINT/SIGTERM (kShutdown) or SIGHUP (kReload).
SignalEvent waitForSignal();
// Same with a timeout in milliseconds; returns false on timeout.
bool waitForSignalFor(int timeout_ms, SignalEvent& out);

}  // namespace sf::app
