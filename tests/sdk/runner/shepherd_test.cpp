// Pull-request shepherding end to end, run by the `goalkeeper` command against the fake GitHub as
// a process (`gk-fake-github`): a goal template `shepherd` (fix -> gh_ci -> gh_review -> merge), a
// trigger that discovers the pull requests labelled gk-shepherd (without hold), `goalkeeper
// discover` (--once, twice, and --dry-run), a pull request closed outside goalkeeper, and
// `goalkeeper run` killed with SIGKILL after its first merge and started again. Then every merge
// the fake received is counted (one per pull request, at the head the gates approved) and the
// GitHub token is looked for in everything the commands left behind.
//
// The fake's pull requests (acme/shop):
//   #11 gk-shepherd, passing checks, approved             -> merged at its head
//   #12 gk-shepherd, `unit-tests` fails, approved          -> fix runs again with the failure in
//       its prompt, "pushes" a new head with passing checks -> merged at the NEW head
//   #13 gk-shepherd, closed outside after discovery       -> its goal ends with status closed
//   #14 gk-shepherd and hold                               -> no goal
//   #15 unlabelled                                         -> no goal
//
// Layout of one scenario (a temp folder, removed unless a test failed):
//   work/   where goalkeeper runs: shop.yaml, agent.sh, config.json, .goalkeeper/, command outputs
//   agent/  what the stand-in agent writes: a line per run, a copy of each prompt
//   fake/   the fake's state file (rewritten, renamed over, to script GitHub), its stdout/stderr
// goalkeeper talks to the fake through a small relay in this process that records the
// Authorization header of every request, so the token is known to have been used.
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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
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

constexpr const char *kTokenEnv = "GK_SHEPHERD_TOKEN";
constexpr const char *kToken = "gk-shep-SHEPSECRET-987654";
constexpr const char *kTokenMiddle = "SHEPSECRET";

constexpr auto kStepWait = 12s;      // one scripted step
constexpr auto kRunLimit = 25s;      // a whole `goalkeeper run`
constexpr auto kCommandLimit = 15s;  // discover, status, events

const std::string kRepo = "acme/shop";
const std::string kHead11(40, '1');
const std::string kHead12(40, '2');
const std::string kHead12Pushed = "abcdef0123456789abcdef0123456789abcdef01";
const std::string kHead13(40, '3');
const std::string kHead14(40, '4');
const std::string kHead15(40, '5');

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

std::string tail(const std::string &text, size_t n = 3000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

std::string join(const std::vector<std::string> &items) {
  std::string s;
  for (const auto &i : items) s += "  " + i + "\n";
  return s;
}

// "2024-05-01T12:00:00Z" for now + offset.
std::string iso_now(std::chrono::seconds offset = 0s) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) +
                        static_cast<std::time_t>(offset.count());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One JSON object per line; lines that are not objects are skipped.
std::vector<json::object> json_lines(const std::string &text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(std::move(v.as_object()));
  }
  return out;
}

