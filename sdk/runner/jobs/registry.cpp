#include "registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gk::jobs {
namespace fs = std::filesystem;

namespace {

// Well under NAME_MAX (255) with room for the kind suffix.
constexpr size_t kMaxName = 160;

std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      ++i;
      out += value[i] == 'n' ? '\n' : value[i];
    } else {
      out += value[i];
    }
  }
  return out;
}

std::string errno_text(const std::string &what, const fs::path &path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// Records carry the job's environment (prompts among it): readable by their owner only.
// A temp file beside the target (rename and link only work within one file system), named so a
// directory scan for records never mistakes it for one.
int open_temp(const fs::path &target, fs::path &temp) {
  static std::atomic<uint64_t> counter{0};
  temp = target.parent_path() /
         (".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  int fd = open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(errno_text("cannot create", temp));
  return fd;
}

void write_all(int fd, const std::string &text, const fs::path &temp, bool unlink_temp = true) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string message = errno_text("cannot write", temp);
      close(fd);
      if (unlink_temp) unlink(temp.c_str());
      throw std::runtime_error(message);
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string safe_name(std::string_view key) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (out.size() <= kMaxName) return out;
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ULL;
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "~%016llx", static_cast<unsigned long long>(hash));
  return out.substr(0, kMaxName - 17) + suffix;
}

void Record::add(std::string field, std::string value) {
  fields_.emplace_back(std::move(field), std::move(value));
}

std::string Record::get(std::string_view field) const {
  for (const auto &[name, value] : fields_) {
    if (name == field) return value;
  }
  return {};
}

int64_t Record::get_int(std::string_view field, int64_t fallback) const {
  std::string value = get(field);
  if (value.empty()) return fallback;
  try {
    return std::stoll(value);
  } catch (const std::exception &) {
    return fallback;
  }
}

std::vector<std::string> Record::all(std::string_view field) const {
  std::vector<std::string> out;
  for (const auto &[name, value] : fields_) {
    if (name == field) out.push_back(value);
  }
  return out;
}

std::string Record::text() const {
  std::string out;
  for (const auto &[name, value] : fields_) out += name + " " + escape(value) + "\n";
  return out;
}

Record Record::parse(std::string_view text) {
  Record record;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    record.add(std::string(line.substr(0, space)), unescape(line.substr(space + 1)));
  }
  return record;
}

std::optional<Record> read_record(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return Record::parse(text.str());
}

void write_record(const fs::path &path, const Record &record) {
  fs::path temp;
  int fd = open_temp(path, temp);
  write_all(fd, record.text(), temp);
  close(fd);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    std::string message = errno_text("cannot rename to", path);
    unlink(temp.c_str());
    throw std::runtime_error(message);
  }
}

