// Running the real `goalkeeper` command in temp folders, with bounded waits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gk::runner_test {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
  bool timed_out = false;
};

// A fresh folder under the system temp folder, removed when the test passed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path &path() const { return path_; }
  fs::path operator/(const std::string &name) const { return path_ / name; }
  // git init with one empty commit on branch "main".
  void git_init() const;

 private:
  fs::path path_;
};

struct Options {
  fs::path cwd;
  std::map<std::string, std::string> env;  // added; a value "" removes the variable
  std::chrono::milliseconds timeout{60000};
};

// Runs in d, with the plugin this build made (and the default timeout).
Options in(const TempDir &d);

// Starts `goalkeeper args...` and returns its pid; output goes to files under cwd.
pid_t spawn(const std::vector<std::string> &args, const Options &o, const fs::path &out_file,
            const fs::path &err_file);
// Waits for pid up to timeout; kills it (SIGKILL) when it runs longer. Returns the exit status.
int wait_for(pid_t pid, std::chrono::milliseconds timeout, bool *timed_out = nullptr);
// Runs `goalkeeper args...` to the end (bounded by o.timeout).
Result run(const std::vector<std::string> &args, const Options &o);

// Runs a shell command line (test setup only) in cwd; returns its exit status.
int sh(const std::string &command, const fs::path &cwd);

std::string read(const fs::path &p);
void write(const fs::path &p, const std::string &text);
std::vector<std::string> lines(const fs::path &p);

// Whether a process with this pid exists (and is not a zombie we could reap).
bool process_exists(pid_t pid);

// Waits until pred() or the deadline; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = std::chrono::milliseconds(20000)) {
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    struct timespec ts {
      0, 20'000'000
    };
    nanosleep(&ts, nullptr);
  }
  return pred();
}

std::string runner_path();
std::string plugin_path();
std::string examples_dir();

// Start/end timestamps (ns) the jobs wrote as "<name>.start" / "<name>.end" in dir; returns the
// largest number of intervals that overlap at one moment.
int max_overlap(const fs::path &dir, const std::vector<std::string> &names);

}  // namespace gk::runner_test
