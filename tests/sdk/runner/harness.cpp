// Process and file helpers for the runner tests.
#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

extern char **environ;

namespace gk::runner_test {

std::string runner_path() {
  return GK_RUNNER_PATH;
}
std::string plugin_path() {
  return GK_PLUGIN_PATH;
}
std::string examples_dir() {
  return GK_EXAMPLES_DIR;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "gk_runner_XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // Keep the folder of a failed test for a look; remove it otherwise.
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

void TempDir::git_init() const {
  int rc =
      sh("git init -q -b main . && git -c user.name=t -c user.email=t@example.com commit -q "
         "--allow-empty -m init",
         path_);
  if (rc != 0) throw std::runtime_error("git init failed");
}

pid_t spawn(const std::vector<std::string> &args, const Options &o, const fs::path &out_file,
            const fs::path &err_file) {
  std::map<std::string, std::string> env;
  for (char **e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env.erase("GOALKEEPER_PLUGIN");
  env["NO_COLOR"] = "1";
  for (const auto &[k, v] : o.env) {
    if (v.empty())
      env.erase(k);
    else
      env[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto &[k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char *> envp;
  for (auto &s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_strings{runner_path()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string cwd = o.cwd.string();
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  return pid;
}

int wait_for(pid_t pid, std::chrono::milliseconds timeout, bool *timed_out) {
  auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      if (timed_out) *timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result run(const std::vector<std::string> &args, const Options &o) {
  static int counter = 0;
  ++counter;
  fs::path out = o.cwd / (".runner_out_" + std::to_string(counter));
  fs::path err = o.cwd / (".runner_err_" + std::to_string(counter));
  Result r;
  pid_t pid = spawn(args, o, out, err);
  r.exit_code = wait_for(pid, o.timeout, &r.timed_out);
  r.out = read(out);
  r.err = read(err);
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  return r;
}

int sh(const std::string &command, const fs::path &cwd) {
  std::string line = "cd '" + cwd.string() + "' && " + command;
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path &p, const std::string &text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> lines(const fs::path &p) {
  std::vector<std::string> out;
  std::istringstream in(read(p));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

bool process_exists(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  // A zombie still answers kill(0); look at its state.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  std::getline(stat, all);
  auto close = all.rfind(')');
  return close == std::string::npos || all.size() < close + 3 || all[close + 2] != 'Z';
}

int max_overlap(const fs::path &dir, const std::vector<std::string> &names) {
  std::vector<std::pair<long long, int>> points;
  for (const auto &n : names) {
    auto s = lines(dir / (n + ".start"));
    auto e = lines(dir / (n + ".end"));
    if (s.empty() || e.empty()) continue;
    points.emplace_back(std::stoll(s[0]), +1);
    points.emplace_back(std::stoll(e[0]), -1);
  }
  std::sort(points.begin(), points.end());  // an end before a start at the same instant
  int now = 0, best = 0;
  for (const auto &[t, d] : points) best = std::max(best, now += d);
  return best;
}

Options in(const TempDir &d) {
  Options o;
  o.cwd = d.path();
  o.env["GOALKEEPER_PLUGIN"] = plugin_path();
  return o;
}

}  // namespace gk::runner_test
