/*
** goalkeeper.h -- the C ABI of the goalkeeper plugin, version 1.
**
** (Longer than our other files on purpose: a host author reads the whole contract in one place,
** each function beside its JSON shapes, as sqlite3.h and the git2 headers keep theirs.)
**
** This header is the whole contract between a CI host and libgoalkeeper.so. A host written in
** any language that can call C loads the plugin (dlopen, or links -lgoalkeeper), opens a state
** with gk_open(), loads goal files with gk_load(), starts goals with gk_start(), and then calls
** gk_step() at each pipeline step and acts on the actions it returns: start a job, cancel a
** job, ask a human for a review, report a finished goal. It reports what its jobs do with
** gk_job_event(), and resolves gates with gk_review(), gk_signal() and gk_webhook().
**
** CONVENTIONS (they hold for every function below unless its comment says otherwise)
**
**   Status.   Functions that can fail return an int: GK_OK (0) or a negative gk_status. The
**             message of the failure is in gk_last_error(), on the thread that made the call.
**
**   Strings.  Every string is NUL-terminated UTF-8. Structured input and output is JSON (RFC
**             8259), one object per string. Invalid UTF-8, malformed JSON, a JSON value of the
**             wrong type and unknown keys in an input object (except webhook headers and job
**             results) are GK_ERR_INVALID: a typo is never silently ignored. Output objects may
**             gain new keys in later minor versions; ignore keys you do not know. The plugin
**             writes compact JSON (no whitespace between tokens), but parse it with a JSON
**             parser, not by position.
**
**   Pointers. A NULL pointer where a value is required is GK_ERR_INVALID, never a crash. The
**             plugin never keeps a pointer you pass it beyond the call (except gk_host's ctx and
**             callbacks, see gk_open), so you may free your inputs as soon as a call returns.
**
**   Output.   A `char **` out-parameter is required where the function's comment says so
**             (gk_step's actions_json, gk_query's result_json); gk_load, gk_signal and
**             gk_webhook accept NULL there for a caller that wants only the status. On GK_OK a
**             non-NULL out-parameter receives a string the plugin allocated: you own it and
**             release it with gk_free(). On error it is set to NULL, so `gk_free(*out)` is
**             always safe.
**
**   Ids.      Goal and task ids match [A-Za-z0-9][A-Za-z0-9_.-]* and are at most 64 characters.
**             Task ids are unique within their goal only, so where a task is named across goals
**             the name is "<goal id>/<task id>" (for example "land-fix/ci"). Functions that take
**             a task id also accept a bare "<task id>" when exactly one loaded goal has a task
**             with that id; if several do, the call fails with GK_ERR_INVALID naming the goals.
**
**   Threads.  One gk_plugin handle may be used from several threads at once: calls on a handle
**             are serialized inside the plugin. Different handles are independent. Do not use a
**             handle in a child process after fork(); open a new one there.
**
**   Processes. Several processes may open the same state file at the same time (a CI host
**             often runs each pipeline step as a new process). They coordinate through SQLite
**             transactions: every call that changes state is one transaction, a job is never
**             dispatched twice, and a call that cannot get the lock within busy_timeout_ms
**             fails with GK_ERR_BUSY, having changed nothing; retry it.
**
**   Versions. GK_ABI_VERSION is the ABI this header describes; gk_abi_version() is the ABI the
**             loaded plugin implements. A host must refuse a plugin whose major version differs
**             (the major is the upper 16 bits). Minor versions only add: functions, JSON keys,
**             gk_host fields appended at the end. 1.1 added gk_open's "read_only", the limit
**             max_result_bytes, "waits_for" in status and "run" in trees; 1.2 added "host_ref"
**             (job events, status, tree, task, events); 1.3 added gk_instantiate,
**             gk_discover, goal files' "templates", "imports", "triggers" and merge tasks,
**             gk_load's "templates", "triggers" and "instances", gk_step's "discovered", the
**             goal status "closed" and gk_open's "dry_run".
*/
#ifndef GOALKEEPER_H
#define GOALKEEPER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions the plugin exports. Only gk_* symbols leave libgoalkeeper.so. */
#ifndef GK_API
#if defined(__GNUC__) || defined(__clang__)
#define GK_API __attribute__((visibility("default")))
#else
#define GK_API
#endif
#endif

