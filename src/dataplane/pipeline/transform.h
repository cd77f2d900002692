#pragma once
// The value transforms of the pipeline: linear scaling to engineering units, clamping, the
// deadband test of report-by-exception and the canonical text of a value (state maps,
// discrete alarms). Pure functions, thread-safe.

#include <optional>
#include <string>

#include "model/value.h"

namespace sf::pipeline {

struct LinearTransform {
  double scale = 1.0;
  double offset = 0.0;
  std::optional<double> clamp_min;
  std::optional<double> clamp_max;

  // No scaling and no clamping: values keep their type.
  bool isIdentity() const {
    return scale == 1.0 && offset == 0.0 && !clamp_min.has_value() && !clamp_max.has_value();
  }
  double apply(double raw) const;
  bool operator==(const LinearTransform&) const = default;
};

// Applies `t` to a numeric scalar (int64, uint64, double): the result is a double, raw * scale
// + offset clamped to the limits. Booleans, strings, bytes, arrays and null are returned as
// they are (scaling a bit or a text has no meaning). An identity transform keeps every value's
// type, so integer tags stay integers. NaN passes through unclamped.
model::Value transformValue(const model::Value& raw, const LinearTransform& t);

// Report-by-exception. `deadband` is absolute (engineering units; a percent deadband is
// converted by the caller). Numbers: report when |now - last| > deadband, or when one of them is
// NaN and the other not. Other types: report when the value differs.
bool exceedsDeadband(const model::Value& last, const model::Value& now, double deadband);

// The canonical text of a scalar, as written in state maps and discrete alarm values: bool
// "true"/"false", integers in decimal, doubles that hold an integer as that integer ("3"), other
// doubles in the shortest form that reads back, strings as they are. Arrays, bytes and null
// give "" (they have no state).
std::string valueText(const model::Value& v);

}  // namespace sf::pipeline
