// A GateChecker of our own for the engine's unit tests: it answers each poll with the next
// scripted outcome, records what it was asked, and throws (a service fault) when the script is
// used up. The GitHub checkers themselves are tested against a fake GitHub over HTTP.
#pragma once

#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/gate_checker.hpp"

namespace gk {

struct ScriptedChecker : GateChecker {
  std::vector<GateOutcome> script;    // consumed front to back, one per poll
  std::vector<GatePoll> seen;         // every poll asked, in order
  std::function<void()> during_poll;  // runs once, while the next poll is "on the wire"

  bool handles(std::string_view type) const override { return type == "gh_ci"; }
  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t, int64_t) override {
    if (during_poll) std::exchange(during_poll, nullptr)();
    std::vector<GateOutcome> out;
    for (const auto &p : due) {
      seen.push_back(p);
      if (script.empty()) throw std::runtime_error("connection refused");
      out.push_back(script.front());
      script.erase(script.begin());
    }
    return out;
  }
};

}  // namespace gk