/* ---------------------------------------------------------------------------------------------
** Versions
*/

/* The ABI this header describes. Compare with gk_abi_version() at run time. */
#define GK_ABI_VERSION_MAJOR 1
#define GK_ABI_VERSION_MINOR 3
#define GK_ABI_VERSION ((GK_ABI_VERSION_MAJOR << 16) | GK_ABI_VERSION_MINOR)

/*
** Returns the ABI version the plugin implements, (major << 16) | minor, e.g. 0x00010000 for 1.0.
** A host checks `gk_abi_version() >> 16 == GK_ABI_VERSION_MAJOR` before calling anything else
** and refuses the plugin otherwise. Never fails; callable from any thread at any time.
*/
GK_API uint32_t gk_abi_version(void);

/*
** Returns the plugin's release version, e.g. "0.1.0": a static string the caller must not free
** or modify. Never NULL; callable from any thread at any time.
*/
GK_API const char *gk_version(void);

/* ---------------------------------------------------------------------------------------------
** Status codes and errors
**
** Functions return int so the codes can be compared with `== GK_OK` or `< 0` in any language;
** the enum names them.
*/
typedef enum gk_status {
  GK_OK = 0,                /* success */
  GK_ERR_INVALID = -1,      /* bad argument: NULL pointer, bad UTF-8, JSON, YAML, id or command */
  GK_ERR_NOT_FOUND = -2,    /* no such goal, task or job key */
  GK_ERR_CONFLICT = -3,     /* not allowed in the current state (e.g. a changed goal definition) */
  GK_ERR_UNAUTHORIZED = -4, /* bad or missing webhook signature, no webhook secret configured */
  GK_ERR_IO = -5,           /* the state file (or a result file) could not be read or written */
  GK_ERR_BUSY = -6,         /* the state stayed locked by another process past busy_timeout_ms */
  GK_ERR_VERSION = -7,      /* ABI, gk_host size or state schema version mismatch */
  GK_ERR_INTERNAL = -8      /* a bug in the plugin; the message says where */
} gk_status;

/*
** Returns the message of the most recent failed gk_* call on the calling thread, for example
** "pipelines/fix.yaml:12:5: unknown key 'wait_fo'". Read it right after a call returned a
** negative status: it is only meaningful then, and successful calls do not promise to clear it.
** Never NULL ("" when no call on this thread has failed). The string belongs to the plugin and
** stays valid until the next gk_* call on the same thread; copy it to keep it. Messages never
** contain tokens or secrets. A message longer than 4,095 bytes is cut there (it may then end
** inside a UTF-8 sequence); the first line names what failed and where.
*/
GK_API const char *gk_last_error(void);

/*
** Frees a string the plugin returned through a `char **` out-parameter. NULL is a no-op. Do not
** pass anything else (not gk_version(), not gk_last_error(), not your own memory). Thread-safe.
*/
GK_API void gk_free(char *s);

/* ---------------------------------------------------------------------------------------------
** The host
*/

/* Log levels passed to gk_host.log. */
typedef enum gk_log_level {
  GK_LOG_ERROR = 0,
  GK_LOG_WARN = 1,
  GK_LOG_INFO = 2,
  GK_LOG_DEBUG = 3
} gk_log_level;

