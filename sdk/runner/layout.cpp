// The runner's files under .goalkeeper/ and the one way job keys become paths.
#include "layout.hpp"

#include <goalkeeper/job_key.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

namespace gk::runner {

bool is_valid_id(const std::string &s) {
  if (s.empty() || s.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s[0])) return false;
  for (char c : s)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

namespace {

// A key from elsewhere becomes a path only when its ids are ids: nothing like ".." or "a/b".
goalkeeper::JobKey split_key(const std::string &key) {
  auto k = goalkeeper::parse_job_key(key);
  if (!k || !is_valid_id(k->goal) || (!k->task.empty() && !is_valid_id(k->task)))
    throw std::invalid_argument("'" + key + "' is not a job key (GOAL/TASK#N)");
  return *k;
}

}  // namespace

fs::path key_path(const std::string &job_key) {
  goalkeeper::JobKey k = split_key(job_key);
  const std::string last = (k.task.empty() ? k.goal : k.task) + "#" + std::to_string(k.attempt);
  return k.task.empty() ? fs::path(last) : fs::path(k.goal) / last;
}

std::string key_goal(const std::string &job_key) {
  return std::string(goalkeeper::job_key_goal(job_key));
}

Layout::Layout(const fs::path &work_dir) : root(fs::absolute(work_dir) / ".goalkeeper") {}

fs::path Layout::log_file(const std::string &k) const {
  return root / "logs" / (key_path(k).string() + ".log");
}
fs::path Layout::prompt_file(const std::string &k) const {
  return root / "prompts" / (key_path(k).string() + ".md");
}
fs::path Layout::result_file(const std::string &k) const {
  return root / "results" / (key_path(k).string() + ".json");
}

void Layout::ensure() const {
  fs::create_directories(root);
  fs::path ignore = root / ".gitignore";
  std::error_code ec;
  if (!fs::exists(ignore, ec)) {
    std::ofstream out(ignore);
    out << "# goalkeeper's run files: logs, prompts, results, worktrees, state\n*\n";
  }
}

void write_file_atomic(const fs::path &path, const std::string &text) {
  fs::create_directories(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out)
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path);
}

void write_file(const fs::path &path, const std::string &text) {
  fs::create_directories(path.parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

std::string read_file(const fs::path &path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw std::runtime_error("cannot read " + path.string() + ": it is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path.string() + ": read error");
  return ss.str();
}

}  // namespace gk::runner
