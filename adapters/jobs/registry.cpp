#include "registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
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
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(errno_text("cannot create", temp));
  return fd;
}

void write_all(int fd, const std::string &text, const fs::path &temp) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string message = errno_text("cannot write", temp);
      close(fd);
      unlink(temp.c_str());
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

bool write_record_once(const fs::path &path, const Record &record, int *lock_fd) {
  fs::path temp;
  int fd = open_temp(path, temp);
  write_all(fd, record.text(), temp);
  // Locked before the name appears, so nobody can see the claim without its lock.
  if (lock_fd != nullptr && flock(fd, LOCK_EX) != 0) {
    std::string message = errno_text("cannot lock", temp);
    close(fd);
    unlink(temp.c_str());
    throw std::runtime_error(message);
  }
  int linked = link(temp.c_str(), path.c_str());
  int link_errno = errno;
  unlink(temp.c_str());
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

bool lock_held(const fs::path &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

int64_t process_start(pid_t pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return -1;
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and ')'; the fields after its last ')' do not.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  fields >> state;
  if (state == "Z" || state == "X") return -1;
  std::string field;
  for (int i = 4; i <= 22; ++i) fields >> field;  // fields 4..22; starttime is 22
  try {
    return std::stoll(field);
  } catch (const std::exception &) {
    return -1;
  }
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
