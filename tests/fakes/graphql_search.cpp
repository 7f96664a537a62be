// The GraphQL search connection: `ALIAS: search(query: "...", type: ISSUE, first: N, after: C)`,
// answered with one fixed, complete shape per pull request (graphql.hpp), the qualifiers of
// search.hpp and GitHub's 1,000-result cap.
#include "graphql_scanner.hpp"
#include "search.hpp"

namespace gkfake::detail::graphql {

namespace {

json::object search_node(const Store::Listed &hit) {
  const PullState &pr = *hit.state;
  json::array labels;
  for (const auto &l : pr.labels) labels.push_back(json::object{{"name", l}});
  return {{"__typename", "PullRequest"},
          {"id", FakeGitHub::pull_node_id(hit.repo, hit.number)},
          {"number", hit.number},
          {"title", pr.title},
          {"url", "https://github.com/" + hit.repo + "/pull/" + std::to_string(hit.number)},
          {"state", pr.merged ? "MERGED" : upper(pr.state)},
          {"isDraft", pr.draft},
          {"merged", pr.merged},
          {"headRefOid", pr.head_sha},
          {"headRefName", pr.head_ref},
          {"baseRefName", pr.base_ref},
          {"createdAt", pr.created_at},
          {"updatedAt", pr.updated_at},
          {"author", {{"login", pr.author}}},
          {"repository", {{"nameWithOwner", hit.repo}}},
          {"labels", {{"nodes", std::move(labels)}}}};
}

}  // namespace

std::vector<Field> answer_searches(const Store &store, Scanner &s) {
  std::vector<Field> out;
  const std::size_t n = s.text().size();
  s.pos = 0;
  for (std::size_t at = s.find_call("search", n); at != std::string_view::npos;
       at = s.find_call("search", n)) {
    Field field;
    field.alias = s.alias_before(at);
    if (field.alias.empty()) field.alias = "search";
    s.pos = at + std::string_view("search").size();
    std::map<std::string, json::value> args;
    if (!s.arguments(args)) continue;
    const auto string_arg = [&](const char *key) -> std::string {
      const auto it = args.find(key);
      return it != args.end() && it->second.is_string() ? std::string(it->second.as_string()) : "";
    };
    std::size_t first = 10;
    if (args.count("first") && args["first"].is_int64()) {
      first = static_cast<std::size_t>(std::clamp<int64_t>(args["first"].as_int64(), 1, 100));
    }
    const std::size_t after = args.count("after") && args["after"].is_string()
                                  ? decode_cursor(std::string(args["after"].as_string()))
                                  : 0;
    SearchResult found;
    if (string_arg("type") == "ISSUE") found = search_pulls(store, string_arg("query"));
    if (!found.error.empty()) {
      field.value = nullptr;
      field.error = json::object{{"type", "INVALID_SEARCH"},
                                 {"path", json::array{json::value(field.alias)}},
                                 {"locations", json::array{s.location(at)}},
                                 {"message", found.error}};
      out.push_back(std::move(field));
      continue;
    }
    const std::size_t reachable = std::min(found.hits.size(), kSearchCap);
    const std::size_t begin = std::min(after, reachable);
    const std::size_t end = std::min(reachable, begin + first);
    json::array nodes;
    for (std::size_t i = begin; i < end; ++i) nodes.push_back(search_node(found.hits[i]));
    field.value = {
        {"issueCount", found.hits.size()},
        {"pageInfo",
         {{"hasNextPage", end < reachable},
          {"endCursor", end > begin ? json::value(encode_cursor(end)) : json::value(nullptr)}}},
        {"nodes", std::move(nodes)}};
    out.push_back(std::move(field));
  }
  return out;
}

}  // namespace gkfake::detail::graphql
