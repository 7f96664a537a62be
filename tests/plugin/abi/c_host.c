/* A CI host in plain C99 that knows goalkeeper only through goalkeeper.h and dlopen().
**
**   c_host PLUGIN_PATH WORK_DIR
**
** Loads the plugin, checks its ABI, opens a fresh state under WORK_DIR, and drives one goal to
** the end: a parallel fan-out of 5 spawned jobs, a human_approval gate resolved by a signal, and a
** sequential tail of 2 jobs in the pinned session. It runs nothing: every run_job is reported as
** started and then finished with exit code 0. It also checks that bad input is refused with
** GK_ERR_INVALID (or GK_ERR_NOT_FOUND) and a message. Exits 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <goalkeeper/goalkeeper.h>

#define GOAL_ID "c-host"
#define FAN_OUT 5
#define MAX_STEPS 1000
#define MAX_JOBS 64

static const char goal_yaml[] =
    "version: 1\n"
    "goals:\n"
    "  - id: " GOAL_ID
    "\n"
    "    title: A C host drives a fan-out, a gate and a tail\n"
    "    max_parallel: 5\n"
    "    tasks:\n"
    "      - id: fan-out\n"
    "        parallel: true\n"
    "        tasks:\n"
    "          - {id: part-1, session_policy: spawn, run: [\"true\"]}\n"
    "          - {id: part-2, session_policy: spawn, run: [\"true\"]}\n"
    "          - {id: part-3, session_policy: spawn, run: [\"true\"]}\n"
    "          - {id: part-4, session_policy: spawn, run: [\"true\"]}\n"
    "          - {id: part-5, session_policy: spawn, run: [\"true\"]}\n"
    "      - id: ship\n"
    "        wait_for: {type: human_approval, key: ship}\n"
    "      - id: tail-1\n"
    "        session_policy: reuse\n"
    "        run: [\"true\"]\n"
    "      - id: tail-2\n"
    "        session_policy: reuse\n"
    "        run: [\"true\"]\n";

/* ---- checks ---------------------------------------------------------------------------------- */

static int failures = 0;

static void check_at(int ok, int line, const char *what) {
  if (!ok) {
    ++failures;
    fprintf(stderr, "c_host.c:%d: FAILED: %s\n", line, what);
  }
}
#define CHECK(cond, what) check_at((cond) != 0, __LINE__, what)

/* ---- the plugin, resolved by name ------------------------------------------------------------ */

typedef struct api {
  uint32_t (*abi_version)(void);
  const char *(*version)(void);
  const char *(*last_error)(void);
  void (*free)(char *);
  void (*host_init)(gk_host *);
  int (*open)(const gk_host *, const char *, gk_plugin **);
  void (*close)(gk_plugin *);
  int (*load)(gk_plugin *, const char *, const char *, char **);
  int (*start)(gk_plugin *, const char *, const char *);
  int (*control)(gk_plugin *, const char *, const char *);
  int (*step)(gk_plugin *, const char *, char **);
  int (*job_event)(gk_plugin *, const char *, const char *);
  int (*review)(gk_plugin *, const char *, const char *);
  int (*signal)(gk_plugin *, const char *, char **);
  int (*webhook)(gk_plugin *, const char *, const char *, size_t, char **);
  int (*query)(gk_plugin *, const char *, char **);
} api;

/* ISO C cannot convert the void * from dlsym to a function pointer; copying the bytes is the
** portable POSIX idiom. Returns 0 when the symbol is missing. */
static int resolve(void *lib, const char *name, void *fn, size_t fn_size) {
  void *sym = dlsym(lib, name);
  if (sym == NULL) {
    fprintf(stderr, "c_host: plugin does not export %s\n", name);
    return 0;
  }
  memcpy(fn, &sym, fn_size);
  return 1;
}
#define RESOLVE(lib, a, field) resolve(lib, "gk_" #field, &(a)->field, sizeof((a)->field))

