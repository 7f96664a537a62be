// One poll of GitHub: the GraphQL phase, the REST phase for what GraphQL could not serve, the
// outcome of each gate, and for a gh_review gate that failed (changes requested) its line comments.
// Longer than most of our files (about 630 lines) because the phases share one list of work and
// one deadline, and a gate's outcome depends on what both phases found; the
// transport (net/), the GraphQL and REST readers (graphql, rest) and settings have their own files.
#include "github/github_checker.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "core/poll_timing.hpp"
#include "core/secret.hpp"
#include "github/answer.hpp"
#include "github/etag_cache.hpp"
#include "github/gate_spec.hpp"
#include "github/graphql.hpp"
#include "github/rest_jobs.hpp"
#include "net/http_client.hpp"

namespace gk::github {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMinBudgetMs = 100;

struct Work {
  const GatePoll *poll = nullptr;
  std::optional<GateSpec> spec;
  std::optional<GateOutcome> decided;  // blocked by config, paused, ...
  Problem problem;
  std::optional<graphql::PullAnswer> answer;  // from GraphQL (pages merged)
  bool graphql_complete = false;
  std::unique_ptr<CiRestJob> ci_job;
  std::unique_ptr<ReviewRestJob> review_job;
  std::unique_ptr<ReviewCommentsRestJob> comments_job;  // after a changes-requested failure
};

int64_t memo_int(const json::object &memo, const char *key) {
  const auto *v = memo.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::string memo_str(const json::object &memo, const char *key) {
  const auto *v = memo.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string seconds_text(int64_t ms) {
  return std::to_string((std::max<int64_t>(ms, 0) + 999) / 1000) + " s";
}

// A retry's wait as a person reads it, rounded down so that it never says more than the wait
// (which backoff keeps within max_backoff_s): "800 ms", "1.8 s", "42 s".
std::string retry_text(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  if (ms < 1000) return std::to_string(ms) + " ms";
  std::string whole = std::to_string(ms / 1000);
  if (ms >= 10'000 || ms % 1000 < 100) return whole + " s";
  return whole + "." + std::to_string(ms % 1000 / 100) + " s";
}

// What GitHub relays from people and tools (check output, descriptions, review bodies, line
// comments) is cut to a bound before poll() redacts what it hands back: redact it first, so that
// no token is cut in half and missed.
void redact_texts(CiSnapshot &s, const std::string &token) {
  if (token.empty()) return;
  for (auto &r : s.runs) {
    r.title = redact(r.title, token);
    r.summary = redact(r.summary, token);
  }
  for (auto &st : s.statuses) st.description = redact(st.description, token);
}

template <class Texts>
void redact_bodies(Texts &list, const std::string &token) {
  if (token.empty()) return;
  for (auto &x : list) x.body = redact(x.body, token);
}

}  // namespace

struct GitHubChecker::Impl {
  Settings settings;
  net::HttpClient client;
  EtagCache cache;
  std::mutex mutex;
  int64_t paused_until_ms = 0;        // host time: a rate limit said wait until then
  int64_t graphql_down_until_ms = 0;  // host time: REST only until then

  explicit Impl(Settings s)
      : settings(std::move(s)),
        client(net::ClientOptions{"", settings.connect_timeout_ms, settings.max_connections,
                                  64 << 20}) {}

  // --- per poll
  int64_t now = 0;
  Clock::time_point deadline;
  std::string token;

  AnswerContext context(const std::string &target) const {
    return {target, settings.token_env, !token.empty(), now, wall_clock_ms()};
  }

  void note_pause(int64_t until) { paused_until_ms = std::max(paused_until_ms, until); }

  std::vector<std::pair<std::string, std::string>> common_headers() const {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }

  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                int64_t budget_ms);
  void graphql_phase(std::vector<Work> &work);
  void rest_phase(std::vector<Work> &work);
  void comments_phase(std::vector<Work> &work, std::vector<GateOutcome> &out);
  void run_jobs(const std::vector<RestJob *> &jobs, const std::vector<std::string> &targets);
  std::map<std::string, Fetched> fetch(const std::map<std::string, std::string> &targets);
  GateOutcome outcome(Work &w);
  GateOutcome from_problem(const Work &w, const Problem &p) const;
  GateOutcome waiting(const Work &w, const std::string &fingerprint) const;
};

GitHubChecker::GitHubChecker(Settings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}

GitHubChecker::~GitHubChecker() = default;

bool GitHubChecker::handles(std::string_view gate_type) const {
  return gate_type == "gh_ci" || gate_type == "gh_review";
}

std::vector<GateOutcome> GitHubChecker::poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                             int64_t budget_ms) {
  std::lock_guard lock(impl_->mutex);
  return impl_->poll(due, now_ms, budget_ms);
}

std::vector<GateOutcome> GitHubChecker::Impl::poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                                   int64_t budget_ms) {
  now = now_ms;
  deadline = Clock::now() + std::chrono::milliseconds(std::max(budget_ms, kMinBudgetMs));
  token = read_token(settings.token_env);
  std::vector<GateOutcome> out(due.size());
  try {
    std::vector<Work> work(due.size());
    for (size_t k = 0; k < due.size(); ++k) {
      Work &w = work[k];
      w.poll = &due[k];
      auto parsed = parse_gate(due[k].config);
      if (auto *error = std::get_if<std::string>(&parsed)) {
        GateOutcome o;
        o.kind = GateOutcome::Kind::blocked;
        o.reason = *error;
        o.memo = due[k].memo;
        w.decided = std::move(o);
        continue;
      }
      w.spec = std::get<GateSpec>(std::move(parsed));
      if (paused_until_ms > now) {
        Problem p;
        p.kind = Problem::Kind::rate_limited;
        p.resume_ms = paused_until_ms;
        p.reason = "GitHub rate limit: polling paused for " + seconds_text(paused_until_ms - now);
        w.problem = p;
      }
    }
    bool graphql_usable = settings.use_graphql && !token.empty() && now >= graphql_down_until_ms;
    if (graphql_usable) graphql_phase(work);
    rest_phase(work);
    for (size_t k = 0; k < work.size(); ++k) out[k] = outcome(work[k]);
    comments_phase(work, out);
  } catch (const std::exception &e) {
    // Resource trouble inside libcurl or JSON: never resolves a gate.
    for (size_t k = 0; k < due.size(); ++k) {
      out[k] = {};
      out[k].reason = std::string("polling GitHub failed: ") + e.what();
      out[k].memo = due[k].memo;
      out[k].next_poll_ms =
          now + backoff_ms(settings.backoff_ms, 1, settings.max_backoff_ms, due[k].gate);
    }
  }
  for (auto &o : out) {
    o.reason = redact(o.reason, token);
    redact_json(o.artifacts, token);
    redact_json(o.memo, token);
  }
  token.clear();
  return out;
}

