#include "core/goal_file.hpp"

#include <yaml-cpp/exceptions.h>

#include <algorithm>
#include <cstdio>

#include "core/goal_loader.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"

namespace gk::loader {

void Loader::read_defaults(const Field &f, const Path &root) {
  Path p{&root, "defaults"};
  if (!f.value().is_map()) fail(f.mark(), p, "expected a map, found " + found(f.value()));
  auto d = read_map(f.value(), kDefaultsKeys, p, "defaults", kTaskKeys,
                    "a task key that cannot have a default");
  Defaults &out = defaults;
  out.as_written = to_json_value(f.value(), f.mark(), p).as_object();
  if (d[dTitle].set) out.title = text(d[dTitle], p);
  if (d[dDescription].set) out.description = text(d[dDescription], p);
  if (d[dPrompt].set) {
    out.prompt = text(d[dPrompt], p);
    templates(*out.prompt, d[dPrompt].mark(), Path{&p, "prompt"}, out.sites);
  }
  if (d[dRun].set) out.flow.run = argv(d[dRun], p, out.sites);
  if (d[dEnv].set) env(d[dEnv], p, out.flow.env, out.sites);
  if (d[dSessionPolicy].set) out.flow.session_policy = policy(d[dSessionPolicy], p);
  if (d[dParallel].set) out.parallel = boolean(d[dParallel], p);
  if (d[dPriority].set)
    out.priority = static_cast<int>(integer(d[dPriority], p, -kMaxPriority, kMaxPriority));
  if (d[dMaxRetries].set) {
    out.flow.max_retries = static_cast<int>(integer(d[dMaxRetries], p, 0, kMaxRetriesLimit));
  }
  if (d[dTimeout].set) out.flow.timeout_s = duration(d[dTimeout], p);
  if (d[dRequiresApproval].set) out.requires_approval = boolean(d[dRequiresApproval], p);
  if (d[dMaxParallel].set) {
    out.max_parallel = static_cast<int>(integer(d[dMaxParallel], p, 0, kMaxParallelLimit));
  }
}

GoalDef Loader::goal(const Node &n, const Path &p, std::string_view kind) const {
  if (!n.is_map()) fail(n.mark, p, "expected a goal (a map with id and tasks), found " + found(n));
  auto f = read_map(n, kGoalKeys, p, "a goal", kTaskKeys, "a task key");
  if (!f[gId].set) fail(n.mark, p, "missing key 'id': every goal needs an id");
  GoalDef g;
  const std::string &goal_id = id(f[gId], p);
  g.id = goal_id;
  g.title = f[gTitle].set ? text(f[gTitle], p) : g.id;
  g.description = f[gDescription].set ? text(f[gDescription], p) : "";
  if (f[gParams].set) {
    Path pp{&p, "params"};
    if (!f[gParams].value().is_map())
      fail(f[gParams].mark(), pp, "expected a map, found " + found(f[gParams].value()));
    g.params = to_json_value(f[gParams].value(), f[gParams].mark(), pp).as_object();
  }
  g.max_parallel = f[gMaxParallel].set
                       ? static_cast<int>(integer(f[gMaxParallel], p, 0, kMaxParallelLimit))
                       : defaults.max_parallel.value_or(0);
  GoalScope scope;
  scope.goal_id = goal_id;
  scope.kind = kind;
  scope.params = &g.params;
  TaskDef &root = g.root;
  root.id = g.id;
  root.title = g.title;
  root.description = g.description;
  root.parallel = f[gParallel].set ? boolean(f[gParallel], p) : defaults.parallel.value_or(false);
  root.run = f[gRun].set ? argv(f[gRun], p, scope.sites) : defaults.flow.run;
  root.env = defaults.flow.env;
  if (f[gEnv].set) env(f[gEnv], p, root.env, scope.sites);
  root.session_policy =
      f[gSessionPolicy].set ? policy(f[gSessionPolicy], p) : defaults.flow.session_policy;
  root.timeout_s = f[gTimeout].set ? duration(f[gTimeout], p) : defaults.flow.timeout_s;
  root.max_retries = defaults.flow.max_retries;
  if (!f[gTasks].set) fail(n.mark, p, "goal " + quoted(g.id) + " has no tasks: add a tasks list");
  root.tasks = task_list(f[gTasks].value(), f[gTasks].mark(), Path{&p, "tasks"}, root, scope);
  TemplateRules rules(root);
  check_sites(defaults.sites, scope, rules, root.id);
  check_sites(scope.sites, scope, rules, root.id);
  g.source = source_;
  return g;
}

void Loader::check_sites(const std::vector<Site> &sites, const GoalScope &scope,
                         const TemplateRules &rules, std::string_view root_id) const {
  using K = TemplateRef::Kind;
  for (const Site &site : sites) {
    for (const TemplateRef &ref : site.refs) {
      std::string head = "expression {{ " + to_string(ref) + " }}: ";
      if (ref.kind == K::param && !find_json_path(*scope.params, ref.path)) {
        std::vector<std::string_view> keys;
        for (const auto &kv : *scope.params) keys.push_back(kv.key());
        fail(site.mark, site.path,
             head + std::string(scope.kind) + " " + quoted(scope.goal_id) + " has no param " +
                 quoted(to_string(ref).substr(std::string_view("params.").size())) +
                 suggestion(ref.path[0], keys) +
                 (keys.empty() ? " (it has no params)" : "; its params: " + join(keys)));
      }
      if ((ref.kind == K::artifact || ref.kind == K::summary) && !scope.has_task(ref.task_id)) {
        std::vector<std::string_view> ids;
        if (scope.ids.size() < 10000) {
          for (const auto &kv : scope.ids) ids.push_back(kv.first);
        }
        fail(site.mark, site.path,
             head + std::string(scope.kind) + " " + quoted(scope.goal_id) + " has no task " +
                 quoted(ref.task_id) + suggestion(ref.task_id, ids));
      }
      std::string why = rules.problem(site.owner.empty() ? root_id : std::string_view(site.owner),
                                      site.in_run, ref);
      if (!why.empty()) fail(site.mark, site.path, head + why);
    }
  }
}

Loader::Result Loader::file(const Node &doc, const ImportReader *read_import, bool imported) {
  Path root;
  if (doc.is_null()) fail(doc.mark, root, "the file is empty: expected version: 1 and goals");
  if (!doc.is_map()) {
    fail(doc.mark, root, "expected a map with version, defaults and goals, found " + found(doc));
  }
  Result out;
  std::array<Field, kFileKeyCount> f;
  if (!imported) {
    f = read_map(doc, kFileKeys, root, "the file (top level)", kGoalKeys, "a goal key");
  } else {
    // An imported file: its fields land at the same indexes.
    auto g = read_map(doc, kImportKeys, root, "an imported file (it holds templates only)");
    f[fVersion] = g[0];
    f[fDefaults] = g[1];
    f[fTemplates] = g[2];
  }
  if (!f[fVersion].set)
    fail(doc.mark, root, "missing key 'version': start the file with version: 1");
  if (kind_of(f[fVersion].value()) != Kind::integer || f[fVersion].value().text != "1") {
    fail(f[fVersion], root, "unsupported version: expected 1, found " + found(f[fVersion].value()));
  }
  if (f[fDefaults].set) read_defaults(f[fDefaults], root);
  std::unordered_map<std::string, std::string> template_from;  // id -> the file declaring it
  if (f[fImports].set) {
    if (!read_import) fail(f[fImports], root, "imports are not read here");
    for (auto &[t, from] : imports(f[fImports], root, *read_import)) {
      template_from.emplace(t.id, from);
      out.templates.push_back(std::move(t));
    }
  }
  if (f[fTemplates].set) {
    Path tp{&root, "templates"};
    const Node &list = f[fTemplates].value();
    if (!list.is_list())
      fail(f[fTemplates].mark(), tp, "expected a list of templates, found " + found(list));
    long i = 0;
    for (const Node &item : list.items) {
      Path ip{&tp, {}, i++};
      GoalTemplate t = goal_template(item, ip);
      auto [at, fresh] = template_from.try_emplace(t.id, source_);
      if (!fresh) {
        fail(item.mark, ip,
             "duplicate template id " + quoted(t.id) + " (also defined in " + at->second + ")");
      }
      out.templates.push_back(std::move(t));
    }
  }
  if (f[fTriggers].set) {
    Path tp{&root, "triggers"};
    const Node &list = f[fTriggers].value();
    if (!list.is_list())
      fail(f[fTriggers].mark(), tp, "expected a list of triggers, found " + found(list));
    std::unordered_map<std::string, Mark> ids;
    long i = 0;
    for (const Node &item : list.items) {
      Path ip{&tp, {}, i++};
      out.triggers.push_back(trigger(item, ip, out.templates));
      auto [at, fresh] = ids.try_emplace(out.triggers.back().id, item.mark);
      if (!fresh)
        fail(item.mark, ip,
             "duplicate trigger id " + quoted(out.triggers.back().id) + where_line(at->second));
    }
  }
  if (!f[fGoals].set && !imported && out.templates.empty())
    fail(doc.mark, root, "missing key 'goals': expected a list of goals (or templates)");
  if (!f[fGoals].set) return out;
  Path gp{&root, "goals"};
  const Node &goals = f[fGoals].value();
  if (!goals.is_list())
    fail(f[fGoals].mark(), gp, "expected a list of goals, found " + found(goals));
  if (goals.size() == 0)
    fail(f[fGoals].mark(), gp, "expected at least one goal, found an empty list");
  std::unordered_map<std::string, Mark> seen;
  long i = 0;
  for (const Node &item : goals.items) {
    Path ip{&gp, {}, i++};
    bool from_template =
        item.is_map() && std::any_of(item.entries.begin(), item.entries.end(),
                                     [](const Entry &e) { return e.key.text == "template"; });
    out.goals.push_back(from_template ? goal_from_template(item, ip, out.templates)
                                      : goal(item, ip));
    auto [at, fresh] = seen.try_emplace(out.goals.back().id, item.mark);
    if (!fresh) {
      fail(item.mark, ip,
           "duplicate goal id " + quoted(out.goals.back().id) + where_line(at->second));
    }
  }
  return out;
}

}  // namespace gk::loader

