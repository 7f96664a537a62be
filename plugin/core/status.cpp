#include "core/status.hpp"

namespace gk {

namespace {
constexpr std::array<const char *, kStatusCount> kNames = {
    "pending", "active", "pending_review", "blocked", "done", "skipped", "failed"};
}

const char *to_string(Status s) {
  return kNames[static_cast<int>(s)];
}

std::optional<Status> status_from_string(std::string_view s) {
  for (int i = 0; i < kStatusCount; ++i)
    if (s == kNames[i]) return static_cast<Status>(i);
  return std::nullopt;
}

// The order of the checks is the rule: failed beats blocked beats active beats review.
Status StatusCounts::derive() const {
  if (of(Status::failed) > 0) return Status::failed;
  if (of(Status::blocked) > 0) return Status::blocked;
  if (of(Status::active) > 0) return Status::active;
  if (of(Status::pending_review) > 0) return Status::pending_review;
  if (of(Status::done) + of(Status::skipped) == total) return Status::done;
  return Status::pending;
}

}  // namespace gk
