// Command-line parsing for the `goalkeeper` command: global options, one command, its options and
// positional arguments. Each command declares what it accepts, so a typo is a usage error (exit 2)
// that names the option and the command, never silently ignored.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gk::runner {

// A mistake in how the command was called, or input it cannot use: printed, then exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // empty: a flag that takes no value
  std::string help;
  bool repeatable = false;
};

struct CommandSpec {
  std::string name;                   // "run", "task", ...
  std::string usage;                  // "run FILE.yaml [--goal ID] ..."
  std::string summary;                // one line for the command list
  std::string description;            // a paragraph for --help
  std::vector<OptionSpec> options;    // the command's own options (globals are added)
  std::vector<std::string> examples;  // shown by --help
  size_t min_positional = 0;
  size_t max_positional = 0;
};

// What was given on the command line.
struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // name -> values ("" for flags)
  bool help = false;

  bool has(const std::string &name) const { return options.count(name) != 0; }
  std::optional<std::string> get(const std::string &name) const;
  std::string get_or(const std::string &name, const std::string &fallback) const;
  std::vector<std::string> all(const std::string &name) const;
};

// Options every command accepts: --state, --config, --plugin, --json, --verbose.
const std::vector<OptionSpec> &global_options();

// The commands, in the order `goalkeeper --help` lists them.
const std::vector<CommandSpec> &command_specs();
const CommandSpec *find_command(const std::string &name);

// Parses argv (without argv[0]). Throws UsageError. `--help`/`-h` anywhere sets help and stops
// checking the rest.
Args parse_args(const std::vector<std::string> &argv);

std::string general_help();
std::string command_help(const CommandSpec &spec);

// A positive integer option value, or UsageError naming the option.
long long parse_count(const std::string &option, const std::string &value, long long min);

}  // namespace gk::runner
