// The view of `goalkeeper run` as people and scripts see it (issue 3, "People"):
//   - on a terminal (a real pseudo-terminal from forkpty): a live block redrawn in place, a line
//     per running job with its elapsed time and a progress bar per goal; colours unless NO_COLOR;
//   - into a pipe: plain lines, no escape sequence at all;
//   - --json: one JSON object per line, on a pipe and on a terminal alike.
// The terminal output is replayed through a small screen model, so "redrawn in place" is checked
// as a terminal would show it: never two lines for one job, and nothing of the block left at the
// end.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
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
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kRunLimit = 20s;  // each run; the goal itself takes about half a second
constexpr unsigned short kRows = 50, kCols = 120;

const char *const kGoal = R"(version: 1
goals:
  - id: tty
    title: Three naps at once
    tasks:
      - id: naps
        parallel: true
        tasks:
          - {id: nap-1, title: Nap one, session_policy: spawn, run: [sh, -c, 'sleep 0.5']}
          - {id: nap-2, title: Nap two, session_policy: spawn, run: [sh, -c, 'sleep 0.5']}
          - {id: nap-3, title: Nap three, session_policy: spawn, run: [sh, -c, 'sleep 0.5']}
)";
const std::vector<std::string> kJobs = {"tty/nap-1#1", "tty/nap-2#1", "tty/nap-3#1"};

std::string runner() {
  return std::string(GK_BIN_DIR) + "/goalkeeper";
}

// A fresh folder under the system temp folder, always removed.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gk_view_XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }

 private:
  fs::path path_;
};

struct Output {
  std::string out;  // the terminal's output (stdout and stderr), or stdout of a pipe
  std::string err;  // stderr when not on a terminal
  int exit_code = -1;
  bool timed_out = false;
};

enum class Mode { terminal, pipe };

