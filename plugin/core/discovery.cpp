// Scheduled discovery (trigger.hpp): search, outside any transaction, for the pull requests each
// due trigger matches, then in one transaction make a goal for each new one, pause the goals whose
// pull request stopped matching, resume those that match again, and end those whose pull request
// was closed or merged outside goalkeeper. A search that did not finish changes nothing: a goal is
// never paused or closed on a partial answer.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/json_util.hpp"
#include "core/signal_match.hpp"

namespace gk {

namespace json = boost::json;

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso_utc(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The pull requests of the trigger's repositories that closed since `since`: its repo:, org: and
// user: qualifiers only, so that a pull request closed after its label was removed (its goal
// paused) is found too. A query that names no repository keeps its other qualifiers instead (but
// not is:open), or the search would cover all of GitHub.
std::string closed_query(const std::string &query, int64_t since_wall_ms) {
  std::string scope, rest;
  std::size_t at = 0;
  while (at < query.size()) {
    std::size_t end = query.find(' ', at);
    if (end == std::string::npos) end = query.size();
    std::string word = query.substr(at, end - at);
    at = end + 1;
    const std::string lower = ascii_lower(word);
    if (word.empty() || lower == "is:open" || lower == "state:open") continue;
    if (lower.starts_with("repo:") || lower.starts_with("org:") || lower.starts_with("user:"))
      scope += word + " ";
    else
      rest += word + " ";
  }
  return (scope.empty() ? rest : scope) + "is:pr is:closed updated:>=" + iso_utc(since_wall_ms);
}

json::object action(const std::string &pr, const char *what, const std::string &goal_id,
                    const std::string &reason) {
  json::object a{{"pr", pr}, {"action", what}, {"goal_id", goal_id}};
  if (!reason.empty()) a["reason"] = reason;
  return a;
}

}  // namespace

struct Engine::DiscoveryCycle {
  Store::TriggerRow row;
  bool closed_wanted = false;
  PullSearchResult open, closed;
  int64_t began_wall_ms = 0;
};

json::array Engine::discover(const json::object &options, int64_t budget_ms) {
  check_keys(options, {"trigger", "dry_run", "force"}, "discover options");
  auto only = opt_string(options, "trigger", "discover options");
  const bool dry_run = opt_bool(options, "dry_run", "discover options").value_or(false);
  const bool force = opt_bool(options, "force", "discover options").value_or(false);
  if (!dry_run) writable();
  if (!finder_) return {};
  std::vector<DiscoveryCycle> cycles;
  int64_t now;
  {
    std::lock_guard lock(mutex_);
    now = tx_.now = clock();
    refresh();
    next_discovery_ms_ = INT64_MAX;
    for (Store::TriggerRow &row : store_.read_triggers()) {
      next_discovery_ms_ = std::min(next_discovery_ms_, row.next_ms);
      if (only && row.def.id != *only) continue;
      if (!force && row.next_ms > now) continue;
      DiscoveryCycle c;
      c.row = std::move(row);
      for (const Goal &g : model_.goals)
        c.closed_wanted |= g.trigger_id == c.row.def.id && g.state != GoalState::finished;
      cycles.push_back(std::move(c));
    }
    if (only && cycles.empty()) {
      bool known = false;
      for (const Store::TriggerRow &row : store_.read_triggers()) known |= row.def.id == *only;
      if (!known) fail(Errc::not_found, "no trigger '" + *only + "' in the state");
    }
  }
  if (cycles.empty()) return {};
  // The searches, between transactions, sharing the budget.
  const auto began = std::chrono::steady_clock::now();
  auto left = [&] {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - began)
                     .count();
    return std::max<int64_t>(budget_ms - spent, 100);
  };
  for (DiscoveryCycle &c : cycles) {
    c.began_wall_ms = wall_ms();
    c.open = finder_->find(c.row.def.query, now, left());
    if (c.open.complete && c.closed_wanted && c.row.last_cycle_ms > 0) {
      // A minute of overlap: GitHub's updated_at and our clock need not agree to the second.
      c.closed =
          finder_->find(closed_query(c.row.def.query, c.row.last_cycle_ms - 60'000), now, left());
    } else {
      c.closed.complete = true;
    }
  }
  auto apply = [&] {
    json::array out;
    for (DiscoveryCycle &c : cycles) out.push_back(apply_discovery(c, dry_run));
    return out;
  };
  if (dry_run) {
    std::lock_guard lock(mutex_);
    refresh();
    return apply();
  }
  return mutate([&] {
    // The triggers searched now are due again at their next_ms (written by apply_discovery).
    next_discovery_ms_ = 0;
    return apply();
  });
}

json::object Engine::apply_discovery(DiscoveryCycle &c, bool dry_run) {
  const TriggerDef &t = c.row.def;
  json::object cycle{
      {"trigger", t.id}, {"requests", c.open.requests + c.closed.requests}, {"dry_run", dry_run}};
  json::array actions;
  auto schedule = [&](int64_t next_ms, int64_t last_cycle_wall_ms) {
    if (dry_run) return;
    store_.set_trigger_schedule(t.id, next_ms, last_cycle_wall_ms);
    tx_.touched = true;
  };
  if (!c.open.complete || !c.closed.complete) {
    const PullSearchResult &bad = !c.open.complete ? c.open : c.closed;
    cycle["error"] = bad.problem.empty() ? "the search did not finish" : bad.problem;
    cycle["blocked"] = bad.blocked;
    // A rate limit says when; other faults retry within a minute (or at the trigger's pace).
    int64_t next = std::max(bad.retry_at_ms, tx_.now + std::min<int64_t>(t.every_s * 1000, 60'000));
    schedule(next, c.row.last_cycle_ms);
    cycle["actions"] = std::move(actions);
    return cycle;
  }
  std::optional<GoalTemplate> tmpl = store_.get_template(t.template_id);
  if (!tmpl) {
    cycle["error"] = "no template '" + t.template_id + "' in the state";
    cycle["blocked"] = true;
    schedule(tx_.now + t.every_s * 1000, c.row.last_cycle_ms);
    cycle["actions"] = std::move(actions);
    return cycle;
  }
  int unfinished = 0;
  for (const Goal &g : model_.goals)
    unfinished += g.trigger_id == t.id && g.state != GoalState::finished;
  std::set<std::string> matched;
  for (const FoundPullRequest &pr : c.open.pulls) {
    if (pr.state != "open") continue;
    const std::string name = pull_name(pr.repo, pr.number);
    if (!matched.insert(ascii_lower(name)).second) continue;
    GoalDef def;
    try {
      def = gk::instantiate(*tmpl, render_trigger_params(t, pr));
    } catch (const Error &e) {
      actions.push_back(action(name, "skip", "", e.what()));
      continue;
    }
    auto existing = model_.goal_by_id.find(def.id);
    if (existing != model_.goal_by_id.end()) {
      Goal &g = model_.goals[existing->second];
      if (!dry_run && !pr.head_sha.empty() && g.head_sha != pr.head_sha &&
          g.state != GoalState::finished) {
        g.head_sha = pr.head_sha;
        tx_.dirty(g);
      }
      if (g.discovery_paused && g.state == GoalState::paused) {
        if (!dry_run) {
          g.discovery_paused = false;
          tree_.resume_goal(g);
        }
        actions.push_back(action(name, "resume", g.id, "matches the query again"));
      } else {
        actions.push_back(action(name, "exists", g.id, ""));
      }
      continue;
    }
    if (unfinished >= t.max_goals) {
      actions.push_back(action(name, "skip", def.id,
                               "max_goals " + std::to_string(t.max_goals) +
                                   " reached: the trigger's unfinished goals take every place"));
      continue;
    }
    ++unfinished;
    actions.push_back(action(name, "create", def.id, ""));
    if (dry_run) continue;
    add_goal(def, tmpl->source, t.id, name);
    Goal &made = model_.goals[model_.goal_by_id.at(def.id)];
    made.head_sha = pr.head_sha;
    start_goal(made, false);
  }
  std::map<std::string, const FoundPullRequest *> closed;
  for (const FoundPullRequest &pr : c.closed.pulls)
    closed[ascii_lower(pull_name(pr.repo, pr.number))] = &pr;
  for (Goal &g : model_.goals) {
    if (g.trigger_id != t.id || g.state == GoalState::finished || g.pull.empty()) continue;
    const std::string key = ascii_lower(g.pull);
    if (matched.contains(key)) continue;
    if (auto it = closed.find(key); it != closed.end()) {
      const bool merged = it->second->state == "merged";
      // Our own merge task sent this merge: its next poll finishes the goal as done.
      if (merged && merging(g)) {
        actions.push_back(action(g.pull, "exists", g.id, "goalkeeper is merging it"));
        continue;
      }
      const std::string why = merged ? "merged outside goalkeeper" : "pull request closed";
      actions.push_back(action(g.pull, "stop", g.id, why));
      if (!dry_run) close_goal(g, why);
      continue;
    }
    if (g.state == GoalState::running) {
      actions.push_back(action(g.pull, "pause", g.id, "no longer matches the query"));
      if (!dry_run) {
        g.state = GoalState::paused;
        g.discovery_paused = true;
        tx_.dirty(g);
        tx_.event(g, nullptr, "goal_paused", {{"reason", "no longer matches the query"}});
      }
    }
  }
  schedule(tx_.now + t.every_s * 1000, c.began_wall_ms);
  if (!dry_run && !actions.empty()) tx_.touched = true;
  cycle["actions"] = std::move(actions);
  return cycle;
}

json::array Engine::discovery_due_for(const std::string &repo) {
  // A query that names repositories (repo:) watches those; one that names none (org:, user:, or
  // nothing) may match any, so it searches too.
  const std::string want = ascii_lower(repo);
  json::array due;
  for (const Store::TriggerRow &row : store_.read_triggers()) {
    const std::string q = ascii_lower(row.def.query);
    bool names_repos = false, names_this = false;
    for (std::size_t at = q.find("repo:"); at != std::string::npos; at = q.find("repo:", at + 5)) {
      if (at > 0 && q[at - 1] != ' ' && q[at - 1] != '(') continue;
      names_repos = true;
      std::size_t end = q.find_first_of(" )", at + 5);
      names_this |= q.substr(at + 5, end == std::string::npos ? end : end - at - 5) == want;
    }
    if (names_repos && !names_this) continue;
    store_.set_trigger_schedule(row.def.id, tx_.now, row.last_cycle_ms);
    due.emplace_back(row.def.id);
  }
  if (!due.empty()) {
    tx_.touched = true;
    next_discovery_ms_ = 0;
  }
  return due;
}

bool Engine::merging(const Goal &g) const {
  const auto gi = static_cast<int32_t>(&g - model_.goals.data());
  for (TaskIndex i : model_.active_gates) {
    const Task &t = model_.tasks[i];
    if (t.goal != gi || !t.gate().active) continue;
    for (const auto &[path, poll] : t.gate().polls)
      if (poll.memo.contains("merge_intent")) return true;
  }
  return false;
}

void Engine::close_goal(Goal &g, const std::string &why) {
  tree_.stop_goal(g, why);
  g.state = GoalState::finished;
  g.closed = why;
  g.finish_announced = false;
  tx_.dirty(g);
  tx_.event(g, nullptr, "goal_closed", {{"reason", why}});
}

}  // namespace gk
