// Which gates a signal resolves. A signal names a gate by metadata (repo + pr, pr_url, sha, key)
// rather than by task id, so webhook relays and bots need not know our ids. Every gate type has
// a rule; a signal that names nothing matches nothing.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gk {

struct SignalQuery {
  std::string type;
  std::optional<std::string> repo;  // lower case "owner/name"
  std::optional<int64_t> pr;
  std::optional<std::string> pr_url;  // normalised
  std::optional<std::string> sha;     // lower case
  std::optional<std::string> key;
  std::optional<std::string> task_id;
  bool pass = false;
  boost::json::object artifacts;
};

// Repository names and SHAs compare case-insensitively.
std::string ascii_lower(std::string_view s);
// A pull request number from a JSON number or a string of digits ("12" or "#12").
std::optional<int64_t> pr_number(const boost::json::value *v);

// The signal types gates can wait for (compound is a combination, not a signal).
bool is_signal_type(std::string_view type);

// Validates a gk_signal document; errors are gk::Error(invalid) naming the field.
SignalQuery parse_signal(const boost::json::object &doc);

// "https://github.com/Owner/Repo/pull/12" -> ("owner/repo", 12); API URLs (/repos/.../pulls/12)
// too. nullopt when the URL is not a pull request URL.
std::optional<std::pair<std::string, int64_t>> parse_pr_url(std::string_view url);

// The web page of a pull request, from the API URL it is read through: https://github.com/... for
// api.github.com, <host>/... for GitHub Enterprise (<host>/api/v3), the API URL itself otherwise
// (a test server).
std::string pull_web_url(const std::string &api_url, const std::string &repo, int64_t pr);

// Does the leaf gate config (rendered: no templates left) match the signal's metadata?
bool leaf_matches(const boost::json::object &leaf, const SignalQuery &q);

// The leaves of a gate config, with their paths: "" for a plain gate, "all.0", "any.1.all.0"
// inside compounds.
struct GateLeaf {
  std::string path;
  const boost::json::object *config;
};
std::vector<GateLeaf> gate_leaves(const boost::json::object &config);

enum class Verdict { wait, pass, fail };
// A compound's verdict from the verdicts recorded for its leaves (parts: path -> "pass"/"fail").
Verdict evaluate_gate(const boost::json::object &config, const boost::json::object &parts);

}  // namespace gk
