// When to poll a gate again: the configured interval, stretched ×1.5 per poll in which nothing
// changed (up to a cap), with ±10% jitter derived from the gate id (deterministic for the same
// inputs, different across gates so many gates do not poll in lockstep); exponential backoff
// after faults.
#pragma once

#include <cstdint>
#include <string_view>

namespace gk::github {

// A factor in [0.9, 1.1], a function of (gate, salt).
double jitter(std::string_view gate, int64_t salt);

// base × 1.5^unchanged, capped at max(cap, base), with jitter.
int64_t quiet_interval_ms(int64_t base_ms, int64_t unchanged, int64_t cap_ms,
                          std::string_view gate);

// first × 2^(failures-1), capped, with jitter. failures >= 1.
int64_t backoff_ms(int64_t first_ms, int64_t failures, int64_t cap_ms, std::string_view gate);

}  // namespace gk::github
