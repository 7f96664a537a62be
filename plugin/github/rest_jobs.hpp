// What one gate needs from GitHub's REST API when GraphQL cannot serve it, as small state
// machines: each round they name the URLs they need next (all gates' URLs of a round go out
// together on one multi handle), then take the answers.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "github/ci_state.hpp"
#include "github/gate_spec.hpp"
#include "github/problem.hpp"
#include "github/rest.hpp"
#include "github/review_state.hpp"

namespace gk::github {

// One REST answer: a body (fresh or from the ETag cache) or a problem.
struct Fetched {
  Problem problem;
  std::shared_ptr<const boost::json::value> body;
};

class RestJob {
 public:
  virtual ~RestJob() = default;
  virtual std::vector<std::string> wants() const = 0;  // empty when finished
  virtual void take(const std::string &url, const Fetched &f) = 0;
  const Problem &problem() const { return problem_; }
  void fail(Problem p) { problem_ = Problem::worse(problem_, p); }

 protected:
  Problem problem_;
};

// gh_ci: the pull request's head (unless known), all pages of its check runs and the combined
// status.
class CiRestJob : public RestJob {
 public:
  CiRestJob(std::string api, const GateSpec &spec, std::string known_sha);
  std::vector<std::string> wants() const override;
  void take(const std::string &url, const Fetched &f) override;
  CiSnapshot snapshot() const;

 private:
  std::string api_;
  std::string repo_;
  int64_t pr_ = 0;
  std::string target_;
  std::string sha_;
  int pages_ = 0;  // 0 until the first page said how many there are
  std::map<int, std::vector<CheckRunInfo>> runs_;
  std::optional<rest::CombinedStatus> status_;
};

// gh_review: all pages of the reviews list.
class ReviewRestJob : public RestJob {
 public:
  ReviewRestJob(std::string api, const GateSpec &spec);
  std::vector<std::string> wants() const override;
  void take(const std::string &url, const Fetched &f) override;
  const std::vector<ReviewInfo> &reviews() const { return reviews_; }

 private:
  std::string api_;
  std::string repo_;
  int64_t pr_ = 0;
  std::string target_;
  int next_page_ = 1;  // 0 when done
  std::vector<ReviewInfo> reviews_;
};

// A changes-requested gh_review failure: all pages of the pull request's line comments (asked only
// then, not on every poll).
class ReviewCommentsRestJob : public RestJob {
 public:
  ReviewCommentsRestJob(std::string api, const GateSpec &spec);
  std::vector<std::string> wants() const override;
  void take(const std::string &url, const Fetched &f) override;
  const std::vector<ReviewCommentInfo> &comments() const { return comments_; }

 private:
  std::string api_;
  std::string repo_;
  int64_t pr_ = 0;
  std::string target_;
  int next_page_ = 1;  // 0 when done
  std::vector<ReviewCommentInfo> comments_;
};

// The fault for a body that does not have the documented shape.
Problem malformed(const std::string &target, const std::string &what);

}  // namespace gk::github
