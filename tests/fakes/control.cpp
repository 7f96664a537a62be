// The scripting API of FakeGitHub: state, faults, rate limit, counters. Every call takes the
// fake's mutex, so tests may call them while the io thread serves requests.
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "fake_impl.hpp"

namespace gkfake {

void FakeGitHub::set_pull(const std::string &repo, int number, const PullState &state) {
  std::lock_guard lock(impl_->mutex);
  impl_->store.set(repo, number, state);
}

void FakeGitHub::set_pulls(const std::vector<PullEntry> &pulls) {
  std::lock_guard lock(impl_->mutex);
  impl_->store.replace_all(pulls);
}

PullState FakeGitHub::pull(const std::string &repo, int number) const {
  std::lock_guard lock(impl_->mutex);
  const PullState *state = impl_->store.pull(repo, number);
  if (!state)
    throw std::out_of_range("fake github: no pull " + repo + "#" + std::to_string(number));
  return *state;
}

void FakeGitHub::set_fault(Fault fault, int times, const std::string &path_prefix) {
  std::lock_guard lock(impl_->mutex);
  if (fault == Fault::none || times == 0) return;
  impl_->faults.push_back({fault, times < 0 ? -1 : times, path_prefix});
}

void FakeGitHub::set_redirect(const std::string &path_prefix, const std::string &location,
                              int times) {
  std::lock_guard lock(impl_->mutex);
  if (times == 0) return;
  impl_->redirects.push_back({path_prefix, location, times < 0 ? -1 : times});
}

void FakeGitHub::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.clear();
  impl_->redirects.clear();
}

void FakeGitHub::set_graphql_enabled(bool enabled) {
  std::lock_guard lock(impl_->mutex);
  impl_->graphql_enabled = enabled;
}

void FakeGitHub::set_rate_limit(int remaining, int64_t reset_epoch_s) {
  std::lock_guard lock(impl_->mutex);
  impl_->rate_limit = std::max(5000, remaining);
  impl_->core_remaining = std::max(0, remaining);
  impl_->graphql_remaining = std::max(0, remaining);
  impl_->rate_reset_epoch_s = reset_epoch_s;
}

void FakeGitHub::set_search_rate_limit(int remaining, int64_t reset_epoch_s) {
  std::lock_guard lock(impl_->mutex);
  impl_->search_limit = std::max(30, remaining);
  impl_->search_remaining = std::max(0, remaining);
  impl_->search_reset_epoch_s = reset_epoch_s;
}

int FakeGitHub::requests(std::string_view path_prefix) const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<int>(std::count_if(impl_->log.begin(), impl_->log.end(), [&](const auto &e) {
    return std::string_view(e.path).starts_with(path_prefix);
  }));
}

int FakeGitHub::counted_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counted;
}

void FakeGitHub::reset_counts() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
  impl_->counted = 0;
}

std::string FakeGitHub::last_authorization() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_authorization;
}

std::vector<std::string> FakeGitHub::request_log() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> lines;
  lines.reserve(impl_->log.size());
  for (const auto &e : impl_->log) lines.push_back(e.line);
  return lines;
}

std::vector<Mutation> FakeGitHub::mutations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->mutations;
}

void FakeGitHub::clear_mutations() {
  std::lock_guard lock(impl_->mutex);
  impl_->mutations.clear();
}

std::vector<std::string> FakeGitHub::deleted_branches(const std::string &repo) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->store.deleted_branches(repo);
}

std::string FakeGitHub::pull_node_id(const std::string &repo, int number) {
  // GitHub's next-generation ids look like "PR_kwDO" + base64 of packed numbers; a hash of the
  // repository (as GitHub matches it, case-insensitively) and the number is as opaque and stable.
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(
                    detail::fnv1a(detail::to_lower(repo) + "#" + std::to_string(number))));
  return std::string("PR_kwDO") + buf;
}

}  // namespace gkfake