/*
** What the host offers the plugin. Every field after `size` may be NULL / 0.
**
**   size       sizeof(gk_host) as the host was compiled: set it with GK_HOST_INIT or
**              gk_host_init(). The plugin reads no field beyond `size` bytes, so an older host
**              keeps working with a newer plugin. Fields are only ever appended.
**   ctx        passed unchanged as the first argument of every callback.
**   log        receives the plugin's log lines (level is a gk_log_level, message is UTF-8 and
**              valid only during the call). NULL: the plugin logs nothing.
**   now_ms     the current time in milliseconds since the Unix epoch. NULL: the wall clock.
**              Tests and simulations inject time here: leases, backoffs, polls and timeouts
**              all follow this clock, so a run can be replayed.
**   job_alive  whether the job started for job_key still runs: 1 alive, 0 gone, -1 unknown.
**              NULL: always unknown. A job reported gone has its task reclaimed (back to
**              pending) at the next step; unknown jobs are judged by their heartbeat lease.
**
** Callbacks are called only during a gk_* call on a handle, on the thread that made that call,
** never concurrently for one handle. They must not call gk_* functions on the same handle.
*/
typedef struct gk_host {
  uint32_t size;
  void *ctx;
  void (*log)(void *ctx, int level, const char *message);
  int64_t (*now_ms)(void *ctx);
  int (*job_alive)(void *ctx, const char *job_key);
} gk_host;

/* Static initialiser: `gk_host host = GK_HOST_INIT;` then set the fields you provide. */
/* clang-format off */
#define GK_HOST_INIT {sizeof(gk_host), NULL, NULL, NULL, NULL}
/* clang-format on */

/* Zeroes *host and sets host->size = sizeof(gk_host). NULL is a no-op. Thread-safe. */
GK_API void gk_host_init(gk_host *host);

/* ---------------------------------------------------------------------------------------------
** Opening and closing a state
*/

/* An open state: goals, tasks, jobs and events in one SQLite file. Opaque. */
typedef struct gk_plugin gk_plugin;

/*
** Opens the state named by the configuration, creating the file, its directory and its schema
** if they do not exist, and stores a new handle in *out (NULL on error).
**
** host:        may be NULL (no callbacks, wall clock). The plugin copies the struct, so it need
**              not outlive the call, but ctx and the callbacks must stay valid until gk_close().
** config_json: NULL or "" means all defaults. Every key is optional:
**     {"state_path": ".goalkeeper/state.db",            relative to the working directory
**      "read_only": false,                              (1.1) true: open an existing state
**                                                       only to read it (gk_query): nothing
**                                                       is created or written, a missing file
**                                                       is GK_ERR_NOT_FOUND ("no state at
**                                                       PATH"), and every call that would
**                                                       change the state is GK_ERR_CONFLICT
**      "durability": "normal",                          "normal" | "full" (SQLite synchronous)
**      "busy_timeout_ms": 5000,                         wait for another process's lock,
**                                                       0..3600000
**      "limits": {"max_parallel": 8,                    spawned jobs at once, 1..1000000
**                 "lease_s": 300,                       1..31536000 (a year)
**                 "max_reclaims": 3,                    0..1000
**                 "max_start_failures": 3,              1..1000
**                 "start_backoff_ms": 2000,             0..86400000
**                 "idle_step_ms": 1000,                 1..3600000
**                 "max_result_bytes": 1048576},         (1.1) 1024..1073741824: a job result
**                                                       (summary, artifacts, subtasks) larger
**                                                       than this fails its attempt
**      "github": {"api_url": "https://api.github.com",
**                 "graphql_url": "https://api.github.com/graphql",
**                 "token_env": "GITHUB_TOKEN", "poll_s": {"gh_ci": 30, "gh_review": 60}},
**      "centaur": {"url": "http://127.0.0.1:8642"},
**      "webhook": {"secret_env": "GK_WEBHOOK_SECRET",
**                  "reconcile_s": 600,                  quiet gates of a repository whose
**                                                       deliveries arrive are polled this often;
**                                                       0 = at the checker's own pace;
**                                                       0..31536000
**                  "coalesce_ms": 1000},                one read confirms the deliveries of
**                                                       this window; 0..3600000
**      "signals": {"token_env": "GK_SIGNAL_TOKEN"}}
**     Keys ending in _env name environment variables; their values (tokens, secrets) are read
**     from the environment and never stored in the state, events, logs or error messages.
**     An integer outside its range is GK_ERR_INVALID naming the key and the range.
**
** Returns GK_OK; GK_ERR_INVALID (out is NULL, bad config); GK_ERR_NOT_FOUND (read_only and no
** file); GK_ERR_VERSION (host->size smaller than the version 1.0 gk_host, or a state file
** written by a newer, incompatible plugin; read_only and a state of an older schema);
** GK_ERR_IO (the file cannot be created or opened); GK_ERR_BUSY.
*/
GK_API int gk_open(const gk_host *host, const char *config_json, gk_plugin **out);

