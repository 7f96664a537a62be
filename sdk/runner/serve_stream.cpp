// The streamed endpoints of `goalkeeper serve` (see serve_stream.hpp).
#include "serve_stream.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "http/stream.hpp"
#include "layout.hpp"
#include "state.hpp"
#include "text_width.hpp"

extern char **environ;

namespace gk::runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

Redactor::Redactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
  std::erase_if(secrets_, [](const std::string &s) { return s.size() < kShortest; });
  // Longer first, so a secret that contains another is redacted whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

std::string Redactor::text(std::string_view text) const {
  std::string out(text);
  for (const std::string &secret : secrets_) {
    for (size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 10))
      out.replace(at, secret.size(), "[redacted]");
  }
  return out;
}

void Redactor::json(json::value &value) const {
  if (secrets_.empty()) return;
  if (value.is_string()) {
    value = text(value.as_string());
  } else if (value.is_array()) {
    for (auto &v : value.as_array()) json(v);
  } else if (value.is_object()) {
    json::object fixed;
    for (auto &kv : value.as_object()) {
      json(kv.value());
      fixed[text(kv.key())] = std::move(kv.value());
    }
    value = std::move(fixed);
  }
}

std::vector<std::string> secret_values(const json::object &config) {
  std::vector<std::string> names = withheld_variables(config);
  names.push_back(config_string(config, "github", "token_env").value_or("GITHUB_TOKEN"));
  std::vector<std::string> values;
  for (const std::string &name : names) {
    if (name.empty()) continue;
    if (name.back() != '*') {
      if (const char *v = std::getenv(name.c_str())) values.emplace_back(v);
      continue;
    }
    const std::string prefix = name.substr(0, name.size() - 1);
    for (char **e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      auto eq = entry.find('=');
      if (eq != std::string_view::npos && entry.substr(0, eq).starts_with(prefix))
        values.emplace_back(entry.substr(eq + 1));
    }
  }
  return values;
}

namespace {

http::Response sse_response(std::function<std::string(bool *)> next, StreamTiming timing) {
  http::Response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  r.stream = std::make_shared<http::StreamBody>();
  r.stream->interval = timing.poll;
  r.stream->next = std::move(next);
  return r;
}

// A heartbeat comment when nothing was sent for a while.
class Heartbeat {
 public:
  explicit Heartbeat(std::chrono::milliseconds every) : every_(every) {}
  std::string after(std::string text) {
    const auto now = Clock::now();
    if (text.empty() && now - last_ >= every_) text = http::sse_comment("keep-alive");
    if (!text.empty()) last_ = now;
    return text;
  }

 private:
  std::chrono::milliseconds every_;
  Clock::time_point last_ = Clock::now();
};

constexpr int64_t kEventsPage = 500;

}  // namespace

http::Response events_stream(goalkeeper::Handle &state, std::string goal, int64_t after,
                             std::shared_ptr<const Redactor> redactor, StreamTiming timing) {
  Heartbeat beat(timing.heartbeat);
  auto next = [&state, goal = std::move(goal), after, redactor, beat](bool *) mutable {
    std::string out;
    // A few pages a turn at most, so one stream far behind does not hold its thread.
    for (int page = 0; page < 4; ++page) {
      json::object q{{"what", "events"}, {"after", after}, {"limit", kEventsPage}};
      if (!goal.empty()) q["goal_id"] = goal;
      json::value answer;
      try {
        answer = parse_answer(state.query(json::serialize(q)));
      } catch (const std::exception &) {
        break;  // busy, or the state is away for a moment: the next turn asks again
      }
      const auto *events = answer.as_object().if_contains("events");
      if (!events || !events->is_array()) break;
      for (json::value e : events->as_array()) {
        if (!e.is_object()) continue;
        const auto *id = e.as_object().if_contains("id");
        if (!id || !id->is_int64()) continue;
        after = id->as_int64();
        std::string kind;
        if (const auto *k = e.as_object().if_contains("kind"); k && k->is_string())
          kind = redactor->text(k->as_string());
        redactor->json(e);
        out += http::sse_event(std::to_string(after), kind, json::serialize(e));
      }
      if (static_cast<int64_t>(events->as_array().size()) < kEventsPage) break;
    }
    return beat.after(std::move(out));
  };
  return sse_response(std::move(next), timing);
}

