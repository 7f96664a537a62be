#include "core/sqlite.hpp"

#include "core/error.hpp"

namespace gk::sql {

Db::Db(const std::string &path, int busy_timeout_ms, bool read_only) {
  sqlite3 *raw = nullptr;
  const int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, mode | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    fail(Errc::io, "cannot open state file '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
}

void Db::raise(int rc, std::string_view what) const {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_.get());
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    fail(Errc::busy, "state is locked by another process (" + msg + ")");
  fail(Errc::io, "state file: " + msg);
}

void Db::exec(const char *sql) {
  char *err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    raise(rc, msg);
  }
}

void Db::run_cached(CachedStmt &stmt, const char *sql) {
  if (!stmt) {
    sqlite3_stmt *s = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) raise(rc, sql);
    stmt.reset(s);
  }
  int rc = sqlite3_step(stmt.get());
  sqlite3_reset(stmt.get());
  if (rc != SQLITE_DONE) raise(rc, sql);
}

void Db::rollback() noexcept {
  try {
    run_cached(rollback_, "ROLLBACK");
  } catch (...) {
    // Nothing was open, or the connection is gone: either way there is nothing to undo.
  }
}

Stmt Db::prepare(std::string_view sql) const {
  sqlite3_stmt *s = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) raise(rc, "prepare");
  return Stmt(*this, s);
}

Stmt &Stmt::bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_.get(), i, v);
  if (rc != SQLITE_OK) db_->raise(rc, "bind");
  return *this;
}

Stmt &Stmt::bind(int i, std::string_view v) {
  // An empty view may have no data pointer, which SQLite would store as NULL.
  const char *data = v.data() ? v.data() : "";
  int rc = sqlite3_bind_text(stmt_.get(), i, data, static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->raise(rc, "bind");
  return *this;
}

Stmt &Stmt::bind_null(int i) {
  int rc = sqlite3_bind_null(stmt_.get(), i);
  if (rc != SQLITE_OK) db_->raise(rc, "bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_.get());
  db_->raise(rc, "step");
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string_view Stmt::text(int col) const {
  auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt_.get(), col));
  if (!p) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col))};
}

Transaction::Transaction(Db &db) : db_(db) {
  db_.begin_immediate();
}

Transaction::~Transaction() {
  if (open_) db_.rollback();
}

void Transaction::commit() {
  db_.commit();
  open_ = false;
}

}  // namespace gk::sql
