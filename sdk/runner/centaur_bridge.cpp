// The review-bot bridge: registrations, verdict tokens, revocations.
#include "centaur_bridge.hpp"

#include <set>

#include "http/auth.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"

namespace gk::runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string callback_path(const std::string &ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos) return http::percent_encode(ref);
  return http::percent_encode(ref.substr(0, slash)) + "/" +
         http::percent_encode(ref.substr(slash + 1));
}

// One call to the bot through the plugin's transport (proxies from the environment, TLS
// verified), on the worker thread.
net::HttpResponse call(const std::string &method, const std::string &url,
                       const std::string &bot_token, const std::string &body, int64_t timeout_ms) {
  static thread_local net::HttpClient client;
  net::HttpRequest r;
  r.method = method;
  r.url = url;
  if (!bot_token.empty()) r.headers.emplace_back("Authorization", "Bearer " + bot_token);
  r.body = body;
  r.timeout_ms = timeout_ms;
  return client.perform({r}, Clock::now() + std::chrono::milliseconds(timeout_ms + 1000)).at(0);
}

bool ok(const net::HttpResponse &r) {
  return r.answered() && r.status >= 200 && r.status < 300;
}

std::string short_body(const std::string &body) {
  std::string s = body.substr(0, 200);
  for (char &c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

CentaurBridge::CentaurBridge(CentaurBridgeSettings settings, Log log)
    : settings_(std::move(settings)), log_(std::move(log)) {
  while (!settings_.bot_url.empty() && settings_.bot_url.back() == '/')
    settings_.bot_url.pop_back();
  worker_ = std::thread([this] { work(); });
}

CentaurBridge::~CentaurBridge() {
  shutdown();
}

void CentaurBridge::set_callback_base(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::lock_guard lock(mutex_);
  settings_.callback_base = std::move(base);
}

void CentaurBridge::enqueue(Op op) {
  queue_.push_back(std::move(op));
  cv_.notify_all();
}

void CentaurBridge::update(const std::map<std::string, json::object> &watching) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  const auto now = Clock::now();
  // Gone: revoke (only what was ever sent to the bot).
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (watching.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.register_sent) enqueue({Op::revoke, it->first, it->second.token, {}});
    it = entries_.erase(it);
  }
  for (const auto &[ref, info] : watching) {
    auto it = entries_.find(ref);
    if (it == entries_.end()) {
      Entry e;
      try {
        e.token = http::random_token();
      } catch (const std::exception &ex) {
        log_(std::string("centaur bridge: ") + ex.what());
        continue;
      }
      e.info = info;
      e.register_sent = true;
      enqueue({Op::reg, ref, e.token, info});
      entries_.emplace(ref, std::move(e));
      continue;
    }
    Entry &e = it->second;
    if (!e.registered && e.failures > 0 && e.retry_at <= now) {
      e.retry_at = now + std::chrono::hours(24);  // until this attempt answers
      enqueue({Op::reg, ref, e.token, e.info});
    }
  }
}

bool CentaurBridge::watching(const std::string &ref) const {
  std::lock_guard lock(mutex_);
  return entries_.count(ref) != 0;
}

bool CentaurBridge::verify(const std::string &ref, const std::string &token) const {
  std::string expected;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(ref);
    if (it == entries_.end()) return false;
    expected = it->second.token;
  }
  return http::constant_time_equal(token, expected);
}

void CentaurBridge::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !worker_.joinable()) return;
    if (!stopping_) {
      // Registrations not made yet are dropped, and need no revocation.
      std::set<std::string> unsent;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->kind == Op::reg && !entries_.count(it->ref)) {
          ++it;
          continue;
        }
        if (it->kind == Op::reg) {
          unsent.insert(it->token);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      for (auto &[ref, e] : entries_)
        if (e.register_sent && !unsent.count(e.token)) enqueue({Op::revoke, ref, e.token, {}});
      entries_.clear();
      stopping_ = true;
      cv_.notify_all();
    }
  }
  if (worker_.joinable()) worker_.join();
}

void CentaurBridge::work() {
  for (;;) {
    Op op;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every revoke was made
      op = std::move(queue_.front());
      queue_.pop_front();
    }
    if (op.kind == Op::reg)
      do_register(op);
    else
      do_revoke(op);
  }
}

void CentaurBridge::do_register(const Op &op) {
  std::string base;
  {
    std::lock_guard lock(mutex_);
    base = settings_.callback_base;
  }
  json::object body = op.info;
  body["task_id"] = op.ref;
  body["callback_url"] = base + "/api/centaur/callback/" + callback_path(op.ref);
  body["token"] = op.token;
  const std::string url = settings_.bot_url + "/api/signals/register";
  auto r = call("POST", url, settings_.bot_token, json::serialize(body), settings_.timeout_ms);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(op.ref);
  bool current = it != entries_.end() && it->second.token == op.token;
  if (ok(r)) {
    if (current) {
      it->second.registered = true;
      it->second.failures = 0;
    }
    log_("centaur bridge: registered a callback for " + op.ref + " at " + settings_.bot_url);
    return;
  }
  std::string why =
      r.answered() ? "HTTP " + std::to_string(r.status) + " " + short_body(r.body) : r.error;
  if (current) {
    Entry &e = it->second;
    ++e.failures;
    auto backoff = std::chrono::seconds(std::min(300, 2 << std::min(e.failures, 8)));
    e.retry_at = Clock::now() + backoff;
    log_("centaur bridge: registering " + op.ref + " at " + url + " failed (" + why +
         "); trying again in " + std::to_string(backoff.count()) + " s, polling goes on meanwhile");
  }
}

void CentaurBridge::do_revoke(const Op &op) {
  const std::string url = settings_.bot_url + "/api/signals/" + http::percent_encode(op.ref);
  auto r = call("DELETE", url, settings_.bot_token, "", settings_.timeout_ms);
  if (ok(r) || (r.answered() && r.status == 404)) {
    log_("centaur bridge: revoked the callback of " + op.ref);
    return;
  }
  log_("centaur bridge: revoking " + op.ref + " at " + url + " failed (" +
       (r.answered() ? "HTTP " + std::to_string(r.status) : r.error) + ")");
}

}  // namespace gk::runner
