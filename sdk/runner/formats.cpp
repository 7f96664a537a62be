// Text, dot and Mermaid renderings of the plugin's query answers.
#include "formats.hpp"

#include <chrono>
#include <ctime>
#include <functional>

#include "text_width.hpp"
#include "view.hpp"

namespace gk::runner {

namespace json = boost::json;

std::string json_str(const json::object &o, const char *key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return json::serialize(*v);
}

int64_t json_int(const json::object &o, const char *key, int64_t fallback) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return fallback;
}

const json::array &json_array(const json::object &o, const char *key) {
  static const json::array empty;
  const json::value *v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : empty;
}

std::string node_id(const json::object &node) {
  std::string id = json_str(node, "task_id");
  return id.empty() ? json_str(node, "id") : id;
}

const json::object &tree_root(const json::object &answer) {
  if (const auto *t = answer.if_contains("tree"); t && t->is_object()) return t->as_object();
  return answer;
}

namespace {

const json::array &arr(const json::object &o, const char *key) {
  static const json::array empty;
  const json::value *v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : empty;
}

const char *status_color(const std::string &status) {
  if (status == "done" || status == "skipped") return "\x1b[32m";
  if (status == "failed") return "\x1b[31m";
  if (status == "active") return "\x1b[36m";
  if (status == "pending_review" || status == "blocked") return "\x1b[33m";
  return "\x1b[2m";
}

std::string paint(const std::string &text, const std::string &status, bool color) {
  return color ? status_color(status) + text + "\x1b[0m" : text;
}

std::string elapsed_since(int64_t since_ms, int64_t now_ms) {
  if (since_ms <= 0) return "";
  return format_elapsed(std::chrono::milliseconds(now_ms - since_ms));
}

}  // namespace

std::string render_status(const json::object &status, int64_t now_ms, bool color) {
  std::string out;
  const auto &goals = arr(status, "goals");
  if (goals.empty()) return "no goals in this state (load some with `goalkeeper run FILE`)\n";
  for (const auto &gv : goals) {
    const json::object &g = gv.as_object();
    std::string id = json_str(g, "goal_id"), state = json_str(g, "state"),
                st = json_str(g, "status");
    int64_t done = 0, total = 0;
    if (const auto *p = g.if_contains("progress"); p && p->is_object()) {
      done = json_int(p->as_object(), "done");
      total = json_int(p->as_object(), "total");
    }
    out += paint(id, st, color) + "  " + (state == "finished" ? st : state + " (" + st + ")") +
           "  " + progress_bar(done, total, 20);
    std::string title = shown(json_str(g, "title"));
    if (!title.empty() && title != id) out += "  " + title;
    if (g.contains("spec")) out += "  [spec: " + json_str(g, "spec") + "]";
    out += "\n";
    for (const auto &av : arr(g, "active")) {
      const json::object &a = av.as_object();
      std::string line = "  active   " + shown(json_str(a, "task_id"));
      if (a.contains("job_key"))
        line += "  " + json_str(a, "job_key") + "  " + json_str(a, "session") + " " +
                json_str(a, "job");
      else
        line += "  gate: " + json_str(a, "gate");
      std::string e = elapsed_since(json_int(a, "since_ms"), now_ms);
      if (!e.empty()) line += "  " + e;
      if (a.contains("host_ref")) line += "  at " + shown(json_str(a, "host_ref"));
      out += line + "\n";
    }
    for (const auto &rv : arr(g, "pending_review")) {
      std::string t = json_str(rv.as_object(), "task_id");
      std::string ref = t == id ? id : id + "/" + t;
      out += "  review   " + t + "  " + shown(json_str(rv.as_object(), "title")) +
             "  -> goalkeeper approve " + ref + "\n";
    }
    for (const auto &bv : arr(g, "blocked"))
      out += "  blocked  " + json_str(bv.as_object(), "task_id") + "  " +
             shown(json_str(bv.as_object(), "reason")) + "\n";
  }
  return out;
}

