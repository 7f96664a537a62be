#include "core/duration.hpp"

namespace gk {
namespace {

// Units from largest to smallest; a duration must use them in this order, each at most once.
struct Unit {
  char name;
  int64_t seconds;
};
constexpr Unit kUnits[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

int unit_index(char c) {
  for (int i = 0; i < 5; ++i) {
    if (kUnits[i].name == c) return i;
  }
  return -1;
}

}  // namespace

std::optional<int64_t> parse_duration_s(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  int next_unit = 0;  // the first unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    int64_t number = 0;
    std::size_t digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, text[i] - '0', &number)) {
        return std::nullopt;
      }
    }
    if (digits == 0) return std::nullopt;
    if (i == text.size()) {
      // A bare number is seconds, but only on its own: "1h30" is ambiguous.
      if (next_unit != 0) return std::nullopt;
      return number;
    }
    int u = unit_index(text[i++]);
    if (u < next_unit) return std::nullopt;
    int64_t part = 0;
    if (__builtin_mul_overflow(number, kUnits[u].seconds, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return std::nullopt;
    }
    next_unit = u + 1;
  }
  return total;
}

}  // namespace gk