/*
** Closes the handle and frees it. NULL is a no-op. No other call on the same handle may be
** running or made afterwards. Strings the handle returned stay valid: free them with gk_free().
** Jobs keep their state in the file; another gk_open() of the same state carries on.
*/
GK_API void gk_close(gk_plugin *p);

/* ---------------------------------------------------------------------------------------------
** Goals
*/

/*
** Validates a goal file (YAML, `version: 1`) and stores its goals. All or nothing: if anything
** is wrong, nothing is written.
**
** yaml:        the file's text. Required. A file that holds a NUL byte cannot be passed whole:
**              refuse it before calling (the reference host says where the byte is). Bytes that
**              are not UTF-8 are GK_ERR_INVALID with their line and column.
** source_name: the name used in messages and stored with the goals, e.g. "pipelines/fix.yaml".
**              NULL means "<input>".
** result_json: NULL, or receives, for each goal of the file, whether it was created:
**     {"goals":[{"goal_id":"land-fix","tasks":12,"created":true}],
**      "templates":[{"template_id":"shepherd","params":["repo","pr"]}],     (1.3)
**      "instances":["shepherd-shop-11-3f9a2c"]}                              (1.3)
**     "tasks" counts every task of the goal's tree. "created" is false when the state already
**     held the same definition: nothing changed, so loading a file again after a crash is safe.
**     "templates" lists the file's templates (its own and the imported ones), which are stored
**     for gk_instantiate, replacing a stored template of the same id (goals made from it keep
**     theirs). "instances" lists goals made earlier from them (gk_instantiate, discovery) that
**     are not among "goals": a host that drives the file's goals drives these too.
**     A file's "imports" are read by the plugin, relative to the folder of source_name.
**
** Returns GK_OK; GK_ERR_INVALID (YAML syntax, unknown keys, wrong types, duplicate ids, dangling
** or cyclic needs, bad expressions, an expression that puts a task's artifacts or summary into
** `run` or reads a task that does not finish first, nesting past the limits, a template or
** trigger that does not check, an imported file that cannot be read; the message starts with
** "source:line:column: "); GK_ERR_CONFLICT (a goal already in the state has a different
** definition; the message names the goal and the first difference; a trigger id another file
** holds); GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_load(gk_plugin *p, const char *yaml, const char *source_name, char **result_json);

/*
** (1.3) Makes a goal from a template that gk_load stored, with these param values.
**
** template_id: required.
** params_json: NULL or "" is {}. An object of param values, checked against the template's
**              types, enum and pattern; strings are converted where the type asks for it ("11"
**              for an integer, "true" for a boolean); missing ones take their default.
** result_json: NULL, or receives
**     {"goal_id":"shepherd-shop-11-3f9a2c","template_id":"shepherd",
**      "params":{"repo":"acme/shop","pr":11},"created":true,"tasks":7}
**     The goal id is derived from the template id and the values (readable slugs of the values,
**     then six hex digits of a hash of all of them), so the same values name the same goal:
**     "created" is false when it exists already, whatever the template became since. The goal
**     is loaded, not started (gk_start), and belongs to the file that loaded the template.
**
** Returns GK_OK; GK_ERR_NOT_FOUND (no such template); GK_ERR_INVALID (params: unknown name,
** missing required one, wrong type, not in enum, pattern mismatch; the message names the param);
** GK_ERR_CONFLICT (a goal of that id exists that the template did not make); GK_ERR_IO;
** GK_ERR_BUSY.
*/
GK_API int gk_instantiate(gk_plugin *p, const char *template_id, const char *params_json,
                          char **result_json);

