// The process the MQTT kill test SIGKILLs: a gateway in miniature (a real local log, Ingest and
// the mqtt adapter with a persistent session, QoS 1) that runs until it is killed or gets
// SIGTERM. It writes "subscribed" to stdout once its subscription is in place.
//
// Usage: mqtt_gateway_child LOG_DIR PORT CLIENT_ID TOPIC [VERSION]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "mqtt_it.h"

using namespace sf;
using namespace std::chrono_literals;

namespace {
std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: mqtt_gateway_child LOG_DIR PORT CLIENT_ID TOPIC [VERSION]\n";
    return 2;
  }
  ::signal(SIGTERM, onSignal);
  ::signal(SIGINT, onSignal);
  ::signal(SIGPIPE, SIG_IGN);  // the test may close our stdout after the first line
  auto config = mqtt::it::baseConfig("kill", static_cast<uint16_t>(std::atoi(argv[2])), argv[4]);
  config.client_id = argv[3];
  config.clean_start = false;
  config.session_expiry = std::chrono::hours(1);
  config.max_inflight = 500;
  if (argc > 5 && std::string(argv[5]) == "3.1.1") config.version = mqtt::ProtocolVersion::kV311;
  mqtt::it::Gateway gw(argv[1], config);
  if (auto st = gw.start(); !st) {
    std::cerr << "start: " << st.error().toString() << "\n";
    return 2;
  }
  if (gw.waitSubscribed(1, 30s)) {
    std::cout << "subscribed" << std::endl;
  }
  while (!g_stop) std::this_thread::sleep_for(20ms);
  gw.stop();
  return 0;
}
