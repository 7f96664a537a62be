// gk_discovery_bench: one discovery cycle over N matching pull requests (the fake GitHub's
// search, in this process): requests per cycle against the target ceil(N/100) + 1, goals made
// once, and the cycle's time; the first cycle makes the goals, the second finds them (plus the
// search for pull requests closed since). Prints a Markdown table. Usage: gk_discovery_bench [N]
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/engine.hpp"
#include "fake_github.hpp"
#include "github/checkers.hpp"

namespace json = boost::json;

int main(int argc, char **argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  gkfake::FakeGitHub fake;
  std::vector<gkfake::PullEntry> pulls;
  for (int i = 1; i <= n; ++i) {
    gkfake::PullEntry e;
    e.repo = "acme/shop";
    e.number = i;
    e.state.labels = {"gk-shepherd"};
    char created[32];
    std::snprintf(created, sizeof created, "2024-%02d-%02dT%02d:00:00Z", 1 + i % 12, 1 + i % 28,
                  i % 24);
    e.state.created_at = e.state.updated_at = created;
    pulls.push_back(std::move(e));
  }
  fake.set_pulls(pulls);
  setenv("GK_BENCH_TOKEN", "gk-bench-token", 1);
  auto dir =
      std::filesystem::temp_directory_path() / ("gk-discovery-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  gk::Config config;
  config.state_path = (dir / "state.db").string();
  config.raw = {{"github",
                 {{"api_url", fake.api_url()},
                  {"graphql_url", fake.graphql_url()},
                  {"token_env", "GK_BENCH_TOKEN"}}}};
  int64_t now = 1'000'000;
  gk::HostHooks hooks;
  hooks.now_ms = [&] { return now; };
  std::printf("| cycle | pull requests | requests | target | goals made | time (ms) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  {
    gk::Engine engine(config, hooks);
    engine.set_pull_finder(gk::make_github_pull_finder(config));
    engine.load(
        "version: 1\n"
        "templates:\n"
        "  - id: shepherd\n"
        "    params: {repo: {type: string, required: true}, pr: {type: integer, required: true}}\n"
        "    tasks: [{id: ok, wait_for: {type: human_approval, key: \"{{ params.pr }}\"}}]\n"
        "triggers:\n"
        "  - id: labelled\n"
        "    discover:\n"
        "      query: \"repo:acme/shop is:pr is:open label:gk-shepherd\"\n"
        "      template: shepherd\n"
        "      params: {repo: \"{{ pr.repo }}\", pr: \"{{ pr.number }}\"}\n"
        "      max_goals: 100000\n",
        "bench.yaml");
    const int target = (n + 99) / 100 + 1;
    for (const char *name : {"first (makes the goals)", "second (finds them)"}) {
      fake.reset_counts();
      auto t0 = std::chrono::steady_clock::now();
      json::array r = engine.discover({{"force", true}}, 120'000);
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      int made = 0;
      for (const auto &a : r.at(0).at("actions").as_array()) made += a.at("action") == "create";
      std::printf("| %s | %d | %d | %d | %d | %.0f |\n", name, n, fake.requests(), target, made,
                  ms);
      now += 600'000;
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
