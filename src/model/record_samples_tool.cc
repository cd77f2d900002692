// record_samples_tool: the record model for tests outside C++ (schemas/tests/, fuzzing).
//   record_samples_tool records FILE   every sample record as canonical JSON, one per line
//   record_samples_tool enums FILE     the name of every enum value, as one JSON object
//   record_samples_tool corpus DIR     fuzz seeds: DIR/bin-N (binary codec), DIR/json-N (JSON)
//   record_samples_tool parse FILE     fromJson on each line of FILE; prints per line "ok" or
//                                      "error<TAB>message" (to compare with the JSON Schema)
// Exit 0 on success, 2 on bad usage, 1 when a file cannot be read or written.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "model/record.h"
#include "model/record_codec.h"
#include "model/record_json.h"
#include "model/record_samples.h"

namespace {

using namespace sf::model;

template <class E, class NameOf>
void appendEnum(std::string& out, std::string_view key, int count, NameOf name_of) {
  if (out.size() > 1) out += ",";
  out += "\"";
  out += key;
  out += "\":[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ",";
    out += "\"";
    out += name_of(static_cast<E>(i));
    out += "\"";
  }
  out += "]";
}

std::string enumsJson() {
  std::string out = "{";
  appendEnum<RecordClass>(out, "record_class", kRecordClassCount, recordClassName);
  appendEnum<ValueType>(out, "value_type", kValueTypeCount, valueTypeName);
  appendEnum<QualityLevel>(out, "quality_level", kQualityLevelCount, qualityLevelName);
  appendEnum<AlarmCondition>(out, "alarm_condition", kAlarmConditionCount, alarmConditionName);
  appendEnum<AlarmState>(out, "alarm_state", kAlarmStateCount, alarmStateName);
  appendEnum<AlarmTransition>(out, "alarm_transition", kAlarmTransitionCount, alarmTransitionName);
  appendEnum<SeverityBand>(out, "severity_band", kSeverityBandCount, severityBandName);
  appendEnum<LogLevel>(out, "log_level", kLogLevelCount, logLevelName);
  out += "}\n";
  return out;
}

bool writeFile(const std::string& path, std::string_view content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  f.close();
  if (!f) std::cerr << "record_samples_tool: cannot write " << path << "\n";
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: record_samples_tool records|enums|parse FILE | corpus DIR\n";
    return 2;
  }
  std::string_view mode = argv[1];
  std::string target = argv[2];
  if (mode == "records") {
    std::string out;
    for (const Record& r : samples::allShapes()) {
      appendJson(r, out);
      out += "\n";
    }
    return writeFile(target, out) ? 0 : 1;
  }
  if (mode == "enums") return writeFile(target, enumsJson()) ? 0 : 1;
  if (mode == "corpus") {
    int n = 0;
    for (const Record& r : samples::allShapes()) {
      std::string bin;
      encodeBinary(r, bin);
      if (!writeFile(target + "/bin-" + std::to_string(n), bin)) return 1;
      if (!writeFile(target + "/json-" + std::to_string(n), toJson(r))) return 1;
      ++n;
    }
    return 0;
  }
  if (mode == "parse") {
    std::ifstream in(target, std::ios::binary);
    if (!in) {
      std::cerr << "record_samples_tool: cannot read " << target << "\n";
      return 1;
    }
    std::string line;
    while (std::getline(in, line)) {
      auto r = fromJson(line);
      if (r) {
        std::cout << "ok\n";
      } else {
        std::cout << "error\t" << r.error().message << "\n";
      }
    }
    return 0;
  }
  std::cerr << "record_samples_tool: unknown mode '" << mode << "'\n";
  return 2;
}
