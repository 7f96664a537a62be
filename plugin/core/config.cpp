#include "core/config.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"

namespace gk {

namespace {

constexpr int64_t kYearS = kMaxDurationS;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kHourMs = 3'600'000;

// Every integer key has a range: wide enough for real use (a fan-out of 1,000,000 jobs at once),
// narrow enough that no value overflows where the engine multiplies or narrows it.
int64_t int_at(const boost::json::object &o, const char *key, int64_t fallback, int64_t min,
               int64_t max, const std::string &where) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  auto range = [&] { return " (from " + std::to_string(min) + " to " + std::to_string(max) + ")"; };
  if (!v->is_int64() && !v->is_uint64())
    fail(Errc::invalid, "config: " + where + key + " must be an integer" + range() + ", found " +
                            boost::json::serialize(*v));
  if (v->is_uint64() && v->as_uint64() > static_cast<uint64_t>(max))
    fail(Errc::invalid, "config: " + where + key + " is out of range" + range() + ", found " +
                            std::to_string(v->as_uint64()));
  int64_t n = v->is_int64() ? v->as_int64() : static_cast<int64_t>(v->as_uint64());
  if (n < min || n > max)
    fail(Errc::invalid,
         "config: " + where + key + " is out of range" + range() + ", found " + std::to_string(n));
  return n;
}

}  // namespace

Config parse_config(std::string_view json) {
  Config c;
  if (json.empty()) return c;
  boost::json::value doc = parse_json(json, "config");
  if (!doc.is_object()) fail(Errc::invalid, "config: expected a JSON object");
  c.raw = doc.as_object();
  check_keys(c.raw,
             {"state_path", "read_only", "durability", "busy_timeout_ms", "limits", "github",
              "centaur", "webhook", "signals", "jobs", "dry_run", "public_url"},
             "config");
  const auto &o = c.raw;
  if (const auto *v = o.if_contains("state_path")) {
    if (!v->is_string() || v->as_string().empty())
      fail(Errc::invalid, "config: state_path must be a non-empty string");
    c.state_path = v->as_string().c_str();
  }
  if (const auto *v = o.if_contains("read_only")) {
    if (!v->is_bool()) fail(Errc::invalid, "config: read_only must be true or false");
    c.read_only = v->as_bool();
  }
  if (const auto *v = o.if_contains("dry_run")) {
    if (!v->is_bool()) fail(Errc::invalid, "config: dry_run must be true or false");
    c.dry_run = v->as_bool();
  }
  if (const auto *v = o.if_contains("public_url")) {
    if (!v->is_string() ||
        (!v->as_string().starts_with("http://") && !v->as_string().starts_with("https://")))
      fail(Errc::invalid, "config: public_url must be an http:// or https:// URL");
    c.public_url = v->as_string().c_str();
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  }
  if (const auto *v = o.if_contains("durability")) {
    if (!v->is_string() || (v->as_string() != "normal" && v->as_string() != "full"))
      fail(Errc::invalid, "config: durability must be \"normal\" or \"full\"");
    c.durability_full = v->as_string() == "full";
  }
  c.busy_timeout_ms =
      static_cast<int>(int_at(o, "busy_timeout_ms", c.busy_timeout_ms, 0, kHourMs, ""));
  if (const auto *v = o.if_contains("limits")) {
    if (!v->is_object()) fail(Errc::invalid, "config: limits must be an object");
    const auto &l = v->as_object();
    check_keys(l,
               {"max_parallel", "lease_s", "max_reclaims", "max_start_failures", "start_backoff_ms",
                "idle_step_ms", "max_result_bytes"},
               "config: limits");
    const std::string at = "limits.";
    c.max_parallel =
        static_cast<int>(int_at(l, "max_parallel", c.max_parallel, 1, kMaxParallelLimit, at));
    c.lease_s = int_at(l, "lease_s", c.lease_s, 1, kYearS, at);
    c.max_reclaims = static_cast<int>(int_at(l, "max_reclaims", c.max_reclaims, 0, 1000, at));
    c.max_start_failures =
        static_cast<int>(int_at(l, "max_start_failures", c.max_start_failures, 1, 1000, at));
    c.start_backoff_ms = int_at(l, "start_backoff_ms", c.start_backoff_ms, 0, kDayMs, at);
    c.idle_step_ms = int_at(l, "idle_step_ms", c.idle_step_ms, 1, kHourMs, at);
    c.max_result_bytes =
        int_at(l, "max_result_bytes", c.max_result_bytes, 1024, int64_t{1} << 30, at);
  }
  if (const auto *v = o.if_contains("webhook")) {
    if (!v->is_object()) fail(Errc::invalid, "config: webhook must be an object");
    const auto &w = v->as_object();
    check_keys(w, {"secret_env", "reconcile_s", "coalesce_ms"}, "config: webhook");
    c.webhook_reconcile_ms =
        int_at(w, "reconcile_s", c.webhook_reconcile_ms / 1000, 0, kYearS, "webhook.") * 1000;
    c.webhook_coalesce_ms = int_at(w, "coalesce_ms", c.webhook_coalesce_ms, 0, kHourMs, "webhook.");
  }
  // For the host that runs the jobs (the reference runner): checked here with everything else.
  if (const auto *v = o.if_contains("jobs")) {
    if (!v->is_object()) fail(Errc::invalid, "config: jobs must be an object");
    check_keys(v->as_object(), {"withhold_env"}, "config: jobs");
    if (const auto *w = v->as_object().if_contains("withhold_env")) {
      if (!w->is_array()) fail(Errc::invalid, "config: jobs.withhold_env must be a list of names");
      for (const auto &name : w->as_array()) {
        if (!name.is_string() || name.as_string().empty() ||
            name.as_string().find('=') != boost::json::string::npos)
          fail(Errc::invalid,
               "config: jobs.withhold_env: each entry must be a variable name (or a prefix "
               "ending in *), found " +
                   boost::json::serialize(name));
      }
    }
  }
  return c;
}

}  // namespace gk
