#include "core/store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "core/error.hpp"

namespace gk {

namespace {

// The schema, one step per version. Later versions append steps to kMigrations; never edit a
// shipped one.
constexpr const char *kMigrations[] = {
    R"sql(
CREATE TABLE goals(
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,      -- digest of the canonical definition as loaded
  header TEXT NOT NULL,          -- the goal without its task tree
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  spec INTEGER NOT NULL DEFAULT 0,
  finish_announced INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE tasks(
  rowid INTEGER PRIMARY KEY,
  goal_id TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
  task_id TEXT NOT NULL,         -- '' for the goal's root
  parent INTEGER REFERENCES tasks(rowid) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  def TEXT NOT NULL,
  dynamic INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending',
  job INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  review_announced INTEGER NOT NULL DEFAULT 0,
  attempt INTEGER NOT NULL DEFAULT 0,
  retries_used INTEGER NOT NULL DEFAULT 0,
  reclaims INTEGER NOT NULL DEFAULT 0,
  start_failures INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  feedback TEXT NOT NULL DEFAULT '',
  failure TEXT NOT NULL DEFAULT '',
  artifacts TEXT NOT NULL DEFAULT '{}',
  gate TEXT NOT NULL DEFAULT '{}',
  UNIQUE(goal_id, task_id)
);
CREATE INDEX tasks_parent ON tasks(parent);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  goal_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX events_goal ON events(goal_id, id);
CREATE TABLE deliveries(        -- webhook deliveries seen, so a redelivery has no second effect
  id TEXT PRIMARY KEY,
  received_ms INTEGER NOT NULL
);
CREATE INDEX deliveries_age ON deliveries(received_ms);
CREATE TABLE cancels(
  job_key TEXT PRIMARY KEY,
  goal_id TEXT NOT NULL,
  reason TEXT NOT NULL
);
)sql",
    // Version 2: which repositories webhooks are known to reach, per gate type.
    R"sql(
CREATE TABLE webhook_feeds(
  repo TEXT NOT NULL,
  gate_type TEXT NOT NULL,
  last_ms INTEGER NOT NULL,
  distrust_until_ms INTEGER NOT NULL,
  PRIMARY KEY(repo, gate_type)
) WITHOUT ROWID;
)sql",
    // Version 3: what the host calls the job of a task's current attempt (ABI 1.2).
    R"sql(
ALTER TABLE tasks ADD COLUMN host_ref TEXT NOT NULL DEFAULT '';
)sql",
    // Version 4: goal templates (the recipes of gk_instantiate and discovery), triggers, and
    // what discovery knows of the goals it made.
    R"sql(
CREATE TABLE templates(
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,      -- params, body and defaults as JSON
  source TEXT NOT NULL,
  loaded_ms INTEGER NOT NULL
);
CREATE TABLE triggers(
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  definition TEXT NOT NULL,
  next_ms INTEGER NOT NULL DEFAULT 0,        -- host time the next discovery is due
  last_cycle_ms INTEGER NOT NULL DEFAULT 0   -- host time the last complete search began
);
ALTER TABLE goals ADD COLUMN trigger_id TEXT NOT NULL DEFAULT '';
ALTER TABLE goals ADD COLUMN pull TEXT NOT NULL DEFAULT '';        -- 'acme/shop#11'
ALTER TABLE goals ADD COLUMN discovery_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE goals ADD COLUMN closed TEXT NOT NULL DEFAULT '';      -- why discovery ended it
ALTER TABLE goals ADD COLUMN head_sha TEXT NOT NULL DEFAULT '';    -- its pull request's head
ALTER TABLE goals ADD COLUMN status_posted TEXT NOT NULL DEFAULT ''; -- the commit status sent
)sql",
};

constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == Store::kSchemaVersion);

// What the plugin wrote itself: as deep as the loader lets a goal file nest (params, compound
// gates), deeper than Boost.JSON's default of 32.
boost::json::parse_options stored_json() {
  boost::json::parse_options o;
  o.max_depth = 256;
  return o;
}

boost::json::object parse_object(std::string_view text) {
  boost::json::value v = boost::json::parse(text, {}, stored_json());
  return v.is_object() ? std::move(v.as_object()) : boost::json::object{};
}

}  // namespace

