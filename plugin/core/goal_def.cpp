#include "core/goal_def.hpp"

namespace gk {
namespace {

namespace json = boost::json;

json::array string_array(const std::vector<std::string> &items) {
  json::array a;
  a.reserve(items.size());
  for (const std::string &s : items) a.emplace_back(json::string_view(s));
  return a;
}

std::vector<std::string> strings_from(const json::value *v) {
  std::vector<std::string> out;
  if (!v) return out;
  const json::array &a = v->as_array();
  out.reserve(a.size());
  for (const json::value &s : a) out.emplace_back(s.as_string());
  return out;
}

// Every field, always, in one fixed order: two equal definitions give the same JSON text.
void put_task(json::object &o, const TaskDef &t, bool identity, bool children) {
  if (identity) {
    o.emplace("id", json::string_view(t.id));
    o.emplace("title", json::string_view(t.title));
    o.emplace("description", json::string_view(t.description));
  }
  o.emplace("prompt", json::string_view(t.prompt));
  o.emplace("run", string_array(t.run));
  json::object env;
  env.reserve(t.env.size());
  for (const auto &[k, v] : t.env) env.emplace(k, json::string_view(v));
  o.emplace("env", std::move(env));
  o.emplace("stage", to_string(t.stage));
  o.emplace("session_policy", to_string(t.session_policy));
  o.emplace("parallel", t.parallel);
  o.emplace("needs", string_array(t.needs));
  o.emplace("has_needs", t.has_needs);
  o.emplace("priority", t.priority);
  o.emplace("max_retries", t.max_retries);
  o.emplace("timeout_s", t.timeout_s);
  o.emplace("requires_approval", t.requires_approval);
  o.emplace("wait_for", t.wait_for);
  if (children) {
    json::array tasks;
    tasks.reserve(t.tasks.size());
    for (const TaskDef &c : t.tasks) tasks.emplace_back(to_json(c));
    o.emplace("tasks", std::move(tasks));
  }
}

std::string string_or(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v ? std::string(v->as_string()) : std::string();
}

template <typename Int>
Int int_or(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v ? v->to_number<Int>() : Int{};
}

bool bool_or(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v && v->as_bool();
}

// Short, single-line rendering of a value for a difference message.
std::string show(const json::value *v) {
  if (!v) return "missing";
  std::string s = json::serialize(*v);
  if (v->is_array() && s.size() > 60) return std::to_string(v->get_array().size()) + " items";
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string plural(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " item" : " items");
}

bool plain_key(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The walk keeps the path as steps and spells it only for the difference it reports, so
// comparing two equal 100,000-task goals builds no strings.
struct Step {
  std::string_view key;
  std::size_t index;
};

class Differ {
 public:
  std::string first(const json::value *a, const json::value *b) {
    if (!a || !b || a->kind() != b->kind()) {
      // Numbers compare by value whatever their stored kind (int64 vs uint64).
      if (a && b && a->is_number() && b->is_number() && *a == *b) return {};
      return report(show(a) + " vs " + show(b));
    }
    if (const json::object *oa = a->if_object()) {
      const json::object &ob = b->get_object();
      for (const auto &kv : *oa) {
        steps_.push_back({kv.key(), 0});
        std::string d = first(&kv.value(), ob.if_contains(kv.key()));
        steps_.pop_back();
        if (!d.empty()) return d;
      }
      for (const auto &kv : ob) {
        if (oa->contains(kv.key())) continue;
        steps_.push_back({kv.key(), 0});
        return report("missing vs " + show(&kv.value()));
      }
      return {};
    }
    if (const json::array *aa = a->if_array()) {
      const json::array &ab = b->get_array();
      if (aa->size() != ab.size()) return report(plural(aa->size()) + " vs " + plural(ab.size()));
      for (std::size_t i = 0; i < aa->size(); ++i) {
        steps_.push_back({{}, i});
        std::string d = first(&(*aa)[i], &ab[i]);
        steps_.pop_back();
        if (!d.empty()) return d;
      }
      return {};
    }
    return *a == *b ? std::string() : report(show(a) + " vs " + show(b));
  }

 private:
  std::string report(const std::string &what) const {
    std::string path;
    for (const Step &s : steps_) {
      if (s.key.data() == nullptr) {
        path.append("[").append(std::to_string(s.index)).append("]");
      } else if (plain_key(s.key)) {
        if (!path.empty()) path += '.';
        path += s.key;
      } else {
        path.append("[").append(json::serialize(json::value(s.key))).append("]");
      }
    }
    return path.empty() ? what : path + ": " + what;
  }

  std::vector<Step> steps_;
};

}  // namespace

const char *to_string(Stage s) {
  switch (s) {
    case Stage::agent_work:
      return "agent_work";
    case Stage::wait_for_signal:
      return "wait_for_signal";
    case Stage::human_review:
      return "human_review";
  }
  return "agent_work";
}

const char *to_string(SessionPolicy p) {
  switch (p) {
    case SessionPolicy::reuse:
      return "reuse";
    case SessionPolicy::spawn:
      return "spawn";
    case SessionPolicy::automatic:
      return "auto";
  }
  return "reuse";
}

std::optional<Stage> stage_from_string(std::string_view s) {
  if (s == "agent_work") return Stage::agent_work;
  if (s == "wait_for_signal") return Stage::wait_for_signal;
  if (s == "human_review") return Stage::human_review;
  return std::nullopt;
}

std::optional<SessionPolicy> session_policy_from_string(std::string_view s) {
  if (s == "reuse") return SessionPolicy::reuse;
  if (s == "spawn") return SessionPolicy::spawn;
  if (s == "auto") return SessionPolicy::automatic;
  return std::nullopt;
}

json::object to_json(const TaskDef &t) {
  json::object o;
  o.reserve(17);
  put_task(o, t, true, true);
  return o;
}

json::object to_json_shallow(const TaskDef &t) {
  json::object o;
  o.reserve(16);
  put_task(o, t, true, false);
  return o;
}

json::object to_json(const GoalDef &g) {
  json::object o;
  o.reserve(19);
  o.emplace("id", json::string_view(g.id));
  o.emplace("title", json::string_view(g.title));
  o.emplace("description", json::string_view(g.description));
  o.emplace("params", g.params);
  o.emplace("max_parallel", g.max_parallel);
  if (!g.template_id.empty()) o.emplace("template", json::string_view(g.template_id));
  put_task(o, g.root, false, true);
  return o;
}

TaskDef task_def_from_json(const json::object &o) {
  TaskDef t;
  t.id = string_or(o, "id");
  t.title = string_or(o, "title");
  t.description = string_or(o, "description");
  t.prompt = string_or(o, "prompt");
  t.run = strings_from(o.if_contains("run"));
  if (const json::value *env = o.if_contains("env")) {
    for (const auto &kv : env->as_object()) t.env.emplace(kv.key(), kv.value().as_string());
  }
  if (const json::value *v = o.if_contains("stage")) {
    t.stage = stage_from_string(v->as_string()).value_or(Stage::agent_work);
  }
  if (const json::value *v = o.if_contains("session_policy")) {
    t.session_policy = session_policy_from_string(v->as_string()).value_or(SessionPolicy::reuse);
  }
  t.parallel = bool_or(o, "parallel");
  t.needs = strings_from(o.if_contains("needs"));
  t.has_needs = bool_or(o, "has_needs");
  t.priority = int_or<int>(o, "priority");
  t.max_retries = int_or<int>(o, "max_retries");
  t.timeout_s = int_or<int64_t>(o, "timeout_s");
  t.requires_approval = bool_or(o, "requires_approval");
  if (const json::value *v = o.if_contains("wait_for")) t.wait_for = v->as_object();
  if (const json::value *v = o.if_contains("tasks")) {
    const json::array &a = v->as_array();
    t.tasks.reserve(a.size());
    for (const json::value &c : a) t.tasks.push_back(task_def_from_json(c.as_object()));
  }
  return t;
}

GoalDef goal_def_from_json(const json::object &o) {
  GoalDef g;
  g.root = task_def_from_json(o);
  g.id = g.root.id;
  g.title = g.root.title;
  g.description = g.root.description;
  if (const json::value *v = o.if_contains("params")) g.params = v->as_object();
  g.max_parallel = int_or<int>(o, "max_parallel");
  g.template_id = string_or(o, "template");
  return g;
}

std::string describe_difference(const json::value &a, const json::value &b) {
  return Differ().first(&a, &b);
}

}  // namespace gk