// The test's environment, without what would change the runner's choices, plus extra.
std::vector<std::string> environment(const std::map<std::string, std::string> &extra) {
  std::map<std::string, std::string> env;
  for (char **e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string k = kv.substr(0, eq);
    if (k == "GOALKEEPER_PLUGIN" || k == "NO_COLOR" || k.rfind("GK_", 0) == 0) continue;
    env[k] = kv.substr(eq + 1);
  }
  env["TERM"] = "xterm-256color";
  for (const auto &[k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto &[k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Reads every fd until all are at their end, or until the child ended and nothing more came for a
// moment (a grandchild may keep a copy open). Kills the child by pid at the deadline.
void pump(pid_t pid, std::vector<std::pair<int, std::string *>> fds, Output &r) {
  const auto deadline = Clock::now() + kRunLimit;
  bool exited = false;
  auto quiet_since = Clock::now();
  int status = 0;
  while (true) {
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      quiet_since = Clock::now();
    }
    if (!exited && Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      exited = true;
      quiet_since = Clock::now();
    }
    std::vector<pollfd> p;
    for (const auto &[fd, _] : fds) p.push_back({fd, POLLIN, 0});
    if (p.empty()) {
      if (exited) break;
      ::usleep(10'000);
      continue;
    }
    int n = ::poll(p.data(), p.size(), 20);
    if (n < 0 && errno != EINTR) break;
    bool got = false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i].revents == 0) continue;
      char buf[4096];
      ssize_t k = ::read(p[i].fd, buf, sizeof buf);
      if (k > 0) {
        fds[i].second->append(buf, static_cast<size_t>(k));
        got = true;
      } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EOF, or EIO on a pty master once no one holds the terminal any more.
        ::close(p[i].fd);
        fds[i].first = -1;
      }
    }
    fds.erase(std::remove_if(fds.begin(), fds.end(), [](const auto &f) { return f.first < 0; }),
              fds.end());
    if (got) quiet_since = Clock::now();
    if (exited && (fds.empty() || Clock::now() - quiet_since > 500ms)) break;
  }
  for (const auto &[fd, _] : fds) ::close(fd);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `goalkeeper args...` in dir, on a pseudo-terminal or with stdout and stderr to pipes.
Output run(Mode mode, const fs::path &dir, const std::vector<std::string> &args,
           const std::map<std::string, std::string> &extra_env = {}, unsigned short rows = kRows,
           unsigned short cols = kCols) {
  // Everything the child needs is built before fork: it only chdirs and execs.
  std::vector<std::string> argv_s{runner()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = environment(extra_env);
  std::vector<char *> envp;
  for (auto &s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string cwd = dir.string();

  Output r;
  if (mode == Mode::terminal) {
    int master = -1;
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
    if (pid < 0) throw std::runtime_error(std::string("forkpty: ") + std::strerror(errno));
    if (pid == 0) {
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    pump(pid, {{master, &r.out}}, r);
  } else {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0)
        ::_exit(125);
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    pump(pid, {{out[0], &r.out}, {err[0], &r.err}}, r);
  }
  return r;
}

// Bytes made visible: "\x1b" as "\e", "\r" as "\r", so a failure shows what was printed.
std::string visible(const std::string &s) {
  std::string v;
  for (char c : s) {
    if (c == '\x1b')
      v += "\\e";
    else if (c == '\r')
      v += "\\r";
    else
      v += c;
  }
  return v;
}

// A small terminal: enough of VT100 for what a live view prints (text, \r, \n, cursor up/down,
// erase line and erase below, SGR ignored). A UTF-8 character takes one column (the tests print
// no wide ones). Rows scrolled off the top of its `height` stay in rows() but the cursor cannot
// go back up to them, as on a real terminal.
class Screen {
 public:
  explicit Screen(size_t cols, size_t height = SIZE_MAX) : cols_(cols), height_(height) {}

  // Feeds bytes; after every line feed, check(*this) runs.
  template <class Check>
  void feed(const std::string &bytes, Check check) {
    for (char c : bytes) {
      put(c);
      if (c == '\n' && state_ == State::text) check(*this);
    }
  }

  // Rows with trailing blanks removed, trailing empty rows dropped.
  std::vector<std::string> rows() const {
    std::vector<std::string> out;
    for (auto cells : rows_) {
      while (!cells.empty() && cells.back() == " ") cells.pop_back();
      std::string row;
      for (const auto &cell : cells) row += cell;
      out.push_back(row);
    }
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
  }

  std::string dump() const {
    std::string s;
    for (const auto &row : rows()) s += "|" + row + "\n";
    return s;
  }

  std::vector<std::string> unknown;  // escape sequences the model does not know

 private:
  enum class State { text, esc, csi };

  void put(char c) {
    switch (state_) {
      case State::text:
        if (c == '\x1b') {
          state_ = State::esc;
        } else if (c == '\r') {
          col_ = 0;
        } else if (c == '\n') {
          down();
        } else if (c == '\b') {
          if (col_ > 0) --col_;
        } else if ((static_cast<unsigned char>(c) & 0xc0) == 0x80 && col_ > 0) {
          rows_[row_][col_ - 1] += c;  // the rest of the character in the column before
        } else if (static_cast<unsigned char>(c) >= 0x20) {
          if (col_ >= cols_) {  // autowrap at the right margin
            down();
            col_ = 0;
          }
          auto &row = rows_[row_];
          if (row.size() <= col_) row.resize(col_ + 1, " ");
          row[col_++] = std::string(1, c);
        }
        break;
      case State::esc:
        if (c == '[') {
          state_ = State::csi;
          params_.clear();
        } else {
          unknown.push_back(std::string("\\e") + c);
          state_ = State::text;
        }
        break;
      case State::csi:
        if (static_cast<unsigned char>(c) >= 0x40 && static_cast<unsigned char>(c) <= 0x7e) {
          csi(c);
          state_ = State::text;
        } else {
          params_ += c;
        }
        break;
    }
  }

  void down() {
    ++row_;
    if (rows_.size() <= row_) rows_.resize(row_ + 1);
    if (row_ - top_ >= height_) top_ = row_ - height_ + 1;  // scrolled
  }

  void csi(char final) {
    const bool priv = !params_.empty() && params_[0] == '?';
    const int n = params_.empty() || priv ? 0 : std::atoi(params_.c_str());
    const size_t count = static_cast<size_t>(std::max(n, 1));
    if (priv) return;  // e.g. cursor visibility: nothing on screen changes
    switch (final) {
      case 'A':
        row_ = row_ > top_ + count ? row_ - count : top_;
        break;
      case 'B':
        for (size_t i = 0; i < count; ++i) down();
        break;
      case 'C':
        col_ += count;
        break;
      case 'D':
        col_ = col_ > count ? col_ - count : 0;
        break;
      case 'G':
        col_ = count - 1;
        break;
      case 'J':
        if (n == 0) {
          if (rows_[row_].size() > col_) rows_[row_].resize(col_);
          rows_.resize(row_ + 1);
        } else if (n == 2) {
          for (size_t r = top_; r < rows_.size(); ++r) rows_[r].clear();
        }
        break;
      case 'K':
        if (n == 0 && rows_[row_].size() > col_)
          rows_[row_].resize(col_);
        else if (n == 1)
          for (size_t i = 0; i < col_ && i < rows_[row_].size(); ++i) rows_[row_][i] = " ";
        else if (n == 2)
          rows_[row_].clear();
        break;
      case 'm':
        break;
      default:
        unknown.push_back("\\e[" + params_ + final);
    }
  }

  size_t cols_, height_;
  std::vector<std::vector<std::string>> rows_{1};  // a cell per column: one UTF-8 character
  size_t row_ = 0, col_ = 0, top_ = 0;
  State state_ = State::text;
  std::string params_;
};

std::string strip_escapes(const std::string &s) {
  static const std::regex esc("\x1b\\[[0-9;?]*[@-~]");
  return std::regex_replace(s, esc, "");
}

std::vector<std::string> split_lines(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// "  | tty/nap-1#1  0.3s  Nap one": a job line of the live block, with its elapsed time.
std::regex job_line(const std::string &key) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex("^\\s+\\S\\s+" + std::regex_replace(key, special, "\\$&") +
                    "\\s+[0-9]+\\.[0-9]s\\b");
}
// "[######......] 1/3  tty  running": the goal's progress bar.
const std::regex &bar_line() {
  static const std::regex re("\\[[#.]{8,}\\] [0-3]/3\\s+tty\\b");
  return re;
}
bool is_block_line(const std::string &row) {
  if (std::regex_search(row, bar_line())) return true;
  for (const auto &k : kJobs)
    if (std::regex_search(row, job_line(k))) return true;
  return false;
}

const std::regex &sgr() {
  static const std::regex re("\x1b\\[[0-9;]*m");
  return re;
}
const std::regex &cursor_up() {
  static const std::regex re("\x1b\\[[0-9]*A");
  return re;
}
const std::regex &erase_seq() {
  static const std::regex re("\x1b\\[[0-2]?[JK]");
  return re;
}

class View : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(runner())) << runner();
    std::ofstream(dir_.path() / "goal.yaml") << kGoal;
  }

  // The run on a terminal, with the checks every live view must pass (colour or not).
  Output live(const std::map<std::string, std::string> &env) {
    Output r = run(Mode::terminal, dir_.path(), {"run", "goal.yaml"}, env);
    SCOPED_TRACE("terminal output:\n" + visible(r.out));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0);

    // Redrawn in place: the block is taken back with cursor-up and erased, then drawn again.
    EXPECT_TRUE(std::regex_search(r.out, cursor_up())) << "no cursor-up sequence";
    EXPECT_TRUE(std::regex_search(r.out, erase_seq())) << "no erase sequence";
    EXPECT_NE(r.out.find('\r'), std::string::npos);

    // A line per running job with its elapsed time, a progress bar for the goal.
    std::vector<std::string> lines;
    for (const auto &l : split_lines(strip_escapes(r.out))) {
      auto cr = l.rfind('\r');  // what follows the last \r is what the line ends up showing
      lines.push_back(cr == std::string::npos ? l : l.substr(cr + 1));
    }
    for (const auto &k : kJobs) {
      auto re = job_line(k);
      EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                              [&](const std::string &l) { return std::regex_search(l, re); }))
          << "no live line with an elapsed time for " << k;
    }
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string &l) {
      return std::regex_search(l, bar_line());
    })) << "no progress bar for goal tty";

    // As a terminal shows it: at no moment two lines for one job or two bars for the goal; at
    // some moment the three jobs at once; and at the end only the log lines, nothing of the block.
    Screen screen(kCols);
    size_t most_jobs = 0;
    bool twice = false;
    std::string twice_screen;
    screen.feed(r.out, [&](const Screen &s) {
      size_t jobs = 0;
      auto rows = s.rows();
      for (const auto &k : kJobs) {
        auto re = job_line(k);
        auto c =
            static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](const std::string &x) {
              return std::regex_search(x, re);
            }));
        if (c > 1 && !twice) twice = true, twice_screen = s.dump();
        jobs += c > 0 ? 1 : 0;
      }
      auto bars = std::count_if(rows.begin(), rows.end(), [](const std::string &x) {
        return std::regex_search(x, bar_line());
      });
      if (bars > 1 && !twice) twice = true, twice_screen = s.dump();
      most_jobs = std::max(most_jobs, jobs);
    });
    EXPECT_FALSE(twice) << "the block was drawn again below itself instead of in place:\n"
                        << twice_screen;
    EXPECT_EQ(most_jobs, kJobs.size()) << "the three running jobs were never shown together";
    EXPECT_TRUE(screen.unknown.empty()) << "unexpected escape sequence " << screen.unknown.front();

    auto rows = screen.rows();
    SCOPED_TRACE("final screen:\n" + screen.dump());
    for (const auto &row : rows) {
      EXPECT_FALSE(is_block_line(row)) << "left on screen after the run: " << row;
      EXPECT_FALSE(row.empty()) << "a blank line left among the log lines";
    }
    for (const auto &k : kJobs) {
      EXPECT_EQ(
          std::count_if(rows.begin(), rows.end(),
                        [&](const std::string &x) { return x.rfind("started  " + k, 0) == 0; }),
          1)
          << k;
      EXPECT_EQ(
          std::count_if(rows.begin(), rows.end(),
                        [&](const std::string &x) { return x == "finished " + k + " (exit 0)"; }),
          1)
          << k;
    }
    EXPECT_EQ(rows.empty() ? std::string() : rows.back(), "run: tty done");
    return r;
  }

  TempDir dir_;
};

