// Where the runner keeps its files: everything under .goalkeeper/ in the directory it runs in.
//
//   .goalkeeper/state.db                    the plugin's state (default; --state moves it)
//   .goalkeeper/logs/<goal>/<task>#<n>.log  stdout and stderr of a job
//   .goalkeeper/prompts/<job key>.md        the prompt a job reads ($GK_PROMPT_FILE)
//   .goalkeeper/results/<job key>.json      the result a job writes ($GK_RESULT_FILE)
//   .goalkeeper/jobs/                       the child-job registry (re-attach after a crash)
//   .goalkeeper/worktrees/<goal>/<task>-<n> git worktrees of spawned sessions
//   .goalkeeper/sessions/<session id>       workspaces of spawned sessions outside git
#pragma once

#include <filesystem>
#include <string>

namespace gk::runner {

namespace fs = std::filesystem;

// Whether s is a goal or task id: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters.
bool is_valid_id(const std::string &s);

// A job key "<goal>/<task>#<n>" or "<goal>#<n>" (spec mode) as a relative path, so the goal
// becomes a folder: "hello/greet#1". Throws std::invalid_argument for anything else, so a key
// from elsewhere can never name a path outside the folder it is joined to.
fs::path key_path(const std::string &job_key);

// The goal of a job key ("hello" for "hello/greet#1" and "hello#1").
std::string key_goal(const std::string &job_key);

struct Layout {
  fs::path root;  // absolute .goalkeeper folder

  explicit Layout(const fs::path &work_dir);
  fs::path log_file(const std::string &job_key) const;
  fs::path prompt_file(const std::string &job_key) const;
  fs::path result_file(const std::string &job_key) const;
  fs::path registry() const { return root / "jobs"; }
  fs::path worktrees() const { return root / "worktrees"; }
  fs::path sessions() const { return root / "sessions"; }

  // Creates the folder and a .gitignore that keeps it out of the checkout's `git status`.
  void ensure() const;
};

// Writes text to path through a temporary file and a rename, creating parent folders.
void write_file_atomic(const fs::path &path, const std::string &text);
// For a file nobody reads before it is complete (a prompt written before its job starts): one
// create and write, no temporary file and rename.
void write_file(const fs::path &path, const std::string &text);
// Reads a whole file; throws std::runtime_error naming the file and the reason.
std::string read_file(const fs::path &path);

}  // namespace gk::runner
