#include "core/template_rules.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/run_order.hpp"

namespace gk {

// The tree flattened once: each task's parent, its place in its parent's run order and its
// children in run order (priority descending, then declaration), for run_order.hpp.
struct TemplateRules::Index {
  struct Entry {
    const TaskDef *def = nullptr;
    int parent = -1;
    size_t position = 0;
    std::vector<int> children;
  };
  std::vector<Entry> entries;
  std::unordered_map<std::string_view, int> by_id;

  explicit Index(const TaskDef &root) {
    entries.push_back({&root, -1, 0, {}});
    for (size_t at = 0; at < entries.size(); ++at) {
      const TaskDef *def = entries[at].def;
      std::vector<const TaskDef *> kids;
      kids.reserve(def->tasks.size());
      for (const TaskDef &c : def->tasks) kids.push_back(&c);
      std::stable_sort(kids.begin(), kids.end(), [](const TaskDef *a, const TaskDef *b) {
        return a->priority > b->priority;
      });
      for (size_t k = 0; k < kids.size(); ++k) {
        auto child = static_cast<int>(entries.size());
        entries.push_back({kids[k], static_cast<int>(at), k, {}});
        entries[at].children.push_back(child);
      }
    }
    for (size_t i = 0; i < entries.size(); ++i)
      by_id.emplace(entries[i].def->id, static_cast<int>(i));
  }

  // The accessor of run_order.hpp.
  using Node = int;
  std::optional<int> parent(int n) const {
    int p = entries[static_cast<size_t>(n)].parent;
    return p < 0 ? std::nullopt : std::optional<int>(p);
  }
  size_t position(int n) const { return entries[static_cast<size_t>(n)].position; }
  const std::vector<int> &children(int n) const { return entries[static_cast<size_t>(n)].children; }
  bool parallel(int n) const { return entries[static_cast<size_t>(n)].def->parallel; }
  bool has_needs(int n) const { return entries[static_cast<size_t>(n)].def->has_needs; }
  std::vector<int> needs(int n) const {
    std::vector<int> out;
    for (const std::string &id : entries[static_cast<size_t>(n)].def->needs)
      if (auto it = by_id.find(id); it != by_id.end()) out.push_back(it->second);
    return out;
  }
  bool contains(int outer, int inner) const {
    for (int at = inner; at >= 0; at = entries[static_cast<size_t>(at)].parent)
      if (at == outer) return true;
    return false;
  }
};

TemplateRules::TemplateRules(const TaskDef &root, std::function<bool(std::string_view)> earlier)
    : root_(root), earlier_(std::move(earlier)) {}

TemplateRules::~TemplateRules() = default;

namespace {

// A variable name for the value, for the suggested fix: PR for artifacts.pr.
std::string env_name(const TemplateRef &ref) {
  std::string base = ref.kind == TemplateRef::Kind::summary || ref.path.empty()
                         ? ref.task_id + "_summary"
                         : ref.path.back();
  std::string out;
  for (char c : base) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += alnum ? static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out = "V_" + out;
  return out;
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

std::string TemplateRules::problem(std::string_view reader, bool in_run,
                                   const TemplateRef &ref) const {
  using K = TemplateRef::Kind;
  if (ref.kind != K::artifact && ref.kind != K::summary) return {};
  const std::string expr = "{{ " + to_string(ref) + " }}";
  if (in_run) {
    const std::string var = env_name(ref);
    return "a value produced while the goal runs (a task's artifacts or summary) never goes into "
           "run: in a command, after sh -c, it would run as code. Pass it as data through env, "
           "e.g. env: {" +
           var + ": \"" + expr + "\"}, and use \"$" + var + "\" in the command";
  }
  if (!index_) index_ = std::make_unique<Index>(root_);
  const Index &ix = *index_;
  const bool on_root = reader == root_.id;
  auto source = ix.by_id.find(ref.task_id);
  if (source == ix.by_id.end()) {
    // A task outside this tree: one that ran before the holder of these subtasks.
    if (earlier_ && earlier_(ref.task_id)) return {};
    return "task " + quoted(ref.task_id) + " does not finish before the job that added " +
           quoted(root_.id) + "'s subtasks ran, so its value may be missing when they start";
  }
  if (on_root) {
    if (source->second == 0 && earlier_) return {};  // subtasks read what their parent reported
    return "written on the goal or in defaults, it applies to every task of the goal, " +
           quoted(ref.task_id) +
           " included, and some of them start before it finishes: move it to the tasks that run "
           "after " +
           quoted(ref.task_id);
  }
  auto target = ix.by_id.find(reader);
  if (target == ix.by_id.end()) return {};  // not a task of this tree: nothing to check
  const int x = source->second, t = target->second;
  if (x == 0 && earlier_) return {};  // the holder ran before its subtasks
  if (finishes_before(x, t, ix)) return {};
  std::string why;
  if (x == t)
    why = "a task cannot read its own " +
          std::string(ref.kind == K::summary ? "summary" : "artifacts") +
          " (they do not exist before it has run)";
  else if (ix.contains(x, t))
    why = quoted(reader) + " is inside " + quoted(ref.task_id) + ", which finishes only after it";
  else if (ix.contains(t, x))
    why = quoted(ref.task_id) + " is inside " + quoted(reader) +
          ": written on a parent, the template applies to every task under it, " +
          quoted(ref.task_id) + " included";
  else
    why = quoted(ref.task_id) + " does not finish before " + quoted(reader) +
          " starts (it runs later, or alongside it), so the value is missing when " +
          quoted(reader) + " needs it: order them, e.g. needs: [" + ref.task_id + "] on " +
          quoted(reader);
  return why;
}

bool TemplateRules::reads_task_title(const std::vector<std::string> &argv) {
  for (const std::string &arg : argv) {
    if (!has_template(arg)) continue;
    for (const TemplateRef &ref : parse_template(arg))
      if (ref.kind == TemplateRef::Kind::task && !ref.path.empty() && ref.path[0] == "title")
        return true;
  }
  return false;
}

}  // namespace gk
