// Running a short helper command (git) to completion and capturing what it prints.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gk::runner {

struct Captured {
  int exit_code = -1;  // 128 + signal when killed; -1 when it could not start
  std::string output;  // stdout and stderr together
};

// Runs argv (argv[0] looked up in PATH) in cwd with stdin from /dev/null and waits for it.
// Never throws for the command's own failure: look at exit_code.
Captured run_captured(const std::vector<std::string> &argv, const std::filesystem::path &cwd);

}  // namespace gk::runner
