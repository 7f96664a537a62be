// Thin RAII over the SQLite C API: a connection, prepared statements, and errors that become
// gk::Error with the right code (busy -> busy, everything else -> io).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gk::sql {

class Stmt;

class Db {
 public:
  Db() = default;
  // read_only: the file must exist and is never written (SQLITE_OPEN_READONLY).
  Db(const std::string &path, int busy_timeout_ms, bool read_only = false);
  sqlite3 *get() const { return db_.get(); }
  void exec(const char *sql);
  Stmt prepare(std::string_view sql) const;
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }
  [[noreturn]] void raise(int rc, std::string_view what) const;
  // Transaction control through statements prepared once: these run on every ABI call.
  void begin_immediate() { run_cached(begin_, "BEGIN IMMEDIATE"); }
  void commit() { run_cached(commit_, "COMMIT"); }
  void rollback() noexcept;

 private:
  struct Close {
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
  };
  struct Finalize {
    void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
  };
  using CachedStmt = std::unique_ptr<sqlite3_stmt, Finalize>;
  void run_cached(CachedStmt &stmt, const char *sql);
  // Declared after db_ so that they are finalized before the connection closes.
  std::unique_ptr<sqlite3, Close> db_;
  CachedStmt begin_, commit_, rollback_;
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Db &db, sqlite3_stmt *s) : db_(&db), stmt_(s) {}
  explicit operator bool() const { return stmt_ != nullptr; }

  Stmt &bind(int i, int64_t v);
  Stmt &bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt &bind(int i, std::string_view v);
  Stmt &bind(int i, const char *v) { return bind(i, std::string_view(v)); }
  Stmt &bind(int i, const std::string &v) { return bind(i, std::string_view(v)); }
  Stmt &bind_null(int i);
  Stmt &bind(int i, const std::optional<std::string> &v) { return v ? bind(i, *v) : bind_null(i); }

  bool step();  // true while a row is available
  void run();   // step to completion, then reset
  void reset();

  int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  std::string_view text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
  };
  const Db *db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Db &db);
  ~Transaction();
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  void commit();

 private:
  Db &db_;
  bool open_ = true;
};

}  // namespace gk::sql
