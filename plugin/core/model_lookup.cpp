#include "core/model_lookup.hpp"

namespace gk {

const Task *ModelLookup::find(std::string_view task_id) const {
  auto it = g_.by_id.find(std::string(task_id));
  return it == g_.by_id.end() ? nullptr : &m_.tasks[it->second];
}

const boost::json::value *ModelLookup::param(const std::vector<std::string> &path) const {
  holder_ = g_.def.params;
  return find_json_path(holder_, path);
}

const boost::json::value *ModelLookup::artifact(std::string_view task_id,
                                                const std::vector<std::string> &path) const {
  const Task *t = find(task_id);
  if (!t) return nullptr;
  holder_ = t->artifacts;
  return find_json_path(holder_, path);
}

std::optional<std::string> ModelLookup::summary(std::string_view task_id) const {
  const Task *t = find(task_id);
  if (!t || t->finished_ms == 0) return std::nullopt;
  return t->summary;
}

std::optional<std::string> ModelLookup::builtin(std::string_view root,
                                                std::string_view field) const {
  if (root == "goal") {
    if (field == "id") return g_.id;
    if (field == "title") return g_.def.title.empty() ? g_.id : g_.def.title;
  } else if (root == "task") {
    if (field == "id") return t_.id;
    if (field == "title") return t_.def->title;
    if (field == "attempt") return std::to_string(t_.attempt);
  }
  return std::nullopt;
}

}  // namespace gk