static int resolve_all(void *lib, api *a) {
  int ok = 1;
  ok &= RESOLVE(lib, a, abi_version);
  ok &= RESOLVE(lib, a, version);
  ok &= RESOLVE(lib, a, free);
  ok &= RESOLVE(lib, a, host_init);
  ok &= RESOLVE(lib, a, open);
  ok &= RESOLVE(lib, a, close);
  ok &= RESOLVE(lib, a, load);
  ok &= RESOLVE(lib, a, start);
  ok &= RESOLVE(lib, a, control);
  ok &= RESOLVE(lib, a, step);
  ok &= RESOLVE(lib, a, review);
  ok &= RESOLVE(lib, a, signal);
  ok &= RESOLVE(lib, a, webhook);
  ok &= RESOLVE(lib, a, query);
  ok &= resolve(lib, "gk_last_error", &a->last_error, sizeof(a->last_error));
  ok &= resolve(lib, "gk_job_event", &a->job_event, sizeof(a->job_event));
  return ok;
}

/* ---- a minimal JSON reader: enough to walk the plugin's objects and arrays --------------------
 */

static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') ++s;
  return s;
}

/* Returns the first character after the JSON value starting at s, or NULL if it is malformed. */
static const char *skip_value(const char *s) {
  s = skip_ws(s);
  if (*s == '"') {
    for (++s; *s != '\0' && *s != '"'; ++s) {
      if (*s == '\\' && s[1] != '\0') ++s;
    }
    return *s == '"' ? s + 1 : NULL;
  }
  if (*s == '{' || *s == '[') {
    int depth = 0;
    while (*s != '\0') {
      if (*s == '"') {
        s = skip_value(s);
        if (s == NULL) return NULL;
        continue;
      }
      if (*s == '{' || *s == '[') ++depth;
      if ((*s == '}' || *s == ']') && --depth == 0) return s + 1;
      ++s;
    }
    return NULL;
  }
  if (*s == '\0' || *s == ',' || *s == '}' || *s == ']') return NULL;
  while (*s != '\0' && strchr(",}] \t\r\n", *s) == NULL) ++s;
  return s;
}

/* Returns the value of key in the object at obj (its own keys only, not nested ones), or NULL. */
static const char *member(const char *obj, const char *key) {
  size_t key_len = strlen(key);
  const char *s;
  if (obj == NULL) return NULL;
  s = skip_ws(obj);
  if (*s != '{') return NULL;
  s = skip_ws(s + 1);
  while (*s == '"') {
    const char *key_end = skip_value(s);
    const char *value;
    int match;
    if (key_end == NULL) return NULL;
    match = (size_t)(key_end - s - 2) == key_len && strncmp(s + 1, key, key_len) == 0;
    s = skip_ws(key_end);
    if (*s != ':') return NULL;
    value = skip_ws(s + 1);
    if (match) return value;
    s = skip_value(value);
    if (s == NULL) return NULL;
    s = skip_ws(s);
    if (*s != ',') return NULL;
    s = skip_ws(s + 1);
  }
  return NULL;
}

/* The first element of the array at arr, or NULL when it is empty or not an array. */
static const char *first_element(const char *arr) {
  const char *s;
  if (arr == NULL) return NULL;
  s = skip_ws(arr);
  if (*s != '[') return NULL;
  s = skip_ws(s + 1);
  return *s == ']' ? NULL : s;
}

/* The element after elem, or NULL after the last one. */
static const char *next_element(const char *elem) {
  const char *s = skip_value(elem);
  if (s == NULL) return NULL;
  s = skip_ws(s);
  return *s == ',' ? skip_ws(s + 1) : NULL;
}

static int count_elements(const char *arr) {
  int n = 0;
  const char *e;
  for (e = first_element(arr); e != NULL; e = next_element(e)) ++n;
  return n;
}

/* Copies the string value of key (escapes kept as they are; ids have none) into buf.
** Returns 1 when the key holds a string that fits, else 0 with buf empty. */
static int string_member(const char *obj, const char *key, char *buf, size_t size) {
  const char *v = member(obj, key);
  const char *end;
  size_t len;
  buf[0] = '\0';
  if (v == NULL || *v != '"') return 0;
  end = skip_value(v);
  if (end == NULL) return 0;
  len = (size_t)(end - v - 2);
  if (len >= size) return 0;
  memcpy(buf, v + 1, len);
  buf[len] = '\0';
  return 1;
}

/* Returns the number value of key, or fallback when it is missing or not a number. */
static long number_member(const char *obj, const char *key, long fallback) {
  const char *v = member(obj, key);
  char *end;
  long n;
  if (v == NULL) return fallback;
  n = strtol(v, &end, 10);
  return end == v ? fallback : n;
}

