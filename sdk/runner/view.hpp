// What people (and scripts) see while goals run. Three views behind one interface:
//   live   on a terminal: log lines scroll above a block that is redrawn in place, with a line
//          per running job (elapsed time) and a progress bar per goal. NO_COLOR: no colours.
//   plain  not a terminal: one line per thing that happened, nothing redrawn.
//   json   --json: one JSON object per line, {"event": "...", ...}.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace gk::runner {

struct GoalLine {
  std::string goal_id, state, status;
  int64_t done = 0, total = 0;
};

struct JobLine {
  std::string job_key, title;
  std::chrono::steady_clock::time_point since;
};

class View {
 public:
  virtual ~View() = default;
  // Something happened. fields become the JSON line (with "event": kind); text is for people.
  virtual void note(const std::string &kind, boost::json::object fields,
                    const std::string &text) = 0;
  // The current picture; the live view redraws it (at most ~10 times a second).
  virtual void refresh(const std::vector<GoalLine> &, const std::vector<JobLine> &) {}
  // Whether refresh() would draw now: only then is the picture worth building (it asks the job
  // registry about every running job).
  virtual bool due() const { return false; }
  // Leaves the terminal clean (the live block erased).
  virtual void close() {}
};

// json_flag: --json. Otherwise live when stdout is a terminal (and TERM is not "dumb").
std::unique_ptr<View> make_view(bool json_flag);

// Colour codes unless NO_COLOR is set (to anything but "").
bool use_color();

// "3.2s", "1m05s", "2h03m".
std::string format_elapsed(std::chrono::steady_clock::duration d);

// "[######......] 3/7" with width cells.
std::string progress_bar(int64_t done, int64_t total, int width);

}  // namespace gk::runner