TEST_F(View, LiveOnTerminalRedrawsInPlaceInColour) {
  Output r = live({});
  EXPECT_TRUE(std::regex_search(r.out, sgr())) << "no colour code by default:\n" << visible(r.out);
}

TEST_F(View, LiveOnTerminalWithNoColorHasNoColourCodes) {
  Output r = live({{"NO_COLOR", "1"}});
  std::smatch m;
  EXPECT_FALSE(std::regex_search(r.out, m, sgr()))
      << "colour code " << visible(m.str()) << " with NO_COLOR=1:\n"
      << visible(r.out);
}

// Whether bytes are well-formed UTF-8 (no character cut in half).
bool valid_utf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80                 ? 1
                     : b >= 0xc2 && b <= 0xdf ? 2
                     : b >= 0xe0 && b <= 0xef ? 3
                     : b >= 0xf0 && b <= 0xf4 ? 4
                                              : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Code points, not bytes: what a line takes on the terminal when it has no wide characters.
size_t columns(const std::string &s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

TEST_F(View, OnASmallTerminalTheBlockFitsAndLongTitlesAreCutByWholeCharacters) {
  constexpr unsigned short rows = 8, cols = 40;
  std::string goal =
      "version: 1\ngoals:\n  - id: wide\n    parallel: true\n    session_policy: spawn\n"
      "    run: [sh, -c, 'sleep 0.6']\n    tasks:\n";
  std::vector<std::string> keys;
  for (int i = 1; i <= 10; ++i) {
    // Accented letters are two bytes each: a cut by bytes would split one at some width.
    goal += "      - {id: nap-" + std::to_string(i) + ", title: \"Sieste \u00e9l\u00e9gante " +
            std::to_string(i) + " \u00e0 l'\u00e9t\u00e9 tr\u00e8s longue\"}\n";
    keys.push_back("wide/nap-" + std::to_string(i) + "#1");
  }
  std::ofstream(dir_.path() / "wide.yaml") << goal;
  Output r = run(Mode::terminal, dir_.path(), {"run", "wide.yaml"}, {}, rows, cols);
  SCOPED_TRACE("terminal output:\n" + visible(r.out));
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(valid_utf8(r.out)) << "a character was cut in half";

  // Every line of the block fits in the width (so the terminal never wraps it).
  bool more = false;
  for (const auto &piece : split_lines(strip_escapes(r.out))) {
    std::string rest = piece;
    for (size_t cr; (cr = rest.find('\r')) != std::string::npos;) rest.erase(0, cr + 1);
    if (rest.find(" more jobs") != std::string::npos) more = true;
    for (const auto &k : keys) {
      if (std::regex_search(rest, job_line(k))) {
        EXPECT_LT(columns(rest), cols) << "a job line as wide as the terminal: " << rest;
      }
    }
  }
  EXPECT_TRUE(more) << "ten jobs on eight rows, and no line saying how many more";

  // As the terminal shows it, scrolled-off rows included: never two lines for one job (the
  // block was always taken back whole), and nothing of it at the end.
  Screen screen(cols, rows);
  std::string twice;
  screen.feed(r.out, [&](const Screen &s) {
    auto now = s.rows();
    for (const auto &k : keys) {
      auto re = job_line(k);
      if (twice.empty() && std::count_if(now.begin(), now.end(), [&](const std::string &x) {
                             return std::regex_search(x, re);
                           }) > 1)
        twice = s.dump();
    }
  });
  EXPECT_TRUE(twice.empty()) << "the block was left behind as it was redrawn:\n" << twice;
  SCOPED_TRACE("final screen:\n" + screen.dump());
  for (const auto &row : screen.rows()) {
    for (const auto &k : keys) {
      EXPECT_FALSE(std::regex_search(row, job_line(k))) << "left on screen: " << row;
    }
  }
  EXPECT_EQ(screen.rows().empty() ? std::string() : screen.rows().back(), "run: wide done");
}

TEST_F(View, AJobReattachedToShowsTheTimeSinceItStartedNotSinceTheReattach) {
  std::ofstream(dir_.path() / "long.yaml")
      << "version: 1\ngoals:\n  - id: long\n    tasks:\n"
         "      - {id: nap, title: Long nap, run: [sh, -c, 'sleep 2.5']}\n";
  // One step starts the job and returns; the job goes on without a runner.
  Output step = run(Mode::pipe, dir_.path(), {"step", "long.yaml"});
  ASSERT_EQ(step.exit_code, 0) << step.out << step.err;
  ASSERT_NE(step.out.find("long/nap#1"), std::string::npos) << step.out;
  std::this_thread::sleep_for(1500ms);

  Output r = run(Mode::terminal, dir_.path(), {"run", "long.yaml"});
  SCOPED_TRACE("terminal output:\n" + visible(r.out));
  ASSERT_EQ(r.exit_code, 0);
  std::smatch first;
  const std::string text = strip_escapes(r.out);
  ASSERT_TRUE(std::regex_search(text, first, std::regex("long/nap#1  ([0-9]+)\\.([0-9])s")))
      << "no live line for the job";
  const int tenths = std::stoi(first[1]) * 10 + std::stoi(first[2]);
  EXPECT_GE(tenths, 15) << "the first elapsed time shown counts from the re-attach";
}

TEST_F(View, PlainLinesWhenPiped) {
  Output r = run(Mode::pipe, dir_.path(), {"run", "goal.yaml"});
  SCOPED_TRACE("stdout:\n" + r.out + "\nstderr:\n" + r.err);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "an escape byte on stdout";
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "an escape byte on stderr";
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "a carriage return on stdout";
  auto lines = split_lines(r.out);
  for (const auto &k : kJobs) {
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [&](const std::string &x) { return x.rfind("started  " + k, 0) == 0; }),
              1)
        << k;
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "finished " + k + " (exit 0)"), 1) << k;
  }
  for (const auto &l : lines) EXPECT_FALSE(is_block_line(l)) << "a live line when piped: " << l;
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "run: tty done");
}

