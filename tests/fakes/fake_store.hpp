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
  // One pull request with its repository as first spelled by the state (for search results).
  struct Listed {
    std::string repo;  // "Owner/Name"
    int number = 0;
    const PullState *state = nullptr;
  };

  void set(const std::string &repo, int number, const PullState &state);
  void replace_all(const std::vector<PullEntry> &pulls);

  const PullState *pull(const std::string &repo, int number) const;  // nullptr: unknown
  const PullState *commit(const std::string &repo, const std::string &sha) const;
  int commit_pull_number(const std::string &repo, const std::string &sha) const;  // 0: none
  bool has_repo(const std::string &repo) const;
  std::vector<Listed> all() const;  // by repository, then number
  // The pull request whose node id is `id`; false when none.
  bool find_node(const std::string &id, std::string &repo, int &number) const;

  // Takes one of the pull request's unknown mergeable reads; true when this read is one of them
  // (the answer is then "mergeable": null).
  bool take_unknown_mergeable_read(const std::string &repo, int number);

  // Adds a status to a known commit (replacing an earlier one of the same context), and to the
  // pull request whose head it is. False when the commit is unknown.
  bool add_status(const std::string &repo, const std::string &sha, const StatusContext &status);

  // Deleted branches by repository; false when it was deleted before.
  bool delete_branch(const std::string &repo, const std::string &branch);
  std::vector<std::string> deleted_branches(const std::string &repo) const;

 private:
  // Keys are lower case: "owner/name", sha.
  std::map<std::string, std::map<int, PullState>> pulls_;
  std::map<std::string, std::map<std::string, std::pair<int, PullState>>> commits_;
  std::map<std::string, std::string> repo_names_;  // lower case -> as spelled by the state
  std::map<std::string, std::vector<std::string>> deleted_;
};

}  // namespace gkfake::detail