static int bool_member(const char *obj, const char *key, int fallback) {
  const char *v = member(obj, key);
  if (v != NULL && strncmp(v, "true", 4) == 0) return 1;
  if (v != NULL && strncmp(v, "false", 5) == 0) return 0;
  return fallback;
}

/* ---- the host ----------------------------------------------------------------------------- */

typedef struct job {
  char key[160];
  char task[80];
  long offered, started, finished; /* sequence numbers; 0 = not yet */
  int start_events;
} job;

typedef struct host_state {
  int64_t clock_ms; /* the time the plugin sees (gk_host.now_ms) */
  long seq;         /* orders offers, starts, finishes and the signal */
  job jobs[MAX_JOBS];
  int job_count;
  int logged_errors;
} host_state;

static void host_log(void *ctx, int level, const char *message) {
  host_state *h = (host_state *)ctx;
  if (level <= GK_LOG_WARN) fprintf(stderr, "plugin [%d]: %s\n", level, message);
  if (level == GK_LOG_ERROR) ++h->logged_errors;
}

static int64_t host_now_ms(void *ctx) {
  return ((host_state *)ctx)->clock_ms;
}

static job *find_job(host_state *h, const char *key) {
  int i;
  for (i = 0; i < h->job_count; ++i) {
    if (strcmp(h->jobs[i].key, key) == 0) return &h->jobs[i];
  }
  return NULL;
}

static job *find_task_job(host_state *h, const char *task) {
  int i;
  for (i = 0; i < h->job_count; ++i) {
    if (strcmp(h->jobs[i].task, task) == 0) return &h->jobs[i];
  }
  return NULL;
}

static int host_job_alive(void *ctx, const char *job_key) {
  job *j = find_job((host_state *)ctx, job_key);
  if (j == NULL || j->started == 0) return -1;
  return j->finished == 0 ? 1 : 0;
}

/* Appends s to buf as a JSON string body (quotes and backslashes escaped). */
static int json_escape(char *buf, size_t size, const char *s) {
  size_t n = strlen(buf);
  for (; *s != '\0'; ++s) {
    if (n + 3 >= size || (unsigned char)*s < 0x20) return 0;
    if (*s == '"' || *s == '\\') buf[n++] = '\\';
    buf[n++] = *s;
  }
  buf[n] = '\0';
  return 1;
}

static int nonempty(const char *s) {
  return s != NULL && s[0] != '\0';
}

/* A pointer the plugin must overwrite with NULL when a call fails. */
static char not_reset[] = "the plugin did not set the out-parameter to NULL";

static void check_bad_input(const api *a, gk_plugin *p) {
  char *out = not_reset;
  int rc;

  rc = a->step(p, "{", &out);
  CHECK(rc == GK_ERR_INVALID, "gk_step with malformed JSON returns GK_ERR_INVALID");
  CHECK(out == NULL, "gk_step sets actions_json to NULL on error");
  CHECK(nonempty(a->last_error()), "gk_step with malformed JSON sets gk_last_error");

  out = not_reset;
  rc = a->load(p, NULL, "null.yaml", &out);
  CHECK(rc == GK_ERR_INVALID, "gk_load with NULL yaml returns GK_ERR_INVALID");
  CHECK(out == NULL, "gk_load sets result_json to NULL on error");
  CHECK(nonempty(a->last_error()), "gk_load with NULL yaml sets gk_last_error");

  rc = a->job_event(p, GOAL_ID "/no-such-task#1", "{\"type\":\"started\"}");
  CHECK(rc == GK_ERR_NOT_FOUND, "gk_job_event for an unknown job key returns GK_ERR_NOT_FOUND");
  CHECK(nonempty(a->last_error()), "gk_job_event for an unknown job key sets gk_last_error");

  out = not_reset;
  rc = a->signal(p, "{\"type\":\"nope\",\"status\":\"pass\"}", &out);
  CHECK(rc == GK_ERR_INVALID, "gk_signal with an unknown type returns GK_ERR_INVALID");
  CHECK(out == NULL, "gk_signal sets result_json to NULL on error");
  CHECK(nonempty(a->last_error()), "gk_signal with an unknown type sets gk_last_error");
}

