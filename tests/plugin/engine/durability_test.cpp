// Durability and loading (docs/design.md "Durability", docs/goal-files.md).
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kGoal = R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    tasks: [{id: a}, {id: b}]
)";

int64_t count_rows(const std::filesystem::path &db, const char *table) {
  sqlite3 *raw = nullptr;
  sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt *s = nullptr;
  std::string sql = std::string("SELECT count(*) FROM ") + table;
  sqlite3_prepare_v2(raw, sql.c_str(), -1, &s, nullptr);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return n;
}

}  // namespace

TEST(Durability, AHostThatReopensTheStateResumesWhereItStopped) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kGoal);
    h.start("g");
    h.step();
    h.started("g/a#1");
  }
  Host h(state, "{}");
  // The same file loaded again changes nothing, and start of a running goal is a no-op.
  auto r = h.load(kGoal);
  EXPECT_FALSE(r.at("goals").as_array().at(0).at("created").as_bool());
  h.start("g");
  EXPECT_EQ(h.status_of("g", "a"), "active");
  EXPECT_TRUE(Host::run_keys(h.step()).empty()) << "a#1 is started: not offered again";
  h.finish("g/a#1");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/b#1"});
}

TEST(Durability, AnOfferThatWasNeverStartedIsOfferedAgainAfterARestart) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kGoal);
    h.start("g");
    EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
  }
  Host h(state, "{}");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
}

TEST(Durability, LoadingAChangedDefinitionIsAConflictThatNamesTheDifference) {
  Host h;
  h.load(kGoal);
  std::string changed = kGoal;
  changed.replace(changed.find("{id: b}"), 7, "{id: c}");
  EXPECT_EQ(h.load_status(changed), GK_ERR_CONFLICT);
  std::string msg = last_error();
  EXPECT_NE(msg.find("'g'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"b\""), std::string::npos) << msg;
}

TEST(Durability, AFailedLoadWritesNothing) {
  Host h;
  int64_t before = count_rows(h.state_path, "goals");
  // The first goal is valid, the second is not: neither may be stored.
  EXPECT_EQ(h.load_status(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: fine
    tasks: [{id: a}]
  - id: broken
    tasks: [{id: a, needs: [zz]}]
)"),
            GK_ERR_INVALID);
  EXPECT_EQ(count_rows(h.state_path, "goals"), before);
  EXPECT_EQ(count_rows(h.state_path, "tasks"), 0);
  EXPECT_EQ(count_rows(h.state_path, "events"), 0);
}

