// Durations as goal files write them: "90" (seconds), "45s", "30m", "1h30m", "2d", "1w".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gk {

// Seconds, or nullopt for anything else: empty text, signs, spaces, fractions, unknown units,
// units out of order or repeated ("30m1h", "1h1h"), a bare number after a unit ("1h30"), overflow.
std::optional<int64_t> parse_duration_s(std::string_view text);

}  // namespace gk
