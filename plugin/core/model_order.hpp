// The model's task tree seen through run_order.hpp's accessor: children are kept in run order
// and each task knows its place among them.
#pragma once

#include <optional>
#include <vector>

#include "core/model.hpp"

namespace gk {

struct ModelOrder {
  const Model &m;

  using Node = TaskIndex;
  std::optional<TaskIndex> parent(TaskIndex i) const {
    TaskIndex p = m.tasks[static_cast<size_t>(i)].parent;
    return p == kNoTask ? std::nullopt : std::optional<TaskIndex>(p);
  }
  size_t position(TaskIndex i) const {
    return static_cast<size_t>(m.tasks[static_cast<size_t>(i)].position);
  }
  const std::vector<TaskIndex> &children(TaskIndex i) const {
    return m.tasks[static_cast<size_t>(i)].children;
  }
  bool parallel(TaskIndex i) const { return m.tasks[static_cast<size_t>(i)].def->parallel; }
  bool has_needs(TaskIndex i) const { return m.tasks[static_cast<size_t>(i)].def->has_needs; }
  std::vector<TaskIndex> needs(TaskIndex i) const {
    const Task &t = m.tasks[static_cast<size_t>(i)];
    const Goal &g = m.goals[static_cast<size_t>(t.goal)];
    std::vector<TaskIndex> out;
    for (const std::string &id : t.def->needs)
      if (auto it = g.by_id.find(id); it != g.by_id.end()) out.push_back(it->second);
    return out;
  }
};

}  // namespace gk
