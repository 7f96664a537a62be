// `goalkeeper validate` and `goalkeeper plan`: load a goal file into an in-memory state (nothing
// on disk changes) and report errors as file:line:column, or what would run in which order.
#include <algorithm>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "formats.hpp"
#include "goal_text.hpp"
#include "layout.hpp"
#include "relative_command.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

// What the plan shows of a task, all from the plugin's tree (which holds what the loader
// accepted, children in run order): no second reading of the file.
struct Node {
  const json::object *task = nullptr;
  std::string id;
  std::vector<std::string> needs;
  bool has_needs = false;
  std::vector<Node> kids;
  int span = 1;   // waves its subtree takes
  int rel = 0;    // first wave, counted from its parent's first
  int start = 0;  // first wave of the goal's plan
};

Node build(const json::object &t) {
  Node n;
  n.task = &t;
  n.id = node_id(t);
  if (const auto *needs = t.if_contains("needs"); needs && needs->is_array()) {
    n.has_needs = true;
    for (const auto &x : needs->as_array())
      if (x.is_string()) n.needs.emplace_back(x.as_string());
  }
  if (const auto *c = t.if_contains("children"); c && c->is_array()) {
    n.kids.reserve(c->as_array().size());
    for (const auto &k : c->as_array()) n.kids.push_back(build(k.as_object()));
  }
  return n;
}

// The earliest wave of every task under the order rules (docs/design.md, "Order"): a child
// waits for the siblings its needs names, else, under a sequential parent, for every sibling
// before it in run order; under a parallel one for nothing. "Every sibling before it" is one
// edge to a chain of prefixes ("the first k siblings"), so this is a longest path over a graph
// linear in the siblings and their needs. The loader refused every cycle.
void schedule(Node &n) {
  if (n.kids.empty()) {
    n.span = 1;
    return;
  }
  for (Node &k : n.kids) schedule(k);
  const bool sequential = json_str(*n.task, "parallel") != "true";
  const size_t count = n.kids.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < count; ++i) index.emplace(n.kids[i].id, i);
  // Nodes 0..count-1 are the kids; count+k is "kids 0..k". value: the wave after the node ends.
  auto successors = [&](size_t v, std::vector<size_t> &out) {
    out.clear();
    if (v >= count) {
      const size_t k = v - count;
      out.push_back(k);
      if (k > 0) out.push_back(v - 1);
    } else if (n.kids[v].has_needs) {
      for (const auto &dep : n.kids[v].needs)
        if (auto it = index.find(dep); it != index.end()) out.push_back(it->second);
    } else if (sequential && v > 0) {
      out.push_back(count + v - 1);
    }
  };
  std::vector<int> value(2 * count, -1);
  std::vector<size_t> next;
  for (size_t root = 0; root < count; ++root) {
    std::vector<std::pair<size_t, bool>> stack{{root, false}};  // node, successors pushed
    while (!stack.empty()) {
      auto [v, expanded] = stack.back();
      stack.pop_back();
      if (value[v] >= 0) continue;
      successors(v, next);
      if (!expanded) {
        stack.push_back({v, true});
        for (size_t w : next)
          if (value[w] < 0) stack.push_back({w, false});
        continue;
      }
      int before = 0;
      for (size_t w : next) before = std::max(before, value[w]);
      if (v < count) {
        n.kids[v].rel = before;
        value[v] = before + n.kids[v].span;
      } else {
        value[v] = before;  // the largest end of the prefix
      }
    }
  }
  n.span = 0;
  for (const Node &k : n.kids) n.span = std::max(n.span, k.rel + k.span);
}

void place(Node &n, int start) {
  n.start = start;
  for (Node &k : n.kids) place(k, start + k.rel);
}

std::string marks(const Node &n) {
  const json::object &t = *n.task;
  std::string m;
  if (!n.kids.empty()) {
    if (json_str(t, "parallel") == "true") m += "[parallel]";
  } else {
    std::string stage = json_str(t, "stage");
    if (stage == "wait_for_signal") {
      std::string gate = json_str(t, "gate");
      m += gate == "gh_merge" ? std::string("[merge]")
                              : "[gate: " + (gate.empty() ? std::string("signal") : gate) + "]";
    } else if (stage == "human_review") {
      m += "[review]";
    } else {
      std::string p = json_str(t, "session_policy");
      m += p == "spawn" ? "[spawn]" : p == "auto" ? "[auto]" : "[pinned]";
      if (json_str(t, "requires_approval") == "true") m += " [review]";
    }
  }
  if (n.has_needs) {
    std::string list;
    for (const auto &d : n.needs) list += (list.empty() ? "" : ", ") + d;
    m += (m.empty() ? "" : " ") + std::string("needs: ") + (list.empty() ? "(nothing)" : list);
  }
  if (int64_t priority = json_int(t, "priority"); priority != 0)
    m += (m.empty() ? "" : " ") + ("priority: " + std::to_string(priority));
  return m;
}