TEST(Durability, EveryTransitionIsAnEvent) {
  Host h;
  h.load(kGoal);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.finish("g/a#1");
  auto kinds = h.event_kinds("g");
  for (const char *k :
       {"goal_loaded", "goal_started", "job_offered", "status", "job_started", "job_finished"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
}

TEST(Durability, StateFileUsesWalAndForeignKeys) {
  Host h;
  h.load(kGoal);
  sqlite3 *raw = nullptr;
  sqlite3_open_v2(h.state_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt *s = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char *>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 4);
  sqlite3_finalize(s);
  sqlite3_close(raw);
}

TEST(Durability, AVersionOneStateIsMigratedAndKeepsItsGoals) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kGoal);
  }
  // What version 1 wrote: no webhook_feeds table.
  sqlite3 *raw = nullptr;
  sqlite3_open(state.c_str(), &raw);
  ASSERT_EQ(
      sqlite3_exec(
          raw,
          "DROP TABLE webhook_feeds; ALTER TABLE tasks DROP COLUMN host_ref; "
          "DROP TABLE templates; DROP TABLE triggers; ALTER TABLE goals DROP COLUMN trigger_id; "
          "ALTER TABLE goals DROP COLUMN pull; ALTER TABLE goals DROP COLUMN "
          "discovery_paused; ALTER TABLE goals DROP COLUMN closed; ALTER TABLE goals DROP "
          "COLUMN head_sha; ALTER TABLE goals DROP COLUMN status_posted; "
          "UPDATE schema_version SET version = 1",
          nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  {
    Host h(state, "{}");
    EXPECT_EQ(h.status_of("g", "a"), "pending");
  }
  sqlite3_open_v2(state.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt *s = nullptr;
  sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 4);
  sqlite3_finalize(s);
  EXPECT_EQ(sqlite3_prepare_v2(raw, "SELECT repo FROM webhook_feeds", -1, &s, nullptr), SQLITE_OK);
  sqlite3_finalize(s);
  EXPECT_EQ(sqlite3_prepare_v2(raw, "SELECT id FROM templates", -1, &s, nullptr), SQLITE_OK);
  sqlite3_finalize(s);
  sqlite3_close(raw);
}

TEST(Durability, AVersionTwoStateIsMigratedAndItsRunningJobsTakeAHostRef) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kGoal);
    h.start("g");
    h.step();
  }
  // What version 2 wrote: no host_ref column.
  sqlite3 *raw = nullptr;
  sqlite3_open(state.c_str(), &raw);
  ASSERT_EQ(
      sqlite3_exec(raw,
                   "ALTER TABLE tasks DROP COLUMN host_ref; DROP TABLE templates; "
                   "DROP TABLE triggers; ALTER TABLE goals DROP COLUMN trigger_id; "
                   "ALTER TABLE goals DROP COLUMN pull; ALTER TABLE goals DROP COLUMN "
                   "discovery_paused; ALTER TABLE goals DROP COLUMN closed; ALTER TABLE goals DROP "
                   "COLUMN head_sha; ALTER TABLE goals DROP COLUMN status_posted; "
                   "UPDATE schema_version SET version = 2",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  Host h(state, "{}");
  auto keys = Host::run_keys(h.step());
  ASSERT_FALSE(keys.empty()) << "the offer made before the upgrade stands";
  h.event(keys[0], R"({"type":"started","host_ref":"build-9"})");
  EXPECT_EQ(h.status_of("g", "a"), "active");
  EXPECT_EQ(h.task("g", "a").at("host_ref").as_string(), "build-9");
}

TEST(Durability, AStateFromANewerSchemaIsRefusedWithAVersionError) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  { Host h(state, "{}"); }
  sqlite3 *raw = nullptr;
  sqlite3_open(state.c_str(), &raw);
  sqlite3_exec(raw, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  gk_plugin *p = nullptr;
  std::string config = R"({"state_path":")" + state.string() + R"("})";
  EXPECT_EQ(gk_open(nullptr, config.c_str(), &p), GK_ERR_VERSION);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(last_error().find("99"), std::string::npos);
}

TEST(Durability, UnwritableStatePathIsAnIoError) {
  gk_plugin *p = nullptr;
  EXPECT_EQ(gk_open(nullptr, R"({"state_path":"/proc/no/such/dir/state.db"})", &p), GK_ERR_IO);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(last_error().find("/proc/no/such/dir"), std::string::npos);
}

// Runners started together on a new folder all make the same state at once: each open waits its
// turn (within busy_timeout_ms) rather than failing as busy.
TEST(Durability, ProcessesOpeningANewStateAtOnceAllSucceed) {
  constexpr int kRounds = 10, kProcesses = 6;
  for (int round = 0; round < kRounds; ++round) {
    TempDir dir;
    const std::string config =
        R"({"state_path":")" + (dir.path() / "new" / "state.db").string() + R"("})";
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    std::vector<pid_t> children;
    for (int k = 0; k < kProcesses; ++k) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(go[1]);
        char c;
        while (read(go[0], &c, 1) < 0 && errno == EINTR) {
        }
        gk_plugin *p = nullptr;
        int rc = gk_open(nullptr, config.c_str(), &p);
        gk_close(p);
        _exit(rc == GK_OK ? 0 : 10 - rc);
      }
      children.push_back(pid);
    }
    close(go[0]);
    close(go[1]);  // every child starts now
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 0)
          << "round " << round << ": gk_open returned " << 10 - WEXITSTATUS(status);
    }
  }
}
