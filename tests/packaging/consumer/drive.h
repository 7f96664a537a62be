/* A host that runs a goal to the end through the ABI's functions, however it got them (linked,
** or looked up in a library it loaded). The goal: a job the host runs itself, then a gate it
** resolves with a signal. Returns 0 when the goal finished done. */
#ifndef GK_CONSUMER_DRIVE_H
#define GK_CONSUMER_DRIVE_H

#include <goalkeeper/goalkeeper.h>

#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

struct gk_api {
  int (*open)(const gk_host *, const char *, gk_plugin **);
  void (*close)(gk_plugin *);
  const char *(*last_error)(void);
  void (*free_)(char *);
  int (*load)(gk_plugin *, const char *, const char *, char **);
  int (*start)(gk_plugin *, const char *, const char *);
  int (*step)(gk_plugin *, const char *, char **);
  int (*job_event)(gk_plugin *, const char *, const char *);
  int (*signal)(gk_plugin *, const char *, char **);
};

static const char kGoal[] =
    "version: 1\n"
    "goals:\n"
    "  - id: consumer\n"
    "    tasks:\n"
    "      - {id: work, run: [\"true\"]}\n"
    "      - {id: sign, wait_for: {type: human_approval, key: consumer}}\n";

/* The text after "key":" in json, up to the next quote, into out. */
static int field(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = strstr(json, pattern);
  if (!at) return 0;
  at += strlen(pattern);
  size_t n = 0;
  while (at[n] && at[n] != '"' && n + 1 < size) ++n;
  memcpy(out, at, n);
  out[n] = '\0';
  return 1;
}

static int drive(const struct gk_api *gk, const char *state_path) {
  char config[1024];
  snprintf(config, sizeof config, "{\"state_path\":\"%s\"}", state_path);
  gk_plugin *p = NULL;
  char *out = NULL;
  if (gk->open(NULL, config, &p) != GK_OK || gk->load(p, kGoal, "consumer.yaml", &out) != GK_OK ||
      gk->start(p, "consumer", NULL) != GK_OK) {
    fprintf(stderr, "consumer: %s\n", gk->last_error());
    return 1;
  }
  gk->free_(out);
  int done = 0, signalled = 0;
  for (int i = 0; i < 50 && !done; ++i) {
    if (gk->step(p, NULL, &out) != GK_OK) {
      fprintf(stderr, "consumer: step: %s\n", gk->last_error());
      return 1;
    }
    char key[256];
    if (field(out, "job_key", key, sizeof key)) {
      /* The one job: "true", run here and reported. */
      char *argv[] = {"true", NULL};
      pid_t pid;
      int status = 1;
      if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) == 0) waitpid(pid, &status, 0);
      char finished[128];
      snprintf(finished, sizeof finished, "{\"type\":\"finished\",\"exit_code\":%d}",
               WIFEXITED(status) ? WEXITSTATUS(status) : 1);
      if (gk->job_event(p, key, "{\"type\":\"started\"}") != GK_OK ||
          gk->job_event(p, key, finished) != GK_OK) {
        fprintf(stderr, "consumer: job event: %s\n", gk->last_error());
        return 1;
      }
    }
    if (strstr(out, "\"type\":\"goal_finished\"")) done = strstr(out, "\"status\":\"done\"") ? 1 : -1;
    if (!signalled) {
      /* Matches once the gate is active, after the job. */
      char *r = NULL;
      const char *pass = "{\"type\":\"human_approval\",\"key\":\"consumer\",\"status\":\"pass\"}";
      if (gk->signal(p, pass, &r) == GK_OK) signalled = strstr(r, "\"matched\":[{") != NULL;
      gk->free_(r);
    }
    gk->free_(out);
  }
  gk->close(p);
  if (done != 1) fprintf(stderr, "consumer: the goal did not finish done\n");
  return done == 1 ? 0 : 1;
}

#endif
