// One search: the created: windows (pr_search.hpp says why), the pages of each, GraphQL or REST,
// and the rate limits and deadline that may stop it. The query text and its windows are in
// pr_search_query, the request bodies and answer readers in pr_search_parse.
#include "github/pr_search.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <set>

#include "core/secret.hpp"
#include "github/answer.hpp"
#include "github/pr_search_parse.hpp"
#include "github/pr_search_query.hpp"
#include "net/http_client.hpp"

namespace gk::github {

using Clock = std::chrono::steady_clock;
using pr_search::Range;

namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int kRestPerMinute = 30;           // GitHub's search limit for a token
constexpr int kRestPerMinuteAnonymous = 10;  // and without one
constexpr size_t kShownQuery = 200;

std::string seconds_text(int64_t ms) {
  return std::to_string((std::max<int64_t>(ms, 0) + 999) / 1000) + " s";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string shown(const std::string &query) {
  std::string q = query.size() > kShownQuery ? query.substr(0, kShownQuery) + "..." : query;
  return "search \"" + q + "\"";
}

Problem problem(Problem::Kind kind, std::string reason, int64_t resume_ms = 0) {
  Problem p;
  p.kind = kind;
  p.reason = std::move(reason);
  p.resume_ms = resume_ms;
  return p;
}

}  // namespace

struct PullSearch::Impl {
  Settings settings;
  net::HttpClient client;
  std::mutex mutex;
  // Kept across searches, since GitHub's limits are per minute and per hour, not per search.
  std::deque<int64_t> rest_sent;  // host times of our REST search requests in the last minute
  int64_t rest_paused_until = 0;  // host time: the search resource is used up until then
  int64_t graphql_paused_until = 0;
  int64_t graphql_down_until = 0;  // host time: GraphQL could not serve; REST until then
  int64_t rest_limit_seen = 0;     // x-ratelimit-limit of the search resource (0: not seen)

  explicit Impl(Settings s)
      : settings(std::move(s)),
        client(net::ClientOptions{"", settings.connect_timeout_ms, settings.max_connections,
                                  64 << 20}) {}

  // --- per search
  int64_t now = 0;  // host time at the start
  int64_t wall_now_s = 0;
  Clock::time_point started, deadline;
  std::string token;
  pr_search::PreparedQuery query;
  SearchOutcome out;
  std::set<std::string> seen;  // lower(repo)#number
  bool graphql = false;
  bool switched = false;  // GraphQL proved unavailable during this search
  Problem noted;          // problems that did not stop the search

  enum class Step { read, split, stop };
  struct Fetch {
    Problem problem;
    bool unavailable = false;  // GraphQL cannot serve: use REST
    pr_search::Page page;
  };

  SearchOutcome search(const std::string &text, int64_t now_ms, Clock::time_point until);
  Step read_window(const Range &r, Problem &stop);
  Fetch graphql_page(const std::string &q, const std::string &cursor);
  Fetch rest_page(const std::string &q, int page);
  std::optional<Problem> before_request(int64_t paused_until, const char *api);