std::string render_tree(const json::object &tree, bool color) {
  std::string out;
  // Iterative depth-first walk: trees may be deep.
  struct Item {
    const json::object *node;
    std::string indent;
  };
  std::vector<Item> work{{&tree_root(tree), ""}};
  while (!work.empty()) {
    Item it = work.back();
    work.pop_back();
    const json::object &n = *it.node;
    std::string st = json_str(n, "status");
    std::string line = it.indent + node_id(n) + "  " + paint("[" + st + "]", st, color);
    std::string title = shown(json_str(n, "title"));
    if (!title.empty()) line += "  " + title;
    if (n.contains("job_key")) line += "  (" + json_str(n, "job_key") + ")";
    if (n.contains("reason")) line += "  - " + shown(json_str(n, "reason"));
    out += line + "\n";
    const auto &kids = arr(n, "children");
    for (size_t k = kids.size(); k-- > 0;) work.push_back({&kids[k].as_object(), it.indent + "  "});
  }
  return out;
}

namespace {

// Visits every node with its parent's index (-1 for a root) and a fresh index.
void walk(const std::vector<json::object> &trees,
          const std::function<void(const json::object &, int, int, const std::string &)> &fn) {
  int next = 0;
  for (const auto &tree : trees) {
    std::string goal = node_id(tree_root(tree));
    struct Item {
      const json::object *node;
      int parent;
    };
    std::vector<Item> work{{&tree_root(tree), -1}};
    while (!work.empty()) {
      Item it = work.back();
      work.pop_back();
      int me = next++;
      fn(*it.node, me, it.parent, goal);
      const auto &kids = arr(*it.node, "children");
      for (size_t k = kids.size(); k-- > 0;) work.push_back({&kids[k].as_object(), me});
    }
  }
}

std::string escape(std::string s, const std::string &quote_as) {
  std::string out;
  for (char c : s) {
    if (c == '"')
      out += quote_as;
    else if (c == '\\' && quote_as == "\\\"")
      out += "\\\\";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

const char *fill(const std::string &status) {
  if (status == "done" || status == "skipped") return "#c8f7c5";
  if (status == "failed") return "#f7c5c5";
  if (status == "active") return "#c5e3f7";
  if (status == "pending_review" || status == "blocked") return "#f7ecc5";
  return "#eeeeee";
}

}  // namespace

std::string render_dot(const std::vector<json::object> &trees) {
  std::string out =
      "digraph goals {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
      "fontname=\"Helvetica\"];\n";
  std::string edges;
  walk(trees, [&](const json::object &n, int me, int parent, const std::string &) {
    std::string st = json_str(n, "status");
    std::string label = escape(node_id(n), "\\\"") + "\\n" + escape(st, "\\\"");
    out += "  n" + std::to_string(me) + " [label=\"" + label + "\", fillcolor=\"" + fill(st) +
           "\"];\n";
    if (parent >= 0) edges += "  n" + std::to_string(parent) + " -> n" + std::to_string(me) + ";\n";
  });
  return out + edges + "}\n";
}

std::string render_mermaid(const std::vector<json::object> &trees) {
  std::string out = "flowchart LR\n", edges, classes;
  walk(trees, [&](const json::object &n, int me, int parent, const std::string &) {
    std::string st = json_str(n, "status");
    out +=
        "  n" + std::to_string(me) + "[\"" + escape(node_id(n), "#quot;") + "<br/>" + st + "\"]\n";
    if (parent >= 0) edges += "  n" + std::to_string(parent) + " --> n" + std::to_string(me) + "\n";
    classes += "  class n" + std::to_string(me) + " " + (st.empty() ? "pending" : st) + "\n";
  });
  out += edges;
  for (const char *st :
       {"pending", "active", "pending_review", "blocked", "done", "skipped", "failed"})
    out += std::string("  classDef ") + st + " fill:" + fill(st) + "\n";
  return out + classes;
}

std::string render_event(const json::object &e) {
  int64_t id = json_int(e, "id", json_int(e, "seq"));
  int64_t ts = json_int(e, "ts_ms", json_int(e, "time_ms"));
  std::time_t secs = static_cast<std::time_t>(ts / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  std::string who = json_str(e, "goal_id");
  std::string task = json_str(e, "task_id");
  if (!task.empty()) who += "/" + task;
  std::string kind = json_str(e, "kind");
  if (kind.empty()) kind = json_str(e, "type");
  std::string line = "#" + std::to_string(id) + "  " + when + "  " + who + "  " + kind;
  if (const auto *d = e.if_contains("data");
      d && !(d->is_object() && d->as_object().empty()) && !d->is_null())
    line += "  " + json::serialize(*d);
  return shown(line);
}

}  // namespace gk::runner
