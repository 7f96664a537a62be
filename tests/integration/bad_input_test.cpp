// Bad input gets a clear error and changes nothing (DESIGN.md "Secrets and input").
#include <gtest/gtest.h>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kGoal = R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: a}
      - {id: gate, wait_for: {type: human_approval, key: k}}
)";

// A fingerprint of everything observable: the status and the event count.
std::string snapshot(Host &h) {
  auto st = h.query(R"({"what":"status"})");
  auto ev = h.query(R"({"what":"events","limit":10000})");
  return json::serialize(st) + "#" + std::to_string(ev.at("events").as_array().size());
}

struct Started : ::testing::Test {
  Host h;
  void SetUp() override {
    h.load(kGoal);
    h.start("g");
    h.step();
  }
};

}  // namespace

TEST_F(Started, MalformedJsonToEveryFunctionIsInvalidAndChangesNothing) {
  std::string before = snapshot(h);
  char *out = nullptr;
  for (const char *bad : {"{", "[1,2", "{\"a\":}", "nul", "{\"x\":1}}", "\"text\""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(gk_step(h.plugin, bad, &out), GK_ERR_INVALID);
    EXPECT_EQ(out, nullptr);
    EXPECT_EQ(gk_start(h.plugin, "g", bad), GK_ERR_INVALID);
    EXPECT_EQ(gk_job_event(h.plugin, "g/a#1", bad), GK_ERR_INVALID);
    EXPECT_EQ(gk_review(h.plugin, "g/a", bad), GK_ERR_INVALID);
    EXPECT_EQ(gk_signal(h.plugin, bad, &out), GK_ERR_INVALID);
    EXPECT_EQ(gk_query(h.plugin, bad, &out), GK_ERR_INVALID);
    EXPECT_EQ(gk_webhook(h.plugin, bad, "{}", 2, &out), GK_ERR_INVALID);
    EXPECT_FALSE(last_error().empty());
  }
  EXPECT_EQ(snapshot(h), before);
}

TEST_F(Started, NullPointersAreInvalidNeverACrash) {
  char *out = nullptr;
  EXPECT_EQ(gk_load(nullptr, "version: 1", "x", &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_load(h.plugin, nullptr, "x", &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_start(h.plugin, nullptr, nullptr), GK_ERR_INVALID);
  EXPECT_EQ(gk_control(h.plugin, "g", nullptr), GK_ERR_INVALID);
  EXPECT_EQ(gk_step(h.plugin, "{}", nullptr), GK_ERR_INVALID);
  EXPECT_EQ(gk_job_event(h.plugin, nullptr, "{}"), GK_ERR_INVALID);
  EXPECT_EQ(gk_job_event(h.plugin, "g/a#1", nullptr), GK_ERR_INVALID);
  EXPECT_EQ(gk_review(h.plugin, nullptr, "{}"), GK_ERR_INVALID);
  EXPECT_EQ(gk_signal(h.plugin, nullptr, &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_webhook(h.plugin, "{}", nullptr, 5, &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_query(h.plugin, "{}", nullptr), GK_ERR_INVALID);
  EXPECT_EQ(gk_open(nullptr, "{}", nullptr), GK_ERR_INVALID);
  gk_close(nullptr);
  gk_free(nullptr);
}

TEST_F(Started, InvalidUtf8IsInvalid) {
  std::string before = snapshot(h);
  char *out = nullptr;
  const char *bad_utf8 = "{\"type\":\"human_approval\",\"key\":\"\xff\xfe\",\"status\":\"pass\"}";
  EXPECT_EQ(gk_signal(h.plugin, bad_utf8, &out), GK_ERR_INVALID);
  EXPECT_NE(last_error().find("UTF-8"), std::string::npos);
  EXPECT_EQ(gk_load(h.plugin, "version: 1\ngoals: [{id: \"\xc0\xaf\"}]\n", "x", &out),
            GK_ERR_INVALID);
  EXPECT_EQ(gk_control(h.plugin, "\xed\xa0\x80", "pause"), GK_ERR_INVALID);
  EXPECT_EQ(snapshot(h), before);
}

TEST_F(Started, UnknownKeysAndWrongTypesAreInvalidAndNamed) {
  std::string before = snapshot(h);
  char *out = nullptr;
  EXPECT_EQ(gk_step(h.plugin, R"({"capacityy": 3})", &out), GK_ERR_INVALID);
  EXPECT_NE(last_error().find("capacityy"), std::string::npos);
  EXPECT_EQ(gk_step(h.plugin, R"({"capacity": "3"})", &out), GK_ERR_INVALID);
  EXPECT_NE(last_error().find("capacity"), std::string::npos);
  EXPECT_EQ(gk_job_event(h.plugin, "g/a#1", R"({"type":"exploded"})"), GK_ERR_INVALID);
  EXPECT_EQ(gk_signal(h.plugin, R"({"type":"human_approval","key":"k","status":"maybe"})", &out),
            GK_ERR_INVALID);
  EXPECT_EQ(gk_signal(h.plugin, R"({"type":"gh_ci","status":"pass"})", &out), GK_ERR_INVALID)
      << "a signal that names no gate must not resolve every gate";
  EXPECT_EQ(gk_control(h.plugin, "g", "explode"), GK_ERR_INVALID);
  EXPECT_EQ(gk_query(h.plugin, R"({"what":"everything"})", &out), GK_ERR_INVALID);
  EXPECT_EQ(snapshot(h), before);
}

TEST_F(Started, ConflictingControlIsAConflict) {
  Host fresh;
  fresh.load(kGoal);
  EXPECT_EQ(fresh.control("g", "pause"), GK_ERR_CONFLICT) << "never started";
  EXPECT_EQ(h.control("nope", "pause"), GK_ERR_NOT_FOUND);
}

TEST(BadInput, GkHostWithATooSmallSizeIsAVersionError) {
  TempDir dir;
  gk_host host;
  gk_host_init(&host);
  host.size = 2;
  gk_plugin *p = nullptr;
  std::string config = R"({"state_path":")" + (dir.path() / "s.db").string() + R"("})";
  EXPECT_EQ(gk_open(&host, config.c_str(), &p), GK_ERR_VERSION);
  EXPECT_EQ(p, nullptr);
}

TEST(BadInput, BadConfigIsInvalidAndNamesTheKey) {
  gk_plugin *p = nullptr;
  EXPECT_EQ(gk_open(nullptr, R"({"limits":{"max_parallel":0}})", &p), GK_ERR_INVALID);
  EXPECT_NE(last_error().find("max_parallel"), std::string::npos);
  EXPECT_EQ(gk_open(nullptr, R"({"stat_path":"x.db"})", &p), GK_ERR_INVALID);
  EXPECT_NE(last_error().find("stat_path"), std::string::npos);
}