namespace gk {

using namespace loader;

namespace {

const char *json_kind_name(const json::value &v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::string:
      return "a string";
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::array:
      return "an array";
    default:
      return "a number";
  }
}

}  // namespace

namespace {

// yaml-cpp stops at a NUL byte as at the end of the file, and says nothing of bad UTF-8 bytes:
// both would load something other than what the file holds.
Node parse_document(const Loader &loader, std::string_view yaml) {
  auto at = [&](std::size_t offset) {
    std::size_t line_start = yaml.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
    Mark m;
    m.pos = static_cast<int>(offset);
    m.line =
        static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(offset), '\n'));
    m.column = static_cast<int>(offset - line_start);
    return m;
  };
  if (std::size_t nul = yaml.find('\0'); nul != std::string_view::npos)
    loader.fail(at(nul), std::string(),
                "the file holds a NUL byte: it is not a text file (or it is UTF-16; save it as "
                "UTF-8)");
  if (std::size_t bad = invalid_utf8_at(yaml); bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(yaml[bad]));
    loader.fail(at(bad), std::string(),
                std::string("not valid UTF-8 (byte ") + byte + "): save the file as UTF-8");
  }
  try {
    return parse_yaml(std::string(yaml));
  } catch (const YAML::Exception &e) {
    loader.fail(e.mark, std::string(), "YAML syntax error: " + e.msg);
  }
}

}  // namespace

