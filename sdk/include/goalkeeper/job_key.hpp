// goalkeeper/job_key.hpp -- the job key format, in one place for the plugin and for C++ hosts.
//
// A job key names one attempt of a task: "<goal id>/<task id>#<attempt>", or "<goal id>#<attempt>"
// for the job a goal itself runs in spec mode (it plans the goal). Ids are the ids of goal files
// ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters), so a key never holds a second '/' or '#'.
// Header-only, C++17, no dependencies.
#ifndef GOALKEEPER_JOB_KEY_HPP
#define GOALKEEPER_JOB_KEY_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace goalkeeper {

struct JobKey {
  std::string goal;  // the goal id
  std::string task;  // the task id; empty for the goal's own job
  int32_t attempt = 0;

  std::string text() const {
    return goal + (task.empty() ? "" : "/" + task) + "#" + std::to_string(attempt);
  }
};

// The parts of a key, or nullopt when the text is not one: no '#', an attempt that is not 1 to 9
// decimal digits, an empty goal or task. Ids are not checked against the id alphabet here.
inline std::optional<JobKey> parse_job_key(std::string_view key) {
  const auto hash = key.rfind('#');
  if (hash == std::string_view::npos || hash + 1 >= key.size() || key.size() - hash > 10)
    return std::nullopt;
  JobKey k;
  for (char c : key.substr(hash + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    k.attempt = k.attempt * 10 + (c - '0');
  }
  const std::string_view head = key.substr(0, hash);
  const auto slash = head.find('/');
  k.goal = std::string(head.substr(0, slash));
  if (slash != std::string_view::npos) k.task = std::string(head.substr(slash + 1));
  if (k.goal.empty() || (slash != std::string_view::npos && k.task.empty())) return std::nullopt;
  return k;
}

// The goal a key belongs to ("hello" for "hello/greet#1" and "hello#1"); the text before the first
// '/' or '#' of anything else.
inline std::string_view job_key_goal(std::string_view key) {
  return key.substr(0, key.find_first_of("/#"));
}

}  // namespace goalkeeper

#endif  // GOALKEEPER_JOB_KEY_HPP
