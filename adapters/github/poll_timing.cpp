#include "github/poll_timing.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "github/ci_state.hpp"

namespace gk::github {

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
  v = std::min(v, cap) * jitter(gate, unchanged);
  return std::max<int64_t>(1, static_cast<int64_t>(v));
}

int64_t backoff_ms(int64_t first_ms, int64_t failures, int64_t cap_ms, std::string_view gate) {
  double v = static_cast<double>(first_ms) *
             std::pow(2.0, static_cast<double>(std::clamp<int64_t>(failures - 1, 0, 40)));
  v = std::min(v, static_cast<double>(std::max(cap_ms, first_ms))) * jitter(gate, -failures);
  return std::max<int64_t>(1, static_cast<int64_t>(v));
}

}  // namespace gk::github