GoalFile read_goal_file(std::string_view yaml, std::string_view source_name,
                        const ImportReader &read_import) {
  Loader loader(source_name, true);
  Node doc = parse_document(loader, yaml);
  Loader::Result r = loader.file(doc, &read_import, false);
  return GoalFile{std::move(r.goals), std::move(r.templates), std::move(r.triggers)};
}

std::vector<GoalDef> parse_goal_file(std::string_view yaml, std::string_view source_name) {
  return read_goal_file(yaml, source_name,
                        [](const std::string &path) -> std::string {
                          fail(Errc::invalid, "imports are not read here ('" + path + "')");
                        })
      .goals;
}

std::vector<GoalTemplate> read_import_file(std::string_view yaml, std::string_view source_name) {
  Loader loader(source_name, true);
  Node doc = parse_document(loader, yaml);
  return loader.file(doc, nullptr, true).templates;
}

GoalDef instantiate(const GoalTemplate &t, const json::object &given) {
  json::object params = resolve_params(t, given);
  std::string id = instance_goal_id(t, params);
  // The template loaded, so its goal loads; positions would point into generated text.
  Loader loader(t.source + " (template " + t.id + ")", false);
  Node doc = parse_document(loader, instance_file(t, id, params));
  Loader::Result r = loader.file(doc, nullptr, false);
  GoalDef g = std::move(r.goals.at(0));
  g.template_id = t.id;
  g.source = t.source;
  return g;
}

std::vector<TaskDef> parse_subtasks(const json::value &subtasks, const GoalDef &goal,
                                    const TaskDef &parent, std::string_view where,
                                    const std::function<bool(std::string_view)> &id_taken,
                                    const std::function<bool(std::string_view)> &ran_before,
                                    int parent_depth) {
  Loader loader(where, false);
  Path root{nullptr, "subtasks"};
  if (!subtasks.is_array()) {
    loader.fail(Mark::null_mark(), root,
                std::string("expected an array of tasks, found ") + json_kind_name(subtasks));
  }
  if (subtasks.get_array().empty()) return {};
  Node doc;
  try {
    // JSON is YAML: reusing the YAML path keeps one set of rules for files and results.
    doc = parse_yaml(json::serialize(subtasks));
  } catch (const YAML::Exception &e) {
    loader.fail(Mark::null_mark(), root, "unreadable: " + e.msg);
  }
  GoalScope scope;
  scope.goal_id = goal.id;
  scope.params = &goal.params;
  scope.id_taken = &id_taken;
  scope.base_depth = parent_depth;
  TaskDef holder = shallow_copy(parent);
  holder.tasks = loader.task_list(doc, Mark::null_mark(), root, parent, scope);
  TemplateRules rules(holder, ran_before);
  loader.check_sites(scope.sites, scope, rules, holder.id);
  // The new tasks' titles are the job's words: a run they inherit must not put them in a command.
  std::vector<const TaskDef *> work;
  for (const TaskDef &t : holder.tasks) work.push_back(&t);
  while (!work.empty()) {
    const TaskDef *t = work.back();
    work.pop_back();
    for (const TaskDef &c : t->tasks) work.push_back(&c);
    if (t->stage == Stage::agent_work && t->tasks.empty() &&
        TemplateRules::reads_task_title(t->run))
      loader.fail(Mark::null_mark(), "subtasks",
                  "task " + quoted(t->id) +
                      ": its run puts {{ task.title }} into a command, and the title of a job's "
                      "subtask is the job's text, not the goal file's: use {{ task.id }} in run, "
                      "or pass the title through env");
  }
  return std::move(holder.tasks);
}

}  // namespace gk