/*
** (1.3) Runs discovery now: the triggers of loaded goal files search GitHub for the pull requests
** they name, and each matching pull request gets one goal made from the trigger's template
** (created and started once, whatever the number of cycles, hosts or restarts). A goal whose pull
** request stopped matching is paused, and resumed when it matches again; one whose pull request
** was closed or merged outside goalkeeper finishes with status "closed" (not a failure). A search
** that did not finish changes nothing. gk_step runs the triggers that are due by themselves.
**
** options_json: NULL or "" is {}.
**     {"trigger": "labelled",     only this trigger (default: every trigger)
**      "force": true,             search even when not due (default: only the due ones)
**      "dry_run": true,           say what would happen, change nothing (the state included)
**      "time_budget_ms": 10000}   how long the searches may take, 0..3600000
** result_json: NULL, or receives one entry per trigger searched:
**     {"triggers":[{"trigger":"labelled","requests":2,"dry_run":false,
**        "actions":[{"pr":"acme/shop#11","action":"create","goal_id":"shepherd-shop-11-3f9a2c"},
**                   {"pr":"acme/shop#9","action":"stop","goal_id":"...",
**                    "reason":"merged outside goalkeeper"}],
**        "error":"..."}]}                                   when the search did not finish
**     action is create, exists, stop, pause, resume or skip (with a reason: max_goals reached,
**     or params the template refuses).
**
** Returns GK_OK (a search problem is reported in "error", not as a status); GK_ERR_INVALID;
** GK_ERR_NOT_FOUND (no such trigger); GK_ERR_CONFLICT (read-only state without dry_run);
** GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_discover(gk_plugin *p, const char *options_json, char **result_json);

/*
** Starts a loaded goal: from the next gk_step() on, its ready tasks are dispatched.
**
** goal_id:      required.
** options_json: NULL or "" for none. {"spec": true} starts in spec mode: the goal's first job
**               decomposes it, the subtasks it returns become the goal's children, and the goal
**               waits in pending_review (an await_review action) until gk_review() approves them
**               (they replace the tasks the file declared, and run) or rejects them (they are
**               deleted and the declared tasks stay; the goal is left pending, stopped).
**
** Starting a goal that is already running (or paused) is a no-op that returns GK_OK, so a host
** may run the same goal file again after a crash.
**
** Returns GK_OK; GK_ERR_NOT_FOUND (no such goal); GK_ERR_INVALID; GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_start(gk_plugin *p, const char *goal_id, const char *options_json);

/*
** Controls a started goal. command is one of:
**   "pause"   dispatch nothing new; jobs already running finish and their results are applied.
**   "resume"  undo pause or stop; blocked tasks of the goal become pending again (their
**             start-failure and reclaim counts reset), so a person can retry after fixing the
**             cause. Resuming a running goal is a no-op.
**   "stop"    stop the goal: the next gk_step() emits a cancel_job action for each of its running
**             jobs, and results that arrive later for them are recorded and ignored.
**
** Returns GK_OK; GK_ERR_NOT_FOUND (no such goal); GK_ERR_INVALID (unknown command);
** GK_ERR_CONFLICT (the command makes no sense now, e.g. pause of a goal that was never started
** or has finished);
** GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_control(gk_plugin *p, const char *goal_id, const char *command);

/* ---------------------------------------------------------------------------------------------
** Steps and jobs
*/

