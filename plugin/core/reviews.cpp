// Human decisions: approving or rejecting a task in pending_review, and a spec-mode plan.
#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/json_util.hpp"

namespace gk {

namespace json = boost::json;

void Engine::review(std::string_view ref, const json::object &decision) {
  check_keys(decision, {"decision", "feedback"}, "review");
  auto d = opt_string(decision, "decision", "review").value_or("");
  if (d != "approve" && d != "reject")
    fail(Errc::invalid, "review: \"decision\" must be \"approve\" or \"reject\"");
  std::string feedback = opt_string(decision, "feedback", "review").value_or("");
  if (d == "reject" && feedback.empty())
    fail(Errc::invalid, "review: a rejection needs \"feedback\" for the agent");
  bool approve = d == "approve";
  mutate([&] {
    if (auto it = model_.goal_by_id.find(std::string(ref)); it != model_.goal_by_id.end()) {
      Goal &g = model_.goals[it->second];
      if (g.spec == SpecPhase::awaiting_approval) {
        review_plan(g, approve, feedback);
        return;
      }
    }
    TaskIndex i = tree_.resolve_task_ref(ref);
    Task &t = model_.tasks[i];
    Goal &g = model_.goals[t.goal];
    if (t.status != Status::pending_review)
      fail(Errc::conflict, "task " + tree_.task_ref(t) + " is not awaiting review (it is " +
                               to_string(t.status) + ")");
    g.announce.erase(i);
    if (approve) {
      tx_.event(g, &t, "review_approved", {});
      t.finished_ms = tx_.now;
      tree_.set_status(i, Status::done, "approved");
      return;
    }
    tx_.event(g, &t, "review_rejected", {{"feedback", feedback}});
    if (t.def->stage == Stage::agent_work) {
      t.feedback = feedback;
      tx_.dirty(i);
      tree_.set_status(i, Status::pending, "rejected with feedback");
      tree_.queue_ready(i);
      return;
    }
    TaskIndex agent = tree_.closest_preceding_agent(i);
    if (agent == kNoTask) {
      t.reason = "rejected: " + feedback;
      tree_.set_status(i, Status::failed, t.reason);
      return;
    }
    tree_.reset_range_for_rerun(agent, i, Tree::Context::feedback, feedback);
  });
}

// In spec mode the planner was asked for the goal's tasks: an approved plan replaces the tasks
// the file declared (they stay in the file, for a start without spec mode); a rejected one goes,
// and the declared tasks stay.
void Engine::review_plan(Goal &g, bool approve, const std::string &feedback) {
  Task &root = model_.tasks[g.root];
  g.announce.erase(g.root);
  g.spec = SpecPhase::none;
  tx_.dirty(g);
  std::vector<TaskIndex> keep, drop;
  for (TaskIndex c : root.children) (model_.tasks[c].dynamic == approve ? keep : drop).push_back(c);
  // Deleting a task deletes its subtree (foreign keys); the model is read again after the commit.
  for (TaskIndex c : drop) store_.delete_task(model_.tasks[c]);
  tx_.reload_after_commit = true;
  root.children = keep;
  root.counts = {};
  for (size_t k = 0; k < keep.size(); ++k) {
    Task &c = model_.tasks[keep[k]];
    c.position = static_cast<int32_t>(k);
    root.counts.add(c.status);
    tx_.dirty(keep[k]);
  }
  if (approve) {
    tx_.event(g, &root, "plan_approved", {{"replaced", static_cast<int64_t>(drop.size())}});
    g.state = GoalState::running;
    root.entered = false;
    tree_.set_status(g.root, root.counts.derive(), "plan approved");
    tree_.enter(g.root);
    return;
  }
  tx_.event(g, &root, "plan_rejected", {{"feedback", feedback}});
  // The goal waits, stopped, for another start (which plans again, or runs the declared tasks).
  root.feedback = feedback;
  g.state = GoalState::stopped;
  tree_.set_status(g.root, Status::pending, "plan rejected");
  tx_.dirty(g.root);
}

}  // namespace gk
