// A whole pull-request goal run by the `goalkeeper` command against the fake GitHub as a process
// (issue 4, "Tests"): implement -> gh_ci -> gh_review -> sign-off, with a failing check that
// sends `implement` back to work with the failure in its prompt, a new head commit, passing
// checks and an approval. Then the GitHub token is looked for in everything the run leaves
// behind, and a 401 must block a gate with a reason that names the variable, not its value.
//
// Layout of one scenario (a temp folder, removed unless a test failed):
//   work/   where `goalkeeper run` runs: goal files, config, .goalkeeper/, outputs of commands
//   agent/  what the stand-in agent writes: one line per run, a copy of each prompt
//   fake/   the fake's state file (rewritten to script GitHub), its stdout and stderr
// goalkeeper talks to the fake through a small relay in this process that records the
// Authorization header of every request (GET /_fake/stats does not report it).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

extern char **environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char *kTokenEnv = "GK_PR_GOAL_TOKEN";
constexpr const char *kToken = "gk-test-TESTSECRET-123456";
constexpr const char *kTokenMiddle = "TESTSECRET";

constexpr auto kStepWait = 10s;  // one scripted step; the whole run is bounded by kRunLimit
constexpr auto kRunLimit = 30s;
constexpr auto kCommandLimit = 15s;  // status, events

std::string goalkeeper_exe() {
  return std::string(GK_BIN_DIR) + "/goalkeeper";
}

// ---------------------------------------------------------------------------------------------
// Files

std::string read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path &p, const std::string &text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// Written beside and renamed over, so the fake never reads half a file.
void replace_file(const fs::path &p, const std::string &text) {
  const fs::path tmp = p.string() + ".test-tmp";
  write_file(tmp, text);
  fs::rename(tmp, p);
}

