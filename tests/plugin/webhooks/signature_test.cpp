// X-Hub-Signature-256 (docs/design.md "Webhooks"): a delivery is verified with
// HMAC-SHA256 of the raw body before anything is parsed; a missing or bad signature, or no secret
// configured, is GK_ERR_UNAUTHORIZED with a clear message and changes nothing.
#include <gtest/gtest.h>

#include "webhook_support.hpp"

using namespace gkwh;
using gktest::Host;

namespace {

constexpr const char *kVectorSecret = "It's a Secret to Everybody";
constexpr const char *kVectorBody = "Hello, World!";
constexpr const char *kVectorSignature =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

constexpr const char *kRepo = "Codertocat/Hello-World";
constexpr const char *kHead = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

gkfake::PullState passing() {
  gkfake::PullState s;
  s.head_sha = kHead;
  s.checks = {{"build", "completed", "success", ""}};
  return s;
}

// A goal whose gh_ci gate watches Codertocat/Hello-World#2, and a check_run completed delivery
// (GitHub's own example) that would resolve it.
struct Signatures : ::testing::Test {
  ScopedEnv secret{kSecretEnv, std::string(kSecret)};
  ScopedEnv token{kTokenEnv, std::string("gk-test-token")};
  gkfake::FakeGitHub fake;
  std::unique_ptr<Host> h;
  std::string body;
  std::string delivery = new_delivery_id();

  void SetUp() override {
    fake.set_pull(kRepo, 2, passing());
    h = std::make_unique<Host>(config_for(fake));
    gate_goal(*h, "g", {{"type", "gh_ci"}, {"repo", kRepo}, {"pr", 2}});
    // The first of GitHub's examples of a check run that completed with success.
    for (const auto &e : examples("check_run"))
      if (e.at("action") == "completed" && e.at("check_run").at("conclusion") == "success") {
        body = json::serialize(e);
        break;
      }
    ASSERT_FALSE(body.empty());
  }

  json::object headers() const { return signed_headers("check_run", delivery, body); }

  // The delivery is refused with a message that names `what`, and nothing changed.
  void expect_refused(const json::object &hdrs, std::string_view sent_body,
                      const std::string &what) {
    Snapshot before = snapshot(*h, fake, "g");
    Delivery d = deliver(h->plugin, hdrs, sent_body);
    EXPECT_EQ(d.rc, GK_ERR_UNAUTHORIZED) << json::serialize(d.result);
    EXPECT_FALSE(d.has_result);
    EXPECT_TRUE(contains(d.error, what))
        << "message: " << d.error << "\nexpected it to name: " << what;
    EXPECT_FALSE(contains(d.error, kSecret)) << d.error;
    EXPECT_EQ(before, snapshot(*h, fake, "g")) << "a refused delivery changed something";
    EXPECT_EQ(h->status_of("g", "gate"), "active");
  }

  // After every refusal, the genuine delivery with the same id is still new and works.
  void expect_genuine_delivery_still_works() {
    Delivery d = deliver(h->plugin, headers(), body);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    EXPECT_FALSE(d.result.at("duplicate").as_bool()) << "a refused delivery was remembered";
    EXPECT_EQ(refs(d.result, "matched"), std::vector<std::string>{"g/gate"});
    EXPECT_EQ(refs(d.result, "scheduled"), std::vector<std::string>{"g/gate"});
    confirm(*h);
    EXPECT_EQ(h->status_of("g", "gate"), "done");
  }
};

}  // namespace

TEST(GitHubTestVector, TheTestSignerReproducesThePublishedSignature) {
  EXPECT_EQ(sign_sha256(kVectorSecret, kVectorBody), kVectorSignature);
}

TEST(GitHubTestVector, ExactSignatureIsAcceptedThenTheBodyFailsAsJson) {
  ScopedEnv secret{kSecretEnv, std::string(kVectorSecret)};
  gkfake::FakeGitHub fake;
  Host h(config_for(fake));
  json::object hdrs{{"X-GitHub-Event", "ping"},
                    {"X-GitHub-Delivery", new_delivery_id()},
                    {"X-Hub-Signature-256", kVectorSignature}};
  size_t events = total_events(h);

  // The signature passes; then "Hello, World!" is not JSON.
  Delivery d = deliver(h.plugin, hdrs, kVectorBody);
  EXPECT_EQ(d.rc, GK_ERR_INVALID) << d.error;
  EXPECT_TRUE(contains(d.error, "JSON")) << d.error;
  EXPECT_FALSE(contains(d.error, "signature")) << d.error;
  EXPECT_FALSE(contains(d.error, "unauthorized")) << d.error;

  // One byte changed in the body, or in the signature: refused as unauthorized.
  std::string body = kVectorBody;
  body.back() = '?';
  d = deliver(h.plugin, hdrs, body);
  EXPECT_EQ(d.rc, GK_ERR_UNAUTHORIZED) << d.error;
  EXPECT_TRUE(contains(d.error, "signature")) << d.error;

  json::object bad = hdrs;
  std::string sig = kVectorSignature;
  sig.back() = 'f';  // ...3e17 -> ...3e1f
  bad["X-Hub-Signature-256"] = sig;
  d = deliver(h.plugin, bad, kVectorBody);
  EXPECT_EQ(d.rc, GK_ERR_UNAUTHORIZED) << d.error;
  EXPECT_TRUE(contains(d.error, "signature")) << d.error;

  EXPECT_EQ(total_events(h), events);
}

