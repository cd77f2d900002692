#include "dataplane/pipeline/tag_spec.h"

namespace sf::pipeline {
namespace {

template <class E, class NameFn>
config::EnumTable<E> tableOfCount(int count, NameFn name) {
  config::EnumTable<E> t;
  for (int i = 0; i < count; ++i) {
    auto e = static_cast<E>(i);
    t.emplace_back(std::string(name(e)), e);
  }
  return t;
}

}  // namespace

config::EnumTable<TagClass> tagClassTable() {
  return tableOfCount<TagClass>(3, [](TagClass c) { return tagClassName(c); });
}

config::EnumTable<DeadbandMode> deadbandModeTable() {
  return tableOfCount<DeadbandMode>(3, [](DeadbandMode d) { return deadbandModeName(d); });
}

config::EnumTable<model::LogLevel> logLevelTable() {
  return tableOfCount<model::LogLevel>(model::kLogLevelCount,
                                       [](model::LogLevel l) { return model::logLevelName(l); });
}

void checkTag(const TagPipelineConfig& tag, config::Checker& k) {
  validateTag(tag, [&k](std::string_view relative, std::string reason) {
    k.error(relative, std::move(reason));
  });
}

}  // namespace sf::pipeline
