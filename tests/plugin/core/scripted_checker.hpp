// A GateChecker of our own for the engine's unit tests: it answers each poll with the next
// scripted outcome, records what it was asked, and throws (a service fault) when the script is
// used up. The GitHub checkers themselves are tested against a fake GitHub over HTTP.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/gate_checker.hpp"

namespace gk {

struct ScriptedChecker : GateChecker {
  std::vector<GateOutcome> script;    // consumed front to back, one per poll
  std::vector<GatePoll> seen;         // every poll asked, in order
  std::function<void()> during_poll;  // runs once, while the next poll is "on the wire"
  std::string type = "gh_ci";         // the gate type it handles
  std::vector<int64_t> budgets;       // the budget each call was given
  int64_t takes_ms = 0;               // how long each call "waits for its service"

  bool handles(std::string_view t) const override { return t == type; }
  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t,
                                int64_t budget_ms) override {
    budgets.push_back(budget_ms);
    if (takes_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(takes_ms));
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
