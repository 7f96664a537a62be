// The on-disk job registry shared by LocalJobs (the runner's side) and gk-supervise. One job_key
// owns a few small files in the registry directory, each written by one party only, so no file is
// ever updated by two processes:
//   <name>.job     the claim, by the runner: spec of the job. Created exclusively (a key is never
//                  started twice); its inode carries the flock the supervisor holds while it lives.
//   <name>.run     by the supervisor once the job runs: pids and start times.
//   <name>.cancel  by the runner: a cancel request and its reason.
//   <name>.end     by the supervisor (or by a runner that finds the supervisor gone): how it ended.
//   <name>.reported  by the runner: the end was handed to the caller.
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
// Temp file + link: false when the path already exists. lock_fd, when given, receives the open
// descriptor of the new file with an exclusive flock held (the caller owns and closes it).
bool write_record_once(const std::filesystem::path &path, const Record &record,
                       int *lock_fd = nullptr);

// True while some process holds the flock on path (the supervisor of a claim).
bool lock_held(const std::filesystem::path &path);

// Start time of a live process in clock ticks since boot (field 22 of /proc/<pid>/stat), or -1
// when there is no such process or it is a zombie. Pids are reused; start times tell them apart.
int64_t process_start(pid_t pid);

int64_t wall_ms();
int64_t steady_ms();

}  // namespace gk::jobs
