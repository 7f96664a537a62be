// Where a goal stands, read from one goal of a {"what":"status"} answer: still working, done,
// failed, or waiting on a person (a review, a blocked task, an approval gate, a pause). `run`,
// `step` and `step --no-start` decide their exit status from it.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace gk::runner {

// closed: discovery ended the goal (its pull request was closed or merged outside goalkeeper);
// like done, not a failure.
enum class GoalOutcome { working, done, failed, waiting, closed };

// human_gates receives the active gates (task ids) that only a person can pass now.
GoalOutcome goal_outcome(const boost::json::object &goal, std::vector<std::string> &human_gates);

}  // namespace gk::runner
