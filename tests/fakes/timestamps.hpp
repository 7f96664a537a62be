// ISO-8601 times as GitHub writes them ("2024-01-01T00:00:00Z") and as search qualifiers accept
// them (also "2024-01-01", offsets "+02:00", fractions of seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gkfake::detail {

struct ParsedTime {
  int64_t epoch_s = 0;
  bool date_only = false;  // "YYYY-MM-DD": the whole UTC day, epoch_s its first second
};

std::optional<ParsedTime> parse_time(std::string_view text);
std::string iso8601(int64_t epoch_s);
int64_t now_epoch_s();
// The current time, but at least one second after `previous` (so an update is always seen as
// one, even when a test scripted a time in the future).
std::string bumped_time(const std::string &previous);

}  // namespace gkfake::detail
