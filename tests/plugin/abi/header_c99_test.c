/* Building this file is the test: goalkeeper.h compiles as strict C99 (-std=c99 -pedantic
** -Wall -Wextra -Werror) and as C++, twice included, and says what its comments promise. */
#include <goalkeeper/goalkeeper.h>
#include <goalkeeper/goalkeeper.h> /* the include guard works */

#include <stddef.h>

/* C99 has no static_assert: an array of negative size stops the build. */
#define GK_TEST_ASSERT(name, cond) typedef char gk_test_##name[(cond) ? 1 : -1]

GK_TEST_ASSERT(abi_major_is_1, GK_ABI_VERSION_MAJOR == 1);
GK_TEST_ASSERT(abi_minor_is_3, GK_ABI_VERSION_MINOR == 3);
GK_TEST_ASSERT(abi_version_packs_major_minor, GK_ABI_VERSION == 0x00010003);

GK_TEST_ASSERT(ok_is_0, GK_OK == 0);
GK_TEST_ASSERT(invalid_is_minus_1, GK_ERR_INVALID == -1);
GK_TEST_ASSERT(not_found_is_minus_2, GK_ERR_NOT_FOUND == -2);
GK_TEST_ASSERT(conflict_is_minus_3, GK_ERR_CONFLICT == -3);
GK_TEST_ASSERT(unauthorized_is_minus_4, GK_ERR_UNAUTHORIZED == -4);
GK_TEST_ASSERT(io_is_minus_5, GK_ERR_IO == -5);
GK_TEST_ASSERT(busy_is_minus_6, GK_ERR_BUSY == -6);
GK_TEST_ASSERT(version_is_minus_7, GK_ERR_VERSION == -7);
GK_TEST_ASSERT(internal_is_minus_8, GK_ERR_INTERNAL == -8);

GK_TEST_ASSERT(log_error_is_0, GK_LOG_ERROR == 0);
GK_TEST_ASSERT(log_warn_is_1, GK_LOG_WARN == 1);
GK_TEST_ASSERT(log_info_is_2, GK_LOG_INFO == 2);
GK_TEST_ASSERT(log_debug_is_3, GK_LOG_DEBUG == 3);

/* gk_host starts with its size, and later fields are only ever appended. */
GK_TEST_ASSERT(host_size_comes_first, offsetof(gk_host, size) == 0);
GK_TEST_ASSERT(host_ctx_before_callbacks, offsetof(gk_host, ctx) < offsetof(gk_host, log));
GK_TEST_ASSERT(host_log_before_now_ms, offsetof(gk_host, log) < offsetof(gk_host, now_ms));
GK_TEST_ASSERT(host_now_ms_before_job_alive,
               offsetof(gk_host, now_ms) < offsetof(gk_host, job_alive));

int gk_header_c99_test(void);

/* Every function has the documented type: a mismatch is an incompatible pointer error. */
int gk_header_c99_test(void) {
  gk_host host = GK_HOST_INIT;
  gk_status status = GK_OK;
  int as_int = GK_ERR_INVALID; /* status codes are usable as int */
  gk_log_level level = GK_LOG_DEBUG;

  uint32_t (*abi_version)(void) = gk_abi_version;
  const char *(*version)(void) = gk_version;
  void (*host_init)(gk_host *) = gk_host_init;
  int (*open)(const gk_host *, const char *, gk_plugin **) = gk_open;
  void (*close)(gk_plugin *) = gk_close;
  const char *(*last_error)(void) = gk_last_error;
  void (*free_string)(char *) = gk_free;
  int (*load)(gk_plugin *, const char *, const char *, char **) = gk_load;
  int (*start)(gk_plugin *, const char *, const char *) = gk_start;
  int (*control)(gk_plugin *, const char *, const char *) = gk_control;
  int (*step)(gk_plugin *, const char *, char **) = gk_step;
  int (*job_event)(gk_plugin *, const char *, const char *) = gk_job_event;
  int (*review)(gk_plugin *, const char *, const char *) = gk_review;
  int (*signal)(gk_plugin *, const char *, char **) = gk_signal;
  int (*webhook)(gk_plugin *, const char *, const char *, size_t, char **) = gk_webhook;
  int (*query)(gk_plugin *, const char *, char **) = gk_query;

  (void)abi_version;
  (void)version;
  (void)host_init;
  (void)open;
  (void)close;
  (void)last_error;
  (void)free_string;
  (void)load;
  (void)start;
  (void)control;
  (void)step;
  (void)job_event;
  (void)review;
  (void)signal;
  (void)webhook;
  (void)query;

  return host.size == sizeof(gk_host) && host.ctx == NULL && host.log == NULL &&
                 host.now_ms == NULL && host.job_alive == NULL && status == 0 && as_int < 0 &&
                 level == 3
             ? 0
             : 1;
}
