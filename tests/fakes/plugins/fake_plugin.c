/* A library that looks like a goalkeeper plugin from outside but is not one: it claims ABI
** GK_FAKE_ABI_VERSION and, with GK_FAKE_OMIT_QUERY, lacks gk_query. The loader tests use it to
** check that hosts refuse it. Every call fails with GK_ERR_INTERNAL. */
#include <goalkeeper/goalkeeper.h>

#include <string.h>

uint32_t gk_abi_version(void) {
  return GK_FAKE_ABI_VERSION;
}
const char *gk_version(void) {
  return "0.0.0-fake";
}
const char *gk_last_error(void) {
  return "fake plugin";
}
void gk_free(char *s) {
  (void)s;
}
void gk_host_init(gk_host *host) {
  if (host != NULL) {
    memset(host, 0, sizeof *host);
    host->size = sizeof *host;
  }
}
int gk_open(const gk_host *host, const char *config_json, gk_plugin **out) {
  (void)host;
  (void)config_json;
  if (out != NULL) *out = NULL;
  return GK_ERR_INTERNAL;
}
void gk_close(gk_plugin *p) {
  (void)p;
}
int gk_load(gk_plugin *p, const char *yaml, const char *source_name, char **result_json) {
  (void)p;
  (void)yaml;
  (void)source_name;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
int gk_instantiate(gk_plugin *p, const char *template_id, const char *params_json,
                   char **result_json) {
  (void)p;
  (void)template_id;
  (void)params_json;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
int gk_discover(gk_plugin *p, const char *options_json, char **result_json) {
  (void)p;
  (void)options_json;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
int gk_start(gk_plugin *p, const char *goal_id, const char *options_json) {
  (void)p;
  (void)goal_id;
  (void)options_json;
  return GK_ERR_INTERNAL;
}
int gk_control(gk_plugin *p, const char *goal_id, const char *command) {
  (void)p;
  (void)goal_id;
  (void)command;
  return GK_ERR_INTERNAL;
}
int gk_step(gk_plugin *p, const char *input_json, char **actions_json) {
  (void)p;
  (void)input_json;
  if (actions_json != NULL) *actions_json = NULL;
  return GK_ERR_INTERNAL;
}
int gk_job_event(gk_plugin *p, const char *job_key, const char *event_json) {
  (void)p;
  (void)job_key;
  (void)event_json;
  return GK_ERR_INTERNAL;
}
int gk_review(gk_plugin *p, const char *task_id, const char *decision_json) {
  (void)p;
  (void)task_id;
  (void)decision_json;
  return GK_ERR_INTERNAL;
}
int gk_signal(gk_plugin *p, const char *signal_json, char **result_json) {
  (void)p;
  (void)signal_json;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
int gk_webhook(gk_plugin *p, const char *headers_json, const char *body, size_t len,
               char **result_json) {
  (void)p;
  (void)headers_json;
  (void)body;
  (void)len;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
#ifndef GK_FAKE_OMIT_QUERY
int gk_query(gk_plugin *p, const char *query_json, char **result_json) {
  (void)p;
  (void)query_json;
  if (result_json != NULL) *result_json = NULL;
  return GK_ERR_INTERNAL;
}
#endif