/*
** Runs one pipeline step: reclaims orphaned tasks, applies due gate polls (within the time
** budget), advances every running goal, commits, and only then returns the actions, so the host
** acts only on durable decisions.
**
** input_json: NULL or "" is {}. All keys are optional:
**     {"goal_id": "land-fix",      only this goal (default: every running goal)
**      "capacity": 4,              at most this many run_job actions (default: no host limit;
**                                  0 or more, a number above the jobs there are is no limit)
**      "time_budget_ms": 2000}     how long gate polls may take in this step, 0..3600000,
**                                  in wall time. The checkers share it: each (GitHub, the
**                                  review bot) gets what those before it left, but at least
**                                  100 ms, so a step with polls due always asks once and
**                                  may overrun the budget by that much per checker.
**
** actions_json: required.
**
** actions_json receives:
**     {"actions":[
**        {"type":"run_job","job_key":"land-fix/implement#2","goal_id":"land-fix",
**         "task_id":"implement","title":"Implement the fix",
**         "session":{"id":"S","policy":"spawn","workspace":"isolated"},
**         "command":["./agent.sh"],"env":{"GK_TASK_ID":"implement"},"prompt":"...",
**         "timeout_s":3600},
**        {"type":"cancel_job","job_key":"land-fix/implement#1","reason":"goal stopped"},
**        {"type":"await_review","goal_id":"land-fix","task_id":"sign-off","title":"...",
**         "kind":"human_review"},
**        {"type":"goal_finished","goal_id":"land-fix","status":"done"}],
**      "next_step_ms":1000,
**      "goals":[{"goal_id":"land-fix","state":"running","progress":{"done":3,"total":7}}]}
**
**   run_job        start the job. job_key is "<goal id>/<task id>#<attempt>", unique across the
**                  state; it is an idempotency key. A run_job is offered again by later steps
**                  until the host reports "started" or "start_failed" for it (gk_job_event), so
**                  a host that crashes between a step and starting the job loses nothing, and a
**                  host must never start the same job_key twice. The plugin decides each
**                  dispatch once, whatever the number of processes stepping the state; but
**                  until "started" is reported every step offers the job again, so hosts that
**                  step one state at the same time must agree on who starts a key (a shared
**                  registry keyed by job_key, or the CI's own job names). session.policy
**                  "reuse" runs the job in the host's own (pinned) session; "spawn" in a child
**                  job with an isolated workspace. env holds GK_GOAL_ID, GK_TASK_ID,
**                  GK_JOB_KEY, GK_ATTEMPT, GK_SESSION_ID, GK_PROMPT, GK_STATE and the task's
**                  own env; the host adds what only it knows: GK_WORKSPACE, GK_PROMPT_FILE
**                  (the prompt written to a file) and GK_RESULT_FILE (where the job writes
**                  its result). (In spec mode the job that decomposes
**                  the goal belongs to the goal itself; its key is "<goal id>#<attempt>".)
**   cancel_job     stop the job if it still runs (goal stopped, lease expired, superseded).
**                  Offered again by later steps until the host reports the job "finished".
**   await_review   a task waits for gk_review(); pass "<goal_id>/<task_id>" from the action.
**                  Emitted once; a host that restarts finds waiting reviews in the
**                  "pending_review" list of gk_query {"what":"status"}.
**   goal_finished  the goal reached a terminal status ("done", "failed" or "skipped"); emitted
**                  once, by the step that sees it finish.
**   next_step_ms   the number of milliseconds after which another gk_step() is next worth
**                  calling (a poll falls due, a backoff ends); a step called earlier is harmless.
**                  Call it sooner anyway after a job event, review or signal.
**
** Returns GK_OK; GK_ERR_INVALID; GK_ERR_NOT_FOUND (goal_id given but unknown); GK_ERR_IO;
** GK_ERR_BUSY (nothing was decided; call again).
*/
GK_API int gk_step(gk_plugin *p, const char *input_json, char **actions_json);

