// The goal-file loader's parts (goal_file.cpp is its front): the keys each level of a file
// takes, the paths messages name ("goals[0].tasks[2].run"), and the Loader, whose definitions
// are split by what they read: values (goal_loader.cpp), gates (goal_gates.cpp), tasks and their
// needs (goal_tasks.cpp), goals and the file (goal_file.cpp). Every error is gk::Error(invalid)
// starting with "source:line:column: " and the key path.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/goal_def.hpp"
#include "core/goal_template.hpp"
#include "core/template.hpp"
#include "core/template_rules.hpp"
#include "core/trigger.hpp"
#include "core/yaml_tree.hpp"

namespace gk::loader {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Key lists. The enums index the arrays; a map's fields are read into an array in this order.

// clang-format off
enum FileKey { fVersion, fDefaults, fGoals, fTemplates, fImports, fTriggers, kFileKeyCount };
constexpr std::array<std::string_view, kFileKeyCount> kFileKeys = {
    "version", "defaults", "goals", "templates", "imports", "triggers"};
enum TriggerKey { trId, trDiscover, kTriggerKeyCount };
constexpr std::array<std::string_view, kTriggerKeyCount> kTriggerKeys = {"id", "discover"};
enum DiscoverKey { dsQuery, dsTemplate, dsParams, dsEvery, dsMaxGoals, kDiscoverKeyCount };
constexpr std::array<std::string_view, kDiscoverKeyCount> kDiscoverKeys = {
    "query", "template", "params", "every", "max_goals"};
// An imported file holds templates only (and the defaults they use).
constexpr std::array<std::string_view, 3> kImportKeys = {"version", "defaults", "templates"};

// A goal entry that makes its goal from a template: `- {template: shepherd, params: {...}}`.
enum InstanceKey { iTemplate, iParams, kInstanceKeyCount };
constexpr std::array<std::string_view, kInstanceKeyCount> kInstanceKeys = {"template", "params"};

enum ParamKey { pType, pRequired, pDefault, pEnum, pPattern, pDescription, kParamKeyCount };
constexpr std::array<std::string_view, kParamKeyCount> kParamKeys = {
    "type", "required", "default", "enum", "pattern", "description"};

enum GoalKey { gId, gTitle, gDescription, gParams, gTasks, gParallel, gMaxParallel, gSessionPolicy,
               gRun, gEnv, gTimeout, kGoalKeyCount };
constexpr std::array<std::string_view, kGoalKeyCount> kGoalKeys = {
    "id", "title", "description", "params", "tasks", "parallel", "max_parallel", "session_policy",
    "run", "env", "timeout"};

enum TaskKey { tId, tTitle, tDescription, tPrompt, tRun, tEnv, tStage, tSessionPolicy, tParallel,
               tNeeds, tPriority, tMaxRetries, tTimeout, tRequiresApproval, tWaitFor, tTasks,
               tMerge, kTaskKeyCount };
constexpr std::array<std::string_view, kTaskKeyCount> kTaskKeys = {
    "id", "title", "description", "prompt", "run", "env", "stage", "session_policy", "parallel",
    "needs", "priority", "max_retries", "timeout", "requires_approval", "wait_for", "tasks",
    "merge"};

// Any task key that makes sense for every task, plus the goal's max_parallel.
enum DefaultsKey { dTitle, dDescription, dPrompt, dRun, dEnv, dSessionPolicy, dParallel, dPriority,
                   dMaxRetries, dTimeout, dRequiresApproval, dMaxParallel, kDefaultsKeyCount };
constexpr std::array<std::string_view, kDefaultsKeyCount> kDefaultsKeys = {
    "title", "description", "prompt", "run", "env", "session_policy", "parallel", "priority",
    "max_retries", "timeout", "requires_approval", "max_parallel"};
// clang-format on

constexpr std::array<std::string_view, 5> kGateTypes = {"gh_ci", "gh_review", "centaur_review",
                                                        "human_approval", "compound"};
constexpr std::array<std::string_view, 3> kStageNames = {"agent_work", "wait_for_signal",
                                                         "human_review"};
constexpr std::array<std::string_view, 3> kPolicyNames = {"reuse", "spawn", "auto"};

// Gate keys besides `type`, by gate type.
const std::vector<std::string_view> &gate_keys(std::string_view type);

// ---------------------------------------------------------------------------------------------
// Small text helpers.

std::size_t edit_distance(std::string_view a, std::string_view b);

template <typename Names>
std::string suggestion(std::string_view name, const Names &candidates) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_distance && d < std::max(name.size(), c.size())) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

