// Workspaces of sessions. The pinned session works in the runner's own directory; a spawned
// session gets `git worktree add -b gk/<goal>/<task> .goalkeeper/worktrees/<goal>/<task>-<n>` when
// that directory is a git repository, otherwise the folder .goalkeeper/sessions/<session id>.
// Worktrees of a goal are removed (with their branches) when the goal is done, kept when it failed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "layout.hpp"

namespace gk::runner {

struct WorkspaceRequest {
  std::string goal_id;
  std::string task_id;     // "" for the spec job of a goal
  std::string job_key;     // "<goal>/<task>#<n>"
  std::string session_id;  // "<goal>/pinned" or the job key
  int attempt = 1;
  bool pinned = false;
};

class Workspaces {
 public:
  Workspaces(fs::path main_dir, const Layout &layout);

  // Creates (or finds, after a crash) the job's workspace and returns its absolute path.
  // Throws std::runtime_error with a reason a person can act on (reported as start_failed).
  fs::path prepare(const WorkspaceRequest &r);

  // Removes the goal's worktrees and gk/<goal>/* branches, or its session folders. Returns what
  // it could not remove ("" when everything went).
  std::string remove_goal(const std::string &goal_id);

  bool is_git();
  const fs::path &main_dir() const { return main_dir_; }

 private:
  fs::path worktree(const WorkspaceRequest &r);
  std::string git(const std::vector<std::string> &args, int *exit_code);

  fs::path main_dir_;
  const Layout &layout_;
  std::optional<bool> git_;
};

}  // namespace gk::runner
