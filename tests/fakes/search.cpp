#include "search.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>

#include "fake_http.hpp"
#include "timestamps.hpp"

namespace gkfake::detail {

namespace {

struct Term {
  bool negated = false;
  std::string key;    // lower case; "" for a free word
  std::string value;  // as written, quotes removed
};

std::vector<Term> terms_of(std::string_view q) {
  std::vector<Term> out;
  std::size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && q[i] == ' ') ++i;
    if (i >= q.size()) break;
    std::string raw;
    bool quoted = false;
    while (i < q.size() && (quoted || q[i] != ' ')) {
      if (q[i] == '"') {
        quoted = !quoted;
      } else {
        raw += q[i];
      }
      ++i;
    }
    Term t;
    if (raw.size() > 1 && raw[0] == '-' && raw.find(':') != std::string::npos) {
      t.negated = true;
      raw.erase(0, 1);
    }
    const auto colon = raw.find(':');
    if (colon != std::string::npos && colon > 0) {
      t.key = to_lower(raw.substr(0, colon));
      t.value = raw.substr(colon + 1);
    } else {
      t.value = raw;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// [lo, hi] in epoch seconds, inclusive; nullopt when the value is not a date qualifier value.
std::optional<std::pair<int64_t, int64_t>> time_range(std::string_view v) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const auto first = [](const ParsedTime &t) { return t.epoch_s; };
  const auto last = [](const ParsedTime &t) { return t.date_only ? t.epoch_s + 86399 : t.epoch_s; };
  const auto dots = v.find("..");
  if (dots != std::string_view::npos) {
    const auto a = v.substr(0, dots);
    const auto b = v.substr(dots + 2);
    std::pair<int64_t, int64_t> out{kMin, kMax};
    if (a != "*") {
      const auto t = parse_time(a);
      if (!t) return std::nullopt;
      out.first = first(*t);
    }
    if (b != "*") {
      const auto t = parse_time(b);
      if (!t) return std::nullopt;
      out.second = last(*t);
    }
    return out;
  }
  for (const std::string_view op : {">=", "<=", ">", "<"}) {
    if (!v.starts_with(op)) continue;
    const auto t = parse_time(v.substr(op.size()));
    if (!t) return std::nullopt;
    if (op == ">=") return std::pair{first(*t), kMax};
    if (op == ">") return std::pair{last(*t) + 1, kMax};
    if (op == "<=") return std::pair{kMin, last(*t)};
    return std::pair{kMin, first(*t) - 1};
  }
  const auto t = parse_time(v);
  if (!t) return std::nullopt;
  return std::pair{first(*t), last(*t)};
}

int64_t epoch_or_min(const std::string &iso) {
  const auto t = parse_time(iso);
  return t ? t->epoch_s : std::numeric_limits<int64_t>::min();
}

bool contains_ci(const std::string &haystack, const std::string &needle) {
  return to_lower(haystack).find(to_lower(needle)) != std::string::npos;
}

using Predicate = std::function<bool(const Store::Listed &)>;

}  // namespace

SearchResult search_pulls(const Store &store, std::string_view query, std::string_view sort,
                          std::string_view order) {
  SearchResult result;
  std::vector<Predicate> all_of;
  std::vector<std::string> repos;
  std::string sort_key(sort);
  std::string sort_order(order.empty() ? "desc" : order);
  if (sort_key != "created" && sort_key != "updated") sort_key.clear();
  const bool rest_sort = !sort_key.empty();

  for (const Term &t : terms_of(query)) {
    const std::string value = to_lower(t.value);
    Predicate p;
    if (t.key.empty()) {
      if (t.value == "AND" || t.value == "OR" || t.value == "NOT" || t.value.empty()) continue;
      const std::string word = t.value;
      p = [word](const auto &l) { return contains_ci(l.state->title, word); };
    } else if (t.key == "repo") {
      if (!t.negated) {
        repos.push_back(value);
        continue;
      }
      p = [value](const auto &l) { return to_lower(l.repo) == value; };
    } else if (t.key == "is" || t.key == "type" || t.key == "state") {
      if (value == "pr" || value == "pull-request") {
        p = [](const auto &) { return true; };
      } else if (value == "issue") {
        p = [](const auto &) { return false; };
      } else if (value == "open" || value == "closed") {
        p = [value](const auto &l) { return l.state->state == value; };
      } else if (value == "merged") {
        p = [](const auto &l) { return l.state->merged; };
      } else if (value == "unmerged") {
        p = [](const auto &l) { return l.state->state == "closed" && !l.state->merged; };
      } else if (value == "draft") {
        p = [](const auto &l) { return l.state->draft; };
      } else {
        continue;
      }
    } else if (t.key == "draft") {
      const bool want = value == "true";
      p = [want](const auto &l) { return l.state->draft == want; };
    } else if (t.key == "label") {
      std::vector<std::string> any;
      std::string v = value;
      for (std::size_t at = 0; at <= v.size();) {
        const auto comma = v.find(',', at);
        const auto one = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        if (!one.empty()) any.push_back(one);
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
      p = [any](const auto &l) {
        for (const auto &label : l.state->labels) {
          if (std::find(any.begin(), any.end(), to_lower(label)) != any.end()) return true;
        }
        return false;
      };
    } else if (t.key == "author") {
      p = [value](const auto &l) { return to_lower(l.state->author) == value; };
    } else if (t.key == "base") {
      p = [value](const auto &l) { return to_lower(l.state->base_ref) == value; };
    } else if (t.key == "head") {
      p = [value](const auto &l) { return to_lower(l.state->head_ref) == value; };
    } else if (t.key == "created" || t.key == "updated" || t.key == "closed" || t.key == "merged") {
      const auto range = time_range(t.value);
      if (!range) {
        result.error = "The date in \"" + t.key + ":" + t.value + "\" is not valid.";
        return result;
      }
      const std::string key = t.key;
      const auto [lo, hi] = *range;
      p = [key, lo, hi](const auto &l) {
        const std::string &iso = key == "created"   ? l.state->created_at
                                 : key == "updated" ? l.state->updated_at
                                 : key == "closed"  ? l.state->closed_at
                                                    : l.state->merged_at;
        if (iso.empty()) return false;
        const int64_t at = epoch_or_min(iso);
        return at >= lo && at <= hi;
      };
    } else if (t.key == "sort") {
      if (!rest_sort) {
        const auto dash = value.rfind('-');
        sort_key = value.substr(0, dash);
        sort_order = dash == std::string::npos ? "desc" : value.substr(dash + 1);
        if (sort_key != "created" && sort_key != "updated") sort_key.clear();
      }
      continue;
    } else {
      continue;
    }
    if (t.negated) {
      p = [inner = std::move(p)](const auto &l) { return !inner(l); };
    }
    all_of.push_back(std::move(p));
  }

  for (const auto &listed : store.all()) {
    if (!repos.empty() &&
        std::find(repos.begin(), repos.end(), to_lower(listed.repo)) == repos.end()) {
      continue;
    }
    if (std::all_of(all_of.begin(), all_of.end(), [&](const auto &p) { return p(listed); })) {
      result.hits.push_back(listed);
    }
  }
  const bool by_updated = sort_key == "updated";
  const bool ascending = !sort_key.empty() && sort_order == "asc";
  std::stable_sort(result.hits.begin(), result.hits.end(), [&](const auto &a, const auto &b) {
    const int64_t ta = epoch_or_min(by_updated ? a.state->updated_at : a.state->created_at);
    const int64_t tb = epoch_or_min(by_updated ? b.state->updated_at : b.state->created_at);
    if (ta != tb) return ascending ? ta < tb : ta > tb;
    const std::string ra = to_lower(a.repo), rb = to_lower(b.repo);
    if (ra != rb) return ra < rb;
    return a.number > b.number;
  });
  return result;
}

}  // namespace gkfake::detail
