// Task statuses and how a parent's status follows from its children's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gk {

enum class Status : uint8_t { pending, active, pending_review, blocked, done, skipped, failed };
inline constexpr int kStatusCount = 7;

const char *to_string(Status s);
std::optional<Status> status_from_string(std::string_view s);
inline bool is_terminal(Status s) {
  return s == Status::done || s == Status::skipped || s == Status::failed;
}
// Whether later siblings (or dependents) may start after a task with this status.
inline bool is_satisfied(Status s) {
  return s == Status::done || s == Status::skipped;
}

// How many children have each status. Kept up to date incrementally so that deriving a parent's
// status is O(1) however many children it has.
struct StatusCounts {
  std::array<int32_t, kStatusCount> n{};
  int32_t total = 0;

  void add(Status s) {
    ++n[static_cast<int>(s)];
    ++total;
  }
  void remove(Status s) {
    --n[static_cast<int>(s)];
    --total;
  }
  int32_t of(Status s) const { return n[static_cast<int>(s)]; }
  Status derive() const;
};

}  // namespace gk
