#include "core/template.hpp"

#include <charconv>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace gk {
namespace {

namespace json = boost::json;

constexpr const char *kExpected =
    "expected params.<key>, tasks.<id>.artifacts.<key>, tasks.<id>.summary, goal.id, "
    "goal.title, task.id, task.title or task.attempt";

// A template is literal text and references, in order.
struct Piece {
  std::string_view literal;
  std::optional<TemplateRef> ref;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string join(const std::vector<std::string> &parts, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) out += '.';
    out += parts[i];
  }
  return out;
}

[[noreturn]] void bad(std::string_view expr, const std::string &why) {
  fail(Errc::invalid, "expression {{ " + std::string(expr) + " }}: " + why);
}

std::vector<std::string> split_names(std::string_view expr) {
  std::vector<std::string> names;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = expr.find('.', start);
    std::string_view name = expr.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (name.empty()) {
      bad(expr, start == 0 ? "expected a name before '.', found nothing"
                           : "expected a name after '.', found nothing");
    }
    for (char c : name) {
      if (!is_name_char(c)) {
        bad(expr, "expected names of letters, digits, '_' or '-' separated by '.', found '" +
                      std::string(1, c) + "' in '" + std::string(name) + "'");
      }
    }
    names.emplace_back(name);
    if (dot == std::string_view::npos) return names;
    start = dot + 1;
  }
}

TemplateRef parse_tasks_ref(std::string_view expr, std::vector<std::string> &names) {
  using Kind = TemplateRef::Kind;
  const std::size_t n = names.size();
  TemplateRef ref{Kind::artifact, {}, {}};
  std::size_t id_end = 0;
  for (std::size_t i = 2; i + 1 < n; ++i) {
    if (names[i] == "artifacts") {
      id_end = i;
      break;
    }
  }
  if (id_end != 0) {
    ref.path.assign(names.begin() + static_cast<long>(id_end) + 1, names.end());
  } else if (n >= 3 && names[n - 1] == "summary") {
    ref.kind = Kind::summary;
    id_end = n - 1;
  } else {
    bad(expr, "expected tasks.<id>.artifacts.<key> or tasks.<id>.summary, found '" +
                  std::string(expr) + "'");
  }
  ref.task_id = join(names, 1, id_end);
  if (!is_valid_id(ref.task_id)) bad(expr, id_error(ref.task_id));
  return ref;
}

TemplateRef parse_expression(std::string_view expr) {
  using Kind = TemplateRef::Kind;
  if (expr.empty())
    fail(Errc::invalid, std::string("empty expression {{ }}: ") + kExpected + ", found nothing");
  std::vector<std::string> names = split_names(expr);
  const std::string &root = names[0];
  if (root == "params") {
    if (names.size() < 2) bad(expr, "expected params.<key>, found 'params'");
    names.erase(names.begin());
    return TemplateRef{Kind::param, {}, std::move(names)};
  }
  if (root == "tasks") return parse_tasks_ref(expr, names);
  if (root == "goal" || root == "task") {
    const bool is_task = root == "task";
    const char *fields = is_task ? "task.id, task.title or task.attempt" : "goal.id or goal.title";
    const bool known = names.size() == 2 && (names[1] == "id" || names[1] == "title" ||
                                             (is_task && names[1] == "attempt"));
    if (!known)
      bad(expr, std::string("expected ") + fields + ", found '" + std::string(expr) + "'");
    return TemplateRef{is_task ? Kind::task : Kind::goal, {}, {names[1]}};
  }
  bad(expr, "unknown root '" + root + "': " + kExpected);
}

std::vector<Piece> split_template(std::string_view text) {
  std::vector<Piece> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      pieces.push_back({text.substr(pos), std::nullopt});
      break;
    }
    if (open > pos) pieces.push_back({text.substr(pos, open - pos), std::nullopt});
    std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      std::string_view rest = text.substr(open, 40);
      fail(Errc::invalid, "unclosed template: expected '}}' after '{{' at character " +
                              std::to_string(open + 1) + ", found the end of the text ('" +
                              std::string(rest) + (open + 40 < text.size() ? "...')" : "')"));
    }
    pieces.push_back({{}, parse_expression(trim(text.substr(open + 2, close - open - 2)))});
    pos = close + 2;
  }
  return pieces;
}

// A found value: JSON (params, artifacts) or plain text (summary, builtins).
struct Found {
  const json::value *json = nullptr;
  std::string text;
};