/* Reports started, then finished, for every job offered in this step (as if they ran in
** parallel). Returns the number of new run_job actions; sets *finished_status on goal_finished. */
static int apply_actions(const api *a, gk_plugin *p, host_state *h, const char *actions,
                         char *finished_status, size_t status_size) {
  job *fresh[MAX_JOBS];
  int fresh_count = 0;
  int i;
  const char *action;
  char type[32], key[160], task[80], goal[80], prefix[200];

  for (action = first_element(member(actions, "actions")); action != NULL;
       action = next_element(action)) {
    string_member(action, "type", type, sizeof type);
    if (strcmp(type, "run_job") == 0) {
      job *j;
      CHECK(string_member(action, "job_key", key, sizeof key), "run_job has a job_key");
      CHECK(string_member(action, "task_id", task, sizeof task), "run_job has a task_id");
      CHECK(string_member(action, "goal_id", goal, sizeof goal) && strcmp(goal, GOAL_ID) == 0,
            "run_job names the goal");
      snprintf(prefix, sizeof prefix, "%s/%s#", GOAL_ID, task);
      CHECK(strncmp(key, prefix, strlen(prefix)) == 0 && key[strlen(prefix)] >= '1' &&
                key[strlen(prefix)] <= '9',
            "job_key is <goal id>/<task id>#<attempt>");
      j = find_job(h, key);
      if (j != NULL) {
        /* Offered again: only allowed until the host reported started, which it always did. */
        CHECK(j->started == 0, "a run_job is not offered again after started was reported");
        continue;
      }
      if (h->job_count == MAX_JOBS) {
        CHECK(0, "fewer than 64 jobs are offered");
        continue;
      }
      j = &h->jobs[h->job_count++];
      memset(j, 0, sizeof *j);
      strcpy(j->key, key);
      strcpy(j->task, task);
      j->offered = ++h->seq;
      fresh[fresh_count++] = j;
    } else if (strcmp(type, "goal_finished") == 0) {
      string_member(action, "status", finished_status, status_size);
      CHECK(string_member(action, "goal_id", goal, sizeof goal) && strcmp(goal, GOAL_ID) == 0,
            "goal_finished names the goal");
    } else {
      fprintf(stderr, "c_host: unexpected action: %.*s\n",
              (int)(skip_value(action) ? skip_value(action) - action : 80), action);
      CHECK(0, "only run_job and goal_finished actions are emitted for this goal");
    }
  }

  for (i = 0; i < fresh_count; ++i) {
    int rc = a->job_event(p, fresh[i]->key, "{\"type\":\"started\",\"pid\":4242}");
    if (rc != GK_OK) fprintf(stderr, "c_host: started %s: %s\n", fresh[i]->key, a->last_error());
    CHECK(rc == GK_OK, "gk_job_event started returns GK_OK");
    fresh[i]->started = ++h->seq;
    ++fresh[i]->start_events;
  }
  for (i = 0; i < fresh_count; ++i) {
    int rc = a->job_event(p, fresh[i]->key, "{\"type\":\"finished\",\"exit_code\":0}");
    if (rc != GK_OK) fprintf(stderr, "c_host: finished %s: %s\n", fresh[i]->key, a->last_error());
    CHECK(rc == GK_OK, "gk_job_event finished returns GK_OK");
    fresh[i]->finished = ++h->seq;
  }
  return fresh_count;
}

/* Sends the approval. Returns the number of gates it matched (-1 on error). */
static int send_approval(const api *a, gk_plugin *p) {
  char *result = NULL;
  char goal[80], task[80];
  const char *matched;
  int n;
  int rc =
      a->signal(p, "{\"type\":\"human_approval\",\"key\":\"ship\",\"status\":\"pass\"}", &result);
  if (rc != GK_OK) {
    fprintf(stderr, "c_host: gk_signal: %d %s\n", rc, a->last_error());
    CHECK(0, "gk_signal human_approval returns GK_OK");
    return -1;
  }
  matched = member(result, "matched");
  CHECK(matched != NULL && *matched == '[', "gk_signal result has a matched list");
  CHECK(member(result, "message") != NULL, "gk_signal result has a message");
  n = count_elements(matched);
  if (n > 0) {
    const char *m = first_element(matched);
    CHECK(n == 1, "the approval signal matched exactly one gate");
    CHECK(string_member(m, "goal_id", goal, sizeof goal) && strcmp(goal, GOAL_ID) == 0,
          "the matched gate is in the goal");
    CHECK(string_member(m, "task_id", task, sizeof task) && strcmp(task, "ship") == 0,
          "the matched gate is the ship task");
  }
  a->free(result);
  return n;
}

