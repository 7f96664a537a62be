// The ranges of the integers a goal file or a configuration may give, in one place: wide enough
// for real use (a fan-out of a million jobs at once), narrow enough that no value overflows where
// the engine narrows it to int or turns seconds into milliseconds. docs/goal-files.md and the
// header list the same numbers.
#pragma once

#include <cstdint>

namespace gk {

inline constexpr int64_t kMaxParallelLimit = 1'000'000;  // max_parallel, limits.max_parallel
inline constexpr int64_t kMaxRetriesLimit = 1000;        // max_retries
inline constexpr int64_t kMaxApprovalsLimit = 100;       // min_approvals
inline constexpr int64_t kMaxPriority = 1'000'000;       // priority, either sign
inline constexpr int64_t kMaxDurationS = 31'536'000;     // any timeout: 365 days
inline constexpr int64_t kMaxTreeDepth = 32;             // tasks nested in tasks, the goal is 0

}  // namespace gk
