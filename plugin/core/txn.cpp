#include "core/txn.hpp"

namespace gk {

namespace json = boost::json;

void Txn::begin(int64_t now_ms) {
  now = now_ms;
  touched = false;
}

void Txn::flush() {
  for (TaskIndex i : dirty_tasks_) {
    store.update_task(model_.tasks[i]);
    model_.tasks[i].dirty = false;
  }
  for (int32_t g : dirty_goals_) {
    store.update_goal(model_.goals[g]);
    model_.goals[g].dirty = false;
  }
  dirty_tasks_.clear();
  dirty_goals_.clear();
}

void Txn::abandon() {
  dirty_tasks_.clear();
  dirty_goals_.clear();
  reload_after_commit = false;
}

void Txn::event(const Goal &g, const Task *t, std::string_view kind, const json::object &data) {
  touched = true;
  store.append_event(now, g.id, t ? std::string_view(t->id) : std::string_view(), kind,
                     json::serialize(data));
  if (hooks_.log) {
    std::string line = g.id;
    if (t && !t->id.empty()) line.append("/").append(t->id);
    line.append(": ").append(kind);
    if (!data.empty()) line.append(" ").append(json::serialize(data));
    hooks_.log(LogLevel::debug, line);
  }
}

}  // namespace gk