static void drive_goal(const api *a, gk_plugin *p, host_state *h) {
  char status[32] = "";
  long signal_seq = 0;
  int steps, i, rc;
  job *tail1, *tail2;
  long fan_out_last_offer = 0, fan_out_first_finish = 0;

  for (steps = 0; steps < MAX_STEPS && status[0] == '\0'; ++steps) {
    char *actions = NULL;
    int offered;
    long next_ms;
    rc = a->step(p, "{}", &actions);
    if (rc != GK_OK) {
      fprintf(stderr, "c_host: gk_step: %d %s\n", rc, a->last_error());
      CHECK(0, "gk_step returns GK_OK");
      return;
    }
    CHECK(member(actions, "actions") != NULL, "gk_step output has actions");
    next_ms = number_member(actions, "next_step_ms", -1);
    CHECK(next_ms >= 0, "gk_step output has next_step_ms");
    offered = apply_actions(a, p, h, actions, status, sizeof status);
    a->free(actions);
    h->clock_ms += 10;

    if (offered == 0 && status[0] == '\0') {
      /* Nothing runs: the goal waits for its gate (or for time to pass). */
      if (signal_seq == 0) {
        int n = send_approval(a, p);
        if (n < 0) return;
        if (n > 0) signal_seq = ++h->seq;
      }
      h->clock_ms += next_ms > 0 ? next_ms : 1000;
    }
  }

  if (status[0] == '\0') {
    fprintf(stderr, "c_host: no goal_finished after %d steps (%d jobs offered)\n", steps,
            h->job_count);
    CHECK(0, "the goal finishes within 1000 steps");
    return;
  }
  CHECK(strcmp(status, "done") == 0, "the goal finished with status done");
  CHECK(h->job_count == FAN_OUT + 2, "exactly 7 distinct jobs were offered and started");
  CHECK(signal_seq != 0, "the approval signal matched the gate");

  for (i = 1; i <= FAN_OUT; ++i) {
    char task[16];
    job *j;
    snprintf(task, sizeof task, "part-%d", i);
    j = find_task_job(h, task);
    if (j == NULL) {
      fprintf(stderr, "c_host: no job for %s\n", task);
      CHECK(0, "every fan-out task got a job");
      continue;
    }
    if (j->offered > fan_out_last_offer) fan_out_last_offer = j->offered;
    if (fan_out_first_finish == 0 || j->finished < fan_out_first_finish) {
      fan_out_first_finish = j->finished;
    }
  }
  CHECK(fan_out_last_offer != 0 && fan_out_last_offer < fan_out_first_finish,
        "all 5 fan-out jobs were offered before any of them finished (parallel)");

  tail1 = find_task_job(h, "tail-1");
  tail2 = find_task_job(h, "tail-2");
  CHECK(tail1 != NULL && tail2 != NULL, "both tail tasks got a job");
  if (tail1 != NULL && tail2 != NULL) {
    CHECK(tail1->offered > fan_out_last_offer && tail1->offered > signal_seq,
          "the tail starts after the fan-out and the gate");
    CHECK(tail2->offered > tail1->finished, "the tail runs in order");
  }
  for (i = 0; i < h->job_count; ++i) {
    CHECK(h->jobs[i].start_events == 1, "every job was started exactly once");
  }
}