Found resolve(const TemplateRef &ref, const TemplateLookup &lookup) {
  using Kind = TemplateRef::Kind;
  auto missing = [&](const std::string &what) {
    fail(Errc::invalid, "expression {{ " + to_string(ref) + " }}: " + what);
  };
  Found found;
  switch (ref.kind) {
    case Kind::param:
      found.json = lookup.param(ref.path);
      if (!found.json) missing("params has no key '" + join(ref.path, 0, ref.path.size()) + "'");
      break;
    case Kind::artifact:
      found.json = lookup.artifact(ref.task_id, ref.path);
      if (!found.json) {
        missing("tasks." + ref.task_id + " has no artifact '" + join(ref.path, 0, ref.path.size()) +
                "'");
      }
      break;
    case Kind::summary: {
      auto s = lookup.summary(ref.task_id);
      if (!s) missing("tasks." + ref.task_id + " has no summary");
      found.text = std::move(*s);
      break;
    }
    case Kind::goal:
    case Kind::task: {
      const char *root = ref.kind == Kind::goal ? "goal" : "task";
      auto s = lookup.builtin(root, ref.path.at(0));
      if (!s) missing(to_string(ref) + " has no value here");
      found.text = std::move(*s);
      break;
    }
  }
  return found;
}

void append(std::string &out, const Found &found) {
  if (!found.json) {
    out += found.text;
  } else if (const json::string *s = found.json->if_string()) {
    out.append(s->data(), s->size());
  } else {
    out += json::serialize(*found.json);
  }
}

std::string render_pieces(const std::vector<Piece> &pieces, const TemplateLookup &lookup) {
  std::string out;
  for (const Piece &p : pieces) {
    if (p.ref) {
      append(out, resolve(*p.ref, lookup));
    } else {
      out += p.literal;
    }
  }
  return out;
}

const json::value *find_json_path(const json::value &root, const std::vector<std::string> &path,
                                  std::size_t from) {
  const json::value *at = &root;
  for (std::size_t i = from; i < path.size(); ++i) {
    const std::string &key = path[i];
    if (const json::object *o = at->if_object()) {
      at = o->if_contains(key);
    } else if (const json::array *a = at->if_array()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc() || end != key.data() + key.size() || index >= a->size()) return nullptr;
      at = &(*a)[index];
    } else {
      return nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

}  // namespace

std::string to_string(const TemplateRef &ref) {
  using Kind = TemplateRef::Kind;
  std::string out;
  switch (ref.kind) {
    case Kind::param:
      out = "params";
      break;
    case Kind::artifact:
      out = "tasks." + ref.task_id + ".artifacts";
      break;
    case Kind::summary:
      return "tasks." + ref.task_id + ".summary";
    case Kind::goal:
      out = "goal";
      break;
    case Kind::task:
      out = "task";
      break;
  }
  for (const std::string &key : ref.path) out += "." + key;
  return out;
}

bool has_template(std::string_view text) {
  return text.find("{{") != std::string_view::npos;
}

std::vector<TemplateRef> parse_template(std::string_view text) {
  std::vector<TemplateRef> refs;
  if (!has_template(text)) return refs;
  for (Piece &p : split_template(text)) {
    if (p.ref) refs.push_back(std::move(*p.ref));
  }
  return refs;
}

std::string render_template(std::string_view text, const TemplateLookup &lookup) {
  if (!has_template(text)) return std::string(text);
  return render_pieces(split_template(text), lookup);
}

json::value render_json_templates(const json::value &v, const TemplateLookup &lookup) {
  switch (v.kind()) {
    case json::kind::string: {
      const json::string &s = v.get_string();
      if (!has_template(s)) return v;
      std::vector<Piece> pieces = split_template(s);
      if (pieces.size() == 1 && pieces[0].ref) {
        Found found = resolve(*pieces[0].ref, lookup);
        if (found.json && !found.json->is_string()) return *found.json;
      }
      return json::value(render_pieces(pieces, lookup));
    }
    case json::kind::array: {
      json::array out;
      out.reserve(v.get_array().size());
      for (const json::value &item : v.get_array())
        out.push_back(render_json_templates(item, lookup));
      return out;
    }
    case json::kind::object: {
      json::object out;
      out.reserve(v.get_object().size());
      for (const auto &kv : v.get_object()) {
        out.emplace(kv.key(), render_json_templates(kv.value(), lookup));
      }
      return out;
    }
    default:
      return v;
  }
}

const json::value *find_json_path(const json::object &root, const std::vector<std::string> &path) {
  if (path.empty()) return nullptr;
  const json::value *first = root.if_contains(path[0]);
  return first ? find_json_path(*first, path, 1) : nullptr;
}

const json::value *find_json_path(const json::value &root, const std::vector<std::string> &path) {
  return find_json_path(root, path, 0);
}

}  // namespace gk