void GitHubChecker::Impl::graphql_phase(std::vector<Work> &work) {
  // One ask per distinct pull request (a gh_ci and a gh_review gate on it share the ask).
  std::map<std::string, size_t> index;
  std::vector<graphql::PullAsk> asks;
  std::vector<std::vector<size_t>> gates;  // ask -> work items
  for (size_t k = 0; k < work.size(); ++k) {
    Work &w = work[k];
    if (w.decided || w.problem || !w.spec || w.spec->pr <= 0) continue;
    std::string key = lower(w.spec->repo) + "#" + std::to_string(w.spec->pr);
    auto [it, fresh] = index.emplace(key, asks.size());
    if (fresh) {
      asks.push_back({w.spec->owner, w.spec->name, w.spec->pr, false, ""});
      gates.emplace_back();
    }
    if (w.spec->type == GateSpec::Type::review) asks[it->second].reviews = true;
    gates[it->second].push_back(k);
  }
  if (asks.empty()) return;

  std::vector<std::optional<graphql::PullAnswer>> answers(asks.size());
  std::vector<Problem> problems(asks.size());
  bool unavailable = false;
  std::vector<size_t> pending(asks.size());
  for (size_t i = 0; i < asks.size(); ++i) pending[i] = i;

  auto fail_ask = [&](size_t i, const net::HttpResponse *, const Problem &given) {
    problems[i] = Problem::worse(problems[i], given);
  };

  while (!pending.empty() && !unavailable) {
    if (Clock::now() >= deadline || paused_until_ms > now) {
      for (size_t i : pending) {
        Problem p;
        if (paused_until_ms > now) {
          p.kind = Problem::Kind::rate_limited;
          p.resume_ms = paused_until_ms;
          p.reason = "GitHub rate limit: polling paused for " + seconds_text(paused_until_ms - now);
        } else {
          p.kind = Problem::Kind::fault;
          p.reason = "the poll's time budget ran out before GitHub answered for " + asks[i].owner +
                     "/" + asks[i].name + "#" + std::to_string(asks[i].number);
        }
        fail_ask(i, nullptr, p);
      }
      break;
    }
    std::vector<std::vector<size_t>> chunks;
    for (size_t at = 0; at < pending.size(); at += graphql::kMaxPullsPerRequest)
      chunks.emplace_back(
          pending.begin() + at,
          pending.begin() + std::min(pending.size(), at + graphql::kMaxPullsPerRequest));
    std::vector<net::HttpRequest> requests;
    for (const auto &chunk : chunks) {
      std::vector<graphql::PullAsk> part;
      for (size_t i : chunk) part.push_back(asks[i]);
      net::HttpRequest r;
      r.method = "POST";
      r.url = settings.graphql_url;
      r.headers = common_headers();
      r.headers.emplace_back("Accept", "application/json");
      r.body = graphql::request_body(part);
      r.timeout_ms = settings.timeout_ms;
      requests.push_back(std::move(r));
    }
    auto responses = client.perform(requests, deadline);
    std::vector<size_t> next;
    for (size_t c = 0; c < chunks.size(); ++c) {
      const auto &chunk = chunks[c];
      const net::HttpResponse &r = responses[c];
      const std::string first_target = asks[chunk.front()].owner + "/" + asks[chunk.front()].name +
                                       "#" + std::to_string(asks[chunk.front()].number);
      if (auto until = exhausted_until(r, context(first_target))) note_pause(*until);
      Problem p = classify(r, context(first_target));
      if (p.kind == Problem::Kind::rate_limited) note_pause(p.resume_ms);
      bool not_served =
          r.answered() &&
          ((r.status >= 400 && r.status < 500 && p.kind != Problem::Kind::rate_limited) ||
           r.status == 501);
      if (not_served) {
        unavailable = true;
        break;
      }
      if (p) {
        for (size_t i : chunk) {
          std::string target =
              asks[i].owner + "/" + asks[i].name + "#" + std::to_string(asks[i].number);
          fail_ask(i, &r, classify(r, context(target)));
        }
        continue;
      }
      auto batch = graphql::parse_answer(r.body, chunk.size());
      if (batch.rate_limited) {
        Problem limited;
        limited.kind = Problem::Kind::rate_limited;
        limited.resume_ms = exhausted_until(r, context(first_target)).value_or(now + 60'000);
        limited.reason = "GitHub's GraphQL rate limit is used up; polling pauses for " +
                         seconds_text(limited.resume_ms - now);
        note_pause(limited.resume_ms);
        for (size_t i : chunk) fail_ask(i, &r, limited);
        continue;
      }
      if (batch.unavailable) {
        unavailable = true;
        break;
      }
      for (size_t j = 0; j < chunk.size(); ++j) {
        size_t i = chunk[j];
        std::string target =
            asks[i].owner + "/" + asks[i].name + "#" + std::to_string(asks[i].number);
        if (!batch.malformed.empty()) {
          Problem m;
          m.kind = Problem::Kind::fault;
          m.reason = batch.malformed + " (for " + target + ")";
          fail_ask(i, &r, m);
          continue;
        }
        graphql::PullAnswer &a = batch.pulls[j];
        if (!answers[i] || a.kind != graphql::PullAnswer::Kind::ok) {
          answers[i] = std::move(a);
        } else {  // a follow-up page of contexts
          auto &have = *answers[i];
          if (!a.head_sha.empty() && a.head_sha != have.head_sha) {
            answers[i] = std::move(a);  // pushed meanwhile: start over with this answer
          } else {
            have.ci.runs.insert(have.ci.runs.end(), a.ci.runs.begin(), a.ci.runs.end());
            have.ci.statuses.insert(have.ci.statuses.end(), a.ci.statuses.begin(),
                                    a.ci.statuses.end());
            have.has_next_page = a.has_next_page;
            have.end_cursor = a.end_cursor;
          }
        }
        const auto &got = *answers[i];
        if (got.kind == graphql::PullAnswer::Kind::ok && got.has_next_page &&
            !got.end_cursor.empty()) {
          asks[i].after = got.end_cursor;
          asks[i].reviews = false;
          next.push_back(i);
        }
      }
    }
    pending = std::move(next);
  }

  if (unavailable) {
    graphql_down_until_ms = now + settings.graphql_retry_ms;
    return;  // every gate goes to REST
  }
  for (size_t i = 0; i < asks.size(); ++i) {
    for (size_t k : gates[i]) {
      Work &w = work[k];
      if (problems[i]) {
        w.problem = problems[i];
        continue;
      }
      if (!answers[i]) continue;
      w.answer = answers[i];
      w.graphql_complete = !answers[i]->has_next_page;
    }
  }
}

std::map<std::string, Fetched> GitHubChecker::Impl::fetch(
    const std::map<std::string, std::string> &targets) {
  std::vector<net::HttpRequest> requests;
  std::vector<const std::string *> urls;
  for (const auto &[url, target] : targets) {
    net::HttpRequest r;
    r.url = url;
    r.headers = common_headers();
    r.headers.emplace_back("Accept", "application/vnd.github+json");
    r.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
    if (const auto *hit = cache.find(url); hit && !hit->etag.empty())
      r.headers.emplace_back("If-None-Match", hit->etag);
    r.timeout_ms = settings.timeout_ms;
    requests.push_back(std::move(r));
    urls.push_back(&url);
  }
  auto responses = client.perform(requests, deadline);
  std::map<std::string, Fetched> out;
  for (size_t k = 0; k < responses.size(); ++k) {
    const std::string &url = *urls[k];
    const std::string &target = targets.at(url);
    const net::HttpResponse &r = responses[k];
    Fetched f;
    auto ctx = context(target);
    if (auto until = exhausted_until(r, ctx)) note_pause(*until);
    f.problem = classify(r, ctx);
    if (f.problem.kind == Problem::Kind::rate_limited) note_pause(f.problem.resume_ms);
    if (!f.problem) {
      if (r.status == 304) {
        const auto *hit = cache.find(url);
        if (hit) {
          f.body = hit->body;
        } else {
          f.problem = malformed(target, "304 Not Modified for a request we hold no copy of");
        }
      } else {
        boost::system::error_code ec;
        json::value body = json::parse(r.body, ec);
        if (ec) {
          f.problem = malformed(target, "not valid JSON (" + ec.message() + ")");
          cache.erase(url);
        } else {
          f.body = std::make_shared<const json::value>(std::move(body));
          if (auto etag = r.header("etag"); etag && !etag->empty())
            cache.put(url, std::string(*etag), f.body);
          else
            cache.erase(url);
        }
      }
    }
    out.emplace(url, std::move(f));
  }
  return out;
}

void GitHubChecker::Impl::rest_phase(std::vector<Work> &work) {
  std::vector<RestJob *> jobs;
  std::vector<std::string> targets;
  for (Work &w : work) {
    if (w.decided || w.problem || !w.spec) continue;
    const GateSpec &s = *w.spec;
    if (w.answer && w.answer->kind != graphql::PullAnswer::Kind::ok) continue;
    if (s.type == GateSpec::Type::ci) {
      if (w.answer && w.graphql_complete) continue;
      w.ci_job = std::make_unique<CiRestJob>(settings.api_url, s,
                                             w.answer ? w.answer->head_sha : std::string());
      jobs.push_back(w.ci_job.get());
    } else {
      if (w.answer) {
        const auto &d = w.answer->review_decision;
        bool need = !d || (*d == "APPROVED" && s.min_approvals > 1) ||
                    (*d == "CHANGES_REQUESTED" && !w.answer->latest_reviews);
        if (!need) continue;
      }
      w.review_job = std::make_unique<ReviewRestJob>(settings.api_url, s);
      jobs.push_back(w.review_job.get());
    }
    targets.push_back(s.target());
  }
  run_jobs(jobs, targets);
}

void GitHubChecker::Impl::comments_phase(std::vector<Work> &work, std::vector<GateOutcome> &out) {
  std::vector<RestJob *> jobs;
  std::vector<std::string> targets;
  for (size_t k = 0; k < work.size(); ++k) {
    Work &w = work[k];
    if (out[k].kind != GateOutcome::Kind::fail || !w.spec || w.spec->type != GateSpec::Type::review)
      continue;
    w.comments_job = std::make_unique<ReviewCommentsRestJob>(settings.api_url, *w.spec);
    jobs.push_back(w.comments_job.get());
    targets.push_back(w.spec->target());
  }
  if (jobs.empty()) return;
  // The failure stands whatever happens here: it says what could not be read.
  std::string trouble;
  try {
    run_jobs(jobs, targets);
  } catch (const std::exception &e) {
    trouble = std::string("reading them failed: ") + e.what();
  }
  for (size_t k = 0; k < work.size(); ++k) {
    if (!work[k].comments_job) continue;
    const ReviewCommentsRestJob &job = *work[k].comments_job;
    if (!trouble.empty() || job.problem()) {
      out[k].artifacts["comments_error"] = trouble.empty() ? job.problem().reason : trouble;
      continue;
    }
    std::vector<ReviewCommentInfo> comments = job.comments();
    redact_bodies(comments, token);
    add_review_comments(out[k].artifacts, comments);
  }
}

void GitHubChecker::Impl::run_jobs(const std::vector<RestJob *> &jobs,
                                   const std::vector<std::string> &targets) {
  for (;;) {
    std::map<std::string, std::string> urls;  // url -> target (for messages)
    std::map<std::string, std::vector<RestJob *>> askers;
    for (size_t j = 0; j < jobs.size(); ++j)
      for (auto &url : jobs[j]->wants()) {
        urls.emplace(url, targets[j]);
        askers[url].push_back(jobs[j]);
      }
    if (urls.empty()) break;
    if (paused_until_ms > now || Clock::now() >= deadline) {
      for (auto &[url, list] : askers)
        for (RestJob *job : list) {
          Problem p;
          if (paused_until_ms > now) {
            p.kind = Problem::Kind::rate_limited;
            p.resume_ms = paused_until_ms;
            p.reason =
                "GitHub rate limit: polling paused for " + seconds_text(paused_until_ms - now);
          } else {
            p.kind = Problem::Kind::fault;
            p.reason = "the poll's time budget ran out before GitHub answered for " + urls[url];
          }
          job->fail(p);
        }
      break;
    }
    auto fetched = fetch(urls);
    for (auto &[url, list] : askers)
      for (RestJob *job : list) job->take(url, fetched.at(url));
  }
}

GateOutcome GitHubChecker::Impl::from_problem(const Work &w, const Problem &p) const {
  GateOutcome o;
  o.memo = w.poll->memo;
  o.reason = p.reason;
  switch (p.kind) {
    case Problem::Kind::blocked:
      o.kind = GateOutcome::Kind::blocked;
      break;
    case Problem::Kind::rate_limited:
      o.next_poll_ms = std::max(p.resume_ms, now + 1000);
      break;
    case Problem::Kind::fault:
    case Problem::Kind::none: {
      int64_t failures = memo_int(o.memo, "failures") + 1;
      o.memo["failures"] = failures;
      int64_t wait =
          backoff_ms(settings.backoff_ms, failures, settings.max_backoff_ms, w.poll->gate);
      o.next_poll_ms = std::max(now + wait, paused_until_ms);
      o.reason +=
          " (attempt " + std::to_string(failures) + "; retrying in " + retry_text(wait) + ")";
      break;
    }
  }
  return o;
}

GateOutcome GitHubChecker::Impl::waiting(const Work &w, const std::string &fingerprint) const {
  GateOutcome o;
  o.memo = w.poll->memo;
  int64_t unchanged = memo_str(o.memo, "fp") == fingerprint ? memo_int(o.memo, "unchanged") + 1 : 0;
  o.memo["fp"] = fingerprint;
  o.memo["unchanged"] = unchanged;
  o.memo.erase("failures");
  int64_t base = w.spec->type == GateSpec::Type::ci ? settings.poll_ci_ms : settings.poll_review_ms;
  o.next_poll_ms =
      std::max(now + quiet_interval_ms(base, unchanged, settings.max_interval_ms, w.poll->gate),
               paused_until_ms);
  return o;
}

GateOutcome GitHubChecker::Impl::outcome(Work &w) {
  if (w.decided) return *w.decided;
  const GateSpec &s = *w.spec;
  Problem p = w.problem;
  if (w.ci_job) p = Problem::worse(p, w.ci_job->problem());
  if (w.review_job) p = Problem::worse(p, w.review_job->problem());
  if (!p && w.answer && w.answer->kind != graphql::PullAnswer::Kind::ok) {
    p.kind = w.answer->kind == graphql::PullAnswer::Kind::not_found ? Problem::Kind::blocked
                                                                    : Problem::Kind::fault;
    if (p.kind == Problem::Kind::blocked)
      p.reason = "GitHub has no pull request " + s.target() + " (" + w.answer->message +
                 "): it does not exist, or " +
                 (token.empty() ? "it is private and $" + settings.token_env + " is not set"
                                : "the token in $" + settings.token_env + " cannot see it");
    else
      p.reason =
          "GitHub's GraphQL answer for " + s.target() + " is incomplete: " + w.answer->message;
  }
  if (!p && s.type == GateSpec::Type::ci && w.answer && !w.ci_job && !w.graphql_complete) {
    p.kind = Problem::Kind::fault;
    p.reason = "GitHub's answer for " + s.target() + " was cut short";
  }
  if (p) return from_problem(w, p);

  Verdict v;
  std::vector<std::string> missing;  // gh_ci: required checks not reported yet
  std::string fingerprint;
  std::string head;
  if (s.type == GateSpec::Type::ci) {
    CiSnapshot snap = w.ci_job ? w.ci_job->snapshot() : w.answer->ci;
    if (!w.ci_job && snap.head_sha.empty()) snap.head_sha = w.answer->head_sha;
    redact_texts(snap, token);
    head = snap.head_sha;
    if (s.pr > 0) {
      std::string old = memo_str(w.poll->memo, "head");
      if (!old.empty() && !head.empty() && old != head) {
        // Someone pushed: the gate starts over on the new commit.
        GateOutcome o;
        o.memo = w.poll->memo;
        o.memo["head"] = head;
        o.memo["previous_head"] = old;
        o.memo["unchanged"] = 0;
        o.memo.erase("fp");
        o.memo.erase("failures");
        o.reason = "new head commit " + old + ".." + head;
        o.moved = true;
        o.next_poll_ms = std::max(
            now + quiet_interval_ms(settings.poll_ci_ms, 0, settings.max_interval_ms, w.poll->gate),
            paused_until_ms);
        return o;
      }
    }
    // Our own commit status says what the goal waits for: counting it would make a gate wait
    // for itself.
    const std::size_t before = snap.statuses.size();
    std::erase_if(snap.statuses,
                  [&](const StatusInfo &st) { return st.context == settings.status_context; });
    if (snap.statuses.size() != before) snap.combined_state.reset();
    v = evaluate_ci(snap, s.checks);
    missing = missing_checks(snap, s.checks);
    fingerprint = ci_fingerprint(snap);
  } else {
    std::optional<std::string> decision;
    std::vector<ReviewInfo> reviews;
    if (w.answer) {
      decision = w.answer->review_decision;
      head = w.answer->head_sha;
      if (w.answer->latest_reviews) reviews = *w.answer->latest_reviews;
    }
    if (w.review_job) reviews = w.review_job->reviews();
    redact_bodies(reviews, token);
    v = decision ? evaluate_decision(*decision, reviews, s.min_approvals)
                 : evaluate_reviews(reviews, s.min_approvals);
    fingerprint = review_fingerprint(decision, reviews);
    if (v.kind != Verdict::Kind::wait && !head.empty()) v.artifacts["head_sha"] = head;
  }
  if (v.kind == Verdict::Kind::wait) {
    GateOutcome o = waiting(w, fingerprint);
    if (!head.empty() && s.type == GateSpec::Type::ci && s.pr > 0) o.memo["head"] = head;
    // A required check that never reports would hold the gate without a word: the engine shows
    // the names in status and events, and in the reason when the gate times out.
    if (missing.empty()) {
      o.memo.erase("missing_checks");
    } else {
      o.memo["missing_checks"] = json::array(missing.begin(), missing.end());
    }
    return o;
  }
  GateOutcome o;
  o.kind = v.kind == Verdict::Kind::pass ? GateOutcome::Kind::pass : GateOutcome::Kind::fail;
  o.artifacts = std::move(v.artifacts);
  o.memo = w.poll->memo;
  return o;
}

}  // namespace gk::github
