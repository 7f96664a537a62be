// The on-disk job registry shared by LocalJobs (the runner's side) and gk-supervise. Creating files
// is what costs (each create or rename takes the registry directory's lock), so one job_key owns
// one file for its whole life, created once:
//   <name>.job     the claim, by the runner: spec of the job, then event lines appended to it.
//                  Created exclusively and complete (an unnamed file linked into place: a key is
//                  never started twice and nobody sees half a claim); its inode carries the flock
//                  the supervisor holds while the job runs. Appended later, each as one O_APPEND
//                  write() of a complete line:
//                    @run       by the supervisor once the job runs: pids and start times;
//                    @end       by the supervisor (or by a runner that finds the supervisor gone):
//                               how it ended; the first complete one counts;
//                    @reported  by a runner: the end was handed to the caller.
//   <name>.cancel  by the runner: a cancel request and its reason (rare: its own file).
//   done/<name>.job  the claim once a runner reported its end: moved (renamed, not copied) out of
//                  the way of every runner's start-up, which reads the registry's claims.
// An event line is "\n@<kind> <length> <escaped record>\n": a line a crash tore (no newline, or
// a length that does not match) is ignored, and the next append's leading newline ends it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gk::jobs {

// A file name for a job key ('/', '#' and anything else unusual percent-encoded; very long keys
// are shortened with a hash). The claim stores the real key.
std::string safe_name(std::string_view key);

// Lines of "field value", a field may repeat (argv, env); values escape '\\' and newlines.
class Record {
 public:
  void add(std::string field, std::string value);
  void add(std::string field, int64_t value) { add(std::move(field), std::to_string(value)); }
  std::string get(std::string_view field) const;  // "" when missing
  int64_t get_int(std::string_view field, int64_t fallback = 0) const;
  std::vector<std::string> all(std::string_view field) const;
  std::string text() const;
  static Record parse(std::string_view text);

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::optional<Record> read_record(const std::filesystem::path &path);
// Temp file + rename: a reader sees the old record or the new one, never half of one.
void write_record(const std::filesystem::path &path, const Record &record);
// True while some process holds the flock on path (the supervisor of a claim).
bool lock_held(const std::filesystem::path &path);

// A job's file: the claim's spec and the events appended to it.
struct JobFile {
  Record claim;
  std::optional<Record> run;  // the last complete @run
  std::optional<Record> end;  // the first complete @end
  bool reported = false;
  bool adopted = false;  // a later runner started the job of a claim its runner left
};
// with_claim false leaves claim empty: for a look at how the job stands, which is all most reads
// need (the spec is most of the file, the job's environment included).
JobFile parse_job(std::string_view text, bool with_claim = true);
// nullopt when the file cannot be opened (no such claim).
std::optional<JobFile> read_job(const std::filesystem::path &path);
// From offset 0, the descriptor's offset untouched.
std::optional<JobFile> read_job(int fd, bool with_claim = true);
// The event line for kind ("run", "end", "reported", "adopted").
std::string event_line(std::string_view kind, const Record &record);
// One write() of the line with O_APPEND (a torn write is written again whole). Throws on failure.
void append_line(int fd, const std::string &line, const std::filesystem::path &path);
void append_event(const std::filesystem::path &path, std::string_view kind, const Record &record);
// Creates path exclusively holding record.text(), complete when it appears (an O_TMPFILE linked
// into place, or temp + link where that is not supported): false when the path already exists.
// lock_fd, when given, receives a descriptor of the new file (read-write, O_APPEND) with an
// exclusive flock held, taken before the name appeared (the caller owns and closes it).
bool create_claim(const std::filesystem::path &path, const Record &record, int *lock_fd);

// Start time of a live process in clock ticks since boot (field 22 of /proc/<pid>/stat), or -1
// when there is no such process or it is a zombie. Pids are reused; start times tell them apart.
int64_t process_start(pid_t pid);

int64_t wall_ms();
int64_t steady_ms();

}  // namespace gk::jobs
