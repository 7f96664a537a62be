// A gh_ci / gh_review gate part's rendered config, checked: {"type": "gh_ci", "repo": "o/r",
// "pr": 12 | "sha": "...", "checks": [...]} and {"type": "gh_review", "repo": "o/r", "pr": 12,
// "min_approvals": 1}.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace gk::github {

struct GateSpec {
  enum class Type { ci, review };
  Type type = Type::ci;
  std::string repo;  // "owner/name"
  std::string owner;
  std::string name;
  int64_t pr = 0;   // 0 for a gh_ci gate on a commit
  std::string sha;  // gh_ci on a commit
  std::vector<std::string> checks;
  int64_t min_approvals = 1;

  // "o/r#12" or "o/r@6dcb09b" for messages.
  std::string target() const;
};

// The spec, or a message saying what is wrong with the config (the gate is then blocked).
std::variant<GateSpec, std::string> parse_gate(const boost::json::object &config);

}  // namespace gk::github
