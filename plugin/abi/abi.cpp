// The C boundary. Every entry point checks its arguments, catches every exception and turns it
// into a status code plus a thread-local message (libgit2 style). Nothing C++ crosses it.
#include <goalkeeper/goalkeeper.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "github/checkers.hpp"
#include "github/webhook.hpp"

struct gk_plugin {
  gk_plugin(gk::Config config, gk::HostHooks hooks) : engine(std::move(config), std::move(hooks)) {}
  gk::Engine engine;
};

namespace {

// A fixed buffer rather than a std::string: a thread_local with a destructor in a library that
// hosts dlclose() is a known source of crashes at thread or process exit.
constexpr size_t kErrorCapacity = 4096;
thread_local char last_error[kErrorCapacity];

int set_error(int code, const std::string &message) {
  size_t n = std::min(message.size(), kErrorCapacity - 1);
  std::memcpy(last_error, message.data(), n);
  last_error[n] = '\0';
  return code;
}

template <class F>
int guard(F &&f) {
  try {
    f();
    return GK_OK;
  } catch (const gk::Error &e) {
    return set_error(static_cast<int>(e.code()), e.what());
  } catch (const std::bad_alloc &) {
    return set_error(GK_ERR_INTERNAL, "out of memory");
  } catch (const std::exception &e) {
    return set_error(GK_ERR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return set_error(GK_ERR_INTERNAL, "internal error: unknown exception");
  }
}

void require(const void *p, const char *what) {
  if (!p) gk::fail(gk::Errc::invalid, std::string(what) + " is NULL");
}

// A required C string: not NULL, valid UTF-8.
std::string_view text(const char *s, const char *what) {
  require(s, what);
  std::string_view v(s);
  if (!gk::is_valid_utf8(v)) gk::fail(gk::Errc::invalid, std::string(what) + " is not valid UTF-8");
  return v;
}

// Optional JSON object argument: NULL or "" is {}.
boost::json::object object_arg(const char *s, const char *what) {
  if (!s) return {};
  return gk::parse_json_object(s, what);
}

char *hand_out(const boost::json::object &v) {
  std::string s = boost::json::serialize(v);
  auto *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

gk::HostHooks hooks_from(const gk_host *host) {
  gk::HostHooks hooks;
  if (!host) return hooks;
  constexpr size_t kMinimum = offsetof(gk_host, ctx) + sizeof(void *);
  if (host->size < kMinimum || host->size > 4096)
    gk::fail(gk::Errc::version, "gk_host.size is " + std::to_string(host->size) +
                                    "; set it to sizeof(gk_host) (this plugin knows " +
                                    std::to_string(sizeof(gk_host)) + ")");
  // Read only the fields the host compiled in; later fields stay NULL.
  gk_host h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(&h, host, std::min<size_t>(host->size, sizeof h));
  void *ctx = h.ctx;
  if (h.now_ms) hooks.now_ms = [f = h.now_ms, ctx] { return f(ctx); };
  if (h.log)
    hooks.log = [f = h.log, ctx](gk::LogLevel level, const std::string &m) {
      f(ctx, static_cast<int>(level), m.c_str());
    };
  if (h.job_alive)
    hooks.job_alive = [f = h.job_alive, ctx](const std::string &key) {
      return f(ctx, key.c_str());
    };
  return hooks;
}

}  // namespace

extern "C" {

GK_API uint32_t gk_abi_version(void) {
  return GK_ABI_VERSION;
}

GK_API const char *gk_version(void) {
  return GK_VERSION_STRING;
}

GK_API const char *gk_last_error(void) {
  return last_error;
}

GK_API void gk_free(char *s) {
  std::free(s);
}

GK_API void gk_host_init(gk_host *host) {
  if (!host) return;
  std::memset(host, 0, sizeof *host);
  host->size = sizeof *host;
}

GK_API int gk_open(const gk_host *host, const char *config_json, gk_plugin **out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "out");
    gk::HostHooks hooks = hooks_from(host);
    gk::Config config = gk::parse_config(config_json ? std::string_view(config_json) : "");
    // GitHub and the review bot are polled by checkers built from the same configuration.
    auto checkers = gk::make_github_checkers(config);
    auto finder = gk::make_github_pull_finder(config);
    auto poster = gk::make_github_status_poster(config);
    auto plugin = std::make_unique<gk_plugin>(std::move(config), std::move(hooks));
    for (auto &c : checkers) plugin->engine.add_checker(std::move(c));
    plugin->engine.set_pull_finder(std::move(finder));
    plugin->engine.set_status_poster(std::move(poster));
    *out = plugin.release();
  });
}

