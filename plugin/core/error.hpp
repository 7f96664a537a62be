// The one exception type the engine throws. The ABI boundary turns it into a status code and
// gk_last_error(); anything else that escapes becomes GK_ERR_INTERNAL.
#pragma once

#include <stdexcept>
#include <string>

namespace gk {

// Mirrors the GK_* status codes of goalkeeper.h; core does not include the C header.
enum class Errc {
  invalid = -1,
  not_found = -2,
  conflict = -3,
  unauthorized = -4,
  io = -5,
  busy = -6,
  version = -7,
  internal = -8,
};

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string &message) : std::runtime_error(message), code_(code) {}
  Errc code() const { return code_; }

 private:
  Errc code_;
};

[[noreturn]] inline void fail(Errc code, const std::string &message) {
  throw Error(code, message);
}

}  // namespace gk
