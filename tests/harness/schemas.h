#pragma once

// Checks what a forwarder put on Kafka against the published record schemas (schemas/record):
// the JSON Schema (also strictly: no undeclared property) and an Avro round trip, done by
// schemas/tests/validate_payloads.py with the project's Python (SF_TEST_PYTHON), so the check
// is independent of the C++ code that produced the payloads.

#include <gtest/gtest.h>

#include <vector>

#include "harness/services.h"

namespace sf::testing {

// Success when every message value is a valid sf.record/1 document; the failure names the
// first invalid ones and why.
::testing::AssertionResult matchRecordSchemas(const std::vector<Message>& messages);

}  // namespace sf::testing
