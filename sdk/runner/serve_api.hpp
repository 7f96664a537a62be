// The endpoints of `goalkeeper serve`: HTTP requests become gk_* calls on the shared handle.
//
//   GET  /healthz                              200 "ok" (no token)
//   POST /webhooks/github                      gk_webhook: 202, 401 bad signature, 400 bad JSON
//   POST /api/signals/resolve                  gk_signal: 200 {"matched": [...], "message"}
//   POST /api/tasks/{goal}/{task}/signal       {"status": "pass|fail", "artifacts": {}}
//   POST /api/tasks/{goal}/{task}/approve      gk_review approve (body optional)
//   POST /api/tasks/{goal}/{task}/reject       {"feedback": "..."}
//   GET  /api/tasks/{goal}/{task}              gk_query task
//   GET  /api/status[?goal=ID]                 gk_query status
//   GET  /api/events[?goal=ID&after=N&limit=N] gk_query events
//   GET  /api/events/stream[?goal=ID&after=N]  the events as Server-Sent Events (serve_stream.hpp)
//   GET  /api/jobs/{key}/log[?tail=N]          a job's log, tailed and followed (serve_stream.hpp)
//   POST /api/centaur/callback/{goal}/{task}   the review bot's verdict (per-task token)
// Every /api/tasks/{goal}/{task}/... route also takes the task as one url-encoded segment
// ("/api/tasks/land-fix%2Fci/approve") or as a bare task id that names one task.
//
// Auth: /api/* needs "Authorization: Bearer <token>", the token being the value of the variable
// named by the config's signals.token_env (default GK_SIGNAL_TOKEN), compared in constant time.
// Without a configured token every /api/* request is refused (503). The webhook is authenticated
// by its HMAC signature (the plugin checks it), the bot's callback by the token serve gave it.
//
// Errors are JSON {"error": "..."}: the plugin's message (gk_last_error), never a token.
// Status codes for plugin errors: invalid 400, unauthorized 401, not found 404, conflict 409,
// busy 503 (with Retry-After), anything else 500.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <goalkeeper/goalkeeper.hpp>

#include "http/router.hpp"
#include "serve_stream.hpp"

namespace gk::runner {

class CentaurBridge;

struct ApiOptions {
  std::string token;        // the signal token; "" refuses /api/*
  std::string token_env;    // the variable it came from, for messages
  bool access_log = false;  // one line per request on stderr
  // For the streams: the folder serve runs in (its .goalkeeper/ holds the job logs), whether a
  // job still runs (an empty one: none does), the secret values no stream may carry, the pace.
  std::filesystem::path work_dir;
  JobAlive job_alive;
  std::vector<std::string> secrets;
  StreamTiming timing;
};

// The router for serve. kick() is called after every request that changed state, so the step
// loop runs at once. bridge may be null (no callback route then).
http::Handler make_serve_handler(goalkeeper::Handle &state, ApiOptions options,
                                 std::function<void()> kick, CentaurBridge *bridge);

}  // namespace gk::runner
