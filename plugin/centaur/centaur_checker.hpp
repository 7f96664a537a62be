// The centaur_review checker: asks the review bot's API for its verdict on a pull request,
// GET {centaur.url}/api/reviews?pr=<url-encoded pull request URL>. "approved" passes,
// "changes_requested" fails (artifacts: the bot's answer), anything else waits. Transport
// trouble waits with backoff; it never resolves the gate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/gate_checker.hpp"

namespace gk::centaur {

struct Settings {
  std::string url = "http://127.0.0.1:8642";
  std::string token_env;  // optional: sent as "Authorization: Bearer" when set
  std::string github_api_url = "https://api.github.com";  // to build pr_url from repo + pr
  int64_t poll_ms = 30'000;
  int64_t max_interval_ms = 300'000;
  int64_t timeout_ms = 10'000;
  int64_t backoff_ms = 5'000;
  int64_t max_backoff_ms = 300'000;
};

// config.raw["centaur"]: url, token_env, poll_s, timeout_s; github.api_url for pr_url.
Settings read_settings(const Config &config);

class CentaurChecker final : public GateChecker {
 public:
  explicit CentaurChecker(Settings settings);
  ~CentaurChecker() override;
  bool handles(std::string_view gate_type) const override;
  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                int64_t budget_ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::centaur