/*
** Reports what happened to a job the host was asked to run.
**
** job_key:    the key of a run_job action, e.g. "land-fix/implement#2". Required.
** event_json: one of
**     {"type":"started"}                           the job is running and is never offered
**                                                  again. Optional: "pid": 1234, and
**                                                  (1.2) "host_ref": the host's name for the
**                                                  job (a CI build's id or URL, 1..2048
**                                                  bytes, no control characters, no URL
**                                                  credentials), shown by status, tree, task
**                                                  and the job_started event
**     {"type":"start_failed","reason":"..."}       the task goes back to pending with backoff,
**                                                  and is blocked after repeated failures;
**                                                  ignored once "started" was reported (another
**                                                  host of the state started it)
**     {"type":"heartbeat"}                         extends the job's lease
**     {"type":"finished","exit_code":0,"result":{...}}
**     {"type":"finished","exit_code":0,"result_file":"/path/result.json"}
**         The result (optional, given inline or as a file the plugin reads) is
**         {"status":"done|blocked|failed","summary":"...","artifacts":{...},"subtasks":[...]}.
**         Without a result, exit code 0 is done and anything else failed; a non-zero exit code
**         is never done. A result file that is missing or empty counts as no result. The job
**         has run, so a result the plugin cannot use is never an error of the call: one that is
**         not a JSON object, has a key of the wrong type (summary not a string, artifacts not an
**         object, subtasks not an array), an unknown status, or is larger than
**         limits.max_result_bytes fails the attempt, once, with what was wrong as the reason
**         (the retry rule applies as to any failure).
**
** Late results are applied by job_key against the durable state: an event for a superseded
** attempt, a stopped goal, or a job that already finished is recorded as an event, ignored, and
** returns GK_OK. A repeated "started" is a no-op.
**
** Returns GK_OK; GK_ERR_NOT_FOUND (no job was ever offered with that key); GK_ERR_INVALID;
** GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_job_event(gk_plugin *p, const char *job_key, const char *event_json);

/* ---------------------------------------------------------------------------------------------
** Gates: reviews, signals, webhooks
*/

/*
** Decides a task that waits in pending_review (see await_review).
**
** task_id:       "<goal id>/<task id>", or a bare task id that names one task (see Ids). Required.
** decision_json: {"decision":"approve"}  the task is done.
**                {"decision":"reject","feedback":"Handle the empty cart too."}
**                the agent task (for a human_review stage: its closest preceding agent sibling)
**                runs again with the feedback in its prompt.
**
** Returns GK_OK; GK_ERR_NOT_FOUND (no such task); GK_ERR_CONFLICT (the task is not in
** pending_review); GK_ERR_INVALID (bad decision, ambiguous bare task id); GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_review(gk_plugin *p, const char *task_id, const char *decision_json);

/*
** Resolves gates by their metadata, for relays and bots that do not know task ids. Resolves
** every active gate of the given type whose configuration matches.
**
** signal_json: {"type":"gh_ci","repo":"acme/web","pr":42,"status":"pass"}
**     type       "gh_ci" | "gh_review" | "centaur_review" | "human_approval". Required.
**     status     "pass" | "fail". Required. "fail" takes the gate's retry path.
**     repo, pr   repo compared case-insensitively, pr as a number (42 or "42").
**     sha        gh_ci by head commit.
**     pr_url     centaur_review by pull request URL.
**     key        human_approval by the gate's key.
**     task_id    human_approval by task ("<goal id>/<task id>" or bare, see Ids).
**     artifacts  an object stored on the gate (and passed to a retry's prompt).
**     Human approval gates match by task_id, or key, or repo+pr.
** result_json: NULL, or receives the gates it resolved and a message for people:
**     {"matched":[{"goal_id":"land-fix","task_id":"ship"}],"message":"resolved 1 gate"}
**     Matching nothing is not an error: GK_OK, "matched":[] and a message saying why.
**
** gk_signal trusts its caller; a host that accepts signals from the network checks the token
** named by signals.token_env itself (the reference runner does).
**
** Returns GK_OK; GK_ERR_INVALID (unknown type, bad status, malformed signal); GK_ERR_IO;
** GK_ERR_BUSY.
*/
GK_API int gk_signal(gk_plugin *p, const char *signal_json, char **result_json);