  // Host time now: the host's time at the start plus what has passed since.
  int64_t host_now() const {
    return now +
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  }
  AnswerContext context() const {
    return {shown(query.text), settings.token_env, !token.empty(), host_now(), wall_clock_ms()};
  }
  int64_t reset_to_host_ms(int64_t reset_epoch_s) const {
    int64_t wait = reset_epoch_s * 1000 - wall_clock_ms();
    return host_now() + std::clamp<int64_t>(wait, 1'000, 3'600'000) + 1'000;
  }
  int rest_limit() const {
    int limit = token.empty() ? kRestPerMinuteAnonymous : kRestPerMinute;
    return rest_limit_seen > 0 ? static_cast<int>(std::min<int64_t>(limit, rest_limit_seen))
                               : limit;
  }
  std::vector<std::pair<std::string, std::string>> auth() const {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }
  void add(std::vector<FoundPull> &pulls) {
    for (auto &p : pulls)
      if (seen.insert(lower(p.repo) + "#" + std::to_string(p.number)).second)
        out.pulls.push_back(std::move(p));
  }
};

PullSearch::PullSearch(Settings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}

PullSearch::~PullSearch() = default;

SearchOutcome PullSearch::search(const std::string &query, int64_t now_ms,
                                 std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(impl_->mutex);
  return impl_->search(query, now_ms, deadline);
}

SearchOutcome PullSearch::Impl::search(const std::string &text, int64_t now_ms,
                                       Clock::time_point until) {
  now = now_ms;
  wall_now_s = wall_clock_ms() / 1000;
  started = Clock::now();
  deadline = until;
  token = read_token(settings.token_env);
  query = {};
  out = {};
  seen.clear();
  noted = {};
  switched = false;
  Problem stop;
  try {
    query = pr_search::prepare(text);
    graphql = settings.use_graphql && !token.empty() && now >= graphql_down_until;
    const bool graphql_first = graphql;
    // Depth first, so that windows are read in time order and few are pending at once.
    std::vector<Range> windows{query.range};
    while (!windows.empty()) {
      Range r = windows.back();
      windows.pop_back();
      Step step = read_window(r, stop);
      if (step == Step::stop) break;
      if (step == Step::split) {
        auto [older, newer] = *pr_search::halve(r, wall_now_s);
        windows.push_back(query.ascending ? newer : older);
        windows.push_back(query.ascending ? older : newer);
      }
    }
    out.used_graphql = graphql_first && !switched;
  } catch (const std::exception &e) {
    // Resource trouble inside libcurl or JSON: the search is incomplete, never an exception.
    stop = problem(Problem::Kind::fault,
                   "searching GitHub failed for " + shown(query.text) + ": " + e.what());
  }
  out.problem = Problem::worse(stop, noted);
  out.complete = !out.problem;
  out.problem.reason = redact(out.problem.reason, token);
  token.clear();
  return std::move(out);
}

PullSearch::Impl::Step PullSearch::Impl::read_window(const Range &r, Problem &stop) {
  const std::string q = pr_search::window_query(query, r);
  std::string cursor;
  int page = 1;
  for (;;) {
    Fetch f = graphql ? graphql_page(q, cursor) : rest_page(q, page);
    if (f.unavailable) {
      // As the checker decides: GraphQL cannot serve, so REST serves from this window's first
      // page on (what GraphQL found stays; duplicates are dropped), and later searches too.
      graphql = false;
      switched = true;
      graphql_down_until = now + settings.graphql_retry_ms;
      cursor.clear();
      page = 1;
      continue;
    }
    if (f.problem) {
      stop = f.problem;
      return Step::stop;
    }
    if (page == 1 && cursor.empty() && f.page.total > pr_search::kResultCap) {
      if (query.splittable && pr_search::halve(r, wall_now_s)) return Step::split;
      noted = Problem::worse(
          noted,
          problem(Problem::Kind::blocked,
                  shown(q) + " matches " + std::to_string(f.page.total) +
                      " pull requests, more than the 1,000 GitHub serves for one query, and " +
                      (query.splittable ? "they were created within one second"
                                        : "its created: qualifier cannot be split") +
                      "; only the first 1,000 were read: narrow the query"));
    }
    add(f.page.pulls);
    if (f.page.incomplete_results)
      noted = Problem::worse(noted, problem(Problem::Kind::fault,
                                            "GitHub's search timed out and may have missed "
                                            "pull requests for " +
                                                shown(q)));
    if (!f.page.has_next) return Step::read;
    cursor = f.page.cursor;
    ++page;
  }
}

std::optional<Problem> PullSearch::Impl::before_request(int64_t paused_until, const char *api) {
  if (Clock::now() >= deadline)
    return problem(Problem::Kind::fault,
                   "the search's deadline passed before GitHub answered every page of " +
                       shown(query.text) + " (" + std::to_string(out.pulls.size()) +
                       " pull requests found in " + std::to_string(out.requests) + " requests)");
  int64_t t = host_now();
  if (paused_until > t)
    return problem(Problem::Kind::rate_limited,
                   std::string("GitHub's ") + api + " rate limit is used up: " + shown(query.text) +
                       " pauses for " + seconds_text(paused_until - t),
                   paused_until);
  return std::nullopt;
}

PullSearch::Impl::Fetch PullSearch::Impl::graphql_page(const std::string &q,
                                                       const std::string &cursor) {
  Fetch f;
  if (auto p = before_request(graphql_paused_until, "GraphQL")) {
    f.problem = *p;
    return f;
  }
  net::HttpRequest request;
  request.method = "POST";
  request.url = settings.graphql_url;
  request.headers = auth();
  request.headers.emplace_back("Accept", "application/json");
  request.body = pr_search::graphql_request_body(q, cursor);
  request.timeout_ms = settings.timeout_ms;
  net::HttpResponse r = std::move(client.perform({request}, deadline).at(0));
  ++out.requests;
  AnswerContext ctx = context();
  auto pause = [&](int64_t until) { graphql_paused_until = std::max(graphql_paused_until, until); };
  if (auto until = exhausted_until(r, ctx)) pause(*until);
  Problem p = classify(r, ctx);
  if (p.kind == Problem::Kind::rate_limited) {
    pause(p.resume_ms);
    f.problem = p;
    return f;
  }
  if (r.answered() && ((r.status >= 400 && r.status < 500) || r.status == 501)) {
    f.unavailable = true;
    return f;
  }
  if (p) {
    f.problem = p;
    return f;
  }
  pr_search::GraphqlAnswer a = pr_search::parse_graphql(r.body);
  using Kind = pr_search::GraphqlAnswer::Kind;
  switch (a.kind) {
    case Kind::ok:
      break;
    case Kind::unavailable:
      f.unavailable = true;
      return f;
    case Kind::rate_limited: {
      int64_t resume = exhausted_until(r, ctx).value_or(ctx.now_ms + kMinuteMs);
      pause(resume);
      f.problem = problem(Problem::Kind::rate_limited,
                          "GitHub's GraphQL rate limit is used up: " + shown(query.text) +
                              " pauses for " + seconds_text(resume - ctx.now_ms),
                          resume);
      return f;
    }
    case Kind::refused:
      f.problem = problem(Problem::Kind::blocked,
                          "GitHub refused " + shown(q) + " (GitHub says: " + a.message + ")");
      return f;
    case Kind::malformed:
      f.problem = problem(Problem::Kind::fault, a.message + " (for " + shown(q) + ")");
      return f;
  }
  if (a.page.rate_remaining && *a.page.rate_remaining <= 0) {
    // Used up by this page: the next one would be refused, so wait for the reset.
    auto reset = pr_search::parse_time(a.page.rate_reset_at);
    pause(reset ? reset_to_host_ms(*reset) : ctx.now_ms + kMinuteMs);
  }
  f.page = std::move(a.page);
  return f;
}

PullSearch::Impl::Fetch PullSearch::Impl::rest_page(const std::string &q, int page) {
  Fetch f;
  if (auto p = before_request(rest_paused_until, "search")) {
    f.problem = *p;
    return f;
  }
  // Our own record, so that a burst of searches never sends the 31st request of a minute
  // whatever the headers said (they can be lost, or shared with other clients of the token).
  int64_t t = host_now();
  while (!rest_sent.empty() && rest_sent.front() <= t - kMinuteMs) rest_sent.pop_front();
  if (static_cast<int>(rest_sent.size()) >= rest_limit()) {
    int64_t resume = rest_sent.front() + kMinuteMs + 1;
    f.problem = problem(Problem::Kind::rate_limited,
                        "GitHub's search rate limit allows " + std::to_string(rest_limit()) +
                            " requests a minute: " + shown(query.text) + " pauses for " +
                            seconds_text(resume - t),
                        resume);
    return f;
  }
  rest_sent.push_back(t);
  net::HttpRequest request;
  request.url = pr_search::rest_url(settings.api_url, q, page);
  request.headers = auth();
  request.headers.emplace_back("Accept", "application/vnd.github+json");
  request.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
  request.timeout_ms = settings.timeout_ms;
  net::HttpResponse r = std::move(client.perform({request}, deadline).at(0));
  ++out.requests;
  AnswerContext ctx = context();
  auto pause = [&](int64_t until) { rest_paused_until = std::max(rest_paused_until, until); };
  if (r.header("x-ratelimit-resource").value_or("search") == "search")
    if (auto limit = r.header("x-ratelimit-limit")) {
      int64_t n = std::atoll(std::string(*limit).c_str());
      if (n > 0) rest_limit_seen = n;
    }
  if (auto until = exhausted_until(r, ctx)) pause(*until);
  Problem p = classify(r, ctx);
  if (p.kind == Problem::Kind::rate_limited) {
    pause(p.resume_ms);
    f.problem = p;
    return f;
  }
  if (r.answered() && r.status == 422) {
    std::string says = pr_search::refusal_message(r.body);
    f.problem = problem(Problem::Kind::blocked,
                        "GitHub refused " + shown(q) +
                            (says.empty() ? " (HTTP 422)" : " (GitHub says: " + says + ")"));
    return f;
  }
  if (r.answered() && r.status == 404) {
    f.problem = problem(Problem::Kind::blocked, "GitHub has no search API at " + settings.api_url +
                                                    " (HTTP 404 for " + shown(q) +
                                                    "): check github.api_url");
    return f;
  }
  if (p) {
    f.problem = p;
    return f;
  }
  pr_search::RestAnswer a = pr_search::parse_rest(r.body, page);
  if (!a.malformed.empty()) {
    f.problem = problem(Problem::Kind::fault, a.malformed + " (for " + shown(q) + ")");
    return f;
  }
  f.page = std::move(a.page);
  return f;
}

}  // namespace gk::github
