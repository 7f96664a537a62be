// The routes of `goalkeeper serve` (see serve_api.hpp).
#include "serve_api.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>

#include <boost/json.hpp>

#include "centaur_bridge.hpp"
#include "http/auth.hpp"
#include "state.hpp"

namespace gk::runner {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::RouteMatch;

namespace {

Response json_response(int status, const json::value &body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

Response raw_json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response plugin_error(const goalkeeper::Error &e) {
  int status = 500;
  switch (e.status()) {
    case GK_ERR_INVALID:
      status = 400;
      break;
    case GK_ERR_UNAUTHORIZED:
      status = 401;
      break;
    case GK_ERR_NOT_FOUND:
      status = 404;
      break;
    case GK_ERR_CONFLICT:
      status = 409;
      break;
    case GK_ERR_BUSY:
      status = 503;
      break;
    default:
      break;
  }
  Response r = http::error_response(status, e.what());
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// The body as a JSON object; an empty body is {} when allow_empty.
std::optional<json::object> body_object(const Request &req, bool allow_empty, Response *error) {
  if (req.body.empty() && allow_empty) return json::object{};
  json::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    *error = http::error_response(
        400, ec ? "the body is not valid JSON: " + ec.message() : "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(v.as_object());
}

// The goal named by ?goal= ("" when none). Refused (400) when it decodes to a control character,
// as the router refuses such path segments: a NUL would cut the plugin's message short.
std::optional<std::string> goal_param(const Request &req, Response *error) {
  auto raw = http::query_param(req.query, "goal");
  if (!raw) return "";
  if (auto control = http::control_character(*raw)) {
    *error =
        http::error_response(400, "the query parameter goal decodes to the control character " +
                                      *control + ", which no goal id contains");
    return std::nullopt;
  }
  return *raw;
}

// A query parameter or header that must be a whole number (at least 0).
std::optional<int64_t> whole_number(const std::string &text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(text);
}

bool nonempty(const json::array *a) {
  return a != nullptr && !a->empty();
}

const json::array *array_at(const json::value &v, const char *key) {
  if (!v.is_object()) return nullptr;
  const auto *p = v.as_object().if_contains(key);
  return p && p->is_array() ? &p->as_array() : nullptr;
}

// The task of a /api/tasks/... route: {goal}/{task}, or one segment ("G/T" url-encoded, or a
// bare task id).
std::string task_ref(const RouteMatch &m) {
  const std::string &goal = m.param("goal");
  return goal.empty() ? m.param("task") : goal + "/" + m.param("task");
}

// gk_query task arguments for a reference.
json::object task_query(const std::string &ref) {
  json::object q{{"what", "task"}};
  auto slash = ref.find('/');
  if (slash == std::string::npos) {
    q["task_id"] = ref;
  } else {
    q["goal_id"] = ref.substr(0, slash);
    q["task_id"] = ref.substr(slash + 1);
  }
  return q;
}

void leaf_types(const json::value &config, std::set<std::string> &out) {
  if (!config.is_object()) return;
  const auto &o = config.as_object();
  bool compound = false;
  for (const char *mode : {"all", "any"})
    if (const auto *list = o.if_contains(mode); list && list->is_array()) {
      compound = true;
      for (const auto &leaf : list->as_array()) leaf_types(leaf, out);
    }
  if (compound) return;
  if (const auto *t = o.if_contains("type"); t && t->is_string()) out.emplace(t->as_string());
}

class Api {
 public:
  Api(goalkeeper::Handle &state, ApiOptions options, std::function<void()> kick,
      CentaurBridge *bridge)
      : state_(state),
        options_(std::move(options)),
        kick_(std::move(kick)),
        bridge_(bridge),
        redactor_(std::make_shared<Redactor>(options_.secrets)) {}

  http::Router routes();

 private:
  // nullopt when the request carries the signal token; else the refusal.
  std::optional<Response> refuse(const Request &req) const {
    if (options_.token.empty())
      return http::error_response(503, "the signals API is off: no token is configured (set " +
                                           options_.token_env +
                                           ", or the variable named by signals.token_env)");
    auto given = http::bearer_token(req);
    if (!given)
      return with_challenge(
          http::error_response(401, "missing token: send Authorization: Bearer <token>"));
    if (!http::constant_time_equal(*given, options_.token))
      return with_challenge(http::error_response(401, "bad token"));
    return std::nullopt;
  }
  static Response with_challenge(Response r) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }

  Response webhook(const Request &req);
  Response resolve(const Request &req);
  Response task_signal(const Request &req, const RouteMatch &m);
  Response review(const Request &req, const RouteMatch &m, bool approve);
  Response task(const Request &req, const RouteMatch &m);
  Response status(const Request &req);
  Response events(const Request &req);
  Response events_feed(const Request &req);
  Response job_log(const Request &req, const RouteMatch &m);
  Response centaur_callback(const Request &req, const RouteMatch &m);

  goalkeeper::Handle &state_;
  ApiOptions options_;
  std::function<void()> kick_;
  CentaurBridge *bridge_;
  std::shared_ptr<const Redactor> redactor_;
};

Response Api::webhook(const Request &req) {
  json::object headers;
  for (const auto &[name, value] : req.headers) {
    // Credentials of other schemes never reach the plugin (nor its logs).
    if (name.size() == 13 && (name[0] == 'A' || name[0] == 'a')) {
      std::string lower;
      for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (lower == "authorization") continue;
    }
    if (auto *v = headers.if_contains(name); v && v->is_string()) {
      std::string joined = std::string(v->as_string()) + ", " + value;
      *v = joined;
    } else {
      headers[name] = value;
    }
  }
  try {
    std::string out = state_.webhook(json::serialize(headers), req.body);
    json::error_code ec;
    json::value v = json::parse(out, ec);
    if (!ec && (nonempty(array_at(v, "resolved")) || nonempty(array_at(v, "scheduled")))) kick_();
    return raw_json(202, std::move(out));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::resolve(const Request &req) {
  if (auto no = refuse(req)) return *no;
  Response error;
  auto body = body_object(req, false, &error);
  if (!body) return error;
  try {
    std::string out = state_.signal(json::serialize(*body));
    json::error_code ec;
    json::value v = json::parse(out, ec);
    if (!ec && nonempty(array_at(v, "matched"))) kick_();
    return raw_json(200, std::move(out));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::task_signal(const Request &req, const RouteMatch &m) {
  if (auto no = refuse(req)) return *no;
  Response error;
  auto body = body_object(req, false, &error);
  if (!body) return error;
  for (const auto &kv : *body)
    if (kv.key() != "status" && kv.key() != "artifacts" && kv.key() != "type")
      return http::error_response(
          400, "unknown key \"" + std::string(kv.key()) + "\" (expected status, artifacts, type)");
  const std::string ref = task_ref(m);
  try {
    std::string type;
    if (const auto *t = body->if_contains("type"); t && t->is_string()) {
      type = t->as_string();
    } else {
      json::value task = parse_answer(state_.query(json::serialize(task_query(ref))));
      std::set<std::string> types;
      const json::object &to = task.as_object();
      if (const auto *gate = to.if_contains("gate"); gate && gate->is_object())
        if (const auto *config = gate->as_object().if_contains("config"))
          leaf_types(*config, types);
      if (types.empty())
        if (const auto *wf = to.if_contains("wait_for")) leaf_types(*wf, types);
      if (types.empty())
        return http::error_response(409, "task " + ref + " is not a gate (it has no wait_for)");
      if (types.size() > 1) {
        std::string names;
        for (const auto &t : types) names += (names.empty() ? "" : ", ") + t;
        return http::error_response(400, "task " + ref + " waits for several kinds of signal (" +
                                             names + "): give \"type\" in the body");
      }
      type = *types.begin();
    }
    json::object signal{{"type", type}, {"task_id", ref}};
    if (const auto *s = body->if_contains("status")) signal["status"] = *s;
    if (const auto *a = body->if_contains("artifacts")) signal["artifacts"] = *a;
    std::string out = state_.signal(json::serialize(signal));
    json::value v = json::parse(out);
    if (nonempty(array_at(v, "matched"))) {
      kick_();
      return raw_json(200, std::move(out));
    }
    // The task exists but is not an active gate now: a conflict for this endpoint.
    json::object o = v.as_object();
    const auto *msg = o.if_contains("message");
    o["error"] = msg && msg->is_string() ? msg->as_string() : json::string("nothing matched");
    return json_response(409, o);
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::review(const Request &req, const RouteMatch &m, bool approve) {
  if (auto no = refuse(req)) return *no;
  Response error;
  auto body = body_object(req, approve, &error);
  if (!body) return error;
  json::object decision{{"decision", approve ? "approve" : "reject"}};
  if (!approve) {
    const auto *f = body->if_contains("feedback");
    if (!f || !f->is_string() || f->as_string().empty())
      return http::error_response(400, "reject needs {\"feedback\": \"what to change\"}");
    decision["feedback"] = *f;
  } else if (const auto *f = body->if_contains("feedback"); f && f->is_string()) {
    decision["feedback"] = *f;
  }
  const std::string ref = task_ref(m);
  try {
    state_.review(ref, json::serialize(decision));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
  kick_();
  return json_response(200, json::object{{"task_id", ref},
                                         {"decision", approve ? "approve" : "reject"},
                                         {"message", approve ? "approved" : "rejected"}});
}

Response Api::task(const Request &req, const RouteMatch &m) {
  if (auto no = refuse(req)) return *no;
  try {
    return raw_json(200, state_.query(json::serialize(task_query(task_ref(m)))));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::status(const Request &req) {
  if (auto no = refuse(req)) return *no;
  json::object q{{"what", "status"}};
  Response error;
  auto goal = goal_param(req, &error);
  if (!goal) return error;
  if (!goal->empty()) q["goal_id"] = *goal;
  try {
    return raw_json(200, state_.query(json::serialize(q)));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::events(const Request &req) {
  if (auto no = refuse(req)) return *no;
  json::object q{{"what", "events"}};
  Response error;
  auto goal = goal_param(req, &error);
  if (!goal) return error;
  if (!goal->empty()) q["goal_id"] = *goal;
  for (const char *key : {"after", "limit"}) {
    auto v = http::query_param(req.query, key);
    if (!v) continue;
    try {
      size_t used = 0;
      long long n = std::stoll(*v, &used);
      if (used != v->size()) throw std::invalid_argument(*v);
      q[key] = n;
    } catch (const std::exception &) {
      return http::error_response(400, std::string(key) + " must be a whole number");
    }
  }
  try {
    return raw_json(200, state_.query(json::serialize(q)));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

Response Api::events_feed(const Request &req) {
  if (auto no = refuse(req)) return *no;
  Response error;
  auto goal = goal_param(req, &error);
  if (!goal) return error;
  int64_t after = 0;
  // A client that reconnects says where it stopped; that wins over the ?after of its first URL.
  if (std::string last = req.header("Last-Event-ID"); !last.empty()) {
    auto n = whole_number(last);
    if (!n) return http::error_response(400, "Last-Event-ID must be an event id (a whole number)");
    after = *n;
  } else if (auto a = http::query_param(req.query, "after")) {
    auto n = whole_number(*a);
    if (!n) return http::error_response(400, "after must be a whole number");
    after = *n;
  }
  if (!goal->empty()) {
    // An unknown goal is 404 now, not a stream that stays empty.
    try {
      state_.query(json::serialize(
          json::object{{"what", "events"}, {"goal_id", *goal}, {"after", after}, {"limit", 1}}));
    } catch (const goalkeeper::Error &e) {
      return plugin_error(e);
    }
  }
  return events_stream(state_, *goal, after, redactor_, options_.timing);
}

Response Api::job_log(const Request &req, const RouteMatch &m) {
  if (auto no = refuse(req)) return *no;
  const std::string &goal = m.param("goal");
  const std::string key = goal.empty() ? m.param("key") : goal + "/" + m.param("key");
  size_t tail = 100;
  if (auto t = http::query_param(req.query, "tail")) {
    auto n = whole_number(*t);
    if (!n || *n > 100000)
      return http::error_response(400, "tail must be a number of lines, 0 to 100000");
    tail = static_cast<size_t>(*n);
  }
  JobAlive alive = options_.job_alive;
  if (!alive) alive = [](const std::string &) { return -1; };
  return job_log_stream(options_.work_dir, key, tail, std::move(alive), redactor_, options_.timing);
}

Response Api::centaur_callback(const Request &req, const RouteMatch &m) {
  const std::string ref = task_ref(m);
  auto given = http::bearer_token(req);
  if (!bridge_ || !given || !bridge_->verify(ref, *given))
    return with_challenge(
        http::error_response(401, "no callback is registered for " + ref + " with this token"));
  Response error;
  auto body = body_object(req, false, &error);
  if (!body) return error;
  const auto *s = body->if_contains("status");
  std::string verdict = s && s->is_string() ? std::string(s->as_string()) : "";
  if (verdict != "approved" && verdict != "changes_requested")
    return http::error_response(
        400, "\"status\" must be \"approved\" or \"changes_requested\", found \"" +
                 verdict.substr(0, 40) + "\"");
  json::object signal{{"type", "centaur_review"},
                      {"task_id", ref},
                      {"status", verdict == "approved" ? "pass" : "fail"},
                      {"artifacts", *body}};
  try {
    std::string out = state_.signal(json::serialize(signal));
    kick_();  // matched or not, the gate is likely done watching: let the loop revoke
    return raw_json(200, std::move(out));
  } catch (const goalkeeper::Error &e) {
    return plugin_error(e);
  }
}

http::Router Api::routes() {
  http::Router r;
  r.add("GET", "/healthz", [](const Request &, const RouteMatch &) {
    Response res;
    res.content_type = "text/plain; charset=utf-8";
    res.body = "ok";
    return res;
  });
  r.add("POST", "/webhooks/github",
        [this](const Request &req, const RouteMatch &) { return webhook(req); });
  r.add("POST", "/api/signals/resolve",
        [this](const Request &req, const RouteMatch &) { return resolve(req); });
  for (const char *prefix : {"/api/tasks/{goal}/{task}", "/api/tasks/{task}"}) {
    const std::string p = prefix;
    r.add("POST", p + "/signal",
          [this](const Request &req, const RouteMatch &m) { return task_signal(req, m); });
    r.add("POST", p + "/approve",
          [this](const Request &req, const RouteMatch &m) { return review(req, m, true); });
    r.add("POST", p + "/reject",
          [this](const Request &req, const RouteMatch &m) { return review(req, m, false); });
    r.add("GET", p, [this](const Request &req, const RouteMatch &m) { return task(req, m); });
  }
  r.add("GET", "/api/status",
        [this](const Request &req, const RouteMatch &) { return status(req); });
  r.add("GET", "/api/events",
        [this](const Request &req, const RouteMatch &) { return events(req); });
  r.add("GET", "/api/events/stream",
        [this](const Request &req, const RouteMatch &) { return events_feed(req); });
  for (const char *p : {"/api/jobs/{goal}/{key}/log", "/api/jobs/{key}/log"})
    r.add("GET", p, [this](const Request &req, const RouteMatch &m) { return job_log(req, m); });
  for (const char *p : {"/api/centaur/callback/{goal}/{task}", "/api/centaur/callback/{task}"})
    r.add("POST", p,
          [this](const Request &req, const RouteMatch &m) { return centaur_callback(req, m); });
  return r;
}

}  // namespace

http::Handler make_serve_handler(goalkeeper::Handle &state, ApiOptions options,
                                 std::function<void()> kick, CentaurBridge *bridge) {
  const bool log = options.access_log;
  auto api = std::make_shared<Api>(state, std::move(options), std::move(kick), bridge);
  auto router = std::make_shared<http::Router>(api->routes());
  return [api, router, log](const Request &req) {
    auto t0 = std::chrono::steady_clock::now();
    Response res = (*router)(req);
    if (log) {
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      // One fprintf per line, so lines from several threads do not interleave.
      std::fprintf(stderr, "http %s %s %s %d %.1fms\n", req.remote.c_str(), req.method.c_str(),
                   req.path.c_str(), res.status, ms);
    }
    return res;
  };
}

}  // namespace gk::runner
