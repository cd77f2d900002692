#include "config/node.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <exception>
#include <map>

namespace sf::config {

Node Node::scalar(std::string text, Style style, Mark mark) {
  Node n;
  n.kind = Kind::kScalar;
  n.style = style;
  n.text = std::move(text);
  n.mark = mark;
  return n;
}

const Node* Node::find(std::string_view key) const {
  for (const auto& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

namespace {

Mark toMark(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) return {};
  return Mark{m.line + 1, m.column + 1};
}

class YamlConverter {
 public:
  YamlConverter(const std::string& file, std::vector<ConfigError>& errors)
      : file_(file), errors_(errors) {}

  Node convert(const YAML::Node& y, Mark fallback, int depth = 0) {
    Node n;
    n.mark = toMark(y.Mark());
    if (!n.mark.known()) n.mark = fallback;
    // Aliases can make a tree recursive (`a: &x [*x]`) or exponentially large (billion
    // laughs); no real config is deeper or bigger than these limits.
    if (depth > kMaxDepth || ++nodes_ > kMaxNodes) {
      if (!too_big_) {
        error(ConfigErrc::kSyntax, n.mark,
              depth > kMaxDepth ? "nested deeper than " + std::to_string(kMaxDepth) + " levels"
                                : "more than " + std::to_string(kMaxNodes) + " values");
      }
      too_big_ = true;
      n.reported = true;
      return n;
    }
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        // yaml-cpp marks an empty value (`port:` followed by a newline) at the next token;
        // the key is the better place to point at.
        if (fallback.known() && n.mark.line > fallback.line) n.mark = fallback;
        break;
      case YAML::NodeType::Scalar: {
        n.kind = Node::Kind::kScalar;
        n.text = y.Scalar();
        const std::string& tag = y.Tag();
        if (tag == "?") {
          n.style = Node::Style::kPlain;
        } else if (tag == "!" || tag == "tag:yaml.org,2002:str") {
          n.style = Node::Style::kQuoted;
        } else {
          error(ConfigErrc::kType, n.mark, "unsupported YAML tag '" + tag + "'");
          n.reported = true;
        }
        break;
      }
      case YAML::NodeType::Sequence: {
        n.kind = Node::Kind::kList;
        size_t i = 0;
        for (auto it = y.begin(); it != y.end(); ++it, ++i) {
          size_t length = enter(std::to_string(i));
          n.items.push_back(convert(*it, n.mark, depth + 1));
          path_.resize(length);
        }
        break;
      }
      case YAML::NodeType::Map: {
        n.kind = Node::Kind::kMap;
        std::map<std::string, Mark> seen;
        for (auto it = y.begin(); it != y.end(); ++it) {
          Mark key_mark = toMark(it->first.Mark());
          if (!key_mark.known()) key_mark = n.mark;
          if (!it->first.IsScalar()) {
            error(ConfigErrc::kType, key_mark, "mapping keys must be strings");
            continue;
          }
          std::string key = it->first.Scalar();
          size_t length = enter(key);
          auto [prev, inserted] = seen.emplace(key, key_mark);
          if (inserted) {
            n.members.push_back(
                NodeMember{key, key_mark, convert(it->second, key_mark, depth + 1)});
          } else {
            error(ConfigErrc::kDuplicateKey, key_mark,
                  "duplicate key '" + key + "' (first at line " +
                      std::to_string(prev->second.line) + ")");
          }
          path_.resize(length);
        }
        break;
      }
    }
    return n;
  }

 private:
  // Appends a pointer token for the child being converted; returns the length to restore.
  size_t enter(std::string_view token) {
    size_t length = path_.size();
    path_ += '/';
    for (char c : token) {
      if (c == '~') {
        path_ += "~0";
      } else if (c == '/') {
        path_ += "~1";
      } else {
        path_ += c;
      }
    }
    return length;
  }
  void error(ConfigErrc code, Mark mark, std::string reason) {
    errors_.push_back(ConfigError{code, file_, mark, path_, std::move(reason)});
  }

  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxNodes = 1'000'000;

  const std::string& file_;
  std::vector<ConfigError>& errors_;
  std::string path_;  // JSON Pointer of the node being converted
  size_t nodes_ = 0;
  bool too_big_ = false;
};

}  // namespace

Node nodeFromYaml(const YAML::Node& root, const std::string& file,
                  std::vector<ConfigError>& errors) {
  try {
    return YamlConverter(file, errors).convert(root, Mark{});
  } catch (const std::exception& e) {
    errors.push_back(ConfigError{ConfigErrc::kSyntax, file, {}, "", e.what()});
    return Node{};
  }
}

std::optional<Node> parseYamlText(std::string_view text, const std::string& file,
                                  std::vector<ConfigError>& errors) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    Mark mark = toMark(e.mark);
    errors.push_back(
        ConfigError{ConfigErrc::kSyntax, file, mark, "", "YAML syntax error: " + e.msg});
    return std::nullopt;
  } catch (const std::exception& e) {
    errors.push_back(ConfigError{ConfigErrc::kSyntax, file, {}, "", e.what()});
    return std::nullopt;
  }
  if (docs.size() > 1) {
    errors.push_back(
        ConfigError{ConfigErrc::kSyntax, file, toMark(docs[1].Mark()), "",
                    "expected a single YAML document, found " + std::to_string(docs.size())});
    return std::nullopt;
  }
  if (docs.empty() || docs[0].IsNull()) {
    Node empty;
    empty.kind = Node::Kind::kMap;
    empty.mark = Mark{1, 1};
    return empty;
  }
  return nodeFromYaml(docs[0], file, errors);
}

