// What went wrong asking GitHub, and what it means for a gate: a fault (retry with backoff), a
// rate limit (pause the host until it resets) or something a person must fix (block the gate).
#pragma once

#include <cstdint>
#include <string>

namespace gk::github {

struct Problem {
  enum class Kind { none, fault, rate_limited, blocked };
  Kind kind = Kind::none;
  std::string reason;
  int64_t resume_ms = 0;  // rate_limited: when the host may be asked again (host time)

  explicit operator bool() const { return kind != Kind::none; }
  // The more serious of two problems: rate limits, then blocks, then faults.
  static Problem worse(const Problem &a, const Problem &b);
};

inline Problem Problem::worse(const Problem &a, const Problem &b) {
  auto rank = [](Kind k) {
    switch (k) {
      case Kind::rate_limited:
        return 3;
      case Kind::blocked:
        return 2;
      case Kind::fault:
        return 1;
      case Kind::none:
        break;
    }
    return 0;
  };
  return rank(b.kind) > rank(a.kind) ? b : a;
}

}  // namespace gk::github
