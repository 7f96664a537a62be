// Status back on the pull request (commit_status.hpp): after each step, every goal that shepherds
// a pull request says on its head what it waits for, when that changed since it last said it.
// Decided under the lock, sent between transactions, recorded in a transaction of its own, so a
// crash in between only sends the same status again (GitHub keeps one per context and commit).
#include <algorithm>

#include "core/engine.hpp"

namespace gk {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxDescription = 140;  // GitHub refuses longer descriptions

std::string fit(std::string s) {
  if (s.size() <= kMaxDescription) return s;
  std::size_t keep = kMaxDescription - 3;
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) --keep;
  return s.substr(0, keep) + "...";
}

}  // namespace

std::optional<CommitStatus> Engine::wanted_status(const Goal &g) const {
  CommitStatus st;
  st.goal_id = g.id;
  if (!g.pull.empty()) {
    st.repo = g.pull.substr(0, g.pull.rfind('#'));
  } else {
    const auto *repo = g.def.params.if_contains("repo");
    const auto *pr = g.def.params.if_contains("pr");
    if (!repo || !repo->is_string() || !pr) return std::nullopt;
    st.repo = repo->as_string();
  }
  st.sha = g.head_sha;
  if (st.sha.empty() || !g.closed.empty() || g.state == GoalState::loaded) return std::nullopt;
  if (!config_.public_url.empty()) st.target_url = config_.public_url + "/#goal=" + g.id;
  const Task &root = model_.tasks[g.root];
  if (g.state == GoalState::finished) {
    if (root.status == Status::failed) {
      st.state = "failure";
      std::string why = "failed";
      for (TaskIndex i : tree_.subtree(g.root)) {
        const Task &t = model_.tasks[i];
        if (t.is_leaf() && t.status == Status::failed) {
          why = "failed: " + t.def->title + (t.reason.empty() ? "" : ": " + t.reason);
          break;
        }
      }
      st.description = fit(why);
    } else {
      st.state = "success";
      bool merged = false;
      for (TaskIndex i : tree_.subtree(g.root)) {
        const auto *m = model_.tasks[i].artifacts.if_contains("merged");
        merged |= m && m->is_bool() && m->as_bool();
      }
      st.description = merged ? "merged by goalkeeper" : "done";
    }
    return st;
  }
  st.state = "pending";
  if (g.state == GoalState::paused) {
    st.description = g.discovery_paused ? "paused: the pull request no longer matches" : "paused";
    return st;
  }
  if (g.state == GoalState::stopped) {
    st.description = "stopped";
    return st;
  }
  // The first task in run order that holds the goal up says what it waits for.
  std::vector<TaskIndex> order = tree_.subtree(g.root);
  std::string waits;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Task &t = model_.tasks[*it];
    if (!t.is_leaf()) continue;
    std::string here;
    if (t.status == Status::blocked) {
      here = "blocked: " + t.def->title + (t.reason.empty() ? "" : ": " + t.reason);
    } else if (t.status == Status::pending_review) {
      here = "waiting for a person: " + t.def->title;
    } else if (t.status == Status::active && t.def->stage == Stage::agent_work) {
      here = (t.attempt > 1 ? "agent fixing: " : "agent working: ") + t.def->title +
             (t.attempt > 1 ? ", attempt " + std::to_string(t.attempt) : "");
    } else if (t.status == Status::active) {
      const auto *type = t.def->wait_for.if_contains("type");
      here = type && *type == "gh_merge" ? "merging" : "waiting for " + t.def->title;
    }
    if (!here.empty()) {
      waits = here;
      break;
    }
  }
  st.description = fit(waits.empty() ? "working" : waits);
  return st;
}

void Engine::changed_statuses(std::vector<CommitStatus> &want,
                              std::vector<std::string> &keys) const {
  if (config_.dry_run || config_.read_only) return;
  for (const Goal &g : model_.goals) {
    if (g.pull.empty() && !g.def.params.contains("pr")) continue;
    std::optional<CommitStatus> st = wanted_status(g);
    if (!st) continue;
    std::string key = st->state + "\n" + st->description + "\n" + st->sha;
    if (key == g.status_posted) continue;
    want.push_back(std::move(*st));
    keys.push_back(std::move(key));
  }
}

void Engine::post_statuses(const std::vector<CommitStatus> &want,
                           const std::vector<std::string> &keys, int64_t budget_ms) {
  std::vector<bool> sent = poster_->post(want, budget_ms);
  mutate([&] {
    for (std::size_t k = 0; k < want.size() && k < sent.size(); ++k) {
      if (!sent[k]) continue;
      auto it = model_.goal_by_id.find(want[k].goal_id);
      if (it == model_.goal_by_id.end()) continue;
      Goal &g = model_.goals[it->second];
      g.status_posted = keys[k];
      tx_.dirty(g);
      tx_.event(
          g, nullptr, "status_posted",
          {{"state", want[k].state}, {"description", want[k].description}, {"sha", want[k].sha}});
    }
  });
}

}  // namespace gk