namespace {

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct Expander {
  const EnvLookup& env;
  const std::string& file;
  std::vector<ConfigError>& errors;

  void walk(Node& n, const std::string& path) {
    switch (n.kind) {
      case Node::Kind::kNull:
        break;
      case Node::Kind::kScalar:
        if (n.style == Node::Style::kPlain || n.style == Node::Style::kQuoted) scalar(n, path);
        break;
      case Node::Kind::kList:
        for (size_t i = 0; i < n.items.size(); ++i) {
          walk(n.items[i], appendPointer(path, std::to_string(i)));
        }
        break;
      case Node::Kind::kMap:
        for (auto& m : n.members) walk(m.value, appendPointer(path, m.key));
        break;
    }
  }

  void scalar(Node& n, const std::string& path) {
    const std::string& in = n.text;
    if (in.find('$') == std::string::npos) return;
    std::string out;
    size_t i = 0;
    while (i < in.size()) {
      if (in.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 3;
        continue;
      }
      if (in.compare(i, 2, "${") != 0) {
        out += in[i++];
        continue;
      }
      size_t close = in.find('}', i + 2);
      std::string_view body = close == std::string::npos
                                  ? std::string_view()
                                  : std::string_view(in).substr(i + 2, close - i - 2);
      size_t sep = body.find(":-");
      std::string_view name = body.substr(0, sep);
      bool valid = close != std::string::npos && !name.empty() && isNameStart(name[0]);
      for (char c : name) valid = valid && isNameChar(c);
      if (!valid) {
        fail(n, path, ConfigErrc::kType,
             "invalid environment variable reference (write ${NAME} or ${NAME:-default}; "
             "$${ for a literal ${)");
        return;
      }
      std::optional<std::string> value = env(name);
      if (!value && sep != std::string_view::npos) value = std::string(body.substr(sep + 2));
      if (!value) {
        fail(n, path, ConfigErrc::kEnv,
             "environment variable '" + std::string(name) + "' is not set");
        return;
      }
      out += *value;
      i = close + 1;
    }
    n.text = std::move(out);
  }

  void fail(Node& n, const std::string& path, ConfigErrc code, std::string reason) {
    errors.push_back(ConfigError{code, file, n.mark, path, std::move(reason)});
    n.reported = true;
  }
};

}  // namespace

namespace {
void appendCanonical(std::string& out, const Node& n) {
  auto text = [&out](const std::string& t) {
    out += std::to_string(t.size());
    out += ':';
    out += t;
  };
  switch (n.kind) {
    case Node::Kind::kNull:
      out += 'n';
      return;
    case Node::Kind::kScalar:
      out += 's';
      out += static_cast<char>('0' + static_cast<int>(n.style));
      text(n.text);
      return;
    case Node::Kind::kList:
      out += '[';
      for (const auto& item : n.items) appendCanonical(out, item);
      out += ']';
      return;
    case Node::Kind::kMap:
      out += '{';
      for (const auto& m : n.members) {
        text(m.key);
        appendCanonical(out, m.value);
      }
      out += '}';
      return;
  }
}
}  // namespace

std::string canonicalText(const Node& node) {
  std::string out;
  appendCanonical(out, node);
  return out;
}

void expandEnv(Node& root, const EnvLookup& env, const std::string& file,
               std::vector<ConfigError>& errors) {
  if (!env) return;
  Expander{env, file, errors}.walk(root, "");
}

}  // namespace sf::config
