#include "centaur/centaur_checker.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <new>

#include "core/error.hpp"
#include "core/json_util.hpp"
#include "core/poll_timing.hpp"
#include "core/secret.hpp"
#include "core/signal_match.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"

namespace gk::centaur {

namespace json = boost::json;

namespace {

int64_t memo_int(const json::object &memo, const char *key) {
  const auto *v = memo.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// The review object in the bot's answer: the object itself, or the last of a list.
const json::object *review_of(const json::value &body) {
  if (body.is_object()) {
    const auto &o = body.as_object();
    if (const auto *list = o.if_contains("reviews"); list && list->is_array())
      return list->as_array().empty() || !list->as_array().back().is_object()
                 ? nullptr
                 : &list->as_array().back().as_object();
    return &o;
  }
  if (body.is_array() && !body.as_array().empty() && body.as_array().back().is_object())
    return &body.as_array().back().as_object();
  return nullptr;
}

std::string verdict_of(const json::object &review) {
  for (const char *key : {"status", "verdict", "state", "decision"}) {
    const auto *v = review.if_contains(key);
    if (v && v->is_string()) return ascii_lower(v->as_string());
  }
  return "";
}

}  // namespace

Settings read_settings(const Config &config) {
  Settings s;
  // github.api_url, read as the GitHub checker reads it: where the pull requests live.
  if (const auto *gh = config.raw.if_contains("github"); gh && gh->is_object())
    if (auto url = opt_string(gh->as_object(), "api_url", "config: github"); url && !url->empty())
      s.github_api_url = *url;
  const auto *c = config.raw.if_contains("centaur");
  if (!c || c->is_null()) return s;
  if (!c->is_object()) fail(Errc::invalid, "config: \"centaur\" must be an object");
  const auto &o = c->as_object();
  auto text = [&](const char *key, std::string &out) {
    const auto *v = o.if_contains(key);
    if (!v || v->is_null()) return;
    if (!v->is_string() || v->as_string().empty())
      fail(Errc::invalid,
           std::string("config: \"centaur.") + key + "\" must be a non-empty string");
    out = std::string(v->as_string());
  };
  auto seconds = [&](const char *key, int64_t &out_ms) {
    const auto *v = o.if_contains(key);
    if (!v || v->is_null()) return;
    double sec = v->is_int64()    ? static_cast<double>(v->as_int64())
                 : v->is_double() ? v->as_double()
                                  : -1;
    // At most a year, so the milliseconds never overflow.
    if (!(sec > 0) || sec > 31'536'000.0)
      fail(Errc::invalid, std::string("config: \"centaur.") + key +
                              "\" is out of range (more than 0 and at most 31536000 seconds), "
                              "found " +
                              json::serialize(*v));
    out_ms = std::max<int64_t>(1, static_cast<int64_t>(sec * 1000));
  };
  text("url", s.url);
  text("token_env", s.token_env);
  seconds("poll_s", s.poll_ms);
  seconds("timeout_s", s.timeout_ms);
  seconds("backoff_s", s.backoff_ms);
  while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
  return s;
}

struct CentaurChecker::Impl {
  Settings settings;
  net::HttpClient client;
  std::mutex mutex;
  explicit Impl(Settings s) : settings(std::move(s)), client(net::ClientOptions{}) {}
};

CentaurChecker::CentaurChecker(Settings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}

CentaurChecker::~CentaurChecker() = default;

bool CentaurChecker::handles(std::string_view gate_type) const {
  return gate_type == "centaur_review";
}

std::vector<GateOutcome> CentaurChecker::poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                              int64_t budget_ms) {
  std::lock_guard lock(impl_->mutex);
  const Settings &s = impl_->settings;
  std::string token = read_token(s.token_env);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max<int64_t>(budget_ms, 100));
  std::vector<GateOutcome> out(due.size());
  std::vector<net::HttpRequest> requests;
  std::vector<size_t> asked;
  std::vector<std::string> pr_urls(due.size());
  for (size_t k = 0; k < due.size(); ++k) {
    const auto &c = due[k].config;
    out[k].memo = due[k].memo;
    std::string pr_url;
    if (const auto *u = c.if_contains("pr_url"); u && u->is_string() && !u->as_string().empty()) {
      pr_url = std::string(u->as_string());
    } else {
      const auto *repo = c.if_contains("repo");
      const auto *pr = c.if_contains("pr");
      int64_t n = 0;
      if (pr && pr->is_int64()) n = pr->as_int64();
      if (pr && pr->is_string()) n = std::atoll(std::string(pr->as_string()).c_str());
      if (repo && repo->is_string() && repo->as_string().find('/') != std::string::npos && n > 0)
        pr_url = pull_web_url(s.github_api_url, std::string(repo->as_string()), n);
    }
    if (pr_url.empty()) {
      out[k].kind = GateOutcome::Kind::blocked;
      out[k].reason = "centaur_review gate: needs \"pr_url\" or \"repo\" and \"pr\"";
      continue;
    }
    pr_urls[k] = pr_url;
    net::HttpRequest r;
    r.url = s.url + "/api/reviews?pr=" + net::url_encode(pr_url);
    r.headers.emplace_back("Accept", "application/json");
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    r.timeout_ms = s.timeout_ms;
    requests.push_back(std::move(r));
    asked.push_back(k);
  }
  std::vector<net::HttpResponse> responses;
  try {
    responses = impl_->client.perform(requests, deadline);
  } catch (const std::exception &e) {
    responses.assign(requests.size(), net::HttpResponse{});
    for (auto &r : responses) r.error = e.what();
  }
  for (size_t j = 0; j < asked.size(); ++j) {
    size_t k = asked[j];
    GateOutcome &o = out[k];
    const net::HttpResponse &r = responses[j];
    auto fault = [&](const std::string &why) {
      int64_t failures = memo_int(o.memo, "failures") + 1;
      o.memo["failures"] = failures;
      int64_t wait = backoff_ms(s.backoff_ms, failures, s.max_backoff_ms, due[k].gate);
      o.next_poll_ms = now_ms + wait;
      o.reason = "the review bot at " + s.url + " " + why + " for " + pr_urls[k] + " (attempt " +
                 std::to_string(failures) + ")";
    };
    auto wait_quietly = [&] {
      int64_t unchanged = memo_int(o.memo, "unchanged") + 1;
      o.memo["unchanged"] = unchanged;
      o.memo.erase("failures");
      o.next_poll_ms =
          now_ms + quiet_interval_ms(s.poll_ms, unchanged - 1, s.max_interval_ms, due[k].gate);
    };
    if (!r.answered()) {
      fault("did not answer: " + r.error);
    } else if (r.status == 404) {
      wait_quietly();  // no review yet
    } else if (r.status == 401 || r.status == 403) {
      o.kind = GateOutcome::Kind::blocked;
      o.reason = "the review bot at " + s.url + " answered " + std::to_string(r.status) +
                 (s.token_env.empty() ? std::string(": set centaur.token_env in the config")
                                      : ": check the token in $" + s.token_env);
    } else if (r.status == 429 || r.status >= 500 || r.status < 200 || r.status >= 300) {
      fault("answered " + std::to_string(r.status));
    } else {
      boost::system::error_code ec;
      json::value body = json::parse(r.body, ec);
      const json::object *review = ec ? nullptr : review_of(body);
      if (!review) {
        fault("answered something that is not a review (" +
              (ec ? ec.message() : std::string("no review object")) + ")");
      } else {
        std::string verdict = verdict_of(*review);
        if (verdict == "approved" || verdict == "changes_requested") {
          o.kind = verdict == "approved" ? GateOutcome::Kind::pass : GateOutcome::Kind::fail;
          o.artifacts = {{"pr_url", pr_urls[k]}, {"centaur", *review}};
        } else {
          wait_quietly();
        }
      }
    }
  }
  for (auto &o : out) {
    o.reason = redact(o.reason, token);
    redact_json(o.artifacts, token);
    redact_json(o.memo, token);
  }
  return out;
}

}  // namespace gk::centaur
