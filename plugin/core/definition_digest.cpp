#include <algorithm>
#include <cstdint>
#include <string_view>

#include "core/goal_def.hpp"

namespace gk {

namespace json = boost::json;

namespace {

// Two independent 64-bit FNV-1a streams: 128 bits, so an accidental collision between two
// different definitions is not a practical concern.
struct Digest {
  uint64_t a = 0xcbf29ce484222325ull;
  uint64_t b = 0x84222325cbf29ce4ull;
  void feed(std::string_view s) {
    for (unsigned char c : s) {
      a = (a ^ c) * 0x100000001b3ull;
      b = (b ^ c) * 0x00000100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
  }
  std::string hex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (uint64_t v : {a, b})
      for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
    return out;
  }
};

std::vector<const TaskDef *> in_run_order(const TaskDef &t) {
  std::vector<const TaskDef *> kids;
  kids.reserve(t.tasks.size());
  for (const TaskDef &c : t.tasks) kids.push_back(&c);
  std::stable_sort(kids.begin(), kids.end(),
                   [](const TaskDef *x, const TaskDef *y) { return x->priority > y->priority; });
  return kids;
}

}  // namespace

TaskDef shallow_copy(const TaskDef &t) {
  TaskDef c;
  c.id = t.id;
  c.title = t.title;
  c.description = t.description;
  c.prompt = t.prompt;
  c.run = t.run;
  c.env = t.env;
  c.stage = t.stage;
  c.session_policy = t.session_policy;
  c.parallel = t.parallel;
  c.needs = t.needs;
  c.has_needs = t.has_needs;
  c.priority = t.priority;
  c.max_retries = t.max_retries;
  c.timeout_s = t.timeout_s;
  c.requires_approval = t.requires_approval;
  c.wait_for = t.wait_for;
  return c;
}

GoalDef header_of(const GoalDef &g) {
  GoalDef h;
  h.id = g.id;
  h.title = g.title;
  h.description = g.description;
  h.params = g.params;
  h.max_parallel = g.max_parallel;
  h.source = g.source;
  h.template_id = g.template_id;
  h.root = shallow_copy(g.root);
  return h;
}

void sort_run_order(TaskDef &root) {
  std::vector<TaskDef *> work{&root};
  while (!work.empty()) {
    TaskDef *t = work.back();
    work.pop_back();
    std::stable_sort(t->tasks.begin(), t->tasks.end(),
                     [](const TaskDef &x, const TaskDef &y) { return x.priority > y.priority; });
    for (TaskDef &c : t->tasks) work.push_back(&c);
  }
}

std::string definition_digest(const GoalDef &g) {
  Digest d;
  d.feed(json::serialize(to_json(header_of(g))));
  // Depth first with explicit open and close marks, so that the shape counts too.
  struct Frame {
    std::vector<const TaskDef *> kids;
    size_t next = 0;
  };
  std::vector<Frame> stack;
  stack.push_back({in_run_order(g.root), 0});
  while (!stack.empty()) {
    Frame &f = stack.back();
    if (f.next == f.kids.size()) {
      stack.pop_back();
      d.feed(")");
      continue;
    }
    const TaskDef *t = f.kids[f.next++];
    d.feed("(");
    d.feed(json::serialize(to_json_shallow(*t)));
    stack.push_back({in_run_order(*t), 0});
  }
  return d.hex();
}

}  // namespace gk
