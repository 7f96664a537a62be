#include "github/webhook.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdlib>
#include <initializer_list>
#include <optional>

#include "core/error.hpp"
#include "core/json_util.hpp"

namespace gk {

namespace json = boost::json;

namespace {

std::string header(const json::object &headers, std::string_view name) {
  for (const auto &kv : headers) {
    std::string_view k = kv.key();
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same && kv.value().is_string()) return std::string(kv.value().as_string());
  }
  return {};
}

// Reading a nested field of a delivery; "" or nullopt when absent or of another type.
std::string text_at(const json::object &o, std::initializer_list<const char *> path) {
  const json::object *cur = &o;
  const json::value *v = nullptr;
  for (const char *key : path) {
    if (!cur) return {};
    v = cur->if_contains(key);
    if (!v) return {};
    cur = v->is_object() ? &v->as_object() : nullptr;
  }
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<int64_t> number_at(const json::object &o, std::initializer_list<const char *> path) {
  const json::object *cur = &o;
  const json::value *v = nullptr;
  for (const char *key : path) {
    if (!cur) return std::nullopt;
    v = cur->if_contains(key);
    if (!v) return std::nullopt;
    cur = v->is_object() ? &v->as_object() : nullptr;
  }
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

}  // namespace

std::string github_signature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char *>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

bool signature_matches(std::string_view header_value, std::string_view secret,
                       std::string_view body) {
  std::string expected = github_signature(secret, body);
  if (header_value.size() != expected.size()) return false;
  return CRYPTO_memcmp(header_value.data(), expected.data(), expected.size()) == 0;
}

Delivery read_delivery(const Config &config, const json::object &headers, std::string_view body) {
  std::string env_name = "GK_WEBHOOK_SECRET";
  if (const auto *w = config.raw.if_contains("webhook"); w && w->is_object())
    if (auto name = opt_string(w->as_object(), "secret_env", "config: webhook")) env_name = *name;
  const char *secret = std::getenv(env_name.c_str());
  if (!secret || !*secret)
    fail(Errc::unauthorized,
         "webhook refused: no secret configured (set the environment variable " + env_name + ")");
  std::string signature = header(headers, "X-Hub-Signature-256");
  if (signature.empty()) fail(Errc::unauthorized, "webhook refused: no X-Hub-Signature-256 header");
  if (!signature_matches(signature, secret, body))
    fail(Errc::unauthorized, "webhook refused: the X-Hub-Signature-256 signature does not match");
  std::string event = header(headers, "X-GitHub-Event");
  if (event.empty()) fail(Errc::invalid, "webhook: no X-GitHub-Event header");
  std::string delivery = header(headers, "X-GitHub-Delivery");
  json::value parsed = parse_json(body, "webhook body");
  if (!parsed.is_object()) fail(Errc::invalid, "webhook body: expected a JSON object");
  return map_delivery(event, delivery, parsed.as_object());
}

Delivery map_delivery(const std::string &event, const std::string &id,
                      const json::object &payload) {
  Delivery d;
  d.event = event;
  d.id = id;
  GateNudge &n = d.nudge;
  std::string action = text_at(payload, {"action"});
  n.delivery = id;
  n.event = action.empty() ? event : event + "." + action;
  // A delivery that concerns no gate is still recorded (a nudge of no gate type), so that its
  // redelivery is recognised as one like any other's.
  auto ignore = [&](const std::string &why) {
    d.note = why;
    d.ignored = true;
    n.types.clear();
    return d;
  };
  if (event == "ping") {
    d.note = "pong: deliveries reach goalkeeper";
    return d;
  }
  n.repo = text_at(payload, {"repository", "full_name"});
  // Which object carries the head commit and the pull requests, per event.
  const char *holder = nullptr;
  if (event == "check_run" || event == "check_suite" || event == "workflow_run") {
    if (action != "completed") return ignore(n.event + " does not finish a check");
    holder = event.c_str();
    n.types = {"gh_ci"};
  } else if (event == "status") {
    if (text_at(payload, {"state"}) == "pending") return ignore("a pending status decides nothing");
    n.sha = text_at(payload, {"sha"});
    n.types = {"gh_ci"};
  } else if (event == "pull_request_review") {
    if (action != "submitted" && action != "dismissed")
      return ignore(n.event + " does not change a review decision");
    n.types = {"gh_review"};
    if (auto pr = number_at(payload, {"pull_request", "number"})) n.prs.push_back(*pr);
  } else if (event == "pull_request") {
    n.discovery = action == "opened" || action == "reopened" || action == "labeled" ||
                  action == "unlabeled" || action == "closed" || action == "synchronize";
    if (action != "synchronize") {
      // No gate changes; discovery still hears of it (GateNudge::discovery).
      if (n.repo.empty()) n.discovery = false;
      return ignore(n.event + " does not move the head commit" +
                    (n.discovery
                         ? "; the triggers that watch " + n.repo + " search at the next step"
                         : std::string()));
    }
    n.types = {"gh_ci"};
    n.restart = true;
    n.sha = text_at(payload, {"pull_request", "head", "sha"});
    if (auto pr = number_at(payload, {"pull_request", "number"})) n.prs.push_back(*pr);
  } else {
    return ignore("events of type " + event + " do not affect gates");
  }
  if (holder) {
    const json::value *h = payload.if_contains(holder);
    if (h && h->is_object()) {
      n.sha = text_at(h->as_object(), {"head_sha"});
      if (const auto *prs = h->as_object().if_contains("pull_requests"); prs && prs->is_array())
        for (const auto &pr : prs->as_array())
          if (pr.is_object())
            if (auto num = number_at(pr.as_object(), {"number"})) n.prs.push_back(*num);
    }
  }
  if (n.repo.empty()) return ignore(n.event + " names no repository");
  return d;
}

json::object delivery_result(const Delivery &d, const json::object &nudged) {
  json::object result{{"event", d.event},
                      {"delivery", d.id},
                      {"duplicate", false},
                      {"matched", json::array()},
                      {"scheduled", json::array()}};
  const bool duplicate = nudged.contains("duplicate") && nudged.at("duplicate").as_bool();
  if (const auto *due = nudged.if_contains("discovery"); due && !duplicate)
    result["discovery"] = *due;
  if (duplicate || d.nudge.types.empty()) {
    result["duplicate"] = duplicate;
    if (d.ignored && !duplicate) result["ignored"] = d.note;
    result["message"] =
        duplicate && nudged.contains("message") ? nudged.at("message") : json::value(d.note);
    return result;
  }
  for (const auto &kv : nudged) result[kv.key()] = kv.value();
  return result;
}

}  // namespace gk
