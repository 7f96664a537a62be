// Where a job's program and the gk-supervise helper are: the lookups a job start makes before it
// claims its key, so that a program that is not there fails the start with a reason.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>

namespace gk::jobs {

bool is_executable_file(const std::filesystem::path &path);

// given, else $GK_SUPERVISE, else next to the running executable, else where this build put it.
// Empty when none is an executable file; looked then lists the places tried.
std::filesystem::path find_supervise(const std::filesystem::path &given, std::string &looked);

// arg0 with a '/' is taken as it is (relative to workdir); otherwise looked up in search_path,
// whose relative entries are relative to workdir. Throws std::runtime_error naming arg0.
std::filesystem::path resolve_program(const std::string &arg0, const std::filesystem::path &workdir,
                                      const std::string &search_path);

// Programs found in PATH, by name and PATH (only PATHs of absolute entries, which do not depend
// on the workdir): a job start checks the one it found before instead of looking through PATH
// again. Not thread-safe: its owner serialises calls.
class ProgramCache {
 public:
  std::filesystem::path find(const std::string &arg0, const std::filesystem::path &workdir,
                             const std::string &search_path);

 private:
  std::map<std::pair<std::string, std::string>, std::filesystem::path> found_;
};

}  // namespace gk::jobs