template <typename Names>
std::string join(const Names &names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Key paths for messages ("goals[0].tasks[2].run"), kept as a chain on the stack and turned
// into text only when something is reported.

struct Path {
  const Path *parent = nullptr;
  std::string_view key;
  long index = -1;
};

std::string path_text(const Path &p);

// One key of a map as the file wrote it.
struct Field {
  const Node *key_ = nullptr;
  const Node *value_ = nullptr;
  bool set = false;
  const Node &key() const { return *key_; }
  const Node &value() const { return *value_; }
  std::string_view name() const { return key_->text; }
  // A null value's own mark points past it; the key's mark is where the reader looks.
  Mark mark() const { return value_->is_null() ? key_->mark : value_->mark; }
};

// A string holding templates, checked against the goal once all its task ids are known.
struct Site {
  Mark mark;
  std::string path;
  std::vector<TemplateRef> refs;
  std::string owner;    // the task it is written on; "" on the goal or in defaults (every task)
  bool in_run = false;  // part of a run argv
};

struct Defaults {
  json::object as_written;  // for templates: a goal made from one is loaded with them
  TaskDef flow;  // run, env, session_policy, timeout_s, max_retries: these flow down the tree
  std::optional<std::string> title, description, prompt;
  std::optional<bool> parallel, requires_approval;
  std::optional<int> priority, max_parallel;
  std::vector<Site> sites;
};

// What one goal's parse has seen so far.
struct GoalScope {
  std::string_view goal_id;
  std::string_view kind = "goal";  // in messages: "goal 'g' has no param ..."
  const json::object *params = nullptr;
  // Views into the YAML document, which outlives the parse.
  std::unordered_map<std::string_view, Mark> ids;
  const std::function<bool(std::string_view)> *id_taken = nullptr;
  int base_depth = 0;  // the level of the task whose children are read (0: the goal)
  std::vector<Site> sites;

  bool has_task(std::string_view id) const {
    return id == goal_id || ids.contains(id) || (id_taken && (*id_taken)(id));
  }
};

// Where a task's `needs` were written, to report dangling names and cycles.
struct NeedsSource {
  std::size_t index = 0;
  Mark mark;
  std::vector<Mark> item_marks;
};

class Loader {
 public:
  Loader(std::string_view source, bool positions) : source_(source), positions_(positions) {}

  Defaults defaults;

  [[noreturn]] void fail(const Mark &m, const std::string &path, const std::string &msg) const {
    std::string out(source_);
    if (positions_ && !m.is_null()) {
      out += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    }
    out += ": ";
    if (!path.empty()) out += path + ": ";
    gk::fail(Errc::invalid, out + msg);
  }
  [[noreturn]] void fail(const Mark &m, const Path &p, const std::string &msg) const {
    fail(m, path_text(p), msg);
  }
  [[noreturn]] void fail(const Field &f, const Path &owner, const std::string &msg) const {
    fail(f.mark(), Path{&owner, f.name()}, msg);
  }

  std::string where_line(const Mark &m) const {
    return positions_ && !m.is_null()
               ? " (first defined at line " + std::to_string(m.line + 1) + ")"
               : " (defined twice)";
  }

  // Reads a map's keys into fields indexed like `allowed`. `other` names keys that belong
  // elsewhere, for a clearer message than "unknown".
  template <std::size_t N>
  std::array<Field, N> read_map(const Node &n, const std::array<std::string_view, N> &allowed,
                                const Path &path, std::string_view what,
                                std::span<const std::string_view> other = {},
                                std::string_view other_what = {}) const {
    std::array<Field, N> out;
    for (const Entry &e : n.entries) {
      const Node &key = e.key;
      if (!key.is_scalar()) fail(key.mark, path, "expected a key name, found " + found(key));
      const std::string &name = key.text;
      std::size_t i = 0;
      while (i < N && allowed[i] != name) ++i;
      Path at{&path, name};
      if (i == N) fail(key.mark, at, unknown_key(name, allowed, what, other, other_what));
      if (out[i].set) {
        fail(key.mark, at, "duplicate key " + quoted(name) + where_line(out[i].key().mark));
      }
      out[i] = Field{&key, &e.value, true};
    }
    return out;
  }

  template <typename Names>
  static std::string unknown_key(std::string_view name, const Names &allowed, std::string_view what,
                                 std::span<const std::string_view> other = {},
                                 std::string_view other_what = {}) {
    for (std::string_view o : other) {
      if (o == name) {
        return "key " + quoted(name) + " is not allowed in " + std::string(what) + " (it is " +
               std::string(other_what) + "); allowed keys: " + join(allowed);
      }
    }
    return "unknown key " + quoted(name) + " in " + std::string(what) + suggestion(name, allowed) +
           "; allowed keys: " + join(allowed);
  }

  std::string text(const Field &f, const Path &owner) const;
  const std::string &id(const Field &f, const Path &owner) const;
  bool boolean(const Field &f, const Path &owner) const;
  int64_t integer(const Field &f, const Path &owner, int64_t min, int64_t max) const;
  int64_t integer_node(const Node &n, const Mark &m, const Path &p, int64_t min, int64_t max) const;
  int64_t duration(const Field &f, const Path &owner) const;
  template <typename Names>
  std::string_view one_of(const Field &f, const Path &owner, const Names &names) const {
    if (kind_of(f.value()) == Kind::string) {
      for (std::string_view n : names) {
        if (n == f.value().text) return n;
      }
    }
    fail(f, owner,
         "expected one of " + join(names) + ", found " + found(f.value()) +
             (kind_of(f.value()) == Kind::string ? suggestion(f.value().text, names) : ""));
  }
  SessionPolicy policy(const Field &f, const Path &owner) const;
  // A scalar that becomes a string (argv items, env values, gate names).
  std::string scalar_text(const Node &n, const Mark &m, const Path &p, const char *what) const;
  // Parses the templates of a string now (syntax) and keeps them for the goal's check
  // (references), so a bad template is reported where it was written.
  void templates(const std::string &s, const Mark &m, const Path &p,
                 std::vector<Site> &sites) const;
  std::vector<std::string> argv(const Field &f, const Path &owner, std::vector<Site> &sites) const;
  void env(const Field &f, const Path &owner, std::map<std::string, std::string> &into,
           std::vector<Site> &sites) const;
  json::value to_json_value(const Node &n, const Mark &m, const Path &p) const;
  json::object gate(const Node &n, const Mark &m, const Path &p, std::vector<Site> &sites) const;
  // `merge: {repo, pr, method, update_branch, delete_branch, timeout}`: the gate gh_merge, which
  // the plugin performs itself.
  json::object merge_gate(const Node &n, const Mark &m, const Path &p,
                          std::vector<Site> &sites) const;
  void gate_value(const Field &f, const Path &p, json::object &out, std::vector<Site> &sites) const;
  static bool valid_repo(std::string_view s);
  std::vector<TaskDef> task_list(const Node &list, const Mark &m, const Path &lp, const TaskDef &up,
                                 GoalScope &scope) const;
  TaskDef task(const Node &n, const Path &p, const TaskDef &up, GoalScope &scope,
               NeedsSource &needs_src) const;
  void register_id(const std::string &task_id, const Field &f, const Path &p,
                   GoalScope &scope) const;
  void read_needs(const Field &f, const Path &p, TaskDef &t, NeedsSource &src) const;
  // Needs name siblings, never the task itself, and never form a cycle. Linear: one index of the
  // siblings, one depth-first walk.
  void check_needs(const std::vector<TaskDef> &tasks, const std::vector<NeedsSource> &sources,
                   const Path &lp, const GoalScope &scope, bool parallel) const;
  // Under a sequential parent, a task that needs a later sibling can wait for one that waits for
  // it (wait_cycle.hpp): a file that would validate and then never run.
  void check_sequential_waits(const std::vector<TaskDef> &tasks,
                              const std::vector<std::vector<std::size_t>> &edges,
                              const std::vector<const NeedsSource *> &source_of,
                              const Path &lp) const;
  void read_defaults(const Field &f, const Path &root);
  // kind: "goal", or "template" while a template is checked as a goal.
  GoalDef goal(const Node &n, const Path &p, std::string_view kind = "goal") const;
  // Template references name what the goal has: its params and its tasks; and they read a task
  // only where template_rules.hpp allows it.
  void check_sites(const std::vector<Site> &sites, const GoalScope &scope,
                   const TemplateRules &rules, std::string_view root_id) const;
  // The whole file (`imported`: a file an `imports` names, which holds templates only);
  // `read_import` gives the text of a file the `imports` name (a path relative
  // to the importing file, as written) or throws gk::Error saying why it cannot.
  struct Result {
    std::vector<GoalDef> goals;
    std::vector<GoalTemplate> templates;  // the file's own and the imported ones
    std::vector<TriggerDef> triggers;
  };
  using ImportReader = std::function<std::string(const std::string &path)>;
  Result file(const Node &doc, const ImportReader *read_import, bool imported);

  // Templates (goal_templates.cpp): a template is read like a goal whose params are specs; its
  // tasks are checked by loading it as a goal with sample values, so a template that loads makes
  // goals that load.
  GoalTemplate goal_template(const Node &n, const Path &p) const;
  ParamSpec param_spec(const Entry &e, const Path &p) const;
  // `- {template: ID, params: {...}}` in goals: the goal the template makes with those values.
  GoalDef goal_from_template(const Node &n, const Path &p,
                             const std::vector<GoalTemplate> &known) const;
  // The imported templates, each with the file it came from.
  // `triggers:` entries (goal_triggers.cpp), checked against the file's templates.
  TriggerDef trigger(const Node &n, const Path &p, const std::vector<GoalTemplate> &known) const;
  std::vector<std::pair<GoalTemplate, std::string>> imports(const Field &f, const Path &root,
                                                            const ImportReader &read_import) const;

  const std::string &source() const { return source_; }

 private:
  std::string source_;
  bool positions_;
};

}  // namespace gk::loader
