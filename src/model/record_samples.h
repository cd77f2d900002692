#pragma once
// Test support (library sf_model_samples, never linked into the product): records of every class,
// value type, enum value and edge case, shared by the codec tests, the fuzz seeds and the schema
// tests (record_samples_tool writes them as JSON lines for the Python validators).

#include <vector>

#include "model/record.h"

namespace sf::model::samples {

// One example per class, in class order; schemas/record/v1/examples/<class>.json hold their
// canonical JSON and docs/RECORD.md shows them.
std::vector<Record> exampleRecords();

// Every shape: all value types (with edge values: int64 min/max, uint64 max, NaN, infinities,
// -0.0, subnormals, empty and non-ASCII strings, control characters, empty arrays), every enum
// value of every class, records without offset, negative timestamps, many attributes.
// Every record passes validate().
std::vector<Record> allShapes();

}  // namespace sf::model::samples
