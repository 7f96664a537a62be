// Merge tasks (gh_merge gates) in the engine: which head commit the gates before a merge task
// approved, and sending those gates back when the head moved. The merging itself is the
// checker's (plugin/github/merge_checker.hpp).
#include <algorithm>

#include "core/gates.hpp"
#include "core/model_lookup.hpp"

namespace gk {

namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "acme/shop#11" from a rendered gate config, "" when it names no pull request.
std::string pull_of(const json::object &config) {
  const auto *repo = config.if_contains("repo");
  const auto *pr = config.if_contains("pr");
  if (!repo || !repo->is_string() || !pr) return {};
  std::string number = pr->is_string() ? std::string(pr->as_string()) : json::serialize(*pr);
  return lower(repo->as_string()) + "#" + number;
}

}  // namespace

json::array Gates::approved_heads(TaskIndex i) const {
  const std::string target = pull_of(m_.tasks[i].gate().config);
  json::array heads;
  if (target.empty()) return heads;
  // The gates that finish before the merge task starts: earlier siblings (and their subtrees) of
  // the task and of each task containing it.
  std::vector<TaskIndex> work;
  for (TaskIndex at = i; m_.tasks[at].parent != kNoTask; at = m_.tasks[at].parent) {
    const Task &p = m_.tasks[m_.tasks[at].parent];
    for (int32_t pos = 0; pos < m_.tasks[at].position; ++pos) work.push_back(p.children[pos]);
  }
  while (!work.empty()) {
    const Task &t = m_.tasks[work.back()];
    work.pop_back();
    for (TaskIndex c : t.children) work.push_back(c);
    if (t.status != Status::done || t.def->stage != Stage::wait_for_signal) continue;
    const auto *type = t.def->wait_for.if_contains("type");
    if (!type || (*type != "gh_ci" && *type != "gh_review")) continue;
    const auto *sha = t.artifacts.if_contains("head_sha");
    if (!sha || !sha->is_string() || sha->as_string().empty()) continue;
    json::value rendered;
    try {
      rendered = render_json_templates(json::value(t.def->wait_for), ModelLookup(m_, t));
    } catch (const std::exception &) {
      continue;
    }
    if (pull_of(rendered.as_object()) != target) continue;
    if (std::find(heads.begin(), heads.end(), *sha) == heads.end()) heads.push_back(*sha);
  }
  return heads;
}

void Gates::recheck_before(TaskIndex i, const std::string &why) {
  // From the first task after the closest agent task (or the first sibling) up to the merge
  // task: the gates between them check the new head; the agent does not run again.
  const Task &t = m_.tasks[i];
  TaskIndex agent = tree_.closest_preceding_agent(i);
  TaskIndex first = i;
  if (t.parent != kNoTask) {
    const Task &p = m_.tasks[t.parent];
    int32_t from = agent == kNoTask ? 0 : m_.tasks[agent].position + 1;
    first = p.children[std::min(from, t.position)];
  }
  tree_.deactivate_gate(i);
  tree_.reset_range_for_rerun(first, i, Tree::Context::recheck, why);
}

}  // namespace gk
