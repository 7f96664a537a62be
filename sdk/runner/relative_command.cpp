#include "relative_command.hpp"

#include <unistd.h>

#include <set>

#include "formats.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

bool holds(const fs::path &dir, const std::string &arg0) {
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(dir / arg0, ec);
}

}  // namespace

bool is_relative_command(const std::string &arg0) {
  return arg0.find('/') != std::string::npos && arg0.front() != '/' &&
         arg0.find("{{") == std::string::npos;
}

std::string locate_command(const std::string &arg0, const fs::path &workspace,
                           const fs::path &goal_dir) {
  if (!is_relative_command(arg0) || holds(workspace, arg0) || !holds(goal_dir, arg0)) return arg0;
  return (goal_dir / arg0).lexically_normal().string();
}

std::vector<std::string> missing_commands(const json::object &tree, const fs::path &here,
                                          const fs::path &goal_dir) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const std::string goal = node_id(tree_root(tree));
  std::vector<const json::object *> work{&tree_root(tree)};
  while (!work.empty()) {
    const json::object &n = *work.back();
    work.pop_back();
    if (const auto *kids = n.if_contains("children"); kids && kids->is_array())
      for (auto it = kids->as_array().rbegin(); it != kids->as_array().rend(); ++it)
        work.push_back(&it->as_object());
    const auto *run = n.if_contains("run");
    if (!run || !run->is_array() || run->as_array().empty() || !run->as_array()[0].is_string())
      continue;
    const std::string arg0(run->as_array()[0].as_string());
    if (!is_relative_command(arg0) || !seen.insert(arg0).second) continue;
    if (holds(here, arg0) || holds(goal_dir, arg0)) continue;
    const std::string where =
        here == goal_dir
            ? "in " + here.string() + " (here, beside the goal file)"
            : "neither in " + here.string() + " nor beside the goal file in " + goal_dir.string();
    out.push_back("goal " + goal + ", task " + node_id(n) + ": run[0] '" + shown(arg0) + "' is " +
                  (here == goal_dir ? "not " : "") + where +
                  ": a session will not find it (unless an earlier task makes it, or a git "
                  "worktree holds it)");
  }
  return out;
}

}  // namespace gk::runner
