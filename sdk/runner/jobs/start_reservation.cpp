// Start reservations: byte-range locks of the open file description (OFD locks) on one file of
// the registry, one byte per key (at a hash of it), so that no key costs a file of its own. An
// OFD lock, unlike a POSIX record lock, belongs to the description, not the process, so two
// LocalJobs of one process exclude each other too, and closing another descriptor of the file
// does not drop it.
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "local_jobs.hpp"

namespace gk::jobs {

namespace {

// FNV-1a: the same offset for a key in every process and build.
int64_t key_offset(const std::string &key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return static_cast<int64_t>(h >> 24);  // 40 bits: a valid offset of any file
}

bool set_key_lock(int fd, int64_t offset, short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

}  // namespace

std::optional<StartReservation> StartReservation::take(int fd, const std::string &key,
                                                       std::function<void()> release) {
  const int64_t offset = key_offset(key);
  if (set_key_lock(fd, offset, F_WRLCK)) return StartReservation(fd, offset, std::move(release));
  if (errno == EAGAIN || errno == EACCES) return std::nullopt;
  throw std::runtime_error(std::strerror(errno));
}

StartReservation::StartReservation(int fd, int64_t offset, std::function<void()> release)
    : fd_(fd), offset_(offset), release_(std::move(release)) {}

StartReservation::StartReservation(StartReservation &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      offset_(other.offset_),
      release_(std::move(other.release_)) {}

StartReservation &StartReservation::operator=(StartReservation &&other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    offset_ = other.offset_;
    release_ = std::move(other.release_);
  }
  return *this;
}

StartReservation::~StartReservation() {
  release();
}

void StartReservation::release() {
  if (fd_ < 0) return;
  set_key_lock(fd_, offset_, F_UNLCK);
  fd_ = -1;
  if (release_) release_();
}

}  // namespace gk::jobs
