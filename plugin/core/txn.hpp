// The bookkeeping of one state-changing call: the host's time for it, which tasks and goals it
// changed (written back by flush(), once each), the events it appends, and whether the model must
// be read again after the commit (rows were deleted). The parts of the engine (tree.hpp,
// jobs.hpp, gates.hpp) change the model and say so here; the engine begins and commits.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/host.hpp"
#include "core/model.hpp"
#include "core/store.hpp"

namespace gk {

class Txn {
 public:
  Txn(Model &model, Store &store, const HostHooks &hooks)
      : store(store), model_(model), hooks_(hooks) {}

  // Starts the bookkeeping of a call made at `now_ms`.
  void begin(int64_t now_ms);
  // Writes every changed task and goal. Inside the transaction, before the commit.
  void flush();
  // Forgets what the call changed (it failed and rolls back).
  void abandon();

  void dirty(TaskIndex i) {
    touched = true;
    Task &t = model_.tasks[i];
    if (!t.dirty) dirty_tasks_.push_back(i);
    t.dirty = true;
  }
  void dirty(Goal &g) {
    touched = true;
    if (!g.dirty) dirty_goals_.push_back(static_cast<int32_t>(&g - model_.goals.data()));
    g.dirty = true;
  }
  // Appends to the audit log (and the host's log, at debug level).
  void event(const Goal &g, const Task *t, std::string_view kind, const boost::json::object &data);

  Store &store;
  int64_t now = 0;                   // the host's time for the current call
  bool touched = false;              // the current call changed the model
  bool reload_after_commit = false;  // rows were deleted: read the model again next call

 private:
  Model &model_;
  const HostHooks &hooks_;
  std::vector<TaskIndex> dirty_tasks_;  // each with its dirty flag set: no duplicates
  std::vector<int32_t> dirty_goals_;
};

}  // namespace gk
