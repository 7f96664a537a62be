// Bad input gets a clear error and changes nothing (docs/design.md "Secrets and input").
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

TEST(Config, EveryIntegerKeyHasARangeAndSaysIt) {
  struct Case {
    const char *config, *says;
  };
  for (const Case &c : {
           Case{R"({"limits":{"max_parallel":2147483648}})",
                "limits.max_parallel is out of range (from 1 to 1000000), found 2147483648"},
           Case{R"({"limits":{"max_parallel":4294967296}})", "limits.max_parallel is out of range"},
           Case{R"({"busy_timeout_ms":4294967296})", "busy_timeout_ms is out of range"},
           Case{R"({"limits":{"max_reclaims":2147483648}})", "limits.max_reclaims is out of range"},
           Case{R"({"limits":{"max_start_failures":0}})",
                "limits.max_start_failures is out of range (from 1 to 1000)"},
           Case{R"({"limits":{"lease_s":18446744073709551615}})", "limits.lease_s is out of range"},
           Case{R"({"limits":{"max_result_bytes":10}})",
                "limits.max_result_bytes is out of range (from 1024 to 1073741824)"},
           Case{R"({"webhook":{"reconcile_s":99999999999}})",
                "webhook.reconcile_s is out of range"},
           Case{R"({"centaur":{"poll_s":1e300}})", "\"centaur.poll_s\" is out of range"},
           Case{R"({"github":{"timeout_s":1e300}})", "\"github.timeout_s\" is out of range"},
       }) {
    SCOPED_TRACE(c.config);
    gk_plugin *p = nullptr;
    EXPECT_EQ(gk_open(nullptr, c.config, &p), GK_ERR_INVALID);
    EXPECT_EQ(p, nullptr);
    EXPECT_NE(last_error().find(c.says), std::string::npos) << last_error();
  }
  // The largest values are taken: a fan-out of a million jobs at once stays expressible.
  Host h(R"({"limits":{"max_parallel":1000000,"max_result_bytes":1073741824}})");
  h.load(kGoal);
}

TEST(Config, AReadOnlyHandleReadsAndRefusesEveryChange) {
  Host writer;
  writer.load(kGoal);
  writer.start("g");
  const std::string config =
      R"({"read_only":true,"state_path":")" + writer.state_path.string() + R"("})";
  gk_plugin *p = nullptr;
  ASSERT_EQ(gk_open(nullptr, config.c_str(), &p), GK_OK) << last_error();
  char *out = nullptr;
  EXPECT_EQ(gk_query(p, R"({"what":"status"})", &out), GK_OK);
  EXPECT_NE(std::string(out).find("\"goal_id\":\"g\""), std::string::npos);
  gk_free(out);
  EXPECT_EQ(gk_step(p, nullptr, &out), GK_ERR_CONFLICT);
  EXPECT_NE(last_error().find("opened read-only"), std::string::npos) << last_error();
  EXPECT_EQ(gk_control(p, "g", "pause"), GK_ERR_CONFLICT);
  EXPECT_EQ(gk_load(p, kGoal, "x.yaml", &out), GK_ERR_CONFLICT);
  gk_close(p);
  // No state there: not found, and nothing is made.
  const auto missing = writer.dir->path() / "none" / "state.db";
  const std::string none = R"({"read_only":true,"state_path":")" + missing.string() + R"("})";
  EXPECT_EQ(gk_open(nullptr, none.c_str(), &p), GK_ERR_NOT_FOUND);
  EXPECT_NE(last_error().find("no state at " + missing.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing.parent_path()));
}
