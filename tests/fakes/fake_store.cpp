#include "fake_store.hpp"

#include "fake_http.hpp"

namespace gkfake::detail {

void Store::set(const std::string &repo, int number, const PullState &state) {
  const std::string key = to_lower(repo);
  pulls_[key][number] = state;
  commits_[key][to_lower(state.head_sha)] = {number, state};
}

void Store::replace_all(const std::vector<PullEntry> &pulls) {
  pulls_.clear();
  for (const auto &entry : pulls) set(entry.repo, entry.number, entry.state);
}

const PullState *Store::pull(const std::string &repo, int number) const {
  const auto r = pulls_.find(to_lower(repo));
  if (r == pulls_.end()) return nullptr;
  const auto p = r->second.find(number);
  return p == r->second.end() ? nullptr : &p->second;
}

const PullState *Store::commit(const std::string &repo, const std::string &sha) const {
  const auto r = commits_.find(to_lower(repo));
  if (r == commits_.end()) return nullptr;
  const auto c = r->second.find(to_lower(sha));
  return c == r->second.end() ? nullptr : &c->second.second;
}

int Store::commit_pull_number(const std::string &repo, const std::string &sha) const {
  const auto r = commits_.find(to_lower(repo));
  if (r == commits_.end()) return 0;
  const auto c = r->second.find(to_lower(sha));
  return c == r->second.end() ? 0 : c->second.first;
}

bool Store::has_repo(const std::string &repo) const {
  const auto r = pulls_.find(to_lower(repo));
  return r != pulls_.end() && !r->second.empty();
}

}  // namespace gkfake::detail
