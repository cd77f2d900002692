#include "harness/schemas.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "harness/process.h"

namespace sf::testing {

::testing::AssertionResult matchRecordSchemas(const std::vector<Message>& messages) {
  if (messages.empty()) return ::testing::AssertionFailure() << "no message to validate";
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/sf-payloads-" +
                     std::to_string(::getpid()) + "-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return ::testing::AssertionFailure() << "mkstemp " << path << " failed";
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (const auto& m : messages) out << m.value << '\n';
    if (!out.flush()) {
      std::remove(path.c_str());
      return ::testing::AssertionFailure() << "cannot write " << path;
    }
  }
  std::string output;
  int rc = runProcess({SF_TEST_PYTHON, SF_SOURCE_DIR "/schemas/tests/validate_payloads.py", path},
                      &output);
  std::remove(path.c_str());
  if (rc == 0) return ::testing::AssertionSuccess() << output;
  return ::testing::AssertionFailure()
         << "validate_payloads.py exited " << rc << " on " << messages.size() << " payload(s):\n"
         << output;
}

}  // namespace sf::testing
