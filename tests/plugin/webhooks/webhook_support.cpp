#include "webhook_support.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <sstream>

namespace gkwh {

namespace {

std::string hmac_hex(const EVP_MD *md, std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  unsigned char *ok =
      HMAC(md, secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char *>(body.data()), body.size(), mac, &len);
  EXPECT_NE(ok, nullptr) << "HMAC failed";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

void add_no_proxy(const char *name) {
  const char *old = getenv(name);
  std::string value = old && *old ? std::string(old) + ",127.0.0.1" : "127.0.0.1";
  setenv(name, value.c_str(), 1);
}

class LoopbackEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { keep_loopback_off_proxies(); }
};

[[maybe_unused]] ::testing::Environment *const kLoopback =
    ::testing::AddGlobalTestEnvironment(new LoopbackEnvironment);

}  // namespace

ScopedEnv::ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
  if (const char *old = getenv(name_.c_str())) old_ = old;
  if (value)
    setenv(name_.c_str(), value->c_str(), 1);
  else
    unsetenv(name_.c_str());
}

ScopedEnv::~ScopedEnv() {
  if (old_)
    setenv(name_.c_str(), old_->c_str(), 1);
  else
    unsetenv(name_.c_str());
}

std::string sign_sha256(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_hex(EVP_sha256(), secret, body);
}

std::string sign_sha1(std::string_view secret, std::string_view body) {
  return "sha1=" + hmac_hex(EVP_sha1(), secret, body);
}

std::string new_delivery_id() {
  static std::atomic<unsigned> counter{0};
  char buf[64];
  snprintf(buf, sizeof buf, "72d3162e-cc78-11e3-81ab-%012x", counter++);
  return buf;
}

json::object signed_headers(const std::string &event, const std::string &delivery,
                            std::string_view body, std::string_view secret) {
  return {{"X-GitHub-Event", event},
          {"X-GitHub-Delivery", delivery},
          {"X-Hub-Signature-256", sign_sha256(secret, body)},
          {"X-Hub-Signature", sign_sha1(secret, body)},
          {"Content-Type", "application/json"},
          {"User-Agent", "GitHub-Hookshot/044aadd"}};
}

Delivery deliver(gk_plugin *plugin, const json::object &headers, std::string_view body) {
  Delivery d;
  char *out = nullptr;
  std::string h = json::serialize(headers);
  d.rc = gk_webhook(plugin, h.c_str(), body.data(), body.size(), &out);
  if (d.rc != GK_OK) {
    d.error = gk_last_error();
    EXPECT_EQ(out, nullptr) << "a failed gk_webhook handed out a result";
  }
  if (out) {
    d.result = json::parse(out).as_object();
    d.has_result = true;
  }
  gk_free(out);
  return d;
}

Delivery deliver_signed(gk_plugin *plugin, const std::string &event, const json::value &payload,
                        const std::string &delivery) {
  std::string body = json::serialize(payload);
  return deliver(
      plugin, signed_headers(event, delivery.empty() ? new_delivery_id() : delivery, body), body);
}

json::array examples(const std::string &event) {
  std::ifstream in(std::string(GK_FIXTURES_DIR) + "/github/webhooks/" + event + ".json");
  EXPECT_TRUE(in.good()) << "no fixture for " << event;
  std::stringstream text;
  text << in.rdbuf();
  json::value v = json::parse(text.str());
  EXPECT_TRUE(v.is_array());
  return v.is_array() ? v.as_array() : json::array{};
}

std::string config_for(const gkfake::FakeGitHub &fake, json::object extra) {
  json::object config{{"github",
                       {{"api_url", fake.api_url()},
                        {"graphql_url", fake.graphql_url()},
                        {"token_env", kTokenEnv},
                        {"timeout_s", 5}}}};
  for (const auto &kv : extra) config[kv.key()] = kv.value();
  return json::serialize(config);
}

void gate_goal(gktest::Host &h, const std::string &goal, const json::object &wait_for) {
  // YAML flow style accepts JSON.
  h.load("version: 1\ngoals:\n  - id: " + goal +
             "\n    tasks:\n      - id: gate\n        wait_for: " + json::serialize(wait_for) +
             "\n      - {id: after, run: [\"true\"]}\n",
         goal + ".yaml");
  h.start(goal);
  h.step();
  ASSERT_EQ(h.status_of(goal, "gate"), "active");
}

size_t total_events(gktest::Host &h) {
  size_t n = 0;
  int64_t after = 0;
  while (true) {
    auto r = h.query(
        json::serialize(json::object{{"what", "events"}, {"after", after}, {"limit", 1000}}));
    const auto &events = r.at("events").as_array();
    n += events.size();
    if (events.size() < 1000) break;
    after = r.at("last_id").as_int64();
  }
  return n;
}

json::object poll_memo(gktest::Host &h, const std::string &goal, const std::string &task) {
  auto t = h.task(goal, task);
  const auto *gate = t.if_contains("gate");
  if (!gate || !gate->is_object()) return {};
  const auto *polls = gate->as_object().if_contains("polls");
  if (!polls || !polls->is_object()) return {};
  const auto *part = polls->as_object().if_contains("");
  if (!part || !part->is_object()) return {};
  const auto *memo = part->as_object().if_contains("memo");
  return memo && memo->is_object() ? memo->as_object() : json::object{};
}

json::object confirm(gktest::Host &h) {
  h.now += 1000;
  return h.step();
}

Snapshot snapshot(gktest::Host &h, const gkfake::FakeGitHub &fake, const std::string &goal) {
  Snapshot s;
  s.events = total_events(h);
  s.status = json::serialize(h.query(R"({"what":"status"})"));
  s.gate = json::serialize(h.task(goal, "gate"));
  s.github_requests = fake.requests();
  return s;
}

std::vector<std::string> refs(const json::object &result, const char *key) {
  std::vector<std::string> out;
  const auto *a = result.if_contains(key);
  if (!a || !a->is_array()) {
    ADD_FAILURE() << "result has no array \"" << key << "\": " << json::serialize(result);
    return out;
  }
  for (const auto &m : a->as_array())
    out.push_back(std::string(m.at("goal_id").as_string()) + "/" +
                  std::string(m.at("task_id").as_string()));
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains(const std::string &haystack, const std::string &needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

void keep_loopback_off_proxies() {
  for (const char *proxy :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
    if (const char *v = getenv(proxy); v && *v) {
      add_no_proxy("no_proxy");
      add_no_proxy("NO_PROXY");
      return;
    }
}

}  // namespace gkwh
