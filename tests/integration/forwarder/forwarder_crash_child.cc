// The process the crash test kills: a gateway in miniature. It opens a real local log, runs the
// forwarder on it and (in `append` mode) appends numbered records as fast as group commit
// allows, writing the end of the last acknowledged append to ACKED_FILE after each one. In
// `drain` mode it appends nothing and exits 0 once the forwarder's cursor reaches the log end.
//
// Usage: forwarder_crash_child append|drain LOG_DIR BOOTSTRAP SITE ACKED_FILE
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <thread>

#include "dataplane/kafka/forwarder.h"
#include "forwarder_it.h"

using namespace sf;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: forwarder_crash_child append|drain LOG_DIR BOOTSTRAP SITE ACKED_FILE\n";
    return 2;
  }
  const std::string mode = argv[1];
  auto log = kafka::it::openTestLog(argv[2]);
  if (!log) {
    std::cerr << "open log: " << log.error().toString() << "\n";
    return 2;
  }
  auto options = kafka::it::testOutput("central", argv[3]);
  options.max_in_flight_records = 2'000;
  auto f = kafka::Forwarder::create(options, **log, {kafka::it::kGateway, kafka::it::kStream});
  if (!f || !(*f)->start()) {
    std::cerr << "forwarder did not start\n";
    return 2;
  }

  if (mode == "drain") {
    auto deadline = std::chrono::steady_clock::now() + 180s;
    while ((*f)->stats().cursor < (**log).endOffset()) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "drain timed out at cursor " << (*f)->stats().cursor << "\n";
        return 3;
      }
      std::this_thread::sleep_for(20ms);
    }
    (*f)->stop();
    auto s = (*f)->stats();
    std::cout << "drained: cursor " << s.cursor << " sent " << s.sent << " resent " << s.resent
              << std::endl;
    (**log).close();
    return 0;
  }

  int fd = ::open(argv[5], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror("acked file");
    return 2;
  }
  int64_t seq = static_cast<int64_t>((**log).endOffset());
  for (;;) {  // until SIGKILL
    std::vector<log::Entry> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(kafka::it::numberedEntry(seq++, 32, argv[4]));
    std::promise<core::Result<log::AppendResult>> done;
    auto result = done.get_future();
    (**log).append(std::move(batch),
                   [&done](core::Result<log::AppendResult> r) { done.set_value(std::move(r)); });
    auto r = result.get();
    if (!r) {
      std::cerr << "append: " << r.error().toString() << "\n";
      return 4;
    }
    // Acknowledged: from here on the records must reach Kafka whatever happens.
    char line[32];
    int n = std::snprintf(line, sizeof line, "%20llu\n",
                          static_cast<unsigned long long>(r->first_offset + r->count));
    if (::pwrite(fd, line, static_cast<size_t>(n), 0) != n) return 5;
    std::this_thread::sleep_for(1ms);
  }
}