/*
** Verifies and applies a GitHub webhook delivery (check_run, check_suite, status, workflow_run,
** pull_request, pull_request_review). The X-Hub-Signature-256 header is checked (HMAC-SHA256 of
** the raw body with the secret from webhook.secret_env, constant-time) before the body is parsed.
** A delivery whose X-GitHub-Delivery id was already applied is acknowledged and ignored.
**
** headers_json: the request headers as a JSON object of strings; names are case-insensitive:
**               {"X-GitHub-Event":"check_run","X-GitHub-Delivery":"72d3162e-...",
**                "X-Hub-Signature-256":"sha256=757107ea..."}
** body, len:    the raw request body, exactly as received (it need not be NUL-terminated).
** result_json:  NULL, or receives what the delivery did, e.g.
**     {"event":"check_run","delivery":"72d3162e-...","duplicate":false,
**      "matched":[{"goal_id":"land-fix","task_id":"ci"}],
**      "scheduled":[{"goal_id":"land-fix","task_id":"ci"}],
**      "message":"1 gate(s) will be confirmed by a read at the next step"}
**     A delivery never resolves a gate by itself and never waits for GitHub: "scheduled" lists
**     the gates whose poll was brought forward to webhook.coalesce_ms from now, and the first
**     gk_step after that confirms them (and every other nudged gate) with one batched read.
**     When nothing matched, both lists are empty and the message says why (event not handled,
**     no gate for that PR). Every handled delivery also marks its repository as fed by webhooks
**     for its gate type: quiet gates there are then polled every webhook.reconcile_s instead of
**     at the checker's pace, until a poll finds a move that no delivery announced (an event
**     "webhook_missed"; the gates of that feed poll at their own pace for an hour).
**
** Returns GK_OK; GK_ERR_UNAUTHORIZED (signature missing or wrong, or no secret configured);
** GK_ERR_INVALID (headers not a JSON object, body not JSON once verified); GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_webhook(gk_plugin *p, const char *headers_json, const char *body, size_t len,
                      char **result_json);

/* ---------------------------------------------------------------------------------------------
** Queries (read only)
*/

/*
** Reads the state for status views, without changing it.
**
** query_json, one of (NULL or "" is {}, which names no "what": GK_ERR_INVALID):
**   {"what":"status"}                      every goal; add "goal_id" for one:
**       {"goals":[{"goal_id":"G","title":"...","state":"running","progress":{"done":3,"total":7},
**                  "active":[...],"pending_review":[...],"blocked":[...]}]}
**       Each active gate names the types of the parts still undecided (1.1), e.g.
**       {"task_id":"sign","gate":"compound","waits_for":["human_approval"]}: a gate whose
**       waits_for holds only human_approval waits on a person, whatever its shape. An active
**       job shows the "host_ref" its host reported with "started" (1.2), e.g.
**       {"task_id":"T","job_key":"G/T#1","job":"running","host_ref":"https://ci/job/7/"}.
**   {"what":"tree","goal_id":"G"}          the goal's task tree in run order, each task with
**                                          its status, stage, policy and order keys:
**       {"goal_id":"G","state":"running","status":"active","tree":{"task_id":"G",
**        "title":"...","status":"active","children":[{"task_id":"T","title":"...",
**        "status":"done","stage":"agent_work","session_policy":"spawn","needs":["S"],
**        "priority":1,"run":["./agent.sh","{{ task.id }}"]}]}}
**                                          ("run", 1.1: an agent task's argv as the file wrote
**                                          it; "gate": a gate's type; "host_ref", 1.2: the
**                                          host's name for the last attempt's job)
**   {"what":"task","goal_id":"G","task_id":"T"}   one task in detail (status, attempt, stage,
**                                          session, gate, artifacts, last result)
**   {"what":"events","goal_id":"G","after":0,"limit":100}   the audit log, oldest first; goal_id
**                                          optional, "after" is the last id already seen, limit
**                                          at most 10000:
**       {"events":[{"id":1,"ts_ms":1700000000000,"goal_id":"G","task_id":"T",
**                   "kind":"status","data":{"from":"pending","to":"active"}}],"last_id":1}
** Task statuses are pending, active, pending_review, blocked, done, skipped, failed.
** result_json: required.
**
** Returns GK_OK; GK_ERR_INVALID (unknown "what", missing key); GK_ERR_NOT_FOUND (no such goal or
** task); GK_ERR_IO; GK_ERR_BUSY.
*/
GK_API int gk_query(gk_plugin *p, const char *query_json, char **result_json);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GOALKEEPER_H */
