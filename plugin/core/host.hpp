// What the engine needs from the host that loaded it: a clock, a log, and whether a job lives.
// The ABI layer adapts gk_host to this; tests pass lambdas.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace gk {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

struct HostHooks {
  std::function<int64_t()> now_ms;                           // empty: wall clock
  std::function<void(LogLevel, const std::string &)> log;    // empty: silent
  std::function<int(const std::string &job_key)> job_alive;  // 1 alive, 0 gone, -1 unknown
};

}  // namespace gk
