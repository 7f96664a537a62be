#include "timestamps.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace gkfake::detail {

std::optional<ParsedTime> parse_time(std::string_view text) {
  const std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  ParsedTime out;
  std::size_t at = 10;
  if (at == s.size()) {
    out.date_only = true;
  } else {
    if (s[at] != 'T' && s[at] != ' ') return std::nullopt;
    if (std::sscanf(s.c_str() + at + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &used) != 3 || used != 8) {
      return std::nullopt;
    }
    at += 9;
    if (at < s.size() && s[at] == '.') {
      ++at;
      while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  out.epoch_s = static_cast<int64_t>(timegm(&tm));
  if (out.date_only || at == s.size()) return out;  // no zone: UTC, as GitHub assumes
  if (s[at] == 'Z' && at + 1 == s.size()) return out;
  int oh = 0, om = 0;
  if ((s[at] == '+' || s[at] == '-') &&
      std::sscanf(s.c_str() + at + 1, "%2d:%2d%n", &oh, &om, &used) == 2 && used == 5 &&
      at + 6 == s.size()) {
    const int64_t offset = (oh * 60 + om) * 60;
    out.epoch_s += s[at] == '+' ? -offset : offset;
    return out;
  }
  return std::nullopt;
}

std::string iso8601(int64_t epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t now_epoch_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bumped_time(const std::string &previous) {
  int64_t t = now_epoch_s();
  if (const auto p = parse_time(previous); p && p->epoch_s >= t) t = p->epoch_s + 1;
  return iso8601(t);
}

}  // namespace gkfake::detail
