#include "github/checkers.hpp"

#include "centaur/centaur_checker.hpp"
#include "github/github_checker.hpp"
#include "github/github_pull_finder.hpp"
#include "github/github_status_poster.hpp"
#include "github/merge_checker.hpp"
#include "github/settings.hpp"

namespace gk {

std::vector<std::shared_ptr<GateChecker>> make_github_checkers(const Config &config) {
  std::vector<std::shared_ptr<GateChecker>> out;
  out.push_back(std::make_shared<github::GitHubChecker>(github::read_settings(config)));
  out.push_back(std::make_shared<github::MergeChecker>(github::read_settings(config)));
  out.push_back(std::make_shared<centaur::CentaurChecker>(centaur::read_settings(config)));
  return out;
}

std::shared_ptr<StatusPoster> make_github_status_poster(const Config &config) {
  return std::make_shared<github::GitHubStatusPoster>(github::read_settings(config));
}

std::shared_ptr<PullFinder> make_github_pull_finder(const Config &config) {
  return std::make_shared<github::GitHubPullFinder>(github::read_settings(config));
}

}  // namespace gk
