#include "github/checkers.hpp"

#include "centaur/centaur_checker.hpp"
#include "github/github_checker.hpp"
#include "github/settings.hpp"

namespace gk {

std::vector<std::shared_ptr<GateChecker>> make_github_checkers(const Config &config) {
  std::vector<std::shared_ptr<GateChecker>> out;
  out.push_back(std::make_shared<github::GitHubChecker>(github::read_settings(config)));
  out.push_back(std::make_shared<centaur::CentaurChecker>(centaur::read_settings(config)));
  return out;
}

}  // namespace gk
