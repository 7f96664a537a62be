// The gate checkers of the outside world, built from the plugin's configuration:
// gh_ci + gh_review (one checker, so both go into the same batched GitHub requests) and
// centaur_review. Register each with Engine::add_checker before the first step.
#pragma once

#include <memory>
#include <vector>

#include "core/commit_status.hpp"
#include "core/config.hpp"
#include "core/gate_checker.hpp"
#include "core/pull_finder.hpp"

namespace gk {

// Throws gk::Error(invalid) naming the key when the "github" or "centaur" section is malformed.
// Needs no token: without one, gates poll GitHub's REST API unauthenticated (public
// repositories, 60 requests an hour) and say so when GitHub answers 401/403/404.
std::vector<std::shared_ptr<GateChecker>> make_github_checkers(const Config &config);

// Discovery's search for pull requests (Engine::set_pull_finder), over GitHub's search API.
std::shared_ptr<PullFinder> make_github_pull_finder(const Config &config);

// Commit statuses on shepherded pull requests (Engine::set_status_poster).
std::shared_ptr<StatusPoster> make_github_status_poster(const Config &config);

}  // namespace gk
