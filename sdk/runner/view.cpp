// The live, plain and JSON views.
#include "view.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <sys/ioctl.h>
#include <unistd.h>

#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

bool use_color() {
  const char *nc = std::getenv("NO_COLOR");
  return nc == nullptr || *nc == '\0';
}

std::string format_elapsed(Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms < 0) ms = 0;
  char buf[32];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%lld.%llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>((ms % 1000) / 100));
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>((ms / 1000) % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>((ms / 60'000) % 60));
  }
  return buf;
}

std::string progress_bar(int64_t done, int64_t total, int width) {
  int64_t filled = total > 0 ? done * width / total : 0;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar += i < filled ? '#' : '.';
  return bar + "] " + std::to_string(done) + "/" + std::to_string(total);
}

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class JsonView : public View {
 public:
  void note(const std::string &kind, json::object fields, const std::string &) override {
    json::object line{{"event", kind}, {"time_ms", wall_ms()}};
    for (auto &kv : fields) line[kv.key()] = std::move(kv.value());
    std::cout << json::serialize(line) << '\n' << std::flush;
  }
};

class PlainView : public View {
 public:
  void note(const std::string &, json::object, const std::string &text) override {
    std::cout << shown_lines(text) << '\n' << std::flush;
  }
};

class LiveView : public View {
 public:
  LiveView() : color_(use_color()) {}
  ~LiveView() override { close(); }

  void note(const std::string &kind, json::object, const std::string &text) override {
    erase();
    std::string colored = shown_lines(text);
    if (color_) {
      const char *c =
          kind == "finished" || kind == "goal_done" ? "\x1b[32m"
          : kind == "failed" || kind == "start_failed" || kind == "goal_failed" || kind == "error"
              ? "\x1b[31m"
          : kind == "review" || kind == "waiting" ? "\x1b[33m"
                                                  : "";
      if (*c) colored = std::string(c) + colored + "\x1b[0m";
    }
    std::cout << colored << '\n' << std::flush;
    last_draw_ = {};  // the block comes back at the next refresh, with the current picture
  }

  void refresh(const std::vector<GoalLine> &goals, const std::vector<JobLine> &jobs) override {
    goals_ = goals;
    jobs_ = jobs;
    auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    erase();
    draw();
  }

  bool due() const override { return Clock::now() - last_draw_ >= std::chrono::milliseconds(100); }

  void close() override {
    erase();
    goals_.clear();
    jobs_.clear();
  }

 private:
  winsize size() const {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) ws = {};
    if (ws.ws_col == 0) ws.ws_col = 80;
    if (ws.ws_row == 0) ws.ws_row = 24;
    return ws;
  }

  void erase() {
    if (drawn_ > 0) std::cout << "\x1b[" << drawn_ << "A";
    std::cout << "\r\x1b[J";
    drawn_ = 0;
  }

  // The block never wraps a line and never outgrows the screen: it is taken back by moving the
  // cursor up as many lines as it printed, which only works for lines still on the screen.
  void draw() {
    last_draw_ = Clock::now();
    const winsize ws = size();
    const auto width = static_cast<size_t>(ws.ws_col > 1 ? ws.ws_col - 1 : 1);
    const size_t room = ws.ws_row > 1 ? ws.ws_row - 1u : 1u;  // the cursor's own line stays free
    const char *dim = color_ ? "\x1b[2m" : "";
    const char *reset = color_ ? "\x1b[0m" : "";
    auto line = [&](const char *color, const std::string &text) {
      std::cout << color << fit_columns(text, width) << (*color ? reset : "") << '\n';
      ++drawn_;
    };
    // Rows for goals first (a line each, or all but one and a line saying how many more), the
    // rest for jobs, at most 12 of them.
    const size_t goal_rows = std::min(goals_.size(), room);
    const size_t goals_shown = goal_rows < goals_.size() ? goal_rows - 1 : goal_rows;
    const size_t job_rows = std::min<size_t>(room - goal_rows, 12);
    const size_t jobs_shown =
        job_rows < jobs_.size() && job_rows > 0 ? job_rows - 1 : std::min(job_rows, jobs_.size());
    static const char spin[] = {'|', '/', '-', '\\'};
    ++frame_;
    for (size_t i = 0; i < jobs_shown; ++i) {
      const JobLine &j = jobs_[i];
      line("", std::string("  ") + spin[frame_ % 4] + " " + j.job_key + "  " +
                   format_elapsed(last_draw_ - j.since) + "  " + j.title);
    }
    if (jobs_shown < jobs_.size() && job_rows > 0)
      line(dim, "  ... and " + std::to_string(jobs_.size() - jobs_shown) + " more jobs");
    for (size_t i = 0; i < goals_shown; ++i) {
      const GoalLine &g = goals_[i];
      const char *c = !color_                ? ""
                      : g.status == "done"   ? "\x1b[32m"
                      : g.status == "failed" ? "\x1b[31m"
                      : g.state == "running" ? "\x1b[36m"
                                             : "\x1b[33m";
      line(c, progress_bar(g.done, g.total, 24) + "  " + g.goal_id + "  " +
                  (g.state == "finished" ? g.status : g.state));
    }
    if (goals_shown < goals_.size())
      line(dim, "... and " + std::to_string(goals_.size() - goals_shown) + " more goals");
    std::cout << std::flush;
  }

  bool color_;
  int drawn_ = 0;
  unsigned frame_ = 0;
  Clock::time_point last_draw_{};
  std::vector<GoalLine> goals_;
  std::vector<JobLine> jobs_;
};

}  // namespace

std::unique_ptr<View> make_view(bool json_flag) {
  if (json_flag) return std::make_unique<JsonView>();
  const char *term = std::getenv("TERM");
  bool dumb = term != nullptr && std::string(term) == "dumb";
  if (::isatty(STDOUT_FILENO) && !dumb) return std::make_unique<LiveView>();
  return std::make_unique<PlainView>();
}

}  // namespace gk::runner
