// `goalkeeper validate` and `goalkeeper plan`: load a goal file into an in-memory state (nothing
// on disk changes) and report errors as file:line:column, or what would run in which order.
#include <algorithm>
#include <iostream>
#include <map>

#include <yaml-cpp/yaml.h>

#include "commands.hpp"
#include "formats.hpp"
#include "goal_text.hpp"
#include "layout.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

// What the plugin's tree does not say about a task, read from the file the plugin accepted.
struct Extra {
  std::vector<std::string> needs;
  bool has_needs = false;
  int64_t priority = 0;
  bool requires_approval = false;
  std::string gate;
};

using Extras = std::map<std::string, std::map<std::string, Extra>>;  // goal -> task -> extra

Extras read_extras(const std::string &text) {
  Extras out;
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception &) {
    return out;
  }
  Extra defaults;
  if (auto d = doc["defaults"]; d && d.IsMap()) {
    if (d["priority"]) defaults.priority = d["priority"].as<int64_t>(0);
    if (d["requires_approval"]) defaults.requires_approval = d["requires_approval"].as<bool>(false);
  }
  if (!doc["goals"] || !doc["goals"].IsSequence()) return out;
  for (const auto &g : doc["goals"]) {
    if (!g.IsMap() || !g["id"]) continue;
    auto &tasks = out[g["id"].as<std::string>()];
    std::vector<YAML::Node> work;
    if (g["tasks"] && g["tasks"].IsSequence())
      for (const auto &t : g["tasks"]) work.push_back(t);
    while (!work.empty()) {
      YAML::Node t = work.back();
      work.pop_back();
      if (!t.IsMap() || !t["id"]) continue;
      Extra e = defaults;
      e.needs.clear();
      if (auto n = t["needs"]; n && n.IsSequence()) {
        e.has_needs = true;
        for (const auto &x : n) e.needs.push_back(x.as<std::string>());
      }
      if (t["priority"]) e.priority = t["priority"].as<int64_t>(0);
      if (t["requires_approval"]) e.requires_approval = t["requires_approval"].as<bool>(false);
      if (auto w = t["wait_for"]; w && w.IsMap() && w["type"]) e.gate = w["type"].as<std::string>();
      tasks[t["id"].as<std::string>()] = e;
      if (t["tasks"] && t["tasks"].IsSequence())
        for (const auto &c : t["tasks"]) work.push_back(c);
    }
  }
  return out;
}

struct Node {
  const json::object *task = nullptr;
  std::string id;
  Extra extra;
  std::vector<Node> kids;
  int start = 0, end = 0;  // waves [start, end)
};

Node build(const json::object &t, const std::map<std::string, Extra> &extras) {
  Node n;
  n.task = &t;
  n.id = node_id(t);
  if (auto it = extras.find(n.id); it != extras.end()) n.extra = it->second;
  if (const auto *c = t.if_contains("children"); c && c->is_array())
    for (const auto &k : c->as_array()) n.kids.push_back(build(k.as_object(), extras));
  return n;
}

// Earliest wave of every task under the rules of DESIGN "Order": children in priority order,
// each after every earlier sibling unless the parent is parallel or the child names its needs.
void schedule(Node &n, int start) {
  n.start = start;
  if (n.kids.empty()) {
    n.end = start + 1;
    return;
  }
  std::stable_sort(n.kids.begin(), n.kids.end(), [](const Node &a, const Node &b) {
    return a.extra.priority > b.extra.priority;
  });
  const bool parallel = json_str(*n.task, "parallel") == "true";
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n.kids.size(); ++i) index[n.kids[i].id] = i;
  std::vector<bool> done(n.kids.size(), false);
  size_t remaining = n.kids.size();
  while (remaining > 0) {
    size_t before = remaining;
    size_t first_open = 0;
    while (first_open < done.size() && done[first_open]) ++first_open;
    for (size_t i = 0; i < n.kids.size(); ++i) {
      if (done[i]) continue;
      Node &k = n.kids[i];
      int at = start;
      bool ready = true;
      if (k.extra.has_needs) {
        for (const auto &dep : k.extra.needs) {
          auto it = index.find(dep);
          if (it == index.end()) continue;
          if (!done[it->second])
            ready = false;
          else
            at = std::max(at, n.kids[it->second].end);
        }
      } else if (!parallel) {
        if (first_open < i) ready = false;
        for (size_t j = 0; ready && j < i; ++j) at = std::max(at, n.kids[j].end);
      }
      if (!ready) continue;
      schedule(k, at);
      done[i] = true;
      --remaining;
      if (i == first_open)
        while (first_open < done.size() && done[first_open]) ++first_open;
    }
    if (remaining == before) break;  // a cycle the loader would have refused
  }
  n.end = start;
  for (const auto &k : n.kids) n.end = std::max(n.end, k.end);
}

