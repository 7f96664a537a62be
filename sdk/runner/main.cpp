// goalkeeper: the reference host of the goalkeeper plugin. Parses the command line and hands
// over to one command; every error ends here as a message on stderr and exit status 2.
#include <csignal>
#include <iostream>

#include <goalkeeper/goalkeeper.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) {
  g_interrupted = 1;
}
}  // namespace

bool interrupted() {
  return g_interrupted != 0;
}

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int dispatch(const Args &args) {
  const std::string &c = args.command;
  if (c == "run") return args.has("dry-run") ? cmd_run_dry(args) : cmd_run(args);
  if (c == "step") return args.has("no-start") ? cmd_step_no_start(args) : cmd_step(args);
  if (c == "job") return cmd_job(args);
  if (c == "serve") return cmd_serve(args);
  if (c == "status") return cmd_status(args);
  if (c == "events") return cmd_events(args);
  if (c == "logs") return cmd_logs(args);
  if (c == "validate") return cmd_validate(args);
  if (c == "plan") return cmd_plan(args);
  if (c == "instantiate") return cmd_instantiate(args);
  if (c == "discover") return cmd_discover(args);
  if (c == "task") return cmd_task(args);
  if (c == "completion") return cmd_completion(args);
  return cmd_decide(args);
}

}  // namespace gk::runner

int main(int argc, char **argv) {
  using namespace gk::runner;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.size() == 1 && (words[0] == "--version" || words[0] == "version")) {
    std::cout << "goalkeeper " << GK_RELEASE_VERSION << " (host for ABI " << GK_ABI_VERSION_MAJOR
              << "." << GK_ABI_VERSION_MINOR << ")\n";
    return 0;
  }
  if (words.empty()) {
    std::cout << general_help();
    return 2;
  }
  // `goalkeeper help [COMMAND]` is `goalkeeper [COMMAND] --help`, as git and gh have it.
  if (!words.empty() && words[0] == "help") {
    if (words.size() > 1 && !find_command(words[1])) {
      std::cerr << "goalkeeper: unknown command '" << shown(words[1])
                << "' (see goalkeeper --help)\n";
      return 2;
    }
    words.erase(words.begin());
    words.push_back("--help");
  }
  try {
    Args args = parse_args(words);
    if (args.help || args.command.empty()) {
      const CommandSpec *spec = find_command(args.command);
      std::cout << (spec ? command_help(*spec) : general_help());
      return args.help ? 0 : 2;
    }
    return dispatch(args);
  } catch (const UsageError &e) {
    std::cerr << "goalkeeper: " << shown_lines(e.what()) << '\n';
    return 2;
  } catch (const goalkeeper::Error &e) {
    std::cerr << "goalkeeper: " << shown_lines(e.what()) << '\n';
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "goalkeeper: " << shown_lines(e.what()) << '\n';
    return 2;
  }
}
