// gk_poll_bench: requests per polling cycle for 1, 10, 100 and 1,000 watched pull requests (a
// gh_ci and a gh_review gate on each), counted by the fake GitHub, against naive REST polling
// (pull + check runs + combined status per gh_ci gate, reviews per gh_review gate), and the time
// of one cycle; then the same gates in the engine with webhooks feeding the repository. Prints
// Markdown tables. Usage: gk_poll_bench [max_prs]
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/engine.hpp"

#include "core/poll_timing.hpp"
#include "fake_github.hpp"
#include "github/github_checker.hpp"
#include "github/settings.hpp"
#include "net/http_client.hpp"

namespace json = boost::json;

namespace {

int64_t epoch_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sha_for(int pr, int version) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%08x%032x", pr, version);
  return buf;
}

void script(gkfake::FakeGitHub &fake, int n, int done_checks) {
  std::vector<gkfake::PullEntry> pulls;
  for (int i = 1; i <= n; ++i) {
    gkfake::PullState s;
    s.head_sha = sha_for(i, 1);
    for (int c = 0; c < 4; ++c)
      s.checks.push_back({"check-" + std::to_string(c),
                          c < done_checks ? "completed" : "in_progress",
                          c < done_checks ? "success" : "", ""});
    s.statuses = {{"ci/legacy", "pending", ""}};
    s.reviews = {{"reviewer", "COMMENTED", "looking"}};
    s.review_decision = "REVIEW_REQUIRED";
    pulls.push_back({"bench/repo", i, s});
  }
  fake.set_pulls(pulls);
}

struct Cycle {
  int counted = 0;
  int requests = 0;
  double ms = 0;
};

