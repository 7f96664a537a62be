#include "fake_store.hpp"

#include <algorithm>

#include "fake_http.hpp"

namespace gkfake::detail {

void Store::set(const std::string &repo, int number, const PullState &state) {
  const std::string key = to_lower(repo);
  repo_names_.emplace(key, repo);
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

std::vector<Store::Listed> Store::all() const {
  std::vector<Listed> out;
  for (const auto &[key, pulls] : pulls_) {
    const auto name = repo_names_.find(key);
    for (const auto &[number, state] : pulls) {
      out.push_back({name == repo_names_.end() ? key : name->second, number, &state});
    }
  }
  return out;
}

bool Store::find_node(const std::string &id, std::string &repo, int &number) const {
  for (const auto &listed : all()) {
    if (FakeGitHub::pull_node_id(listed.repo, listed.number) == id) {
      repo = listed.repo;
      number = listed.number;
      return true;
    }
  }
  return false;
}

bool Store::take_unknown_mergeable_read(const std::string &repo, int number) {
  const auto r = pulls_.find(to_lower(repo));
  if (r == pulls_.end()) return false;
  const auto p = r->second.find(number);
  if (p == r->second.end() || p->second.unknown_mergeable_reads <= 0) return false;
  --p->second.unknown_mergeable_reads;
  return true;
}

bool Store::add_status(const std::string &repo, const std::string &sha,
                       const StatusContext &status) {
  const std::string key = to_lower(repo);
  const auto r = commits_.find(key);
  if (r == commits_.end()) return false;
  const auto c = r->second.find(to_lower(sha));
  if (c == r->second.end()) return false;
  const auto put = [&](std::vector<StatusContext> &statuses) {
    const auto same = std::find_if(statuses.begin(), statuses.end(),
                                   [&](const auto &s) { return s.context == status.context; });
    if (same == statuses.end()) {
      statuses.push_back(status);
    } else {
      *same = status;
    }
  };
  put(c->second.second.statuses);
  const auto p = pulls_[key].find(c->second.first);
  if (p != pulls_[key].end() && to_lower(p->second.head_sha) == to_lower(sha)) {
    put(p->second.statuses);
  }
  return true;
}

bool Store::delete_branch(const std::string &repo, const std::string &branch) {
  auto &deleted = deleted_[to_lower(repo)];
  if (std::find(deleted.begin(), deleted.end(), branch) != deleted.end()) return false;
  deleted.push_back(branch);
  return true;
}

std::vector<std::string> Store::deleted_branches(const std::string &repo) const {
  const auto d = deleted_.find(to_lower(repo));
  return d == deleted_.end() ? std::vector<std::string>{} : d->second;
}

}  // namespace gkfake::detail