int count_lines(const fs::path &p) {
  const std::string text = read_file(p);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::string tail(const std::string &text, size_t n = 3000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

// ---------------------------------------------------------------------------------------------
// Processes: started with fork/exec, waited for with a deadline, ended by their pid.

class Child {
 public:
  Child(const std::vector<std::string> &args, const fs::path &cwd,
        const std::map<std::string, std::string> &env_add, const fs::path &out,
        const fs::path &err) {
    std::map<std::string, std::string> env;
    for (char **e = environ; *e; ++e) {
      const std::string kv = *e;
      const auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    env.erase("GOALKEEPER_PLUGIN");
    env["NO_COLOR"] = "1";
    for (const auto &[k, v] : env_add) env[k] = v;
    std::vector<std::string> env_strings;
    for (const auto &[k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char *> envp;
    for (auto &s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings = args;
    std::vector<char *> argv;
    for (auto &s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    const std::string dir = cwd.string(), out_path = out.string(), err_path = err.string();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec. The child dies with the test process (a test
      // killed by ctest's timeout leaves no fake GitHub or goalkeeper behind).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (in < 0 || o < 0 || e < 0 || ::dup2(in, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0 ||
          ::chdir(dir.c_str()) != 0)
        ::_exit(127);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~Child() { stop(); }
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;

  pid_t pid() const { return pid_; }

  bool running() {
    if (reaped_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = status;
    }
    return !reaped_;
  }

  // The exit code (128 + signal when killed). Past the deadline: SIGTERM, then SIGKILL.
  int wait(std::chrono::milliseconds timeout, bool *timed_out = nullptr) {
    const auto until = Clock::now() + timeout;
    while (running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    if (running()) {
      if (timed_out) *timed_out = true;
      stop();
    }
    return exit_code();
  }

  // SIGTERM, a short grace, then SIGKILL; always reaps.
  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    const auto until = Clock::now() + 3s;
    while (running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    if (running()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      status_ = status;
    }
  }

  int exit_code() const {
    if (!reaped_) return -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Loopback sockets

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const char *data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// GET http://127.0.0.1:port/target with Connection: close; the body, or "" on any trouble.
std::string http_get(uint16_t port, const std::string &target) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "";
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string answer;
  if (send_all(fd, request.data(), request.size())) {
    const auto until = Clock::now() + 5s;
    char buf[4096];
    while (Clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const auto body = answer.find("\r\n\r\n");
  return body == std::string::npos ? "" : answer.substr(body + 4);
}

// A TCP relay 127.0.0.1:port() -> 127.0.0.1:upstream that records the Authorization header of
// every request passing through (the bytes themselves are forwarded untouched).
class AuthTap {
 public:
  explicit AuthTap(uint16_t upstream) : upstream_(upstream) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~AuthTap() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mutex_);
      pumps.swap(pumps_);
    }
    for (auto &t : pumps) t.join();
    ::close(listen_fd_);
  }
  AuthTap(const AuthTap &) = delete;
  AuthTap &operator=(const AuthTap &) = delete;

  uint16_t port() const { return port_; }

  // Every Authorization value seen, one per request that had one, in order.
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      const int server = connect_loopback(upstream_);
      if (server < 0) {
        ::close(client);
        continue;
      }
      std::lock_guard lock(mutex_);
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  void pump(int client, int server) {
    std::string line;  // the client's bytes since the last line break
    char buf[16384];
    while (!stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      const int ready = ::poll(p, 2, 50);
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = p[i].fd;
        const int to = from == client ? server : client;
        const ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0) {
          done = true;
          break;
        }
        if (from == client) scan(line, std::string_view(buf, static_cast<size_t>(n)));
        if (!send_all(to, buf, static_cast<size_t>(n))) done = true;
      }
      if (done) break;
    }
    ::close(client);
    ::close(server);
  }

  // Lines of the client's bytes; "Authorization:" lines are recorded. A header line always
  // follows a line break (a body without one only runs into the next request line).
  void scan(std::string &line, std::string_view data) {
    for (const char c : data) {
      if (c != '\n') {
        if (line.size() < 65536) line.push_back(c);
        continue;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string lower = line.substr(0, std::min<size_t>(line.size(), 16));
      for (auto &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower.starts_with("authorization:")) {
        std::string value = line.substr(std::strlen("authorization:"));
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        std::lock_guard lock(mutex_);
        authorizations_.push_back(value);
      }
      line.clear();
    }
  }

  uint16_t upstream_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> pumps_;
  std::vector<std::string> authorizations_;
};

// ---------------------------------------------------------------------------------------------
// The fake GitHub's state file

struct Check {
  std::string name, status, conclusion;
};

std::string pull_state(int number, const std::string &head_sha, const std::vector<Check> &checks,
                       const std::string &review_decision) {
  json::array cs;
  for (const auto &c : checks) {
    json::object o{{"name", c.name}, {"status", c.status}};
    if (!c.conclusion.empty()) o["conclusion"] = c.conclusion;
    cs.push_back(std::move(o));
  }
  return json::serialize(json::object{{"repo", "o/r"},
                                      {"number", number},
                                      {"head_sha", head_sha},
                                      {"checks", std::move(cs)},
                                      {"review_decision", review_decision}});
}

std::string state_of(const std::vector<std::string> &pulls, const std::string &faults = "[]") {
  std::string s = "{\"pulls\": [";
  for (size_t i = 0; i < pulls.size(); ++i) s += (i ? ", " : "") + pulls[i];
  return s + "], \"faults\": " + faults + "}\n";
}

const std::string kHeadA(40, 'a');
const std::string kHeadB(40, 'b');

// ---------------------------------------------------------------------------------------------
// Looking for the token

// "WHERE contains the token" / "... its middle part", for every hit.
std::vector<std::string> leaks_in(const std::string &where, const std::string &text) {
  std::vector<std::string> hits;
  if (text.find(kToken) != std::string::npos) hits.push_back(where + " contains the token");
  if (text.find(kTokenMiddle) != std::string::npos)
    hits.push_back(where + " contains \"" + kTokenMiddle + "\"");
  return hits;
}

// Every regular file under root; `seen` collects their paths relative to root.
std::vector<std::string> leaks_under(const fs::path &root, std::vector<std::string> *seen) {
  std::vector<std::string> hits;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    const std::string rel = fs::relative(it->path(), root).string();
    if (seen) seen->push_back(rel);
    for (auto &h : leaks_in(it->path().string(), read_file(it->path()))) hits.push_back(h);
  }
  return hits;
}

std::string join(const std::vector<std::string> &items) {
  std::string s;
  for (const auto &i : items) s += "  " + i + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------------
// The scenario: one fake, one relay, one workspace; the whole PR goal run once per process.

struct CommandResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

class Scenario {
 public:
  Scenario() {
    std::string tmpl = (fs::temp_directory_path() / "gk_pr_goal_XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    fs::create_directories(work());
    fs::create_directories(agent());
    fs::create_directories(fake_dir());
  }

  ~Scenario() {
    run_.reset();
    tap_.reset();
    fake_.reset();
    if (keep_) {
      std::fprintf(stderr, "pr_goal: kept %s for a look\n", root_.c_str());
    } else {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  void keep() { keep_ = true; }

  fs::path work() const { return root_ / "work"; }
  fs::path agent() const { return root_ / "agent"; }
  fs::path fake_dir() const { return root_ / "fake"; }
  fs::path state_file() const { return fake_dir() / "state.json"; }

  // Starts gk-fake-github and the relay in front of it.
  bool start_fake(const std::string &first_state) {
    write_file(state_file(), first_state);
    const fs::path out = fake_dir() / "fake.out";
    fake_ = std::make_unique<Child>(
        std::vector<std::string>{GK_FAKE_GITHUB_EXE, "--state", state_file().string()}, fake_dir(),
        std::map<std::string, std::string>{}, out, fake_dir() / "fake.err");
    const auto until = Clock::now() + 10s;
    while (Clock::now() < until && fake_->running()) {
      const std::string text = read_file(out);
      if (text.starts_with("PORT ") && text.find('\n') != std::string::npos) {
        fake_port_ = static_cast<uint16_t>(std::stoi(text.substr(5)));
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    if (fake_port_ == 0) {
      problem("gk-fake-github did not print its port; stderr: " +
              read_file(fake_dir() / "fake.err"));
      return false;
    }
    tap_ = std::make_unique<AuthTap>(fake_port_);
    return true;
  }

  void set_state(const std::string &state) { replace_file(state_file(), state); }

  // Requests the fake answered (GET /_fake/stats), -1 when it does not answer.
  int fake_requests() const {
    const std::string body = http_get(fake_port_, "/_fake/stats");
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("requests")) return -1;
    return static_cast<int>(v.at("requests").to_number<int64_t>());
  }

  void write_config() {
    const std::string base = "http://127.0.0.1:" + std::to_string(tap_->port());
    write_file(work() / "config.json",
               json::serialize(json::object{{"github",
                                             {{"api_url", base + "/api/v3"},
                                              {"graphql_url", base + "/api/graphql"},
                                              {"token_env", kTokenEnv},
                                              {"poll_s", {{"gh_ci", 0.2}, {"gh_review", 0.2}}},
                                              {"max_interval_s", 0.5},
                                              {"backoff_s", 0.2},
                                              {"max_backoff_s", 1}}}}) +
                   "\n");
  }

  std::vector<std::string> gk_args(const std::vector<std::string> &args) const {
    std::vector<std::string> all{goalkeeper_exe(), "--config", (work() / "config.json").string()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  // Every command gets the token in its environment: none of them may print it.
  std::map<std::string, std::string> gk_env() const { return {{kTokenEnv, kToken}}; }

  CommandResult gk(const std::vector<std::string> &args, const std::string &name) {
    const fs::path out = work() / (name + ".out"), err = work() / (name + ".err");
    CommandResult r;
    {
      Child c(gk_args(args), work(), gk_env(), out, err);
      r.exit_code = c.wait(kCommandLimit, &r.timed_out);
    }
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }

  void start_run(const std::vector<std::string> &args) {
    run_ = std::make_unique<Child>(gk_args(args), work(), gk_env(), work() / "run.out",
                                   work() / "run.err");
  }

  bool run_alive() { return run_ && run_->running(); }

  // Waits for the run to end by itself, else ends it by its pid; its exit code.
  int finish_run(std::chrono::milliseconds limit, bool *timed_out) {
    return run_ ? run_->wait(limit, timed_out) : -1;
  }

  // Waits until pred() while the run lives; records a problem naming `what` otherwise.
  template <class Pred>
  bool step(const std::string &what, Pred pred) {
    const auto until = Clock::now() + kStepWait;
    while (Clock::now() < until) {
      if (pred()) return true;
      if (!run_alive()) break;
      std::this_thread::sleep_for(50ms);
    }
    if (pred()) return true;
    problem("gave up waiting for " + what + (run_alive() ? " (run still going)" : " (run ended)"));
    return false;
  }

  void problem(const std::string &what) { problems.push_back(what); }

  // The token anywhere under work/ or agent/ right now (state.db and its -wal included).
  void snapshot(const std::string &when) {
    std::vector<std::string> seen;
    for (auto &h : leaks_under(work(), &seen)) mid_run_leaks.push_back(when + ": " + h);
    for (auto &h : leaks_under(agent(), nullptr)) mid_run_leaks.push_back(when + ": " + h);
    for (const auto &s : seen)
      if (s.ends_with("state.db-wal")) saw_wal = true;
  }

  std::string diagnostics() const {
    return "\nproblems:\n" + join(problems) + "run stdout:\n" +
           tail(read_file(work() / "run.out")) + "\nrun stderr:\n" +
           tail(read_file(work() / "run.err")) + "\nfake stderr:\n" +
           tail(read_file(fake_dir() / "fake.err"));
  }

  std::vector<std::string> problems;
  std::vector<std::string> mid_run_leaks;
  bool saw_wal = false;

  // What the whole-goal run observed.
  int run_exit = -1;
  bool run_timed_out = false;
  bool ci_waited_while_in_progress = false;
  bool review_waited_while_required = false;
  int runs_after_failure = 0;
  std::string status_json, events_json, status_text;

  const AuthTap &tap() const { return *tap_; }

 private:
  fs::path root_;
  std::unique_ptr<AuthTap> tap_;
  bool keep_ = false;
  std::unique_ptr<Child> fake_;
  uint16_t fake_port_ = 0;
  std::unique_ptr<Child> run_;
};

// The goal of issue 4's test, with a stand-in agent: it copies its prompt where the test can read
// it, "pushes" a fix on a rerun (a new head commit whose checks start again), appends a line per
// run, and reports PR 7 through $GK_RESULT_FILE.
std::string land_goal(const Scenario &s) {
  const std::string agent = s.agent().string();
  const std::string fake = s.fake_dir().string();
  return "version: 1\n"
         "goals:\n"
         "  - id: land\n"
         "    title: Land the login fix\n"
         "    params: {repo: o/r}\n"
         "    tasks:\n"
         "      - id: implement\n"
         "        title: Implement the fix and open a pull request\n"
         "        max_retries: 1\n"
         "        run:\n"
         "          - sh\n"
         "          - -c\n"
         "          - |\n"
         "            cp \"$GK_PROMPT_FILE\" \"" +
         agent + "/prompt-$GK_ATTEMPT.md\"\n" + "            printf '%s' \"$GK_PROMPT\" > \"" +
         agent + "/env-prompt-$GK_ATTEMPT.md\"\n" +
         "            if [ \"$GK_ATTEMPT\" -gt 1 ]; then\n"
         "              cp \"" +
         fake + "/pushed.json\" \"" + fake + "/state.json.agent\"\n" + "              mv \"" +
         fake + "/state.json.agent\" \"" + fake + "/state.json\"\n" +
         "              sleep 0.5\n"
         "            fi\n"
         "            echo \"run $GK_ATTEMPT\" >> \"" +
         agent + "/runs.txt\"\n" +
         "            printf '{\"status\":\"done\",\"artifacts\":{\"pr\":7}}' > "
         "\"$GK_RESULT_FILE\"\n"
         "      - id: ci\n"
         "        title: GitHub CI passes\n"
         "        wait_for: {type: gh_ci, repo: \"{{ params.repo }}\", pr: \"{{ "
         "tasks.implement.artifacts.pr }}\"}\n"
         "        max_retries: 1\n"
         "      - id: review\n"
         "        title: A reviewer approves on GitHub\n"
         "        wait_for: {type: gh_review, repo: \"{{ params.repo }}\", pr: \"{{ "
         "tasks.implement.artifacts.pr }}\"}\n"
         "      - id: sign-off\n"
         "        title: A person signs off\n"
         "        stage: human_review\n";
}

// Whether `goalkeeper events --json --goal land` shows task `task` reaching status `to`.
bool task_reached(Scenario &s, const std::string &task, const std::string &to) {
  const CommandResult r = s.gk({"events", "--json", "--goal", "land"}, "events-poll");
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    const json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const json::object &o = v.as_object();
    const auto *t = o.if_contains("task_id");
    const auto *k = o.if_contains("kind");
    const auto *d = o.if_contains("data");
    if (!t || !k || !d || !t->is_string() || !k->is_string() || !d->is_object()) continue;
    if (t->as_string() != task || k->as_string() != "status") continue;
    const auto *dt = d->as_object().if_contains("to");
    if (dt && dt->is_string() && dt->as_string() == to) return true;
  }
  return false;
}

void run_whole_pr_goal(Scenario &s) {
  const fs::path runs = s.agent() / "runs.txt";
  const std::vector<Check> running = {{"build", "in_progress", ""}, {"unit-tests", "queued", ""}};
  if (!s.start_fake(state_of({pull_state(7, kHeadA, running, "REVIEW_REQUIRED")}))) return;
  s.write_config();
  write_file(s.work() / "land.yaml", land_goal(s));
  // What the agent's rerun "pushes": a new head whose checks start again.
  write_file(s.fake_dir() / "pushed.json",
             state_of({pull_state(7, kHeadB, running, "REVIEW_REQUIRED")}));

  s.start_run({"--verbose", "run", "land.yaml", "--auto-approve"});

  // 1. implement runs once; the CI gate polls and waits while the checks run.
  if (!s.step("implement's first run and the CI gate polling the running checks",
              [&] { return count_lines(runs) == 1 && s.fake_requests() >= 3; }))
    return;
  s.ci_waited_while_in_progress = count_lines(runs) == 1 && s.run_alive();
  s.snapshot("while CI runs");

  // 2. A check fails: the gate fails, implement runs again with the failure in its prompt.
  s.set_state(state_of({pull_state(
      7, kHeadA, {{"build", "completed", "success"}, {"unit-tests", "completed", "failure"}},
      "REVIEW_REQUIRED")}));
  if (!s.step("implement to run again after the failing check",
              [&] { return count_lines(runs) >= 2; }))
    return;
  s.runs_after_failure = count_lines(runs);
  s.snapshot("after the rerun");

  // 3. The gate watches the new head (its checks run), then they pass; the review gate waits.
  const int before = s.fake_requests();
  if (!s.step("the CI gate polling the new head", [&] { return s.fake_requests() >= before + 2; }))
    return;
  s.set_state(state_of({pull_state(
      7, kHeadB, {{"build", "completed", "success"}, {"unit-tests", "completed", "success"}},
      "REVIEW_REQUIRED")}));
  if (!s.step("the CI gate to pass", [&] { return task_reached(s, "ci", "done"); })) return;
  const int review_before = s.fake_requests();
  if (!s.step("the review gate polling while a review is required",
              [&] { return s.fake_requests() >= review_before + 2; }))
    return;
  s.review_waited_while_required = s.run_alive() && !task_reached(s, "review", "done");
  s.snapshot("while the review is required");

  // 4. Approved: review passes, sign-off is auto-approved, the run ends.
  s.set_state(state_of({pull_state(
      7, kHeadB, {{"build", "completed", "success"}, {"unit-tests", "completed", "success"}},
      "APPROVED")}));
}

// The goal of the status --json line, or null.
json::object goal_status(const std::string &status_json, const std::string &goal) {
  std::istringstream in(status_json);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    const json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto *goals = v.as_object().if_contains("goals");
    if (!goals || !goals->is_array()) continue;
    for (const auto &g : goals->as_array()) {
      if (g.is_object() && g.as_object().contains("goal_id") && g.at("goal_id").is_string() &&
          g.at("goal_id").as_string() == goal)
        return g.as_object();
    }
  }
  return {};
}

class PrGoal : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (scenario_ && any_failure_) scenario_->keep();
    scenario_.reset();
  }
  void TearDown() override {
    if (HasFailure()) any_failure_ = true;
  }

  // The whole PR goal, run once per process (ctest runs each test in a process of its own).
  static Scenario &whole_run() {
    if (scenario_) return *scenario_;
    scenario_ = std::make_unique<Scenario>();
    Scenario &s = *scenario_;
    const auto started = Clock::now();
    run_whole_pr_goal(s);
    const auto spent =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    // After a step gave up nothing more will happen: the run is ended at once.
    const auto left = s.problems.empty()
                          ? std::max<std::chrono::milliseconds>(5s, kRunLimit - spent)
                          : std::chrono::milliseconds(0);
    s.run_exit = s.finish_run(left, &s.run_timed_out);
    s.snapshot("after the run");
    const CommandResult status = s.gk({"status", "--json"}, "status-json");
    s.status_json = status.out + status.err;
    const CommandResult events = s.gk({"events", "--json"}, "events-json");
    s.events_json = events.out + events.err;
    const CommandResult text = s.gk({"status"}, "status-text");
    s.status_text = text.out + text.err;
    return s;
  }

  static std::unique_ptr<Scenario> scenario_;
  static bool any_failure_;
};

std::unique_ptr<Scenario> PrGoal::scenario_;
bool PrGoal::any_failure_ = false;

TEST_F(PrGoal, WholePrGoalRunsAgainstTheFakeGitHub) {
  Scenario &s = whole_run();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  EXPECT_FALSE(s.run_timed_out) << "goalkeeper run was still going after the approval"
                                << s.diagnostics();
  EXPECT_EQ(s.run_exit, 0) << s.diagnostics();

  // The CI gate waited while the checks ran, without rerunning anything.
  EXPECT_TRUE(s.ci_waited_while_in_progress) << s.diagnostics();

  // The failing check sent implement back to work once, with the failure in its prompt.
  EXPECT_EQ(s.runs_after_failure, 2);
  EXPECT_EQ(read_file(s.agent() / "runs.txt"), "run 1\nrun 2\n");
  const std::string first = read_file(s.agent() / "prompt-1.md");
  const std::string second = read_file(s.agent() / "prompt-2.md");
  const std::string second_env = read_file(s.agent() / "env-prompt-2.md");
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first.find("unit-tests"), std::string::npos) << first;
  EXPECT_NE(second.find("unit-tests"), std::string::npos) << "prompt file of the rerun:\n"
                                                          << second;
  EXPECT_NE(second.find("failure"), std::string::npos) << second;
  EXPECT_NE(second_env.find("unit-tests"), std::string::npos) << "$GK_PROMPT of the rerun:\n"
                                                              << second_env;
  // A passing check is not a failure to fix.
  EXPECT_EQ(second.find("\"build\""), std::string::npos) << second;

  // The review gate waited on REVIEW_REQUIRED until the approval.
  EXPECT_TRUE(s.review_waited_while_required) << s.diagnostics();

  // The token was really used: every request to the fake carried it.
  const auto auths = s.tap().authorizations();
  ASSERT_FALSE(auths.empty()) << "no request carried an Authorization header";
  EXPECT_EQ(static_cast<int>(auths.size()), s.fake_requests())
      << "not every request the fake answered carried an Authorization header";
  for (const auto &a : auths) EXPECT_EQ(a, std::string("Bearer ") + kToken);

  // The goal is done.
  const json::object land = goal_status(s.status_json, "land");
  ASSERT_FALSE(land.empty()) << s.status_json;
  EXPECT_EQ(land.at("status"), "done") << s.status_json;
  EXPECT_EQ(land.at("state"), "finished") << s.status_json;
  EXPECT_EQ(land.at("progress").at("done"), land.at("progress").at("total")) << s.status_json;
}

TEST_F(PrGoal, TheTokenAppearsNowhere) {
  Scenario &s = whole_run();
  ASSERT_NE(s.run_exit, -1) << s.diagnostics();
  ASSERT_FALSE(s.tap().authorizations().empty())
      << "the run never sent the token, so its absence proves nothing" << s.diagnostics();

  // Everything the run left (and what was there while it ran, the -wal included).
  std::vector<std::string> seen;
  std::vector<std::string> leaks = leaks_under(s.work(), &seen);
  for (auto &h : leaks_under(s.agent(), nullptr)) leaks.push_back(h);
  for (const auto &h : s.mid_run_leaks) leaks.push_back(h);
  for (auto &h : leaks_in("goalkeeper status --json", s.status_json)) leaks.push_back(h);
  for (auto &h : leaks_in("goalkeeper events --json", s.events_json)) leaks.push_back(h);
  for (auto &h : leaks_in("goalkeeper status", s.status_text)) leaks.push_back(h);
  EXPECT_TRUE(leaks.empty()) << join(leaks);

  // The scan covered what it must.
  const auto has = [&](const std::string &rel) {
    return std::find(seen.begin(), seen.end(), rel) != seen.end();
  };
  const auto has_under = [&](const std::string &prefix) {
    return std::any_of(seen.begin(), seen.end(),
                       [&](const std::string &p) { return p.starts_with(prefix); });
  };
  EXPECT_TRUE(has(".goalkeeper/state.db")) << join(seen);
  EXPECT_TRUE(s.saw_wal) << "no state.db-wal was seen while the run was going";
  EXPECT_TRUE(has_under(".goalkeeper/logs/land/")) << join(seen);
  EXPECT_TRUE(has_under(".goalkeeper/prompts/land/")) << join(seen);
  EXPECT_TRUE(has_under(".goalkeeper/results/land/")) << join(seen);
  EXPECT_TRUE(has_under(".goalkeeper/jobs/")) << join(seen);
  EXPECT_TRUE(has("run.out") && has("run.err")) << join(seen);
  const std::string verbose = read_file(s.work() / "run.err");
  EXPECT_NE(verbose.find("goalkeeper plugin"), std::string::npos)
      << "no plugin log line on the stderr of `goalkeeper --verbose run`:\n"
      << tail(verbose);
  EXPECT_NE(s.events_json.find("gate_failed"), std::string::npos) << tail(s.events_json);

  // A 401 blocks the gate with a reason that names the variable, never its value.
  const int auths_before = static_cast<int>(s.tap().authorizations().size());
  s.set_state(state_of({pull_state(8, kHeadA, {{"build", "in_progress", ""}}, "")},
                       "[{\"fault\": \"unauthorized\"}]"));
  std::this_thread::sleep_for(300ms);  // the fake reloads its state file every 50 ms
  write_file(s.work() / "denied.yaml",
             "version: 1\n"
             "goals:\n"
             "  - id: denied\n"
             "    title: A pull request the token may not read\n"
             "    tasks:\n"
             "      - id: ci\n"
             "        title: GitHub CI passes\n"
             "        wait_for: {type: gh_ci, repo: o/r, pr: 8}\n");
  const CommandResult denied = s.gk({"--verbose", "run", "denied.yaml"}, "run-401");
  EXPECT_FALSE(denied.timed_out) << "the 401 did not stop the run:\n" << tail(denied.err);
  EXPECT_EQ(denied.exit_code, 3) << denied.out << tail(denied.err);
  EXPECT_GT(static_cast<int>(s.tap().authorizations().size()), auths_before)
      << "the 401 run sent no request with the token";

  const CommandResult status = s.gk({"status", "--json"}, "status-401");
  const json::object goal = goal_status(status.out, "denied");
  ASSERT_FALSE(goal.empty()) << status.out << status.err;
  ASSERT_TRUE(goal.contains("blocked") && goal.at("blocked").is_array()) << status.out;
  // The goal itself is listed too (derived status, empty reason); the gate is what matters.
  std::string reason;
  bool ci_blocked = false;
  for (const auto &b : goal.at("blocked").as_array()) {
    if (b.at("task_id") != "ci") continue;
    ci_blocked = true;
    reason = std::string(b.at("reason").as_string());
  }
  ASSERT_TRUE(ci_blocked) << status.out;
  EXPECT_NE(reason.find(kTokenEnv), std::string::npos) << reason;
  EXPECT_NE(reason.find("401"), std::string::npos) << reason;
  EXPECT_EQ(reason.find(kToken), std::string::npos) << reason;
  EXPECT_EQ(reason.find(kTokenMiddle), std::string::npos) << reason;

  const CommandResult events = s.gk({"events", "--json", "--goal", "denied"}, "events-401");
  const CommandResult text = s.gk({"status", "denied"}, "status-text-401");
  EXPECT_NE(text.out.find(kTokenEnv), std::string::npos)
      << "`goalkeeper status` does not say which variable to fix:\n"
      << text.out;
  std::vector<std::string> after;
  for (auto &h : leaks_in("goalkeeper run (401) stdout", denied.out)) after.push_back(h);
  for (auto &h : leaks_in("goalkeeper --verbose run (401) stderr", denied.err)) after.push_back(h);
  for (auto &h : leaks_in("goalkeeper status --json (401)", status.out + status.err))
    after.push_back(h);
  for (auto &h : leaks_in("goalkeeper events --json (401)", events.out + events.err))
    after.push_back(h);
  for (auto &h : leaks_in("goalkeeper status (401)", text.out + text.err)) after.push_back(h);
  for (auto &h : leaks_under(s.work(), nullptr)) after.push_back(h);
  EXPECT_TRUE(after.empty()) << join(after);
}

}  // namespace
