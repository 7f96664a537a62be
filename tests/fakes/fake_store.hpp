// The scripted GitHub state: pull requests by repository and number, and every head commit seen,
// so a commit keeps its checks and statuses after a newer head replaced it. Not thread-safe: the
// fake guards it with its mutex.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fake_github.hpp"

namespace gkfake::detail {

class Store {
 public:
  void set(const std::string &repo, int number, const PullState &state);
  void replace_all(const std::vector<PullEntry> &pulls);

  const PullState *pull(const std::string &repo, int number) const;  // nullptr: unknown
  const PullState *commit(const std::string &repo, const std::string &sha) const;
  int commit_pull_number(const std::string &repo, const std::string &sha) const;  // 0: none
  bool has_repo(const std::string &repo) const;

 private:
  // Keys are lower case: "owner/name", sha.
  std::map<std::string, std::map<int, PullState>> pulls_;
  std::map<std::string, std::map<std::string, std::pair<int, PullState>>> commits_;
};

}  // namespace gkfake::detail