std::string str_of(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
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

  // SIGKILL at once, as a crash would end it; reaps.
  void kill_now() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    status_ = status;
  }

  // SIGTERM, a short grace, then SIGKILL; always reaps.
  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    const auto until = Clock::now() + 3s;
    while (running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    kill_now();
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

  // Lines of the client's bytes; "Authorization:" lines are recorded.
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
// The fake GitHub's state: the test's model of acme/shop, written out whole at every change.

struct Check {
  std::string name, conclusion, title, summary;
};

struct Pull {
  int number = 0;
  std::string head;
  std::vector<Check> checks;
  std::vector<std::string> labels;
  std::string review_decision = "APPROVED";
  std::string state = "open";
  bool merged = false;
  std::string created_at, updated_at, closed_at, merged_at;
};

std::string state_json(const std::vector<Pull> &pulls) {
  json::array ps;
  for (const Pull &p : pulls) {
    json::array cs;
    for (const Check &c : p.checks) {
      json::object o{{"name", c.name}, {"status", "completed"}, {"conclusion", c.conclusion}};
      if (!c.title.empty()) o["title"] = c.title;
      if (!c.summary.empty()) o["summary"] = c.summary;
      cs.push_back(std::move(o));
    }
    json::array labels;
    for (const auto &l : p.labels) labels.push_back(json::string(l));
    json::object o{{"repo", kRepo},
                   {"number", p.number},
                   {"title", "Change number " + std::to_string(p.number)},
                   {"head_sha", p.head},
                   {"head_ref", "topic-" + std::to_string(p.number)},
                   {"base_ref", "main"},
                   {"checks", std::move(cs)},
                   {"labels", std::move(labels)},
                   {"review_decision", p.review_decision},
                   {"state", p.state},
                   {"merged", p.merged},
                   {"mergeable_state", "clean"},
                   {"created_at", p.created_at},
                   {"updated_at", p.updated_at},
                   {"closed_at", p.closed_at},
                   {"merged_at", p.merged_at}};
    if (p.merged) o["merge_method"] = "squash";
    ps.push_back(std::move(o));
  }
  return json::serialize(json::object{{"pulls", std::move(ps)}, {"graphql", true}}) + "\n";
}

std::vector<Pull> first_pulls() {
  const std::string old = "2024-01-02T10:00:00Z";
  const std::vector<Check> passing = {{"build", "success", "", ""},
                                      {"unit-tests", "success", "", ""}};
  std::vector<Pull> ps(5);
  ps[0] = {11,         kHead11, passing, {"gk-shepherd"},
           "APPROVED", "open",  false,   "2024-01-01T10:00:00Z",
           old,        "",      ""};
  ps[1] = {12,
           kHead12,
           {{"build", "success", "", ""},
            {"unit-tests", "failure", "3 tests failed", "test_cart.py::test_total failed"}},
           {"gk-shepherd"},
           "APPROVED",
           "open",
           false,
           "2024-01-01T11:00:00Z",
           old,
           "",
           ""};
  ps[2] = {13,
           kHead13,
           passing,
           {"gk-shepherd"},
           "REVIEW_REQUIRED",
           "open",
           false,
           "2024-01-01T12:00:00Z",
           old,
           "",
           ""};
  ps[3] = {14,         kHead14, passing, {"gk-shepherd", "hold"},
           "APPROVED", "open",  false,   "2024-01-01T13:00:00Z",
           old,        "",      ""};
  ps[4] = {15,  kHead15, passing, {}, "APPROVED", "open", false, "2024-01-01T14:00:00Z",
           old, "",      ""};
  return ps;
}

// ---------------------------------------------------------------------------------------------
// What the fake received

struct Mutation {
  std::string method, path, body;
  int status = 0;
};

std::string merge_path(int pr) {
  return "/api/v3/repos/" + kRepo + "/pulls/" + std::to_string(pr) + "/merge";
}

std::vector<Mutation> merges_of(const std::vector<Mutation> &all, int pr) {
  std::vector<Mutation> out;
  for (const auto &m : all)
    if (m.method == "PUT" && m.path == merge_path(pr)) out.push_back(m);
  return out;
}

// Successful merges of any pull request (a GraphQL mergePullRequest included).
int successful_merges(const std::vector<Mutation> &all) {
  int n = 0;
  for (const auto &m : all) {
    const bool rest = m.method == "PUT" && m.path.ends_with("/merge");
    const bool graphql = m.path.find("graphql") != std::string::npos &&
                         m.body.find("mergePullRequest") != std::string::npos;
    if ((rest || graphql) && m.status >= 200 && m.status < 300) ++n;
  }
  return n;
}

std::string describe(const std::vector<Mutation> &all) {
  std::string s;
  for (const auto &m : all)
    s += "  " + m.method + " " + m.path + " -> " + std::to_string(m.status) + " " +
         m.body.substr(0, 200) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

// ---------------------------------------------------------------------------------------------
// Looking for the token

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

// ---------------------------------------------------------------------------------------------
// The scenario: one fake, one relay, one work folder.

struct CommandResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

// One line of `goalkeeper discover --json`.
struct Found {
  std::string pr, action, goal_id, reason, trigger;
};

std::vector<Found> found_in(const std::string &out) {
  std::vector<Found> f;
  for (const auto &o : json_lines(out))
    f.push_back({str_of(o, "pr"), str_of(o, "action"), str_of(o, "goal_id"), str_of(o, "reason"),
                 str_of(o, "trigger")});
  return f;
}

std::map<std::string, Found> by_pr(const std::vector<Found> &found) {
  std::map<std::string, Found> m;
  for (const auto &f : found) m[f.pr] = f;
  return m;
}

class Scenario {
 public:
  Scenario() {
    std::string tmpl = (fs::temp_directory_path() / "gk_shepherd_XXXXXX").string();
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
    // The agent waits for pushed-12 at most 20 s; let it go at once.
    std::error_code ec;
    if (fs::exists(agent(), ec)) write_file(agent() / "pushed-12", "");
    if (keep_ || std::getenv("GK_SHEPHERD_KEEP")) {
      std::fprintf(stderr, "shepherd: kept %s for a look\n", root_.c_str());
    } else {
      std::this_thread::sleep_for(200ms);
      fs::remove_all(root_, ec);
    }
  }

  // GK_SHEPHERD_KEEP=1 keeps the folder of a passing run too.
  void keep() { keep_ = true; }

  fs::path work() const { return root_ / "work"; }
  fs::path agent() const { return root_ / "agent"; }
  fs::path fake_dir() const { return root_ / "fake"; }
  fs::path state_file() const { return fake_dir() / "state.json"; }
  fs::path root() const { return root_; }

  bool start_fake() {
    write_file(state_file(), state_json(pulls));
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

  // Writes `pulls` and waits (bounded) until the fake serves pull `check_pr` with `check_head`.
  bool publish(int check_pr = 0, const std::string &check_head = "") {
    replace_file(state_file(), state_json(pulls));
    if (check_pr == 0) {
      std::this_thread::sleep_for(200ms);  // the fake looks at its file every 50 ms
      return true;
    }
    const auto until = Clock::now() + 5s;
    while (Clock::now() < until) {
      const std::string body =
          http_get(fake_port_, "/api/v3/repos/" + kRepo + "/pulls/" + std::to_string(check_pr));
      if (body.find(check_head) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    problem("the fake did not serve the new state of #" + std::to_string(check_pr));
    return false;
  }

  Pull &pull(int number) {
    for (auto &p : pulls)
      if (p.number == number) return p;
    throw std::out_of_range("no pull " + std::to_string(number));
  }

  std::vector<Mutation> mutations() const {
    std::vector<Mutation> out;
    boost::system::error_code ec;
    const json::value v = json::parse(http_get(fake_port_, "/_fake/mutations"), ec);
    if (ec || !v.is_object() || !v.as_object().contains("mutations")) {
      out.push_back({"?", "GET /_fake/mutations did not answer", "", -1});
      return out;
    }
    for (const auto &m : v.at("mutations").as_array()) {
      const json::object &o = m.as_object();
      Mutation x{str_of(o, "method"), str_of(o, "path"), str_of(o, "body"), 0};
      if (const auto *s = o.if_contains("status"); s && s->is_number())
        x.status = static_cast<int>(s->to_number<int64_t>());
      out.push_back(std::move(x));
    }
    return out;
  }

  void write_config(const std::string &name = "config.json", bool dry_run = false) {
    const std::string base = "http://127.0.0.1:" + std::to_string(tap_->port());
    json::object config{{"github",
                         {{"api_url", base + "/api/v3"},
                          {"graphql_url", base + "/api/graphql"},
                          {"token_env", kTokenEnv},
                          {"poll_s", {{"gh_ci", 0.2}, {"gh_review", 0.2}}},
                          {"max_interval_s", 0.5},
                          {"backoff_s", 0.2},
                          {"max_backoff_s", 1}}}};
    if (dry_run) config["dry_run"] = true;
    write_file(work() / name, json::serialize(config) + "\n");
  }

  // The stand-in agent: copies its prompt into agent/, appends "PR ATTEMPT" to agent/runs.txt;
  // a rerun asks the test to "push" (push-wanted-PR) and waits, at most 20 s, until it did.
  void write_agent() {
    const std::string a = agent().string();
    write_file(
        work() / "agent.sh",
        "#!/bin/sh\n"
        "A='" +
            a +
            "'\n"
            "cp \"$GK_PROMPT_FILE\" \"$A/prompt-$PR-$GK_ATTEMPT.md.tmp\"\n"
            "mv \"$A/prompt-$PR-$GK_ATTEMPT.md.tmp\" \"$A/prompt-$PR-$GK_ATTEMPT.md\"\n"
            "echo \"$PR $GK_ATTEMPT\" >> \"$A/runs.txt\"\n"
            "if [ \"$GK_ATTEMPT\" -gt 1 ]; then\n"
            "  : > \"$A/push-wanted-$PR\"\n"
            "  i=0\n"
            "  while [ ! -e \"$A/pushed-$PR\" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); "
            "done\n"
            "fi\n"
            "exit 0\n");
    fs::permissions(work() / "agent.sh", fs::perms::owner_all | fs::perms::group_read |
                                             fs::perms::group_exec | fs::perms::others_read |
                                             fs::perms::others_exec);
  }

  std::vector<std::string> gk_args(const std::vector<std::string> &args,
                                   const std::string &config = "config.json") const {
    std::vector<std::string> all{goalkeeper_exe(), "--config", (work() / config).string()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  // Every command gets the token in its environment: none of them may print or store it.
  std::map<std::string, std::string> gk_env() const { return {{kTokenEnv, kToken}}; }

  CommandResult gk(const std::vector<std::string> &args, const std::string &name,
                   const std::string &config = "config.json") {
    const fs::path out = work() / (name + ".out"), err = work() / (name + ".err");
    CommandResult r;
    {
      Child c(gk_args(args, config), work(), gk_env(), out, err);
      r.exit_code = c.wait(kCommandLimit, &r.timed_out);
    }
    r.out = read_file(out);
    r.err = read_file(err);
    outputs.emplace_back(name, r.out + r.err);
    return r;
  }

  void start_run(const std::string &name, const std::vector<std::string> &args,
                 const std::string &config = "config.json") {
    run_name_ = name;
    run_ = std::make_unique<Child>(gk_args(args, config), work(), gk_env(),
                                   work() / (name + ".out"), work() / (name + ".err"));
  }

  bool run_alive() { return run_ && run_->running(); }
  void kill_run() {
    if (run_) run_->kill_now();
  }
  int finish_run(std::chrono::milliseconds limit, bool *timed_out) {
    const int code = run_ ? run_->wait(limit, timed_out) : -1;
    outputs.emplace_back(run_name_, read_file(work() / (run_name_ + ".out")) +
                                        read_file(work() / (run_name_ + ".err")));
    return code;
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
    std::string s = "\nproblems:\n" + join(problems);
    for (const char *run : {"run-1", "run-2", "run-dry"}) {
      if (!fs::exists(work() / (std::string(run) + ".out"))) continue;
      s += std::string(run) + " stdout:\n" + tail(read_file(work() / (std::string(run) + ".out"))) +
           "\n" + run + " stderr:\n" + tail(read_file(work() / (std::string(run) + ".err"))) + "\n";
    }
    s += "mutations:\n" + describe(mutations());
    return s + "fake stderr:\n" + tail(read_file(fake_dir() / "fake.err"));
  }

  const AuthTap &tap() const { return *tap_; }

  std::vector<Pull> pulls = first_pulls();
  std::vector<std::string> problems, mid_run_leaks;
  std::vector<std::pair<std::string, std::string>> outputs;  // command name, stdout + stderr
  bool saw_wal = false;

  // What the scenario observed.
  bool discovered = false, ran = false;
  CommandResult discover1, discover2, dry_existing, dry_fresh, validate;
  bool fresh_state_written = false;
  size_t mutations_before_dry = 0, mutations_after_dry = 0;
  std::vector<Mutation> dry_mutations;  // those the dry runs added
  int run1_merges_when_killed = 0;
  bool merge_recorded_before_kill = false;  // for diagnostics: which window the kill hit
  int run2_exit = -1;
  bool run2_timed_out = false;
  std::vector<Mutation> final_mutations;
  std::string status_json, events_json, status_text;

 private:
  fs::path root_;
  std::unique_ptr<AuthTap> tap_;
  bool keep_ = false;
  std::unique_ptr<Child> fake_;
  uint16_t fake_port_ = 0;
  std::unique_ptr<Child> run_;
  std::string run_name_;
};

std::string shop_yaml() {
  return "version: 1\n"
         "templates:\n"
         "  - id: shepherd\n"
         "    title: \"Shepherd {{ params.repo }}#{{ params.pr }}\"\n"
         "    params:\n"
         "      repo: {type: string, required: true, pattern: '[a-z]+/[a-z]+'}\n"
         "      pr: {type: integer, required: true}\n"
         "    tasks:\n"
         "      - id: fix\n"
         "        title: Make the pull request ready\n"
         "        run: [./agent.sh]\n"
         "        env: {PR: \"{{ params.pr }}\"}\n"
         "        max_retries: 1\n"
         "      - id: ci\n"
         "        title: GitHub CI passes\n"
         "        wait_for: {type: gh_ci, repo: \"{{ params.repo }}\", pr: \"{{ params.pr }}\"}\n"
         "        max_retries: 2\n"
         "      - id: review\n"
         "        title: A reviewer approves on GitHub\n"
         "        wait_for: {type: gh_review, repo: \"{{ params.repo }}\", pr: \"{{ params.pr "
         "}}\"}\n"
         "      - id: merge\n"
         "        title: Merge\n"
         "        merge: {repo: \"{{ params.repo }}\", pr: \"{{ params.pr }}\", method: squash,\n"
         "                update_branch: false, delete_branch: false}\n"
         "triggers:\n"
         "  - id: labelled\n"
         "    discover:\n"
         "      query: \"repo:acme/shop is:pr is:open label:gk-shepherd -label:hold\"\n"
         "      template: shepherd\n"
         "      params: {repo: \"{{ pr.repo }}\", pr: \"{{ pr.number }}\"}\n"
         "      every: 1m\n";
}

// Phase 1: the goal file, two discovery cycles and two dry runs.
void discover_phase(Scenario &s) {
  s.discovered = true;
  if (!s.start_fake()) return;
  s.write_config();
  s.write_agent();
  write_file(s.work() / "shop.yaml", shop_yaml());
  s.validate = s.gk({"validate", "shop.yaml"}, "validate");

  s.discover1 = s.gk({"discover", "shop.yaml", "--once", "--json"}, "discover-1");
  s.discover2 = s.gk({"discover", "shop.yaml", "--once", "--json"}, "discover-2");

  // Dry runs: against the existing state, and with a state file that does not exist yet.
  const std::vector<Mutation> before = s.mutations();
  s.mutations_before_dry = before.size();
  s.dry_existing = s.gk({"discover", "shop.yaml", "--dry-run"}, "discover-dry");
  const fs::path fresh = s.work() / "fresh" / "state.db";
  s.dry_fresh = s.gk({"--state", fresh.string(), "discover", "shop.yaml", "--dry-run", "--json"},
                     "discover-dry-fresh");
  std::error_code ec;
  s.fresh_state_written = fs::exists(fresh, ec) || fs::exists(fresh.parent_path(), ec);
  const std::vector<Mutation> after = s.mutations();
  s.mutations_after_dry = after.size();
  s.dry_mutations.assign(
      after.begin() + static_cast<std::ptrdiff_t>(std::min(before.size(), after.size())),
      after.end());
}

// Phase 2: #13 is closed outside; `run` merges #11, is killed, runs again; #12 is fixed, merged.
void run_phase(Scenario &s) {
  s.ran = true;
  if (!s.problems.empty()) return;
  Pull &p13 = s.pull(13);
  p13.state = "closed";
  p13.updated_at = p13.closed_at = iso_now();
  if (!s.publish()) return;

  s.start_run("run-1", {"run", "shop.yaml"});
  // Watched closely, so the kill lands as soon after the merge as the test can see it (at best
  // between the merge and its record in the state).
  const auto merge_until = Clock::now() + kStepWait;
  while (Clock::now() < merge_until && s.run_alive() && successful_merges(s.mutations()) < 1)
    std::this_thread::sleep_for(2ms);
  if (successful_merges(s.mutations()) < 1) {
    s.problem("gave up waiting for the first merge (run 1)");
    return;
  }
  s.kill_run();  // as a crash would: right after the merge
  s.run1_merges_when_killed = successful_merges(s.mutations());
  {
    const CommandResult ev = s.gk({"events", "--json"}, "events-after-kill");
    s.merge_recorded_before_kill = ev.out.find("merged by goalkeeper") != std::string::npos ||
                                   ev.out.find("\"merge_sha\"") != std::string::npos;
  }
  s.snapshot("after run 1 was killed");

  s.start_run("run-2", {"run", "shop.yaml"});
  const fs::path wanted = s.agent() / "push-wanted-12";
  if (!s.step("fix of #12 to run again after the failing check",
              [&] { return fs::exists(wanted); }))
    return;
  s.snapshot("while fix of #12 runs again");

  // The "push": #12 gets a new head whose checks pass; #11 stays as the merge left it.
  for (const auto &m : merges_of(s.mutations(), 11)) {
    if (m.status != 200) continue;
    Pull &p11 = s.pull(11);
    p11.state = "closed";
    p11.merged = true;
    p11.updated_at = p11.closed_at = p11.merged_at = iso_now();
  }
  Pull &p12 = s.pull(12);
  p12.head = kHead12Pushed;
  p12.checks = {{"build", "success", "", ""}, {"unit-tests", "success", "", ""}};
  p12.updated_at = iso_now();
  if (!s.publish(12, kHead12Pushed)) return;
  write_file(s.agent() / "pushed-12", "");

  const auto left = s.problems.empty() ? std::chrono::milliseconds(kRunLimit) : 0ms;
  s.run2_exit = s.finish_run(left, &s.run2_timed_out);
  s.snapshot("after run 2");
  s.final_mutations = s.mutations();
  write_file(s.fake_dir() / "mutations.txt", describe(s.final_mutations));  // for a look
  const CommandResult status = s.gk({"status", "--json"}, "status-json");
  s.status_json = status.out + status.err;
  const CommandResult events = s.gk({"events", "--json"}, "events-json");
  s.events_json = events.out + events.err;
  const CommandResult text = s.gk({"status"}, "status-text");
  s.status_text = text.out + text.err;
}

// The goals of `status --json`.
std::vector<json::object> status_goals(const std::string &status_json) {
  std::vector<json::object> out;
  for (const auto &o : json_lines(status_json)) {
    const auto *goals = o.if_contains("goals");
    if (!goals || !goals->is_array()) continue;
    for (const auto &g : goals->as_array())
      if (g.is_object()) out.push_back(g.as_object());
  }
  return out;
}

std::string goal_status_of(const std::vector<json::object> &goals, const std::string &id) {
  for (const auto &g : goals)
    if (str_of(g, "goal_id") == id) return str_of(g, "status");
  return "(no such goal)";
}

class Shepherd : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (scenario_ && any_failure_) scenario_->keep();
    scenario_.reset();
  }
  void TearDown() override {
    if (HasFailure()) any_failure_ = true;
  }

  // Each phase runs at most once per process (ctest runs each test in a process of its own).
  static Scenario &discovered() {
    if (!scenario_) scenario_ = std::make_unique<Scenario>();
    if (!scenario_->discovered) discover_phase(*scenario_);
    return *scenario_;
  }
  static Scenario &ran() {
    Scenario &s = discovered();
    if (!s.ran) run_phase(s);
    return s;
  }

  static std::unique_ptr<Scenario> scenario_;
  static bool any_failure_;
};

std::unique_ptr<Scenario> Shepherd::scenario_;
bool Shepherd::any_failure_ = false;

TEST_F(Shepherd, DiscoveryMakesOneGoalPerMatchingPullRequest) {
  Scenario &s = discovered();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  EXPECT_EQ(s.validate.exit_code, 0) << s.validate.out << s.validate.err;

  // First cycle: #11, #12 and #13 get a goal each; #14 (hold) and #15 (unlabelled) none.
  ASSERT_EQ(s.discover1.exit_code, 0) << s.discover1.out << s.discover1.err;
  const auto first = by_pr(found_in(s.discover1.out));
  EXPECT_EQ(found_in(s.discover1.out).size(), 3u) << s.discover1.out;
  const std::regex id_shape("shepherd-shop-(11|12|13)-[0-9a-f]{6}");
  std::set<std::string> ids;
  for (const int pr : {11, 12, 13}) {
    const std::string name = kRepo + "#" + std::to_string(pr);
    ASSERT_TRUE(first.contains(name)) << s.discover1.out;
    const Found &f = first.at(name);
    EXPECT_EQ(f.action, "create") << s.discover1.out;
    EXPECT_EQ(f.trigger, "labelled") << s.discover1.out;
    EXPECT_TRUE(std::regex_match(f.goal_id, id_shape)) << f.goal_id;
    EXPECT_NE(f.goal_id.find("-" + std::to_string(pr) + "-"), std::string::npos) << f.goal_id;
    ids.insert(f.goal_id);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(first.contains(kRepo + "#14")) << s.discover1.out;
  EXPECT_FALSE(first.contains(kRepo + "#15")) << s.discover1.out;

  // Second cycle: the same goals exist, nothing is made.
  ASSERT_EQ(s.discover2.exit_code, 0) << s.discover2.out << s.discover2.err;
  const auto second_lines = found_in(s.discover2.out);
  EXPECT_EQ(second_lines.size(), 3u) << s.discover2.out;
  for (const auto &f : second_lines) {
    EXPECT_EQ(f.action, "exists") << s.discover2.out;
    ASSERT_TRUE(first.contains(f.pr)) << s.discover2.out;
    EXPECT_EQ(f.goal_id, first.at(f.pr).goal_id) << s.discover2.out;
  }
  EXPECT_EQ(s.discover2.out.find("\"create\""), std::string::npos) << s.discover2.out;

  // The state lists exactly those three goals.
  const CommandResult status = s.gk({"status", "--json"}, "status-after-discover");
  const auto goals = status_goals(status.out);
  EXPECT_EQ(goals.size(), 3u) << status.out << status.err;
  for (const auto &id : ids) EXPECT_NE(goal_status_of(goals, id), "(no such goal)") << status.out;
}

TEST_F(Shepherd, DryRunDiscoverySendsNoMutationAndWritesNoState) {
  Scenario &s = discovered();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  EXPECT_EQ(s.dry_existing.exit_code, 0) << s.dry_existing.out << s.dry_existing.err;
  EXPECT_FALSE(s.dry_existing.timed_out);
  // Against the existing state: the three goals are there, nothing new.
  for (const int pr : {11, 12, 13})
    EXPECT_NE(s.dry_existing.out.find("exists " + kRepo + "#" + std::to_string(pr)),
              std::string::npos)
        << s.dry_existing.out;
  EXPECT_EQ(s.dry_existing.out.find("create"), std::string::npos) << s.dry_existing.out;
  EXPECT_EQ(s.dry_existing.out.find("#14"), std::string::npos) << s.dry_existing.out;

  // Against a state that does not exist: it would make the three goals, and writes nothing.
  EXPECT_EQ(s.dry_fresh.exit_code, 0) << s.dry_fresh.out << s.dry_fresh.err;
  const auto fresh = by_pr(found_in(s.dry_fresh.out));
  EXPECT_EQ(fresh.size(), 3u) << s.dry_fresh.out;
  for (const int pr : {11, 12, 13}) {
    const std::string name = kRepo + "#" + std::to_string(pr);
    ASSERT_TRUE(fresh.contains(name)) << s.dry_fresh.out;
    EXPECT_EQ(fresh.at(name).action, "create") << s.dry_fresh.out;
  }
  EXPECT_FALSE(s.fresh_state_written) << "discover --dry-run wrote " << s.work() / "fresh";

  // No mutation reached GitHub.
  EXPECT_EQ(s.mutations_after_dry, s.mutations_before_dry) << describe(s.dry_mutations);
  EXPECT_TRUE(s.dry_mutations.empty()) << describe(s.dry_mutations);
}

TEST_F(Shepherd, RunMergesAtTheApprovedHeadsAcrossARestart) {
  Scenario &s = ran();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  EXPECT_EQ(s.run1_merges_when_killed, 1) << s.diagnostics();
  std::printf("shepherd: run 1 was killed %s it recorded the merge of #11\n",
              s.merge_recorded_before_kill ? "after" : "before");
  EXPECT_FALSE(s.run2_timed_out) << "goalkeeper run was still going" << s.diagnostics();
  EXPECT_EQ(s.run2_exit, 0) << s.diagnostics();

  // #11: one merge, at its head, squashed.
  const auto m11 = merges_of(s.final_mutations, 11);
  ASSERT_EQ(m11.size(), 1u) << describe(s.final_mutations);
  EXPECT_EQ(m11[0].status, 200) << describe(m11);
  {
    boost::system::error_code ec;
    const json::value body = json::parse(m11[0].body, ec);
    ASSERT_FALSE(ec) << m11[0].body;
    EXPECT_EQ(str_of(body.as_object(), "sha"), kHead11) << m11[0].body;
    EXPECT_EQ(str_of(body.as_object(), "merge_method"), "squash") << m11[0].body;
  }

  // #12: one merge, at the head the agent pushed (never at the one whose checks failed).
  const auto m12 = merges_of(s.final_mutations, 12);
  ASSERT_EQ(m12.size(), 1u) << describe(s.final_mutations);
  EXPECT_EQ(m12[0].status, 200) << describe(m12);
  {
    boost::system::error_code ec;
    const json::value body = json::parse(m12[0].body, ec);
    ASSERT_FALSE(ec) << m12[0].body;
    EXPECT_EQ(str_of(body.as_object(), "sha"), kHead12Pushed) << m12[0].body;
    EXPECT_EQ(str_of(body.as_object(), "merge_method"), "squash") << m12[0].body;
  }
  EXPECT_EQ(successful_merges(s.final_mutations), 2) << describe(s.final_mutations);

  // Nothing at all was sent for #13 (closed), #14 (hold) and #15 (unlabelled) to merge, and
  // #14/#15 got no mutation of any kind.
  for (const int pr : {13, 14, 15}) EXPECT_TRUE(merges_of(s.final_mutations, pr).empty());
  for (const auto &m : s.final_mutations) {
    EXPECT_EQ(m.path.find("/pulls/14"), std::string::npos) << m.path;
    EXPECT_EQ(m.path.find("/pulls/15"), std::string::npos) << m.path;
    EXPECT_EQ(m.path.find(kHead14), std::string::npos) << m.path;
    EXPECT_EQ(m.path.find(kHead15), std::string::npos) << m.path;
    const bool graphql_merge = m.body.find("mergePullRequest") != std::string::npos;
    EXPECT_FALSE(graphql_merge) << "a GraphQL merge besides the REST ones: " << m.body;
  }

  // The restart made no second goal: exactly the three discovered ones, #13's closed.
  const auto first = by_pr(found_in(s.discover1.out));
  ASSERT_EQ(first.size(), 3u) << s.discover1.out;
  const auto goals = status_goals(s.status_json);
  EXPECT_EQ(goals.size(), 3u) << s.status_json;
  EXPECT_EQ(goal_status_of(goals, first.at(kRepo + "#11").goal_id), "done") << s.status_json;
  EXPECT_EQ(goal_status_of(goals, first.at(kRepo + "#12").goal_id), "done") << s.status_json;
  EXPECT_EQ(goal_status_of(goals, first.at(kRepo + "#13").goal_id), "closed") << s.status_json;
  EXPECT_NE(s.status_text.find("closed"), std::string::npos) << s.status_text;
  for (const auto &g : goals) {
    if (str_of(g, "goal_id") != first.at(kRepo + "#13").goal_id) continue;
    EXPECT_EQ(str_of(g, "state"), "finished") << s.status_json;
    EXPECT_EQ(str_of(g, "reason"), "pull request closed") << s.status_json;
  }
  // `run` discovered before it dispatched anything: #13's fix never ran.
  EXPECT_EQ(read_file(s.agent() / "runs.txt").find("13 "), std::string::npos)
      << read_file(s.agent() / "runs.txt");
}

TEST_F(Shepherd, TheFailingCheckIsInTheFixPrompt) {
  Scenario &s = ran();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  const std::string runs = read_file(s.agent() / "runs.txt");
  // #12's fix ran twice: once at the start, once after unit-tests failed; #11's once.
  EXPECT_NE(runs.find("12 1\n"), std::string::npos) << runs;
  EXPECT_NE(runs.find("12 2\n"), std::string::npos) << runs;
  EXPECT_EQ(runs.find("12 3\n"), std::string::npos) << runs;
  EXPECT_NE(runs.find("11 1\n"), std::string::npos) << runs;
  EXPECT_EQ(runs.find("11 2\n"), std::string::npos) << runs;
  EXPECT_EQ(runs.find("14 "), std::string::npos) << runs;
  EXPECT_EQ(runs.find("15 "), std::string::npos) << runs;

  const std::string first = read_file(s.agent() / "prompt-12-1.md");
  const std::string second = read_file(s.agent() / "prompt-12-2.md");
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first.find("unit-tests"), std::string::npos) << first;
  ASSERT_FALSE(second.empty()) << "no prompt of #12's second fix";
  EXPECT_NE(second.find("unit-tests"), std::string::npos) << second;
  EXPECT_NE(second.find("failure"), std::string::npos) << second;
  // A passing check is not a failure to fix.
  EXPECT_EQ(second.find("\"build\""), std::string::npos) << second;
}

// The check's output title and summary (docs/goal-files.md, "Gates": a gh_ci failure puts the
// failing checks' names, conclusions, titles, summaries and links into the prompt).
TEST_F(Shepherd, TheFailingCheckTitleAndSummaryAreInTheFixPrompt) {
  Scenario &s = ran();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  const std::string second = read_file(s.agent() / "prompt-12-2.md");
  ASSERT_FALSE(second.empty()) << "no prompt of #12's second fix";
  EXPECT_NE(second.find("3 tests failed"), std::string::npos) << second;
  EXPECT_NE(second.find("test_cart.py::test_total failed"), std::string::npos) << second;
}

TEST_F(Shepherd, TheTokenAppearsNowhere) {
  Scenario &s = ran();
  ASSERT_TRUE(s.problems.empty()) << s.diagnostics();
  const auto auths = s.tap().authorizations();
  ASSERT_FALSE(auths.empty()) << "no request carried the token, so its absence proves nothing";
  for (const auto &a : auths) EXPECT_EQ(a, std::string("Bearer ") + kToken);

  std::vector<std::string> seen;
  std::vector<std::string> leaks = leaks_under(s.work(), &seen);
  for (auto &h : leaks_under(s.agent(), nullptr)) leaks.push_back(h);
  for (const auto &h : s.mid_run_leaks) leaks.push_back(h);
  for (const auto &[name, text] : s.outputs)
    for (auto &h : leaks_in("output of " + name, text)) leaks.push_back(h);
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
  EXPECT_TRUE(s.saw_wal) << "no state.db-wal was seen while the runs were going";
  EXPECT_TRUE(has_under(".goalkeeper/logs/")) << join(seen);
  EXPECT_TRUE(has_under(".goalkeeper/prompts/")) << join(seen);
  for (const char *f : {"run-1.out", "run-1.err", "run-2.out", "run-2.err", "discover-1.out",
                        "events-json.out", "status-json.out"})
    EXPECT_TRUE(has(f)) << f << "\n" << join(seen);
  EXPECT_FALSE(s.events_json.empty());
}

// Config "dry_run": true: `run` runs the jobs and polls, but sends no mutation at all; the merge
// task waits, saying what it would do (docs/shepherd.md, "Dry runs"). A waiting merge keeps
// polling GitHub like a CI gate does, so `run` does not end by itself: the test ends it once the
// merge said what it would do and a few more polls went by.
TEST(ShepherdDryRunConfig, RunSendsNoMutationAndSaysWhatItWouldMerge) {
  Scenario s;
  struct KeepOnFailure {
    Scenario &s;
    ~KeepOnFailure() {
      if (::testing::Test::HasFailure()) s.keep();
    }
  } keep{s};
  s.pulls.resize(1);  // #11 only: passing checks, approved
  ASSERT_TRUE(s.start_fake()) << s.diagnostics();
  s.write_config("config-dry.json", true);
  s.write_agent();
  write_file(s.work() / "shop.yaml",
             shop_yaml() + "goals:\n  - {template: shepherd, params: {repo: acme/shop, pr: 11}}\n");

  const std::string expected = "would merge acme/shop#11 (squash) at " + kHead11;
  s.start_run("run-dry", {"run", "shop.yaml"}, "config-dry.json");
  const auto said = [&] {
    const CommandResult ev = s.gk({"events", "--json"}, "events-dry-poll", "config-dry.json");
    return ev.out.find(expected) != std::string::npos;
  };
  const bool merge_said = s.step("the merge task to say what it would merge", said);
  if (merge_said) std::this_thread::sleep_for(1s);  // more polls: still nothing may be sent
  const bool ended_early = !s.run_alive();
  bool timed_out = false;
  const int code = s.finish_run(0ms, &timed_out);  // SIGTERM: `run` reports "interrupted"

  const CommandResult status = s.gk({"status", "--json"}, "status-dry", "config-dry.json");
  const json::object goal =
      status_goals(status.out).empty() ? json::object() : status_goals(status.out).front();
  EXPECT_TRUE(merge_said) << s.diagnostics() << status.out;
  EXPECT_FALSE(ended_early) << "run ended by itself with " << code << s.diagnostics();
  EXPECT_EQ(code, 130) << s.diagnostics();
  const auto muts = s.mutations();
  EXPECT_TRUE(muts.empty()) << describe(muts);
  EXPECT_NE(read_file(s.agent() / "runs.txt").find("11 1\n"), std::string::npos)
      << "the fix job did not run";
  // The merge task is the one waiting; the pull request is still open on the fake.
  EXPECT_EQ(str_of(goal, "status"), "active") << status.out;
  EXPECT_NE(status.out.find("\"task_id\":\"merge\""), std::string::npos) << status.out;
}

}  // namespace