namespace {

// Bytes read from the end of a log for its tail: a log of long lines shows fewer than N.
constexpr std::streamoff kTailWindow = 4 * 1024 * 1024;

// Follows one log file: the tail first, then what is appended.
class LogFeed {
 public:
  LogFeed(std::filesystem::path path, std::string key, size_t tail, JobAlive alive,
          std::shared_ptr<const Redactor> redactor, StreamTiming timing)
      : path_(std::move(path)),
        key_(std::move(key)),
        tail_(tail),
        alive_(std::move(alive)),
        redactor_(std::move(redactor)),
        beat_(timing.heartbeat) {}

  std::string next(bool *done) {
    // Asked before reading: a job that ended has written everything this read gets.
    const bool running = alive_(key_) == 1;
    std::string out = first_ ? read_tail() : read_more();
    first_ = false;
    if (!running && opened_) out += read_more();
    if (!running) {
      if (!partial_.empty()) out += line(std::exchange(partial_, {}));
      out += http::sse_event("", "end", json::serialize(json::object{{"job_key", key_}}));
      *done = true;
      return out;
    }
    return beat_.after(std::move(out));
  }

 private:
  std::string line(const std::string &text) const {
    return http::sse_event("", "line", redactor_->text(valid_utf8(text)));
  }

  bool open() {
    if (opened_) return true;
    in_.open(path_, std::ios::binary);
    opened_ = static_cast<bool>(in_);
    return opened_;
  }

  std::string read_tail() {
    if (!open()) return {};
    in_.seekg(0, std::ios::end);
    const std::streamoff size = in_.tellg();
    const std::streamoff from = size > kTailWindow ? size - kTailWindow : 0;
    in_.seekg(from);
    std::string text = read_available();
    size_t start = 0;
    if (from > 0) start = text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1;
    // The last `tail_` whole lines; a line not ended yet waits in partial_.
    size_t end = text.rfind('\n');
    end = end == std::string::npos || end < start ? start : end + 1;
    partial_ = text.substr(end);
    std::vector<size_t> starts;  // of each whole line in [start, end)
    for (size_t p = start; p < end; p = text.find('\n', p) + 1) starts.push_back(p);
    // A line not ended yet is one of the last lines (sent when it ends, or when the job does).
    const size_t whole = partial_.empty() || tail_ == 0 ? tail_ : tail_ - 1;
    const size_t begin =
        whole == 0 ? end : (starts.size() > whole ? starts[starts.size() - whole] : start);
    return lines(text.substr(begin, end - begin));
  }

  std::string read_more() {
    if (!open()) return {};
    partial_ += read_available();
    size_t end = partial_.rfind('\n');
    if (end == std::string::npos) return {};
    std::string whole = partial_.substr(0, end + 1);
    partial_.erase(0, end + 1);
    return lines(whole);
  }

  // Each line of text (every one ends with '\n') as an event.
  std::string lines(const std::string &text) const {
    std::string out;
    for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
      out += line(text.substr(start, nl - start));
    return out;
  }

  std::string read_available() {
    std::string text;
    char buf[8192];
    for (;;) {
      in_.read(buf, sizeof buf);
      const std::streamsize got = in_.gcount();
      if (got <= 0) break;
      text.append(buf, static_cast<size_t>(got));
    }
    in_.clear();
    return text;
  }

  std::filesystem::path path_;
  std::string key_;
  size_t tail_;
  JobAlive alive_;
  std::shared_ptr<const Redactor> redactor_;
  Heartbeat beat_;
  std::ifstream in_;
  bool opened_ = false, first_ = true;
  std::string partial_;
};

}  // namespace

http::Response job_log_stream(const std::filesystem::path &work_dir, const std::string &job_key,
                              size_t tail, JobAlive alive, std::shared_ptr<const Redactor> redactor,
                              StreamTiming timing) {
  std::filesystem::path path;
  try {
    path = Layout(work_dir).log_file(job_key);
  } catch (const std::invalid_argument &) {
    return http::error_response(
        404, "no job " + redactor->text(job_key) + " (a job key is GOAL/TASK#N or GOAL#N)");
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && alive(job_key) == -1)
    return http::error_response(
        404, "no job " + redactor->text(job_key) + " (no log, and no job by that key)");
  auto feed =
      std::make_shared<LogFeed>(path, job_key, tail, std::move(alive), std::move(redactor), timing);
  return sse_response([feed](bool *done) { return feed->next(done); }, timing);
}

}  // namespace gk::runner
