#include "github/ci_state.hpp"

#include "core/failure_text.hpp"
#include "core/fnv1a.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace gk::github {

namespace json = boost::json;

namespace {

bool is_failure_conclusion(const std::string &c) {
  static const std::set<std::string> bad = {"failure",         "cancelled", "timed_out",
                                            "action_required", "stale",     "startup_failure"};
  return bad.count(c) > 0;
}

bool is_good_conclusion(const std::string &c) {
  return c == "success" || c == "neutral" || c == "skipped";
}

bool newer(const CheckRunInfo &a, const CheckRunInfo &b) {  // a is newer than b
  if (a.id != b.id && a.id != 0 && b.id != 0) return a.id > b.id;
  if (a.started_at != b.started_at && !a.started_at.empty() && !b.started_at.empty())
    return a.started_at > b.started_at;
  return true;  // listed later
}

std::string combined_of(const std::vector<StatusInfo> &statuses) {
  if (statuses.empty()) return "";
  bool pending = false;
  for (const auto &s : statuses) {
    if (s.state == "failure" || s.state == "error") return "failure";
    if (s.state != "success") pending = true;
  }
  return pending ? "pending" : "success";
}

}  // namespace

std::vector<CheckRunInfo> latest_runs(const std::vector<CheckRunInfo> &runs) {
  std::map<std::string, size_t> best;  // name -> index into out
  std::vector<CheckRunInfo> out;
  for (const auto &r : runs) {
    auto it = best.find(r.name);
    if (it == best.end()) {
      best[r.name] = out.size();
      out.push_back(r);
    } else if (newer(r, out[it->second])) {
      out[it->second] = r;
    }
  }
  return out;
}

std::vector<std::string> missing_checks(const CiSnapshot &snapshot,
                                        const std::vector<std::string> &required) {
  std::set<std::string> present;
  for (const auto &r : snapshot.runs) present.insert(r.name);
  for (const auto &s : snapshot.statuses) present.insert(s.context);
  std::vector<std::string> out;
  for (const auto &name : required)
    if (!present.count(name)) out.push_back(name);
  return out;
}

Verdict evaluate_ci(const CiSnapshot &snapshot, const std::vector<std::string> &required) {
  Verdict v;
  std::vector<CheckRunInfo> runs = latest_runs(snapshot.runs);
  std::vector<StatusInfo> statuses;
  {
    std::set<std::string> seen;  // a status context appears once (the first is the latest)
    for (const auto &s : snapshot.statuses)
      if (seen.insert(s.context).second) statuses.push_back(s);
  }
  std::string combined;
  if (!required.empty()) {
    std::set<std::string> want(required.begin(), required.end());
    std::set<std::string> present;
    std::erase_if(runs, [&](const CheckRunInfo &r) { return !want.count(r.name); });
    std::erase_if(statuses, [&](const StatusInfo &s) { return !want.count(s.context); });
    for (const auto &r : runs) present.insert(r.name);
    for (const auto &s : statuses) present.insert(s.context);
    combined = combined_of(statuses);
    bool missing = present.size() < want.size();
    if (missing) combined = combined == "failure" ? combined : "pending";
  } else {
    combined = snapshot.combined_state && !statuses.empty() ? *snapshot.combined_state
                                                            : combined_of(statuses);
  }

  json::array failed_checks, failed_statuses;
  int64_t checks_omitted = 0, statuses_omitted = 0;
  bool running = false;
  for (const auto &r : runs) {
    if (r.status != "completed") {
      running = true;
    } else if (is_failure_conclusion(r.conclusion)) {
      if (failed_checks.size() == kFailureMaxChecks) {
        ++checks_omitted;
        continue;
      }
      failed_checks.push_back(
          json::object{{"name", r.name},
                       {"conclusion", r.conclusion},
                       {"url", r.url},
                       {"title", prompt_text(r.title, kFailureMaxLineBytes)},
                       {"summary", prompt_text(r.summary, kFailureMaxSummaryBytes)}});
    } else if (!is_good_conclusion(r.conclusion)) {
      running = true;  // completed without a known conclusion: not a verdict yet
    }
  }
  for (const auto &s : statuses) {
    if (s.state != "failure" && s.state != "error") continue;
    if (failed_statuses.size() == kFailureMaxChecks) {
      ++statuses_omitted;
      continue;
    }
    failed_statuses.push_back(
        json::object{{"context", s.context},
                     {"state", s.state},
                     {"url", s.url},
                     {"description", prompt_text(s.description, kFailureMaxLineBytes)}});
  }
  if (combined == "failure" || combined == "error") {
    if (failed_statuses.empty())  // REST said failure but the page we read showed none
      failed_statuses.push_back(json::object{
          {"context", "(combined status)"}, {"state", combined}, {"url", ""}, {"description", ""}});
  }
  if (!failed_checks.empty() || !failed_statuses.empty()) {
    v.kind = Verdict::Kind::fail;
    v.artifacts = {{"head_sha", snapshot.head_sha},
                   {"failed_checks", std::move(failed_checks)},
                   {"failed_statuses", std::move(failed_statuses)}};
    if (checks_omitted > 0) v.artifacts["failed_checks_omitted"] = checks_omitted;
    if (statuses_omitted > 0) v.artifacts["failed_statuses_omitted"] = statuses_omitted;
    return v;
  }
  if (running || (runs.empty() && statuses.empty()) || combined == "pending" ||
      (!combined.empty() && combined != "success"))
    return v;
  v.kind = Verdict::Kind::pass;
  v.artifacts = {{"head_sha", snapshot.head_sha},
                 {"checks_passed", static_cast<int64_t>(runs.size())},
                 {"statuses_passed", static_cast<int64_t>(statuses.size())}};
  return v;
}

std::string ci_fingerprint(const CiSnapshot &snapshot) {
  std::vector<std::string> parts;
  for (const auto &r : latest_runs(snapshot.runs))
    parts.push_back("r\x1f" + r.name + "\x1f" + r.status + "\x1f" + r.conclusion + "\x1f" +
                    std::to_string(r.id));
  for (const auto &s : snapshot.statuses) parts.push_back("s\x1f" + s.context + "\x1f" + s.state);
  std::sort(parts.begin(), parts.end());
  std::string all = snapshot.head_sha + "\x1e" + snapshot.combined_state.value_or("");
  for (const auto &p : parts) all += "\x1e" + p;
  return fnv1a_hex(all);
}

}  // namespace gk::github
