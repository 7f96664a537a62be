// Template values from the model: the goal's params, and summaries and artifacts of its tasks.
#pragma once

#include "core/model.hpp"
#include "core/template.hpp"

namespace gk {

class ModelLookup : public TemplateLookup {
 public:
  ModelLookup(const Model &m, const Task &task) : m_(m), g_(m.goals[task.goal]), t_(task) {}

  const boost::json::value *param(const std::vector<std::string> &path) const override;
  const boost::json::value *artifact(std::string_view task_id,
                                     const std::vector<std::string> &path) const override;
  std::optional<std::string> summary(std::string_view task_id) const override;
  std::optional<std::string> builtin(std::string_view root, std::string_view field) const override;

 private:
  const Task *find(std::string_view task_id) const;
  const Model &m_;
  const Goal &g_;
  const Task &t_;
  mutable boost::json::value holder_;  // keeps a value found inside an object alive
};

}  // namespace gk