Store::Store(const std::string &path, bool durability_full, int busy_timeout_ms, bool read_only) {
  // Processes that open a new state at once race to make it: switching to WAL, the first
  // migration or reading the schema can be refused as busy without SQLite's busy handler waiting
  // (while another connection sets up the WAL index, say). Those are retried until
  // busy_timeout_ms is spent.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (int tries = 1;; ++tries) {
    try {
      open(path, durability_full, busy_timeout_ms, read_only);
      return;
    } catch (const Error &e) {
      if (e.code() != Errc::busy || std::chrono::steady_clock::now() >= give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * tries, 50)));
    }
  }
}

void Store::open(const std::string &path, bool durability_full, int busy_timeout_ms,
                 bool read_only) {
  std::filesystem::path p(path);
  if (read_only) {
    std::error_code ec;
    if (path != ":memory:" && !std::filesystem::is_regular_file(p, ec))
      fail(Errc::not_found, "no state at " + path);
    db_ = sql::Db(path, busy_timeout_ms, true);
    check_schema();
  } else {
    if (p.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(p.parent_path(), ec);
      if (ec)
        fail(Errc::io, "cannot create the directory of state file '" + path + "': " + ec.message());
    }
    db_ = sql::Db(path, busy_timeout_ms);
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec(durability_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db_.exec("PRAGMA foreign_keys=ON");
    migrate();
  }
  data_version_stmt_ = db_.prepare("PRAGMA data_version");
  update_task_ = db_.prepare(
      "UPDATE tasks SET status=?2, job=?3, pinned=?4, review_announced=?5, attempt=?6, "
      "retries_used=?7, reclaims=?8, start_failures=?9, not_before_ms=?10, lease_until_ms=?11, "
      "started_ms=?12, finished_ms=?13, summary=?14, reason=?15, feedback=?16, failure=?17, "
      "artifacts=?18, gate=?19, position=?20, host_ref=?21 WHERE rowid=?1");
  insert_task_ = db_.prepare(
      "INSERT INTO tasks(goal_id, task_id, parent, position, def, dynamic) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  update_goal_ = db_.prepare(
      "UPDATE goals SET state=?2, spec=?3, finish_announced=?4, discovery_paused=?5, closed=?6, "
      "head_sha=?7, status_posted=?8 WHERE id=?1");
  insert_event_ = db_.prepare(
      "INSERT INTO events(ts_ms, goal_id, task_id, kind, data) VALUES(?1, ?2, ?3, ?4, ?5)");
  changed_by_others();
}

void Store::migrate() {
  sql::Transaction tx(db_);
  db_.exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
  auto q = db_.prepare("SELECT version FROM schema_version");
  int version = q.step() ? static_cast<int>(q.int64(0)) : 0;
  q.reset();
  if (version > kSchemaVersion)
    fail(Errc::version, "state file has schema version " + std::to_string(version) +
                            ", newer than this plugin understands (" +
                            std::to_string(kSchemaVersion) + "); upgrade goalkeeper");
  for (int v = version; v < kSchemaVersion; ++v) db_.exec(kMigrations[v]);
  if (version != kSchemaVersion) {
    db_.exec("DELETE FROM schema_version");
    db_.prepare("INSERT INTO schema_version(version) VALUES(?1)").bind(1, kSchemaVersion).run();
  }
  tx.commit();
}

void Store::check_schema() {
  int version = 0;
  try {
    auto q = db_.prepare("SELECT version FROM schema_version");
    version = q.step() ? static_cast<int>(q.int64(0)) : 0;
  } catch (const Error &) {
    fail(Errc::io, "state file: not a goalkeeper state (it has no schema version)");
  }
  if (version != kSchemaVersion)
    fail(Errc::version,
         "state file has schema version " + std::to_string(version) +
             "; this plugin reads version " + std::to_string(kSchemaVersion) +
             (version < kSchemaVersion ? " (a command that writes to the state upgrades it)"
                                       : " (upgrade goalkeeper)"));
}

bool Store::changed_by_others() {
  data_version_stmt_.step();
  int64_t v = data_version_stmt_.int64(0);
  data_version_stmt_.reset();
  bool changed = v != data_version_;
  data_version_ = v;
  return changed;
}

Model Store::read_all() {
  Model m;
  auto gq = db_.prepare(
      "SELECT id, header, source, state, spec, finish_announced, trigger_id, pull, "
      "discovery_paused, closed, head_sha, status_posted FROM goals ORDER BY created_ms, rowid");
  while (gq.step()) {
    Goal g;
    g.id = gq.text(0);
    g.def = goal_def_from_json(parse_object(gq.text(1)));
    g.source = gq.text(2);
    g.state = goal_state_from_string(gq.text(3));
    g.spec = static_cast<SpecPhase>(gq.int64(4));
    g.finish_announced = gq.int64(5) != 0;
    g.trigger_id = gq.text(6);
    g.pull = gq.text(7);
    g.discovery_paused = gq.int64(8) != 0;
    g.closed = gq.text(9);
    g.head_sha = gq.text(10);
    g.status_posted = gq.text(11);
    m.goal_by_id.emplace(g.id, static_cast<int32_t>(m.goals.size()));
    m.goals.push_back(std::move(g));
  }
  std::unordered_map<int64_t, TaskIndex> by_rowid;
  auto tq = db_.prepare(
      "SELECT rowid, goal_id, task_id, parent, position, def, dynamic, status, job, pinned, "
      "review_announced, attempt, retries_used, reclaims, start_failures, not_before_ms, "
      "lease_until_ms, started_ms, finished_ms, summary, reason, feedback, failure, artifacts, "
      "gate, host_ref FROM tasks ORDER BY rowid");
  while (tq.step()) {
    Task t;
    t.rowid = tq.int64(0);
    auto git = m.goal_by_id.find(std::string(tq.text(1)));
    if (git == m.goal_by_id.end()) continue;  // foreign keys make this impossible
    t.goal = git->second;
    t.id = tq.text(2);
    if (!tq.is_null(3)) t.parent = by_rowid.at(tq.int64(3));
    t.position = static_cast<int32_t>(tq.int64(4));
    t.def = std::make_unique<TaskDef>(task_def_from_json(parse_object(tq.text(5))));
    t.dynamic = tq.int64(6) != 0;
    t.status = status_from_string(tq.text(7)).value_or(Status::pending);
    t.job = static_cast<JobState>(tq.int64(8));
    t.pinned = tq.int64(9) != 0;
    t.review_announced = tq.int64(10) != 0;
    t.attempt = static_cast<int32_t>(tq.int64(11));
    t.retries_used = static_cast<int32_t>(tq.int64(12));
    t.reclaims = static_cast<int32_t>(tq.int64(13));
    t.start_failures = static_cast<int32_t>(tq.int64(14));
    t.not_before_ms = tq.int64(15);
    t.lease_until_ms = tq.int64(16);
    t.started_ms = tq.int64(17);
    t.finished_ms = tq.int64(18);
    t.summary = tq.text(19);
    t.reason = tq.text(20);
    t.feedback = tq.text(21);
    t.failure = tq.text(22);
    t.artifacts = parse_object(tq.text(23));
    if (auto gate = parse_object(tq.text(24)); !gate.empty())
      t.gate() = GateRuntime::from_json(gate);
    t.host_ref = tq.text(25);
    auto index = static_cast<TaskIndex>(m.tasks.size());
    by_rowid.emplace(t.rowid, index);
    if (t.parent == kNoTask) m.goals[t.goal].root = index;
    m.tasks.push_back(std::move(t));
  }
  for (TaskIndex i = 0; i < static_cast<TaskIndex>(m.tasks.size()); ++i)
    if (m.tasks[i].parent != kNoTask) m.tasks[m.tasks[i].parent].children.push_back(i);
  for (auto &t : m.tasks) {
    std::sort(t.children.begin(), t.children.end(),
              [&](TaskIndex a, TaskIndex b) { return m.tasks[a].position < m.tasks[b].position; });
  }
  auto cq = db_.prepare("SELECT job_key, reason FROM cancels");
  while (cq.step()) m.cancels.emplace(std::string(cq.text(0)), std::string(cq.text(1)));
  auto fq = db_.prepare("SELECT repo, gate_type, last_ms, distrust_until_ms FROM webhook_feeds");
  while (fq.step())
    m.feeds[{std::string(fq.text(0)), std::string(fq.text(1))}] = {fq.int64(2), fq.int64(3)};
  return m;
}

void Store::insert_goal(const Goal &g, const std::string &digest, int64_t now_ms) {
  db_.prepare(
         "INSERT INTO goals(id, definition, header, source, state, spec, finish_announced, "
         "created_ms, trigger_id, pull) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
      .bind(1, g.id)
      .bind(2, digest)
      .bind(3, boost::json::serialize(to_json(g.def)))
      .bind(4, g.source)
      .bind(5, to_string(g.state))
      .bind(6, static_cast<int>(g.spec))
      .bind(7, g.finish_announced ? 1 : 0)
      .bind(8, now_ms)
      .bind(9, g.trigger_id)
      .bind(10, g.pull)
      .run();
}

bool Store::put_template(const GoalTemplate &t, int64_t now_ms) {
  std::string text = boost::json::serialize(to_json(t));
  auto q = db_.prepare("SELECT definition FROM templates WHERE id=?1");
  q.bind(1, t.id);
  if (q.step() && q.text(0) == text) return false;
  q.reset();
  db_.prepare(
         "INSERT INTO templates(id, definition, source, loaded_ms) VALUES(?1, ?2, ?3, ?4) "
         "ON CONFLICT(id) DO UPDATE SET definition=excluded.definition, source=excluded.source, "
         "loaded_ms=excluded.loaded_ms")
      .bind(1, t.id)
      .bind(2, text)
      .bind(3, t.source)
      .bind(4, now_ms)
      .run();
  return true;
}

void Store::put_triggers(std::string_view source, const std::vector<TriggerDef> &triggers) {
  for (const TriggerDef &t : triggers) {
    auto q = db_.prepare("SELECT source, definition FROM triggers WHERE id=?1");
    q.bind(1, t.id);
    const std::string text = boost::json::serialize(to_json(t));
    if (q.step()) {
      if (q.text(0) != source)
        fail(Errc::conflict, "trigger '" + t.id + "' belongs to " + std::string(q.text(0)) +
                                 ": trigger ids are unique within the state");
      if (q.text(1) == text) continue;
    }
    q.reset();
    // A changed trigger searches at the next step.
    db_.prepare(
           "INSERT INTO triggers(id, source, definition, next_ms) VALUES(?1, ?2, ?3, 0) "
           "ON CONFLICT(id) DO UPDATE SET definition=excluded.definition, next_ms=0")
        .bind(1, t.id)
        .bind(2, source)
        .bind(3, text)
        .run();
  }
  // Triggers the file no longer declares stop; the goals they made stay.
  std::string keep = "[";
  for (const TriggerDef &t : triggers)
    keep += (keep.size() > 1 ? "," : "") + boost::json::serialize(boost::json::value(t.id));
  keep += "]";
  db_.prepare(
         "DELETE FROM triggers WHERE source=?1 AND id NOT IN (SELECT value FROM json_each(?2))")
      .bind(1, source)
      .bind(2, keep)
      .run();
}

std::vector<Store::TriggerRow> Store::read_triggers() {
  std::vector<TriggerRow> out;
  auto q = db_.prepare("SELECT definition, next_ms, last_cycle_ms FROM triggers ORDER BY id");
  while (q.step()) {
    out.push_back(TriggerRow{trigger_from_json(parse_object(q.text(0))), q.int64(1), q.int64(2)});
  }
  return out;
}

void Store::set_trigger_schedule(std::string_view id, int64_t next_ms, int64_t last_cycle_ms) {
  db_.prepare("UPDATE triggers SET next_ms=?2, last_cycle_ms=?3 WHERE id=?1")
      .bind(1, id)
      .bind(2, next_ms)
      .bind(3, last_cycle_ms)
      .run();
}

std::optional<GoalTemplate> Store::get_template(std::string_view id) {
  auto q = db_.prepare("SELECT definition FROM templates WHERE id=?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return goal_template_from_json(parse_object(q.text(0)));
}

std::string Store::goal_digest(const std::string &goal_id) {
  auto q = db_.prepare("SELECT definition FROM goals WHERE id=?1");
  q.bind(1, goal_id);
  std::string digest = q.step() ? std::string(q.text(0)) : std::string();
  q.reset();
  return digest;
}

void Store::update_goal(const Goal &g) {
  update_goal_.bind(1, g.id)
      .bind(2, to_string(g.state))
      .bind(3, static_cast<int>(g.spec))
      .bind(4, g.finish_announced ? 1 : 0)
      .bind(5, g.discovery_paused ? 1 : 0)
      .bind(6, g.closed)
      .bind(7, g.head_sha)
      .bind(8, g.status_posted)
      .run();
}

void Store::insert_task(Task &t, const Goal &g, const Task *parent) {
  insert_task_.bind(1, g.id).bind(2, t.id);
  if (parent)
    insert_task_.bind(3, parent->rowid);
  else
    insert_task_.bind_null(3);
  insert_task_.bind(4, t.position)
      .bind(5, boost::json::serialize(to_json_shallow(*t.def)))
      .bind(6, t.dynamic ? 1 : 0)
      .run();
  t.rowid = db_.last_insert_rowid();
}

void Store::update_task(const Task &t) {
  update_task_.bind(1, t.rowid)
      .bind(2, to_string(t.status))
      .bind(3, static_cast<int>(t.job))
      .bind(4, t.pinned ? 1 : 0)
      .bind(5, t.review_announced ? 1 : 0)
      .bind(6, t.attempt)
      .bind(7, t.retries_used)
      .bind(8, t.reclaims)
      .bind(9, t.start_failures)
      .bind(10, t.not_before_ms)
      .bind(11, t.lease_until_ms)
      .bind(12, t.started_ms)
      .bind(13, t.finished_ms)
      .bind(14, t.summary)
      .bind(15, t.reason)
      .bind(16, t.feedback)
      .bind(17, t.failure)
      .bind(18, boost::json::serialize(t.artifacts))
      .bind(19, boost::json::serialize(t.gate().to_json()))
      .bind(20, t.position)
      .bind(21, t.host_ref)
      .run();
}

void Store::delete_task(const Task &t) {
  db_.prepare("DELETE FROM tasks WHERE rowid=?1").bind(1, t.rowid).run();
}

void Store::append_event(int64_t ts_ms, std::string_view goal_id, std::string_view task_id,
                         std::string_view kind, std::string_view data_json) {
  insert_event_.bind(1, ts_ms)
      .bind(2, goal_id)
      .bind(3, task_id)
      .bind(4, kind)
      .bind(5, data_json)
      .run();
}

void Store::put_cancel(std::string_view job_key, std::string_view goal_id,
                       std::string_view reason) {
  db_.prepare("INSERT OR REPLACE INTO cancels(job_key, goal_id, reason) VALUES(?1, ?2, ?3)")
      .bind(1, job_key)
      .bind(2, goal_id)
      .bind(3, reason)
      .run();
}

void Store::delete_cancel(std::string_view job_key) {
  db_.prepare("DELETE FROM cancels WHERE job_key=?1").bind(1, job_key).run();
}

bool Store::remember_delivery(std::string_view id, int64_t now_ms, int64_t keep) {
  if (!remember_delivery_)
    remember_delivery_ =
        db_.prepare("INSERT OR IGNORE INTO deliveries(id, received_ms) VALUES(?1, ?2)");
  remember_delivery_.bind(1, id).bind(2, now_ms).run();
  if (db_.changes() == 0) return false;
  // Bounded retention: only about the newest `keep` deliveries are remembered. Pruning walks the
  // index, so it runs once every 256 deliveries rather than on each.
  if (db_.last_insert_rowid() % 256 == 0) {
    if (!prune_deliveries_)
      prune_deliveries_ = db_.prepare(
          "DELETE FROM deliveries WHERE received_ms < (SELECT received_ms FROM deliveries "
          "ORDER BY received_ms DESC LIMIT 1 OFFSET ?1)");
    prune_deliveries_.bind(1, keep).run();
  }
  return true;
}

void Store::put_feed(const std::string &repo, const std::string &gate_type,
                     const WebhookFeed &feed) {
  if (!put_feed_)
    put_feed_ = db_.prepare(
        "INSERT OR REPLACE INTO webhook_feeds(repo, gate_type, last_ms, distrust_until_ms) "
        "VALUES(?1, ?2, ?3, ?4)");
  put_feed_.bind(1, repo).bind(2, gate_type).bind(3, feed.last_ms).bind(4, feed.distrust_until_ms);
  put_feed_.run();
}

boost::json::array Store::read_events(std::string_view goal_id, int64_t after_id, int64_t limit) {
  boost::json::array out;
  auto q = goal_id.empty()
               ? db_.prepare(
                     "SELECT id, ts_ms, goal_id, task_id, kind, data FROM events WHERE id > ?1 "
                     "ORDER BY id LIMIT ?2")
               : db_.prepare(
                     "SELECT id, ts_ms, goal_id, task_id, kind, data FROM events WHERE id > ?1 "
                     "AND goal_id = ?3 ORDER BY id LIMIT ?2");
  q.bind(1, after_id).bind(2, limit);
  if (!goal_id.empty()) q.bind(3, goal_id);
  while (q.step()) {
    boost::json::object e;
    e["id"] = q.int64(0);
    e["ts_ms"] = q.int64(1);
    e["goal_id"] = q.text(2);
    e["task_id"] = q.text(3);
    e["kind"] = q.text(4);
    boost::json::error_code ec;
    auto data = boost::json::parse(q.text(5), ec, {}, stored_json());
    e["data"] = ec ? boost::json::value(q.text(5)) : data;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gk
