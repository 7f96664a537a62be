#include "github/pr_search_query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace gk::github::pr_search {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string unquoted(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '"') out += c;
  return out;
}

// Digits at s[at, at + n) as a number, or -1.
int digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int out = 0;
  auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
  return ec == std::errc() && p == s.data() + at + n ? out : -1;
}

// The range of a created: value: >=D >D <=D <D D..E D..* *..E D (GitHub's forms), where a
// date-only D is the whole UTC day.
std::optional<Range> range_of(std::string_view v) {
  auto first = [](std::string_view t) { return parse_time(t); };
  auto last = [](std::string_view t) -> std::optional<int64_t> {
    bool date_only = false;
    auto at = parse_time(t, &date_only);
    if (!at) return std::nullopt;
    return date_only ? *at + 86'399 : *at;
  };
  if (auto dots = v.find(".."); dots != std::string_view::npos) {
    Range r;
    std::string_view a = v.substr(0, dots), b = v.substr(dots + 2);
    if (a != "*") {
      auto t = first(a);
      if (!t) return std::nullopt;
      r.lo = *t;
    }
    if (b != "*") {
      auto t = last(b);
      if (!t) return std::nullopt;
      r.hi = *t;
    }
    return r;
  }
  for (std::string_view op : {">=", "<=", ">", "<"}) {
    if (!v.starts_with(op)) continue;
    std::string_view t = v.substr(op.size());
    auto lo = first(t), hi = last(t);
    if (!lo || !hi) return std::nullopt;
    if (op == ">=") return Range{*lo, kOpenHigh};
    if (op == ">") return Range{*hi + 1, kOpenHigh};
    if (op == "<=") return Range{kOpenLow, *hi};
    return Range{kOpenLow, *lo - 1};
  }
  auto lo = first(v), hi = last(v);
  if (!lo || !hi) return std::nullopt;
  return Range{*lo, *hi};
}

}  // namespace

std::vector<std::string> terms(std::string_view query) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < query.size()) {
    while (i < query.size() && std::isspace(static_cast<unsigned char>(query[i]))) ++i;
    if (i >= query.size()) break;
    std::string term;
    bool quoted = false;
    while (i < query.size() && (quoted || !std::isspace(static_cast<unsigned char>(query[i])))) {
      if (query[i] == '"') quoted = !quoted;
      term += query[i++];
    }
    out.push_back(std::move(term));
  }
  return out;
}

PreparedQuery prepare(std::string_view query) {
  PreparedQuery q;
  std::vector<std::string> all = terms(query);
  bool has_pr = false;
  std::vector<size_t> created;  // indexes of created: terms
  for (size_t k = 0; k < all.size(); ++k) {
    std::string_view t = all[k];
    bool negated = t.size() > 1 && t[0] == '-';
    if (negated) t.remove_prefix(1);
    size_t colon = t.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string key = lower(t.substr(0, colon));
    std::string value = lower(unquoted(t.substr(colon + 1)));
    if ((key == "is" || key == "type") && (value == "pr" || value == "pull-request") && !negated)
      has_pr = true;
    if (key == "sort" && value == "created-asc") q.ascending = true;
    if (key == "created") {
      if (negated) q.splittable = false;
      created.push_back(k);
    }
  }
  if (!has_pr) all.emplace_back("is:pr");
  std::optional<Range> own;
  if (created.size() == 1 && q.splittable) {
    std::string_view t = all[created.front()];
    own = range_of(unquoted(t.substr(t.find(':') + 1)));
  }
  if (!created.empty() && !own)
    q.splittable = false;  // several, negated or not a date GitHub
                           // takes: sent as written
  for (size_t k = 0; k < all.size(); ++k) {
    if (!q.text.empty()) q.text += ' ';
    q.text += all[k];
    if (own && k == created.front()) continue;
    if (!q.base.empty()) q.base += ' ';
    q.base += all[k];
  }
  if (own) q.range = *own;
  return q;
}

std::string window_query(const PreparedQuery &q, const Range &r) {
  if (r.lo == kOpenLow && r.hi == kOpenHigh) return q.base;
  std::string created;
  if (r.lo == kOpenLow)
    created = "<=" + iso8601(r.hi);
  else if (r.hi == kOpenHigh)
    created = ">=" + iso8601(r.lo);
  else
    created = iso8601(r.lo) + ".." + iso8601(r.hi);
  return q.base + " created:" + created;
}

std::optional<std::pair<Range, Range>> halve(const Range &r, int64_t now_epoch_s) {
  int64_t hi =
      r.hi != kOpenHigh ? r.hi : std::max(now_epoch_s, r.lo != kOpenLow ? r.lo : kGitHubEpochS);
  int64_t lo = r.lo != kOpenLow ? r.lo : std::min(kGitHubEpochS, hi);
  if (hi <= lo) return std::nullopt;
  int64_t mid = lo + (hi - lo) / 2;
  return std::pair{Range{r.lo, mid}, Range{mid + 1, r.hi}};
}

std::optional<int64_t> parse_time(std::string_view s, bool *date_only) {
  using namespace std::chrono;
  int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || s[4] != '-' || s[7] != '-') return std::nullopt;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  int64_t out = duration_cast<seconds>(sys_days(ymd).time_since_epoch()).count();
  if (date_only) *date_only = s.size() == 10;
  if (s.size() == 10) return out;
  int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (s[10] != 'T' || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 ||
      s.size() < 19 || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  out += h * 3600 + mi * 60 + sec;
  size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    ++at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) ++at;
  }
  if (at == s.size()) return out;
  if (s[at] == 'Z' && at + 1 == s.size()) return out;
  if ((s[at] == '+' || s[at] == '-') && s.size() == at + 6 && s[at + 3] == ':') {
    int oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    int64_t offset = (oh * 60 + om) * 60;
    return s[at] == '+' ? out - offset : out + offset;
  }
  return std::nullopt;
}

std::string iso8601(int64_t epoch_s) {
  using namespace std::chrono;
  sys_seconds t{seconds(epoch_s)};
  auto day_start = floor<days>(t);
  year_month_day ymd{day_start};
  hh_mm_ss hms{t - day_start};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string url_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace gk::github::pr_search