std::string marks(const Node &n) {
  const json::object &t = *n.task;
  std::string m;
  if (!n.kids.empty()) {
    if (json_str(t, "parallel") == "true") m += "[parallel]";
  } else {
    std::string stage = json_str(t, "stage");
    if (stage == "wait_for_signal") {
      m += "[gate: " + (n.extra.gate.empty() ? std::string("signal") : n.extra.gate) + "]";
    } else if (stage == "human_review") {
      m += "[review]";
    } else {
      std::string p = json_str(t, "session_policy");
      m += p == "spawn" ? "[spawn]" : p == "auto" ? "[auto]" : "[pinned]";
      if (n.extra.requires_approval) m += " [review]";
    }
  }
  if (n.extra.has_needs) {
    std::string list;
    for (const auto &d : n.extra.needs) list += (list.empty() ? "" : ", ") + d;
    m += (m.empty() ? "" : " ") + std::string("needs: ") + (list.empty() ? "(nothing)" : list);
  }
  if (n.extra.priority != 0)
    m += (m.empty() ? "" : " ") + ("priority: " + std::to_string(n.extra.priority));
  return m;
}

void print_tree(const Node &n, int depth, std::string &out) {
  std::string wave = n.end - n.start <= 1
                         ? std::to_string(n.start + 1)
                         : std::to_string(n.start + 1) + "-" + std::to_string(n.end);
  std::string left = "  " + wave;
  left.resize(std::max<size_t>(left.size() + 1, 9), ' ');
  std::string name = std::string(static_cast<size_t>(depth) * 2, ' ') + n.id;
  name.resize(std::max<size_t>(name.size() + 2, 24), ' ');
  std::string line = left + name + marks(n);
  std::string title = shown(json_str(*n.task, "title"));
  if (!title.empty() && title != n.id) line += "  " + title;
  out += line + "\n";
  for (const auto &k : n.kids) print_tree(k, depth + 1, out);
}

void collect_waves(const Node &n, std::map<int, std::vector<const Node *>> &waves) {
  if (n.kids.empty()) waves[n.start].push_back(&n);
  for (const auto &k : n.kids) collect_waves(k, waves);
}

size_t count_tasks(const Node &n) {
  size_t c = n.kids.empty() ? 1 : 0;
  for (const auto &k : n.kids) c += count_tasks(k);
  return c;
}

}  // namespace

int cmd_validate(const Args &args) {
  const std::string file = args.positional.at(0);
  std::string text = read_goal_text(file);
  goalkeeper::Handle state = open_state(args, nullptr, Access::in_memory);
  json::object result = parse_answer(state.load(text, file)).as_object();
  const auto &goals = result.at("goals").as_array();
  int64_t tasks = 0;
  std::string names;
  for (const auto &g : goals) {
    tasks += json_int(g.as_object(), "tasks");
    names += (names.empty() ? "" : ", ") + json_str(g.as_object(), "goal_id");
  }
  if (args.has("json"))
    std::cout << json::serialize(json::object{{"file", file}, {"valid", true}, {"goals", goals}})
              << '\n';
  else
    std::cout << file << ": ok, " << goals.size() << (goals.size() == 1 ? " goal" : " goals")
              << " (" << names << "), " << tasks << " tasks\n";
  return 0;
}

int cmd_plan(const Args &args) {
  const std::string file = args.positional.at(0);
  std::string text = read_goal_text(file);
  goalkeeper::Handle state = open_state(args, nullptr, Access::in_memory);
  json::object result = parse_answer(state.load(text, file)).as_object();
  Extras extras = read_extras(text);
  std::string out;
  json::array plans;
  for (const auto &g : result.at("goals").as_array()) {
    std::string id = json_str(g.as_object(), "goal_id");
    json::object q{{"what", "tree"}, {"goal_id", id}};
    json::object tree = parse_answer(state.query(json::serialize(q))).as_object();
    Node root = build(tree_root(tree), extras[id]);
    schedule(root, 0);
    std::map<int, std::vector<const Node *>> waves;
    collect_waves(root, waves);
    std::string title = shown(json_str(tree_root(tree), "title"));
    out += "goal " + id + (title.empty() || title == id ? "" : ": " + title) + "  (" +
           std::to_string(count_tasks(root)) + " tasks, " + std::to_string(waves.size()) +
           " waves)\n";
    out += "  wave   task\n";
    for (const auto &k : root.kids) print_tree(k, 0, out);
    out += "  order:\n";
    json::array jwaves;
    for (const auto &[w, nodes] : waves) {
      std::string list;
      json::array jl;
      for (const Node *n : nodes) {
        list += (list.empty() ? "" : ", ") + n->id;
        jl.push_back(json::object{{"task_id", n->id}, {"marks", marks(*n)}});
      }
      out += "    " + std::to_string(w + 1) + ". " + list +
             (nodes.size() > 1 ? "  (in parallel)" : "") + "\n";
      jwaves.push_back(std::move(jl));
    }
    out += "\n";
    plans.push_back(json::object{{"goal_id", id}, {"waves", std::move(jwaves)}});
  }
  out +=
      "[pinned] the goal's own session, one task at a time   [spawn] a child job in its own "
      "workspace\n[auto] pinned unless another job runs   [gate: T] waits for a signal   "
      "[review] waits for a person\n";
  if (args.has("json"))
    std::cout << json::serialize(json::object{{"file", file}, {"goals", std::move(plans)}}) << '\n';
  else
    std::cout << shown_lines(out);
  return 0;
}

}  // namespace gk::runner