GK_API void gk_close(gk_plugin *p) {
  std::unique_ptr<gk_plugin> owned(p);
}

GK_API int gk_load(gk_plugin *p, const char *yaml, const char *source_name, char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    require(yaml, "yaml");
    std::string_view y(yaml);  // the loader checks UTF-8 itself, to say where it breaks
    std::string_view source = source_name ? text(source_name, "source_name") : "<input>";
    auto result = p->engine.load(y, source);
    if (result_json) *result_json = hand_out(result);
  });
}

GK_API int gk_instantiate(gk_plugin *p, const char *template_id, const char *params_json,
                          char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    std::string_view id = text(template_id, "template_id");
    auto result = p->engine.instantiate(id, object_arg(params_json, "params"));
    if (result_json) *result_json = hand_out(result);
  });
}

GK_API int gk_discover(gk_plugin *p, const char *options_json, char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    boost::json::object options = object_arg(options_json, "discover options");
    int64_t budget = 10'000;
    if (auto *b = options.if_contains("time_budget_ms")) {
      if (!b->is_int64() || b->as_int64() < 0 || b->as_int64() > 3'600'000)
        gk::fail(gk::Errc::invalid,
                 "discover options: \"time_budget_ms\" must be an integer from 0 to 3600000");
      budget = b->as_int64();
      options.erase("time_budget_ms");
    }
    boost::json::object result{{"triggers", p->engine.discover(options, budget)}};
    if (result_json) *result_json = hand_out(result);
  });
}

GK_API int gk_start(gk_plugin *p, const char *goal_id, const char *options_json) {
  return guard([&] {
    require(p, "plugin");
    std::string_view id = text(goal_id, "goal_id");
    p->engine.start(id, object_arg(options_json, "start options"));
  });
}

GK_API int gk_control(gk_plugin *p, const char *goal_id, const char *command) {
  return guard([&] {
    require(p, "plugin");
    p->engine.control(text(goal_id, "goal_id"), text(command, "command"));
  });
}

GK_API int gk_step(gk_plugin *p, const char *input_json, char **actions_json) {
  if (actions_json) *actions_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    require(actions_json, "actions_json");
    auto result = p->engine.step(object_arg(input_json, "step input"));
    *actions_json = hand_out(result);
  });
}

GK_API int gk_job_event(gk_plugin *p, const char *job_key, const char *event_json) {
  return guard([&] {
    require(p, "plugin");
    std::string_view key = text(job_key, "job_key");
    require(event_json, "event_json");
    p->engine.job_event(key, gk::parse_json_object(event_json, "job event"));
  });
}

GK_API int gk_review(gk_plugin *p, const char *task_id, const char *decision_json) {
  return guard([&] {
    require(p, "plugin");
    std::string_view ref = text(task_id, "task_id");
    require(decision_json, "decision_json");
    p->engine.review(ref, gk::parse_json_object(decision_json, "review decision"));
  });
}

GK_API int gk_signal(gk_plugin *p, const char *signal_json, char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    require(signal_json, "signal_json");
    auto result = p->engine.signal(gk::parse_json_object(signal_json, "signal"));
    if (result_json) *result_json = hand_out(result);
  });
}

GK_API int gk_webhook(gk_plugin *p, const char *headers_json, const char *body, size_t len,
                      char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    require(headers_json, "headers_json");
    if (len > 0) require(body, "body");
    auto headers = gk::parse_json_object(headers_json, "webhook headers");
    // The checker's part verifies and reads the delivery; the engine's part acts on it.
    gk::Delivery delivery =
        gk::read_delivery(p->engine.config(), headers, std::string_view(body ? body : "", len));
    auto result = gk::delivery_result(delivery, p->engine.nudge(delivery.nudge));
    if (result_json) *result_json = hand_out(result);
  });
}

GK_API int gk_query(gk_plugin *p, const char *query_json, char **result_json) {
  if (result_json) *result_json = nullptr;
  return guard([&] {
    require(p, "plugin");
    require(result_json, "result_json");
    auto result = p->engine.query(object_arg(query_json, "query"));
    *result_json = hand_out(result);
  });
}

}  // extern "C"