void print_tree(const Node &n, int depth, std::string &out) {
  const int end = n.start + n.span;
  std::string wave = n.span <= 1 ? std::to_string(n.start + 1)
                                 : std::to_string(n.start + 1) + "-" + std::to_string(end);
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

// The folder a goal file's relative commands are looked up in, after the session's workspace.
fs::path goal_folder(const std::string &file) {
  return fs::absolute(file).parent_path().lexically_normal();
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
  json::array warnings;
  for (const auto &g : goals) {
    json::object q{{"what", "tree"}, {"goal_id", g.at("goal_id")}};
    json::object tree = parse_answer(state.query(json::serialize(q))).as_object();
    for (const auto &w : missing_commands(tree, fs::current_path(), goal_folder(file)))
      warnings.emplace_back(w);
  }
  std::string also;  // templates and triggers, when the file has any
  for (const char *what : {"templates", "triggers"}) {
    std::string list;
    for (const auto &t : json_array(result, what))
      list += (list.empty() ? "" : ", ") +
              (t.is_string() ? std::string(t.as_string()) : json_str(t.as_object(), "template_id"));
    if (!list.empty()) also += std::string(", ") + what + ": " + list;
  }
  if (args.has("json")) {
    std::cout << json::serialize(json::object{{"file", file},
                                              {"valid", true},
                                              {"goals", goals},
                                              {"templates", json_array(result, "templates")},
                                              {"triggers", json_array(result, "triggers")},
                                              {"warnings", warnings}})
              << '\n';
  } else {
    std::cout << shown(file) << ": ok, " << goals.size() << (goals.size() == 1 ? " goal" : " goals")
              << (names.empty() ? "" : " (" + names + ")") << ", " << tasks << " tasks" << also
              << '\n';
    for (const auto &w : warnings)
      std::cerr << "warning: " << std::string_view(w.as_string()) << '\n';
  }
  return 0;
}

int cmd_plan(const Args &args) {
  const std::string file = args.positional.at(0);
  std::string text = read_goal_text(file);
  goalkeeper::Handle state = open_state(args, nullptr, Access::in_memory);
  json::object result = parse_answer(state.load(text, file)).as_object();
  std::string out;
  json::array plans, warnings;
  for (const auto &g : result.at("goals").as_array()) {
    std::string id = json_str(g.as_object(), "goal_id");
    json::object q{{"what", "tree"}, {"goal_id", id}};
    json::object tree = parse_answer(state.query(json::serialize(q))).as_object();
    for (const auto &w : missing_commands(tree, fs::current_path(), goal_folder(file)))
      warnings.emplace_back(w);
    Node root = build(tree_root(tree));
    schedule(root);
    place(root, 0);
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
  if (plans.empty()) {
    // A file of templates: plan one with a goal entry or `goalkeeper instantiate`.
    std::string names;
    for (const auto &t : json_array(result, "templates"))
      names += (names.empty() ? "" : ", ") + json_str(t.as_object(), "template_id");
    out += shown(file) + ": no goals to plan" +
           (names.empty() ? std::string()
                          : "; templates: " + names +
                                " (a goal entry {template: ID, params: {...}} "
                                "or `goalkeeper instantiate` makes one)") +
           "\n\n";
  }
  out +=
      "[pinned] the goal's own session, one task at a time   [spawn] a child job in its own "
      "workspace\n[auto] pinned unless another job runs   [gate: T] waits for a signal   [merge] "
      "goalkeeper merges   "
      "[review] waits for a person\n";
  if (args.has("json")) {
    std::cout << json::serialize(json::object{
                     {"file", file}, {"goals", std::move(plans)}, {"warnings", warnings}})
              << '\n';
  } else {
    std::cout << shown_lines(out);
    for (const auto &w : warnings)
      std::cerr << "warning: " << std::string_view(w.as_string()) << '\n';
  }
  return 0;
}

}  // namespace gk::runner