// Every line one JSON object with an "event"; the three jobs start and finish, the summary says 0.
void expect_json_lines(const Output &r) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "an escape byte in --json output";
  std::map<std::string, int> started, finished;
  int summaries = 0;
  size_t n = 0;
  for (const auto &line : split_lines(r.out)) {
    ++n;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << "line " << n << " is not JSON (" << ec.message() << "): " << line;
    ASSERT_TRUE(v.is_object()) << "line " << n << " is not an object: " << line;
    const auto &o = v.as_object();
    ASSERT_TRUE(o.contains("event") && o.at("event").is_string()) << line;
    const std::string event(o.at("event").as_string());
    auto key = [&] {
      return o.contains("job_key") && o.at("job_key").is_string()
                 ? std::string(o.at("job_key").as_string())
                 : std::string();
    };
    if (event == "started") ++started[key()];
    if (event == "finished") ++finished[key()];
    if (event == "summary") {
      ++summaries;
      ASSERT_TRUE(o.contains("exit_code")) << line;
      EXPECT_EQ(o.at("exit_code").to_number<int>(), 0) << line;
    }
  }
  EXPECT_GE(n, 7u);
  for (const auto &k : kJobs) {
    EXPECT_EQ(started[k], 1) << k;
    EXPECT_EQ(finished[k], 1) << k;
  }
  EXPECT_EQ(summaries, 1);
}

TEST_F(View, JsonOneObjectPerLineWhenPiped) {
  Output r = run(Mode::pipe, dir_.path(), {"run", "goal.yaml", "--json"});
  SCOPED_TRACE("stdout:\n" + r.out + "\nstderr:\n" + r.err);
  expect_json_lines(r);
  EXPECT_TRUE(r.err.empty()) << "stderr: " << r.err;
}

TEST_F(View, JsonOneObjectPerLineOnTerminalToo) {
  Output r = run(Mode::terminal, dir_.path(), {"run", "goal.yaml", "--json"});
  SCOPED_TRACE("terminal output:\n" + visible(r.out));
  expect_json_lines(r);
}

}  // namespace
