#include "dataplane/adapters/mqtt/topic.h"

namespace sf::mqtt {

using core::Errc;
using core::fail;

namespace {

// Splits on '/' keeping empty levels ("a//b" has three levels; "" has one empty level).
std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

bool isIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return !(s[0] >= '0' && s[0] <= '9');
}

}  // namespace

bool topicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  size_t f = 0, t = 0;
  const size_t fn = filter.size(), tn = topic.size();
  while (true) {
    // Current filter level [f, fe), topic level [t, te).
    size_t fe = filter.find('/', f);
    if (fe == std::string_view::npos) fe = fn;
    std::string_view flevel = filter.substr(f, fe - f);
    if (flevel == "#") return true;  // matches the parent level too ("a/#" matches "a")
    if (t > tn) {
      return false;  // topic exhausted
    }
    size_t te = topic.find('/', t);
    if (te == std::string_view::npos) te = tn;
    std::string_view tlevel = topic.substr(t, te - t);
    if (flevel != "+" && flevel != tlevel) return false;
    bool f_last = fe == fn;
    bool t_last = te == tn;
    if (f_last && t_last) return true;
    if (f_last) return false;
    if (t_last) {
      // Topic ended; the filter matches only if what remains is "/#".
      std::string_view rest = filter.substr(fe + 1);
      return rest == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

core::Status validateFilter(std::string_view filter) {
  if (filter.empty()) return fail(Errc::kInvalidConfig, "topic filter is empty");
  if (filter.size() > 65535)
    return fail(Errc::kInvalidConfig, "topic filter longer than 65535 bytes");
  if (filter.find('\0') != std::string_view::npos) {
    return fail(Errc::kInvalidConfig, "topic filter contains a NUL character");
  }
  auto parts = levels(filter);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view l = parts[i];
    if (l.find('#') != std::string_view::npos && (l != "#" || i + 1 != parts.size())) {
      return fail(Errc::kInvalidConfig,
                  "'#' must be a whole level and the last one, in '" + std::string(filter) + "'");
    }
    if (l.find('+') != std::string_view::npos && l != "+") {
      return fail(Errc::kInvalidConfig,
                  "'+' must be a whole level, in '" + std::string(filter) + "'");
    }
  }
  return core::ok();
}

core::Result<std::string> sharedFilter(std::string_view group, std::string_view filter) {
  if (group.empty() || group.find_first_of("/+#") != std::string_view::npos) {
    return fail(Errc::kInvalidConfig, "share group '" + std::string(group) +
                                          "' must be non-empty without '/', '+' or '#'");
  }
  return "$share/" + std::string(group) + "/" + std::string(filter);
}

core::Result<TopicTemplate> TopicTemplate::parse(std::string_view text) {
  TopicTemplate t;
  t.text_ = std::string(text);
  auto parts = levels(text);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view l = parts[i];
    Level level;
    bool last = i + 1 == parts.size();
    if (l.size() >= 2 && l.front() == '{' && l.back() == '}') {
      std::string_view name = l.substr(1, l.size() - 2);
      level.kind = Kind::kCapture;
      if (!name.empty() && name.back() == '#') {
        if (!last) {
          return fail(Errc::kInvalidConfig, "'{" + std::string(name) +
                                                "}' captures the rest of the topic and must be "
                                                "the last level");
        }
        name.remove_suffix(1);
        level.kind = Kind::kCaptureRest;
      }
      if (!isIdentifier(name)) {
        return fail(Errc::kInvalidConfig,
                    "capture name '" + std::string(name) + "' must be snake_case (a-z, 0-9, _)");
      }
      if (t.captures(name)) {
        return fail(Errc::kInvalidConfig, "capture '" + std::string(name) + "' appears twice");
      }
      level.text = std::string(name);
    } else if (l.find_first_of("{}") != std::string_view::npos) {
      return fail(Errc::kInvalidConfig, "a capture must be a whole level: '" + std::string(l) +
                                            "' in '" + std::string(text) + "'");
    } else if (l == "+") {
      level.kind = Kind::kPlus;
    } else if (l == "#") {
      level.kind = Kind::kHash;
    } else {
      level.text = std::string(l);
    }
    t.levels_.push_back(std::move(level));
  }
  for (size_t i = 0; i < t.levels_.size(); ++i) {
    if (i) t.filter_.push_back('/');
    switch (t.levels_[i].kind) {
      case Kind::kLiteral:
        t.filter_ += t.levels_[i].text;
        break;
      case Kind::kPlus:
      case Kind::kCapture:
        t.filter_.push_back('+');
        break;
      case Kind::kHash:
      case Kind::kCaptureRest:
        t.filter_.push_back('#');
        break;
    }
  }
  SF_TRY(validateFilter(t.filter_));
  return t;
}

bool TopicTemplate::captures(std::string_view name) const {
  for (const auto& l : levels_) {
    if ((l.kind == Kind::kCapture || l.kind == Kind::kCaptureRest) && l.text == name) return true;
  }
  return false;
}

std::vector<std::string> TopicTemplate::captureNames() const {
  std::vector<std::string> out;
  for (const auto& l : levels_) {
    if (l.kind == Kind::kCapture || l.kind == Kind::kCaptureRest) out.push_back(l.text);
  }
  return out;
}

bool TopicTemplate::match(std::string_view topic, std::vector<Capture>& out) const {
  out.clear();
  if (!topicMatches(filter_, topic)) return false;
  size_t pos = 0;
  for (const auto& l : levels_) {
    if (l.kind == Kind::kHash) return true;
    if (l.kind == Kind::kCaptureRest) {
      if (pos > topic.size()) return false;  // '#' matched the parent level: nothing to capture
      out.push_back({l.text, topic.substr(pos)});
      return true;
    }
    size_t end = topic.find('/', pos);
    if (end == std::string_view::npos) end = topic.size();
    if (l.kind == Kind::kCapture) out.push_back({l.text, topic.substr(pos, end - pos)});
    pos = end + 1;
  }
  return true;
}

}  // namespace sf::mqtt
