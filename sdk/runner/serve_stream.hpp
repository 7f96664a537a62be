// The streamed endpoints of `goalkeeper serve` (Server-Sent Events, http/stream.hpp):
//
//   GET /api/events/stream[?goal=ID&after=ID]   the plugin's event log, each event as
//       "id: <event id>\nevent: <kind>\ndata: <event json>\n\n", oldest first, from after the
//       Last-Event-ID header (else ?after, else the start); polled every 200 ms; a comment
//       ": keep-alive" when nothing was sent for 15 s.
//   GET /api/jobs/KEY/log[?tail=N]              the last N lines (default 100) of a job's log,
//       then the lines it writes, each as "event: line" with the line as data; "event: end"
//       (data {"job_key": KEY}) once the job no longer runs, and the stream ends.
//
// Every text sent passes through the Redactor: the values of the runner's secrets never leave.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <goalkeeper/goalkeeper.hpp>

#include "http/server.hpp"

namespace gk::runner {

// Replaces every secret value in a text with "[redacted]".
class Redactor {
 public:
  // Values shorter than kShortest are left out: they would redact ordinary text.
  static constexpr size_t kShortest = 6;
  explicit Redactor(std::vector<std::string> secrets = {});
  std::string text(std::string_view text) const;
  void json(boost::json::value &value) const;  // every string and key, in place

 private:
  std::vector<std::string> secrets_;
};

// The values, in this process's environment, of the variables that hold the runner's secrets:
// those no job gets (withheld_variables, prefixes ending in '*' included) and the GitHub token.
std::vector<std::string> secret_values(const boost::json::object &config);

struct StreamTiming {
  std::chrono::milliseconds poll{200};
  std::chrono::milliseconds heartbeat{15000};
};

// The events stream from after `after`, only `goal`'s events when not "". The caller checked the
// token and the parameters (and that the goal exists).
http::Response events_stream(goalkeeper::Handle &state, std::string goal, int64_t after,
                             std::shared_ptr<const Redactor> redactor, StreamTiming timing = {});

// 1 the job runs, 0 it ended, -1 unknown (jobs::LocalJobs::alive).
using JobAlive = std::function<int(const std::string &job_key)>;

// The log stream of job_key; a 404 answer when there is no such job (no log and the registry
// does not know it) or the key is not one.
http::Response job_log_stream(const std::filesystem::path &work_dir, const std::string &job_key,
                              size_t tail, JobAlive alive, std::shared_ptr<const Redactor> redactor,
                              StreamTiming timing = {});

}  // namespace gk::runner
