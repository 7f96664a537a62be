// The durable state: one SQLite file in WAL mode. The store knows tables and rows; the engine
// decides what they mean. Every state-changing ABI call runs inside one IMMEDIATE transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/goal_template.hpp"
#include "core/model.hpp"
#include "core/sqlite.hpp"
#include "core/trigger.hpp"

namespace gk {

class Store {
 public:
  // read_only: the state must exist (else Errc::not_found, "no state at PATH"); nothing is
  // created, migrated or written.
  Store(const std::string &path, bool durability_full, int busy_timeout_ms, bool read_only);

  sql::Db &db() { return db_; }

  // True when another connection committed since we last looked (PRAGMA data_version).
  bool changed_by_others();

  // Reads every goal and task into a fresh model (indexes not yet derived).
  Model read_all();

  // g.def is the goal's header (no task tree); digest fingerprints the whole definition.
  void insert_goal(const Goal &g, const std::string &digest, int64_t now_ms);
  std::string goal_digest(const std::string &goal_id);
  void update_goal(const Goal &g);
  // Inserts the task row and sets t.rowid.
  void insert_task(Task &t, const Goal &g, const Task *parent);
  void update_task(const Task &t);
  void delete_task(const Task &t);
  void append_event(int64_t ts_ms, std::string_view goal_id, std::string_view task_id,
                    std::string_view kind, std::string_view data_json);
  void put_cancel(std::string_view job_key, std::string_view goal_id, std::string_view reason);
  void delete_cancel(std::string_view job_key);

  // Records a webhook delivery id; false when it was seen before (keeps the newest `keep`).
  bool remember_delivery(std::string_view id, int64_t now_ms, int64_t keep);

  // Writes what deliveries showed of (repo, gate type); Model::feeds is read by read_all.
  void put_feed(const std::string &repo, const std::string &gate_type, const WebhookFeed &feed);

  // Events after `after_id` (for gk_query and `goalkeeper events`), oldest first.
  boost::json::array read_events(std::string_view goal_id, int64_t after_id, int64_t limit);

  // Templates (schema 4): stored as loaded; true when this one was new or differed.
  bool put_template(const GoalTemplate &t, int64_t now_ms);
  std::optional<GoalTemplate> get_template(std::string_view id);

  // Triggers (schema 4): those of `source` become `triggers` (the others of that file are
  // deleted); a trigger id another file holds is Errc::conflict. A changed trigger is due now.
  void put_triggers(std::string_view source, const std::vector<TriggerDef> &triggers);
  struct TriggerRow {
    TriggerDef def;
    int64_t next_ms = 0;
    int64_t last_cycle_ms = 0;
  };
  std::vector<TriggerRow> read_triggers();
  void set_trigger_schedule(std::string_view id, int64_t next_ms, int64_t last_cycle_ms);

  static constexpr int kSchemaVersion = 4;

 private:
  void open(const std::string &path, bool durability_full, int busy_timeout_ms, bool read_only);
  void migrate();
  void check_schema();  // read-only: the schema must be the one this plugin writes

  sql::Db db_;
  int64_t data_version_ = -1;
  sql::Stmt data_version_stmt_, update_task_, insert_task_, update_goal_, insert_event_;
  sql::Stmt remember_delivery_, prune_deliveries_, put_feed_;  // prepared on first use
};

}  // namespace gk