namespace {

// The unnamed-file way: no name exists until linkat, so only the link takes the directory's lock.
// -1 with errno when the file system or the kernel does not support it.
int open_unnamed(const fs::path &dir) {
#ifdef O_TMPFILE
  return open(dir.c_str(), O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
#else
  (void)dir;
  errno = EOPNOTSUPP;
  return -1;
#endif
}

bool unnamed_unsupported(int err) {
  return err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == ENOENT;
}

}  // namespace

bool create_claim(const fs::path &path, const Record &record, int *lock_fd) {
  const std::string text = record.text();
  fs::path temp;
  int fd = open_unnamed(path.parent_path());
  bool unnamed = fd >= 0;
  if (!unnamed) {
    if (!unnamed_unsupported(errno)) throw std::runtime_error(errno_text("cannot create", path));
    fd = open_temp(path, temp);
    // The supervisor appends to the claim through this descriptor.
    if (fcntl(fd, F_SETFL, O_APPEND) != 0) {
      std::string message = errno_text("cannot set up", temp);
      close(fd);
      unlink(temp.c_str());
      throw std::runtime_error(message);
    }
  }
  auto fail = [&](const std::string &message) {
    close(fd);
    if (!unnamed) unlink(temp.c_str());
    throw std::runtime_error(message);
  };
  write_all(fd, text, unnamed ? path : temp, !unnamed);
  // Locked before the name appears, so nobody can see the claim without its lock.
  if (lock_fd != nullptr && flock(fd, LOCK_EX) != 0) fail(errno_text("cannot lock", path));
  int linked = 0;
  int link_errno = 0;
  if (unnamed) {
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    linked = linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
    link_errno = errno;
    if (linked != 0 && link_errno != EEXIST) {
      // No /proc, or a file system that cannot link an unnamed file: the named way.
      close(fd);
      fd = open_temp(path, temp);
      unnamed = false;
      if (fcntl(fd, F_SETFL, O_APPEND) != 0) fail(errno_text("cannot set up", temp));
      write_all(fd, text, temp, true);
      if (lock_fd != nullptr && flock(fd, LOCK_EX) != 0) fail(errno_text("cannot lock", temp));
      linked = link(temp.c_str(), path.c_str());
      link_errno = errno;
    }
  } else {
    linked = link(temp.c_str(), path.c_str());
    link_errno = errno;
  }
  if (!unnamed) unlink(temp.c_str());
  if (linked != 0) {
    close(fd);
    if (link_errno == EEXIST) return false;
    errno = link_errno;
    throw std::runtime_error(errno_text("cannot create", path));
  }
  if (lock_fd != nullptr) {
    *lock_fd = fd;
  } else {
    close(fd);
  }
  return true;
}

std::string event_line(std::string_view kind, const Record &record) {
  std::string payload = escape(record.text());
  std::string line = "\n@";
  line += kind;
  line += ' ';
  line += std::to_string(payload.size());
  line += ' ';
  line += payload;
  line += '\n';
  return line;
}

void append_line(int fd, const std::string &line, const fs::path &path) {
  // A short write leaves a torn line that readers ignore; the whole line goes again after it.
  for (int attempt = 0; attempt < 3; ++attempt) {
    ssize_t n = write(fd, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return;
    if (n < 0 && errno != EINTR) break;
  }
  throw std::runtime_error(errno_text("cannot append to", path));
}

void append_event(const fs::path &path, std::string_view kind, const Record &record) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text("cannot open", path));
  try {
    append_line(fd, event_line(kind, record), path);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
}

JobFile parse_job(std::string_view text, bool with_claim) {
  JobFile job;
  std::string spec;
  // Only complete lines count: what follows the last newline is a write still going on or one a
  // crash tore.
  while (true) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) break;
    std::string_view line = text.substr(0, end);
    text = text.substr(end + 1);
    if (line.empty()) continue;
    if (line[0] != '@') {
      if (with_claim) {
        spec.append(line);
        spec += '\n';
      }
      continue;
    }
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::string_view kind = line.substr(1, space - 1);
    std::string_view rest = line.substr(space + 1);
    size_t gap = rest.find(' ');
    if (gap == std::string_view::npos || gap == 0 || gap > 9) continue;
    size_t length = 0;
    bool digits = true;
    for (char c : rest.substr(0, gap)) {
      if (c < '0' || c > '9') digits = false;
      length = length * 10 + static_cast<size_t>(c - '0');
    }
    std::string_view payload = rest.substr(gap + 1);
    if (!digits || payload.size() != length) continue;  // torn, then ended by a later append
    Record record = Record::parse(unescape(payload));
    if (kind == "run") {
      job.run = std::move(record);
    } else if (kind == "end") {
      if (!job.end) job.end = std::move(record);
    } else if (kind == "reported") {
      job.reported = true;
    } else if (kind == "adopted") {
      job.adopted = true;
    }
  }
  if (with_claim) job.claim = Record::parse(spec);
  return job;
}

std::optional<JobFile> read_job(int fd, bool with_claim) {
  std::string text;
  char buffer[8192];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return parse_job(text, with_claim);
}

std::optional<JobFile> read_job(const fs::path &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto job = read_job(fd);
  close(fd);
  return job;
}

bool lock_held(const fs::path &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

int64_t process_start(pid_t pid) {
  if (pid <= 0) return -1;
  // Plain reads: every supervisor asks this twice as it starts a job.
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char stat[1024];
  ssize_t n;
  do {
    n = read(fd, stat, sizeof stat - 1);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return -1;
  stat[n] = '\0';
  // The command name (field 2) may hold spaces and ')'; the fields after its last ')' do not.
  char *after = std::strrchr(stat, ')');
  if (after == nullptr) return -1;
  char state = 0;
  int field = 2;
  for (char *p = after + 1; *p != '\0'; ++p) {
    if (*p != ' ') continue;
    ++field;
    if (field == 3) state = p[1];
    if (field == 22) {
      if (state == 'Z' || state == 'X') return -1;
      char *end = nullptr;
      long long start = std::strtoll(p + 1, &end, 10);
      return end == p + 1 ? -1 : start;
    }
  }
  return -1;
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace gk::jobs
