// A gate's verdict from what GitHub said, before transport concerns (see problem.hpp).
#pragma once

#include <boost/json.hpp>

namespace gk::github {

struct Verdict {
  enum class Kind { wait, pass, fail };
  Kind kind = Kind::wait;
  boost::json::object artifacts;  // pass/fail
};

}  // namespace gk::github
