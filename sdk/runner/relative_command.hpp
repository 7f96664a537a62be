// A `run` whose program is a relative path (./agent.sh, scripts/fix.sh) is looked up in the
// session's workspace first, then in the goal file's folder. Outside git a spawned session starts
// as an empty folder, so the goal file's folder is what finds the script a file ships beside it;
// in a git worktree the workspace holds the repository's files. `validate` and `plan` say when
// neither place holds it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace gk::runner {

namespace fs = std::filesystem;

// Whether the program of an argv is a relative path, not a name looked up in PATH.
bool is_relative_command(const std::string &arg0);

// The program to run: arg0 as it is when the workspace holds it (or it is not a relative path),
// else the absolute path in goal_dir when that holds it, else arg0 (the start then fails saying
// it was not found).
std::string locate_command(const std::string &arg0, const fs::path &workspace,
                           const fs::path &goal_dir);

// For validate and plan: a line for each relative program of the tree's agent tasks that neither
// `here` (where pinned sessions run) nor goal_dir holds, naming the goal and the first task that
// runs it. tree: a gk_query {"what":"tree"} answer.
std::vector<std::string> missing_commands(const boost::json::object &tree, const fs::path &here,
                                          const fs::path &goal_dir);

}  // namespace gk::runner
