#include "core/poll_timing.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/fnv1a.hpp"

namespace gk {

namespace {

// v spread by the jitter factor, never past the cap: a value the factor would carry over the cap
// is reflected below it, so gates at the cap still spread (over [0.9, 1] of it) and the cap holds.
int64_t jittered_within(double v, double cap, double factor) {
  double out = std::min(v, cap) * factor;
  if (out > cap) out = 2 * cap - out;
  return std::max<int64_t>(1, static_cast<int64_t>(out));
}

}  // namespace

double jitter(std::string_view gate, int64_t salt) {
  uint64_t h = fnv1a(std::string(gate) + "#" + std::to_string(salt));
  double unit = static_cast<double>(h % 10'001) / 10'000.0;  // [0, 1]
  return 0.9 + 0.2 * unit;
}

int64_t quiet_interval_ms(int64_t base_ms, int64_t unchanged, int64_t cap_ms,
                          std::string_view gate) {
  double cap = static_cast<double>(std::max(cap_ms, base_ms));
  double v = static_cast<double>(base_ms) *
             std::pow(1.5, static_cast<double>(std::clamp<int64_t>(unchanged, 0, 64)));
  return jittered_within(v, cap, jitter(gate, unchanged));
}

int64_t backoff_ms(int64_t first_ms, int64_t failures, int64_t cap_ms, std::string_view gate) {
  double v = static_cast<double>(first_ms) *
             std::pow(2.0, static_cast<double>(std::clamp<int64_t>(failures - 1, 0, 40)));
  return jittered_within(v, static_cast<double>(cap_ms), jitter(gate, -failures));
}

}  // namespace gk
