// When to poll a gate again: the configured interval, stretched ×1.5 per poll in which nothing
// changed (up to a cap), with ±10% jitter derived from the gate id (deterministic for the same
// inputs, different across gates so many gates do not poll in lockstep); exponential backoff
// after faults. The jitter never carries a wait past its cap: near the cap it only shortens.
#pragma once

#include <cstdint>
#include <string_view>

namespace gk {

// A factor in [0.9, 1.1], a function of (gate, salt).
double jitter(std::string_view gate, int64_t salt);

// base × 1.5^unchanged with jitter, at most max(cap, base).
int64_t quiet_interval_ms(int64_t base_ms, int64_t unchanged, int64_t cap_ms,
                          std::string_view gate);

// first × 2^(failures-1) with jitter, at most cap (also when first is larger). failures >= 1.
int64_t backoff_ms(int64_t first_ms, int64_t failures, int64_t cap_ms, std::string_view gate);

}  // namespace gk
