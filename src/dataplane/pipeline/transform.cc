#include "dataplane/pipeline/transform.h"

#include <charconv>
#include <cmath>

namespace sf::pipeline {

double LinearTransform::apply(double raw) const {
  double v = raw * scale + offset;
  if (std::isnan(v)) return v;
  if (clamp_min && v < *clamp_min) v = *clamp_min;
  if (clamp_max && v > *clamp_max) v = *clamp_max;
  return v;
}

model::Value transformValue(const model::Value& raw, const LinearTransform& t) {
  if (t.isIdentity()) return raw;
  switch (raw.type()) {
    case model::ValueType::kInt64:
      return model::Value::ofDouble(t.apply(static_cast<double>(*raw.get<int64_t>())));
    case model::ValueType::kUInt64:
      return model::Value::ofDouble(t.apply(static_cast<double>(*raw.get<uint64_t>())));
    case model::ValueType::kDouble:
      return model::Value::ofDouble(t.apply(*raw.get<double>()));
    default:
      return raw;
  }
}

bool exceedsDeadband(const model::Value& last, const model::Value& now, double deadband) {
  if (last.type() == now.type() && last.type() != model::ValueType::kBool) {
    auto a = last.asDouble();
    auto b = now.asDouble();
    if (a && b) {
      if (std::isnan(*a) || std::isnan(*b)) return std::isnan(*a) != std::isnan(*b);
      return std::fabs(*b - *a) > deadband;
    }
  }
  return !(last == now);
}

std::string valueText(const model::Value& v) {
  char buf[32];
  switch (v.type()) {
    case model::ValueType::kBool:
      return *v.get<bool>() ? "true" : "false";
    case model::ValueType::kInt64: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *v.get<int64_t>());
      return std::string(buf, end);
    }
    case model::ValueType::kUInt64: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *v.get<uint64_t>());
      return std::string(buf, end);
    }
    case model::ValueType::kDouble: {
      double d = *v.get<double>();
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e15) {
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(d));
        return std::string(buf, end);
      }
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      return std::string(buf, end);
    }
    case model::ValueType::kString:
      return *v.get<std::string>();
    default:
      return {};
  }
}

}  // namespace sf::pipeline
