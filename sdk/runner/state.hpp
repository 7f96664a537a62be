// Opening the plugin's state the way every command does: the plugin from --plugin (see
// plugin_locator.hpp), the configuration from --config FILE (YAML or JSON, the keys of gk_open),
// the state file from --state (default .goalkeeper/state.db), made absolute so jobs that run in
// other folders find it through $GK_STATE.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
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

// How a command uses the state.
enum class Access {
  create,     // run, step, serve: the state is made when missing
  existing,   // approve, signal, pause, ...: acting on nothing is an error, and creates nothing
  read_only,  // status, events: a missing state is "no state at PATH", not an error
  in_memory,  // validate, plan: nothing on disk
};

// open_state(Access::read_only) when there is no state: the command says so and exits 0.
class NoState : public std::runtime_error {
 public:
  explicit NoState(const std::string &path)
      : std::runtime_error("no state at " + path), path_(path) {}
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

// Before a command that writes (run, step, serve) creates anything: where nothing exists yet to
// write into (no state file, or no .goalkeeper folder here), or --goal must name a goal of the
// file, the configuration and the goal file (text, when the command has one) are checked in a
// state in memory, so that a bad file, a bad configuration or a wrong --goal writes nothing.
// Elsewhere gk_load itself writes nothing when it fails. Throws what opening or loading throws.
void check_before_writing(const Args &args, const std::string &file, const std::string &text);

// Loads the plugin and opens the state. Errors carry what went wrong and where; a configuration
// the plugin refuses is reported as the plugin says it, naming the key.
goalkeeper::Handle open_state(const Args &args, const gk_host *host = nullptr,
                              Access access = Access::create);

}  // namespace gk::runner
