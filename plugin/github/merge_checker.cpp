#include "github/merge_checker.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "core/poll_timing.hpp"
#include "core/secret.hpp"
#include "github/answer.hpp"
#include "github/rest.hpp"
#include "net/http_client.hpp"

namespace gk::github {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMinBudgetMs = 100;
constexpr int64_t kUnknownFirstMs = 2'000;  // GitHub computes mergeability in seconds
constexpr int64_t kUnknownMaxMs = 60'000;

std::string str(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t num(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_string()) {
    try {
      return std::stoll(std::string(v->as_string()));
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

bool flag(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// GitHub's own words for a refusal ("Required status check \"unit-tests\" is failing.").
std::string github_message(const std::string &body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  return str(v.as_object(), "message");
}

std::string short_sha(const std::string &sha) {
  return sha.substr(0, 12);
}

}  // namespace

struct MergeChecker::Impl {
  Settings settings;
  net::HttpClient client;
  std::mutex mutex;

  explicit Impl(Settings s)
      : settings(std::move(s)),
        client(net::ClientOptions{"", settings.connect_timeout_ms, settings.max_connections,
                                  16 << 20}) {}

  // --- per poll
  int64_t now = 0;
  Clock::time_point deadline;
  std::string token;

  net::HttpResponse send(const std::string &method, const std::string &url,
                         const std::string &body = {}) {
    net::HttpRequest r;
    r.method = method;
    r.url = url;
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    r.headers.emplace_back("Accept", "application/vnd.github+json");
    r.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
    r.body = body;
    r.timeout_ms = settings.timeout_ms;
    return std::move(client.perform({r}, deadline).at(0));
  }

  GateOutcome one(const GatePoll &p);
  GateOutcome trouble(const GatePoll &p, const net::HttpResponse &r, const std::string &target);
};

MergeChecker::MergeChecker(Settings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}

MergeChecker::~MergeChecker() = default;

std::vector<GateOutcome> MergeChecker::poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                            int64_t budget_ms) {
  std::lock_guard lock(impl_->mutex);
  Impl &m = *impl_;
  m.now = now_ms;
  m.deadline = Clock::now() + std::chrono::milliseconds(std::max(budget_ms, kMinBudgetMs));
  m.token = read_token(m.settings.token_env);
  std::vector<GateOutcome> out;
  for (const GatePoll &p : due) {
    GateOutcome o;
    try {
      o = m.one(p);
    } catch (const std::exception &e) {
      o = {};
      o.memo = p.memo;
      o.reason = std::string("merging failed: ") + e.what();
      o.next_poll_ms = now_ms + m.settings.backoff_ms;
    }
    o.reason = redact(o.reason, m.token);
    redact_json(o.artifacts, m.token);
    out.push_back(std::move(o));
  }
  m.token.clear();
  return out;
}

GateOutcome MergeChecker::Impl::trouble(const GatePoll &p, const net::HttpResponse &r,
                                        const std::string &target) {
  AnswerContext ctx{target, settings.token_env, !token.empty(), now, wall_clock_ms()};
  Problem problem = classify(r, ctx);
  GateOutcome o;
  o.memo = p.memo;
  o.reason = problem.reason;
  if (problem.kind == Problem::Kind::blocked) {
    o.kind = GateOutcome::Kind::blocked;
    return o;
  }
  if (problem.kind == Problem::Kind::rate_limited) {
    o.next_poll_ms = std::max(problem.resume_ms, now + 1000);
    return o;
  }
  int64_t failures = num(o.memo, "failures") + 1;
  o.memo["failures"] = failures;
  int64_t wait = backoff_ms(settings.backoff_ms, failures, settings.max_backoff_ms, p.gate);
  o.next_poll_ms = now + wait;
  o.reason += " (attempt " + std::to_string(failures) + ")";
  return o;
}

GateOutcome MergeChecker::Impl::one(const GatePoll &p) {
  const json::object &c = p.config;
  const std::string repo = str(c, "repo");
  const int64_t pr = num(c, "pr");
  const std::string target = repo + "#" + std::to_string(pr);
  GateOutcome o;
  o.memo = p.memo;
  if (repo.find('/') == std::string::npos || pr <= 0) {
    o.kind = GateOutcome::Kind::blocked;
    o.reason = "merge: expected repo owner/name and a pull request number, found '" + repo +
               "' and " + json::serialize(c.contains("pr") ? c.at("pr") : json::value());
    return o;
  }
  std::string method = str(c, "method");
  if (method.empty()) method = "merge";
  if (method != "merge" && method != "squash" && method != "rebase") {
    o.kind = GateOutcome::Kind::blocked;
    o.reason = "merge: method must be merge, squash or rebase, found '" + method + "'";
    return o;
  }

  net::HttpResponse read = send("GET", rest::pull_url(settings.api_url, repo, pr));
  if (read.status != 200) return trouble(p, read, target);
  boost::system::error_code ec;
  json::value body = json::parse(read.body, ec);
  if (ec || !body.is_object()) {
    net::HttpResponse bad = read;
    bad.status = 200;
    GateOutcome t = trouble(p, bad, target);
    t.reason = "GitHub's answer for " + target + " is not JSON";
    return t;
  }
  const json::object &pull = body.as_object();
  const json::object *head = pull.if_contains("head") && pull.at("head").is_object()
                                 ? &pull.at("head").as_object()
                                 : nullptr;
  const std::string head_sha = head ? str(*head, "sha") : std::string();
  o.memo.erase("failures");

  if (flag(pull, "merged")) {
    o.kind = GateOutcome::Kind::pass;
    // The intent was recorded before the merge was sent: a merge whose answer was lost (a crash,
    // a timeout) is still known as ours.
    const bool ours = str(p.memo, "merge_intent") == head_sha && !head_sha.empty();
    o.artifacts = {{"merged", true},
                   {"merge_sha", str(pull, "merge_commit_sha")},
                   {"head_sha", head_sha},
                   {"method", method},
                   {"by", ours ? "goalkeeper" : "outside goalkeeper"}};
    return o;
  }
  if (str(pull, "state") == "closed") {
    o.kind = GateOutcome::Kind::blocked;
    o.reason = "pull request " + target + " was closed without merging";
    return o;
  }
  if (flag(pull, "draft")) {
    o.memo["waiting"] = "draft";
    o.next_poll_ms = now + settings.poll_review_ms;
    return o;
  }
  // What the gates approved: one head commit, the one GitHub holds now.
  std::vector<std::string> approved;
  if (const auto *a = c.if_contains("approved"); a && a->is_array()) {
    for (const auto &v : a->as_array())
      if (v.is_string()) approved.emplace_back(v.as_string());
  }
  if (approved.size() > 1 || (approved.size() == 1 && approved[0] != head_sha)) {
    o.kind = GateOutcome::Kind::recheck;
    o.reason = approved.size() > 1
                   ? "the gates passed on different commits of " + target
                   : "the head of " + target + " moved from " + short_sha(approved[0]) + " to " +
                         short_sha(head_sha) + " after the gates passed";
    return o;
  }
  const auto *mergeable = pull.if_contains("mergeable");
  if (!mergeable || mergeable->is_null()) {
    // GitHub computes it in the background after a push: ask again soon, never a refusal.
    int64_t reads = num(o.memo, "unknown") + 1;
    o.memo["unknown"] = reads;
    o.memo["waiting"] = "mergeable";
    o.next_poll_ms =
        now + std::min(kUnknownFirstMs << std::min<int64_t>(reads - 1, 10), kUnknownMaxMs);
    return o;
  }
  o.memo.erase("unknown");
  const std::string state = str(pull, "mergeable_state");
  if (state == "behind" && flag(c, "update_branch")) {
    if (settings.dry_run) {
      o.reason =
          "would update the branch of " + target + " from its base, at " + short_sha(head_sha);
      o.next_poll_ms = now + settings.poll_review_ms;
      return o;
    }
    json::object req{{"expected_head_sha", head_sha}};
    net::HttpResponse up = send(
        "PUT", rest::pull_url(settings.api_url, repo, pr) + "/update-branch", json::serialize(req));
    if (up.status == 202 || up.status == 200) {
      o.kind = GateOutcome::Kind::recheck;
      o.reason = "updated the branch of " + target + " from its base: the gates check the new head";
      return o;
    }
    if (up.status == 422) {  // the head moved meanwhile, or nothing to update: read again
      o.reason = "update-branch of " + target + " refused: " + github_message(up.body);
      o.next_poll_ms = now + kUnknownFirstMs;
      return o;
    }
    return trouble(p, up, target);
  }
  if (settings.dry_run) {
    o.reason = "would merge " + target + " (" + method + ") at " + head_sha;
    o.next_poll_ms = now + settings.poll_review_ms;
    return o;
  }
  // First the intent, made durable by the engine (the next poll follows at once), then the merge.
  if (str(p.memo, "merge_intent") != head_sha) {
    o.memo["merge_intent"] = head_sha;
    o.next_poll_ms = now;
    return o;
  }
  json::object req{{"sha", head_sha}, {"merge_method", method}};
  net::HttpResponse m =
      send("PUT", rest::pull_url(settings.api_url, repo, pr) + "/merge", json::serialize(req));
  if (m.status == 200) {
    json::value mb = json::parse(m.body, ec);
    o.kind = GateOutcome::Kind::pass;
    o.artifacts = {{"merged", true},
                   {"merge_sha", !ec && mb.is_object() ? str(mb.as_object(), "sha") : ""},
                   {"head_sha", head_sha},
                   {"method", method},
                   {"by", "goalkeeper"}};
    if (flag(c, "delete_branch") && head) {
      // A fork's branch is not ours to delete (and not in this repository).
      auto repo_of = [](const json::value *side) {
        if (!side || !side->is_object()) return std::string();
        const auto *r = side->as_object().if_contains("repo");
        return r && r->is_object() ? str(r->as_object(), "full_name") : std::string();
      };
      const std::string ref = str(*head, "ref");
      const std::string from = repo_of(&pull.at("head"));
      if (!ref.empty() && (from.empty() || from == repo_of(pull.if_contains("base")))) {
        net::HttpResponse del =
            send("DELETE", settings.api_url + "/repos/" + repo + "/git/refs/heads/" + ref);
        o.artifacts["branch_deleted"] = del.status == 204;
      }
    }
    return o;
  }
  o.memo.erase("merge_intent");
  if (m.status == 409) {
    o.kind = GateOutcome::Kind::recheck;
    o.reason = "the head of " + target + " moved before the merge (" + github_message(m.body) +
               "): nothing was merged";
    return o;
  }
  if (m.status == 405 || m.status == 422) {
    o.kind = GateOutcome::Kind::blocked;
    std::string why = github_message(m.body);
    o.reason = "GitHub refused to merge " + target + ": " + (why.empty() ? m.body : why);
    return o;
  }
  return trouble(p, m, target);
}

}  // namespace gk::github
