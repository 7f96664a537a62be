#include "program_path.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace gk::jobs {
namespace fs = std::filesystem;

namespace {

// PATH entries that are all absolute make a lookup independent of the job's workdir.
bool absolute_search_path(const std::string &search_path) {
  size_t begin = 0;
  while (begin <= search_path.size()) {
    size_t end = search_path.find(':', begin);
    if (end == std::string::npos) end = search_path.size();
    if (end == begin || search_path[begin] != '/') return false;
    begin = end + 1;
  }
  return true;
}

}  // namespace

bool is_executable_file(const fs::path &path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
}

fs::path find_supervise(const fs::path &given, std::string &looked) {
  std::vector<fs::path> candidates;
  const char *env = std::getenv("GK_SUPERVISE");
  if (!given.empty()) {
    candidates.push_back(given);
  } else if (env != nullptr && *env != '\0') {
    candidates.push_back(env);
  } else {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path() / "gk-supervise");
#ifdef GK_SUPERVISE_BUILD_PATH
    candidates.push_back(GK_SUPERVISE_BUILD_PATH);
#endif
  }
  for (const fs::path &candidate : candidates) {
    if (is_executable_file(candidate)) return candidate;
    looked += (looked.empty() ? "" : ", ") + candidate.string();
  }
  return {};
}

fs::path resolve_program(const std::string &arg0, const fs::path &workdir,
                         const std::string &search_path) {
  if (arg0.empty()) throw std::runtime_error("the job's program name is empty");
  if (arg0.find('/') != std::string::npos) {
    fs::path path = fs::path(arg0).is_absolute() ? fs::path(arg0) : workdir / arg0;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw std::runtime_error("program " + arg0 + " not found");
    if (!is_executable_file(path)) {
      throw std::runtime_error("program " + arg0 + " is not an executable file");
    }
    return path;
  }
  size_t begin = 0;
  while (begin <= search_path.size()) {
    size_t end = search_path.find(':', begin);
    if (end == std::string::npos) end = search_path.size();
    fs::path dir = search_path.substr(begin, end - begin);
    if (dir.empty() || dir.is_relative()) dir = workdir / dir;
    if (is_executable_file(dir / arg0)) return dir / arg0;
    begin = end + 1;
  }
  throw std::runtime_error("program " + arg0 + " not found in PATH");
}

fs::path ProgramCache::find(const std::string &arg0, const fs::path &workdir,
                            const std::string &search_path) {
  if (arg0.find('/') != std::string::npos || !absolute_search_path(search_path)) {
    return resolve_program(arg0, workdir, search_path);
  }
  auto key = std::make_pair(arg0, search_path);
  if (auto it = found_.find(key); it != found_.end()) {
    if (is_executable_file(it->second)) return it->second;
    found_.erase(it);
  }
  fs::path found = resolve_program(arg0, workdir, search_path);
  found_.emplace(std::move(key), found);
  return found;
}

}  // namespace gk::jobs