TEST_F(Signatures, TheGenuineDeliveryIsAccepted) {
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, MissingHeaderIsRefused) {
  json::object hdrs = headers();
  hdrs.erase("X-Hub-Signature-256");  // the legacy sha1 X-Hub-Signature is still there
  expect_refused(hdrs, body, "X-Hub-Signature-256");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, EmptyHeaderIsRefused) {
  json::object hdrs = headers();
  hdrs["X-Hub-Signature-256"] = "";
  expect_refused(hdrs, body, "X-Hub-Signature-256");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, WrongValueIsRefused) {
  json::object hdrs = headers();
  hdrs["X-Hub-Signature-256"] = "sha256=" + std::string(64, '0');
  expect_refused(hdrs, body, "signature");
  hdrs["X-Hub-Signature-256"] = "sha256=zz";
  expect_refused(hdrs, body, "signature");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, WrongPrefixIsRefused) {
  json::object hdrs = headers();
  // The legacy HMAC-SHA1 signature in the SHA-256 header.
  hdrs["X-Hub-Signature-256"] = sign_sha1(kSecret, body);
  expect_refused(hdrs, body, "signature");
  // The right digest under the wrong name, and without any prefix.
  std::string digest = sign_sha256(kSecret, body).substr(7);
  hdrs["X-Hub-Signature-256"] = "sha1=" + digest;
  expect_refused(hdrs, body, "signature");
  hdrs["X-Hub-Signature-256"] = digest;
  expect_refused(hdrs, body, "signature");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, TamperedBodyIsRefused) {
  json::object hdrs = headers();
  std::string tampered = body;
  auto at = tampered.find("\"conclusion\":\"success\"");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 22, "\"conclusion\":\"failure\"");
  expect_refused(hdrs, tampered, "signature");
  // The same JSON, formatted differently, is a different body.
  expect_refused(hdrs, body + "\n", "signature");
  // A truncated body.
  expect_refused(hdrs, std::string_view(body).substr(0, body.size() / 2), "signature");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, OtherSecretIsRefused) {
  expect_refused(signed_headers("check_run", delivery, body, "another secret"), body, "signature");
  expect_refused(signed_headers("check_run", delivery, body, ""), body, "signature");
  expect_genuine_delivery_still_works();
}

TEST_F(Signatures, NoSecretConfiguredRefusesEveryDelivery) {
  {
    ScopedEnv unset{kSecretEnv, std::nullopt};
    expect_refused(headers(), body, kSecretEnv);
    expect_refused(headers(), body, "secret");
  }
  {
    ScopedEnv empty{kSecretEnv, std::string()};
    expect_refused(headers(), body, kSecretEnv);
    // Not even a delivery signed with the empty key is trusted.
    expect_refused(signed_headers("check_run", delivery, body, ""), body, kSecretEnv);
  }
  expect_genuine_delivery_still_works();
}

TEST(WebhookSecretEnv, TheConfigNamesTheVariable) {
  constexpr const char *kOwnEnv = "GK_WEBHOOK_TEST_OWN_SECRET";
  ScopedEnv token{kTokenEnv, std::string("gk-test-token")};
  ScopedEnv own{kOwnEnv, std::string("own secret")};
  ScopedEnv default_env{kSecretEnv, std::string(kSecret)};
  gkfake::FakeGitHub fake;
  Host h(config_for(fake, {{"webhook", {{"secret_env", kOwnEnv}}}}));
  std::string body = R"({"zen":"Keep it logically awesome.","hook_id":1})";
  // Signed with the default variable's secret: refused, since the config names another variable.
  Delivery d = deliver(h.plugin, signed_headers("ping", new_delivery_id(), body, kSecret), body);
  EXPECT_EQ(d.rc, GK_ERR_UNAUTHORIZED) << d.error;
  d = deliver(h.plugin, signed_headers("ping", new_delivery_id(), body, "own secret"), body);
  EXPECT_EQ(d.rc, GK_OK) << d.error;
  {
    ScopedEnv unset{kOwnEnv, std::nullopt};
    d = deliver(h.plugin, signed_headers("ping", new_delivery_id(), body, "own secret"), body);
    EXPECT_EQ(d.rc, GK_ERR_UNAUTHORIZED);
    EXPECT_TRUE(contains(d.error, kOwnEnv)) << d.error;
  }
}