int main(int argc, char **argv) {
  api a;
  void *lib;
  host_state h;
  gk_host host;
  gk_plugin *p = NULL;
  char dir[4096], config[8192];
  char *result = NULL;
  int rc;
  const char *goal;

  if (argc != 3) {
    fprintf(stderr, "usage: %s PLUGIN_PATH WORK_DIR\n", argv[0]);
    return 2;
  }

  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "c_host: cannot load %s: %s\n", argv[1], dlerror());
    return 1;
  }
  memset(&a, 0, sizeof a);
  if (!resolve_all(lib, &a)) return 1;
  if (a.abi_version() >> 16 != GK_ABI_VERSION_MAJOR) {
    fprintf(stderr, "c_host: plugin ABI %u.%u, host built for %d.%d\n",
            (unsigned)(a.abi_version() >> 16), (unsigned)(a.abi_version() & 0xffffu),
            GK_ABI_VERSION_MAJOR, GK_ABI_VERSION_MINOR);
    return 1;
  }
  CHECK(nonempty(a.version()), "gk_version is not empty");
  CHECK(a.last_error() != NULL, "gk_last_error is never NULL");
  a.free(NULL);
  a.close(NULL);

  /* A fresh state directory for this run. */
  if (mkdir(argv[2], 0700) != 0 && errno != EEXIST) {
    perror(argv[2]);
    return 1;
  }
  snprintf(dir, sizeof dir, "%s/run-XXXXXX", argv[2]);
  if (mkdtemp(dir) == NULL) {
    perror(dir);
    return 1;
  }
  strcpy(config, "{\"state_path\":\"");
  if (!json_escape(config, sizeof config - 64, dir)) {
    fprintf(stderr, "c_host: work directory path too long or odd: %s\n", dir);
    return 1;
  }
  strcat(config, "/state.db\",\"durability\":\"normal\",\"busy_timeout_ms\":5000}");

  memset(&h, 0, sizeof h);
  h.clock_ms = 1700000000000;
  {
    gk_host zeroed = GK_HOST_INIT;
    memset(&host, 0xff, sizeof host);
    a.host_init(&host);
    CHECK(host.size == sizeof(gk_host) && host.ctx == NULL && host.log == NULL &&
              host.now_ms == NULL && host.job_alive == NULL && zeroed.size == host.size,
          "gk_host_init zeroes the struct and sets its size");
  }
  host.ctx = &h;
  host.log = host_log;
  host.now_ms = host_now_ms;
  host.job_alive = host_job_alive;

  rc = a.open(&host, config, NULL);
  CHECK(rc == GK_ERR_INVALID, "gk_open with NULL out returns GK_ERR_INVALID");
  CHECK(nonempty(a.last_error()), "gk_open with NULL out sets gk_last_error");

  rc = a.open(&host, config, &p);
  if (rc != GK_OK || p == NULL) {
    fprintf(stderr, "c_host: gk_open(%s): %d %s\n", config, rc, a.last_error());
    return 1;
  }

  rc = a.load(p, goal_yaml, "c_host.yaml", &result);
  if (rc != GK_OK) {
    fprintf(stderr, "c_host: gk_load: %d %s\n", rc, a.last_error());
    CHECK(0, "gk_load of the goal returns GK_OK");
  } else {
    goal = first_element(member(result, "goals"));
    CHECK(count_elements(member(result, "goals")) == 1, "gk_load reports one goal");
    CHECK(bool_member(goal, "created", 0) == 1, "the first load creates the goal");
    CHECK(number_member(goal, "tasks", 0) > 0, "gk_load counts the goal's tasks");
    a.free(result);
    result = NULL;

    rc = a.load(p, goal_yaml, "c_host.yaml", &result);
    CHECK(rc == GK_OK, "loading the same goal again returns GK_OK");
    goal = first_element(member(result, "goals"));
    CHECK(rc != GK_OK || bool_member(goal, "created", 1) == 0,
          "loading the same goal again creates nothing");
    a.free(result);
    result = NULL;

    rc = a.start(p, GOAL_ID, NULL);
    if (rc != GK_OK) fprintf(stderr, "c_host: gk_start: %d %s\n", rc, a.last_error());
    CHECK(rc == GK_OK, "gk_start returns GK_OK");
    CHECK(a.start(p, GOAL_ID, "{}") == GK_OK, "starting a running goal again is a no-op");

    check_bad_input(&a, p);
    if (rc == GK_OK) drive_goal(&a, p, &h);

    rc = a.query(p, "{\"what\":\"status\"}", &result);
    CHECK(rc == GK_OK && result != NULL, "gk_query status returns GK_OK");
    a.free(result);
  }
  CHECK(h.logged_errors == 0, "the plugin logged no errors");

  a.close(p);
  dlclose(lib);
  if (failures != 0) {
    fprintf(stderr, "c_host: %d check(s) failed\n", failures);
    return 1;
  }
  printf("c_host: all checks passed\n");
  return 0;
}