Cycle run_cycle(gkfake::FakeGitHub &fake, gk::GateChecker &checker, std::vector<gk::GatePoll> &due,
                int64_t now) {
  fake.reset_counts();
  auto start = std::chrono::steady_clock::now();
  auto out = checker.poll(due, now, 30'000);
  Cycle c;
  c.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  c.counted = fake.counted_requests();
  c.requests = fake.requests();
  for (size_t k = 0; k < due.size(); ++k) {
    if (out[k].kind != gk::GateOutcome::Kind::wait || !out[k].reason.empty())
      std::fprintf(stderr, "unexpected outcome for %s: %s\n", due[k].gate.c_str(),
                   out[k].reason.c_str());
    due[k].memo = out[k].memo;
  }
  return c;
}

Cycle naive_cycle(gkfake::FakeGitHub &fake, int n) {
  gk::net::HttpClient client;
  std::vector<gk::net::HttpRequest> reqs;
  std::string api = fake.api_url() + "/repos/bench/repo/";
  for (int i = 1; i <= n; ++i) {
    std::string sha = sha_for(i, 1);
    for (std::string path :
         {"pulls/" + std::to_string(i), "commits/" + sha + "/check-runs",
          "commits/" + sha + "/status", "pulls/" + std::to_string(i) + "/reviews"}) {
      gk::net::HttpRequest r;
      r.url = api + path;
      r.headers.emplace_back("Authorization", "Bearer bench");
      reqs.push_back(std::move(r));
    }
  }
  fake.reset_counts();
  auto start = std::chrono::steady_clock::now();
  client.perform(reqs, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  Cycle c;
  c.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  c.counted = fake.counted_requests();
  c.requests = fake.requests();
  return c;
}

// The engine with webhooks: cold (every gate's first poll), changed (one more check finished on
// every PR and a check_run delivery for each, a review delivery for PR 1, then the step after the
// coalescing window),
// unchanged (five minutes later, nothing delivered) and reconcile (the poll of quiet gates,
// webhook.reconcile_s = 600). In between, the gates that were never nudged reach the poll that
// was scheduled before the feed was known.
struct Fed {
  Cycle cold, changed, unchanged, reconcile;
};

Fed fed_cycles(gkfake::FakeGitHub &fake, int n) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gk-poll-bench-" + std::to_string(getpid()) + "-" + std::to_string(n));
  std::filesystem::remove_all(dir);
  json::object raw{{"github",
                    {{"api_url", fake.api_url()},
                     {"graphql_url", fake.graphql_url()},
                     {"token_env", "GK_BENCH_TOKEN"},
                     {"max_connections", 8}}}};
  gk::Config config = gk::parse_config(json::serialize(raw));
  config.state_path = (dir / "state.db").string();
  int64_t now = 1'000'000;
  gk::HostHooks hooks;
  hooks.now_ms = [&now] { return now; };
  Fed fed;
  {
    gk::Engine engine(config, hooks);
    engine.add_checker(
        std::make_shared<gk::github::GitHubChecker>(gk::github::read_settings(config)));
    std::string yaml = "version: 1\ngoals:\n  - id: fan\n    parallel: true\n    tasks:\n";
    for (int i = 1; i <= n; ++i) {
      std::string target = "repo: bench/repo, pr: " + std::to_string(i) + "}}\n";
      yaml += "      - {id: ci" + std::to_string(i) + ", wait_for: {type: gh_ci, " + target;
      yaml += "      - {id: rv" + std::to_string(i) + ", wait_for: {type: gh_review, " + target;
    }
    engine.load(yaml, "fan.yaml");
    engine.start("fan", {});
    engine.step({});  // activates every gate
    auto cycle = [&](int64_t advance_ms) {
      now += advance_ms;
      fake.reset_counts();
      auto start = std::chrono::steady_clock::now();
      engine.step({{"time_budget_ms", 30'000}});
      Cycle c;
      c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                 .count();
      c.counted = fake.counted_requests();
      c.requests = fake.requests();
      return c;
    };
    script(fake, n, 1);
    fed.cold = cycle(0);
    script(fake, n, 2);
    for (int i = 1; i <= n; ++i) {
      gk::GateNudge nudge;
      nudge.delivery = "bench-" + std::to_string(i);
      nudge.event = "check_run.completed";
      nudge.types = {"gh_ci"};
      nudge.repo = "bench/repo";
      nudge.prs = {i};
      engine.nudge(nudge);
    }
    // A review on PR 1 (a comment: the decision stays REVIEW_REQUIRED) shows that review
    // deliveries reach the repository too; trust is earned per gate type.
    gk::GateNudge review;
    review.delivery = "bench-review";
    review.event = "pull_request_review.submitted";
    review.types = {"gh_review"};
    review.repo = "bench/repo";
    review.prs = {1};
    engine.nudge(review);
    fed.changed = cycle(config.webhook_coalesce_ms);
    cycle(70'000);  // the review gates' poll from before the feed was known
    fed.unchanged = cycle(300'000);
    fed.reconcile = cycle(config.webhook_reconcile_ms);
  }
  std::filesystem::remove_all(dir);
  return fed;
}

}  // namespace

int main(int argc, char **argv) {
  int max_prs = argc > 1 ? std::atoi(argv[1]) : 1000;
  setenv("GK_BENCH_TOKEN", "ghp_bench", 1);
  std::printf(
      "| PRs | gates | naive REST (counted) | GraphQL cold | GraphQL changed | GraphQL unchanged "
      "| REST+ETag cold | REST+ETag changed | REST+ETag unchanged | cycle ms (GraphQL, changed) "
      "| cycle ms (naive REST) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int n : {1, 10, 100, 1000}) {
    if (n > max_prs) break;
    gkfake::FakeGitHub fake;
    fake.set_rate_limit(100'000'000, epoch_s() + 3600);
    script(fake, n, 1);
    Cycle naive = naive_cycle(fake, n);
    Cycle g[3], r[3];
    for (bool use_graphql : {true, false}) {
      gk::Config config;
      config.raw = {{"github",
                     {{"api_url", fake.api_url()},
                      {"graphql_url", fake.graphql_url()},
                      {"token_env", "GK_BENCH_TOKEN"},
                      {"graphql", use_graphql},
                      {"max_connections", 8}}}};
      gk::github::GitHubChecker checker(gk::github::read_settings(config));
      std::vector<gk::GatePoll> due;
      for (int i = 1; i <= n; ++i) {
        gk::GatePoll ci, rv;
        ci.gate = "g/ci" + std::to_string(i);
        ci.config = {{"type", "gh_ci"}, {"repo", "bench/repo"}, {"pr", i}};
        rv.gate = "g/review" + std::to_string(i);
        rv.config = {{"type", "gh_review"}, {"repo", "bench/repo"}, {"pr", i}};
        due.push_back(ci);
        due.push_back(rv);
      }
      Cycle *out = use_graphql ? g : r;
      script(fake, n, 1);
      out[0] = run_cycle(fake, checker, due, 1'000'000);
      script(fake, n, 2);  // one more check finished on every PR
      out[1] = run_cycle(fake, checker, due, 2'000'000);
      out[2] = run_cycle(fake, checker, due, 3'000'000);  // nothing changed
    }
    std::printf("| %d | %d | %d | %d | %d | %d | %d | %d | %d (%d sent, 304) | %.0f | %.0f |\n", n,
                2 * n, naive.counted, g[0].counted, g[1].counted, g[2].counted, r[0].counted,
                r[1].counted, r[2].counted, r[2].requests, g[1].ms, naive.ms);
  }
  std::printf(
      "\nWith webhooks feeding the repository (the engine, one step per cycle; counted "
      "requests):\n\n| PRs | gates | cold | changed (N deliveries) | unchanged (5 min, no "
      "delivery) | reconcile (10 min) | step ms (changed) |\n|---|---|---|---|---|---|---|\n");
  for (int n : {1, 10, 100, 1000}) {
    if (n > max_prs) break;
    gkfake::FakeGitHub fake;
    fake.set_rate_limit(100'000'000, epoch_s() + 3600);
    Fed f = fed_cycles(fake, n);
    std::printf("| %d | %d | %d | %d | %d (%d sent) | %d | %.0f |\n", n, 2 * n, f.cold.counted,
                f.changed.counted, f.unchanged.counted, f.unchanged.requests, f.reconcile.counted,
                f.changed.ms);
  }
  // How often a gate that never changes is polled in an hour (30 s base, x1.5 per unchanged
  // poll, capped at 300 s, jittered by gate id), against a fixed 30 s interval.
  int64_t t = 0, polls = 0;
  for (int64_t unchanged = 0; t < 3'600'000; ++unchanged, ++polls)
    t += gk::quiet_interval_ms(30'000, unchanged, 300'000, "g/ci1");
  std::printf(
      "\nA gh_ci gate whose PR does not change is polled %lld times in its first hour "
      "(fixed 30 s polling: 120).\n",
      static_cast<long long>(polls));
  return 0;
}
