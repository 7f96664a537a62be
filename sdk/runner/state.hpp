// Opening the plugin's state the way every command does: the plugin from --plugin (see
// plugin_locator.hpp), the configuration from --config FILE (YAML or JSON, the keys of gk_open),
// the state file from --state (default .goalkeeper/state.db), made absolute so jobs that run in
// other folders find it through $GK_STATE.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <goalkeeper/goalkeeper.hpp>

#include "cli.hpp"

namespace gk::runner {

// A YAML or JSON file as a JSON value. Throws UsageError naming the file and the problem.
boost::json::value read_config_file(const std::filesystem::path &path);

// The gk_open configuration for these arguments. in_memory: state_path ":memory:" (validate,
// plan). Otherwise state_path is --state, else the config's, else .goalkeeper/state.db; absolute.
boost::json::object open_config(const Args &args, bool in_memory);

// config[section][key] when it is a string.
std::optional<std::string> config_string(const boost::json::object &config, const char *section,
                                         const char *key);

// The variables of the runner's environment that no job gets: those holding the runner's own
// secrets (the webhook secret, the signal token, the review bot's token), by the names the
// configuration gives them, and those listed in jobs.withhold_env (a name ending in '*' stands
// for every name that starts with what comes before it). A session could otherwise resolve its
// own gates through `serve`, or print a secret to its log. The GitHub token is not among them
// unless listed: sessions push and open pull requests with it.
std::vector<std::string> withheld_variables(const boost::json::object &config);

// The absolute state path the configuration names.
std::string state_path_of(const boost::json::object &config);

// Parses what the plugin answers (JSON). Trees nest two levels per task level, deeper than
// Boost.JSON's default limit of 32 allows; this takes whatever the plugin writes.
boost::json::value parse_answer(const std::string &text);

// Loads the plugin and opens the state. Errors carry what went wrong and where.
goalkeeper::Handle open_state(const Args &args, const gk_host *host = nullptr,
                              bool in_memory = false);

}  // namespace gk::runner
