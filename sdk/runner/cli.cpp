// Command-line parsing and the help texts of every command.
#include "cli.hpp"

#include <algorithm>
#include <charconv>

namespace gk::runner {

std::optional<std::string> Args::get(const std::string &name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::get_or(const std::string &name, const std::string &fallback) const {
  return get(name).value_or(fallback);
}

std::vector<std::string> Args::all(const std::string &name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

const std::vector<OptionSpec> &global_options() {
  static const std::vector<OptionSpec> options = {
      {"state", "PATH", "the state file (default .goalkeeper/state.db)"},
      {"config", "FILE", "configuration, YAML or JSON, with the keys of gk_open"},
      {"plugin", "PATH", "the plugin library (else $GOALKEEPER_PLUGIN, else next to this command)"},
      {"json", "", "machine-readable output: one JSON object per line"},
      {"verbose", "", "print the plugin's log lines on stderr"},
  };
  return options;
}

const std::vector<CommandSpec> &command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"run",
       "run FILE.yaml [--goal ID] [--jobs N] [--auto-approve] [--spec] [--dry-run]",
       "load goals, start them and drive them until they finish or wait on a person",
       "Loads the goal file, starts its goals (or only --goal) and runs the step loop: starts the\n"
       "jobs the plugin asks for (pinned ones in this directory, spawned ones in git worktrees or\n"
       "session folders), reports how they end, and stops when every goal finished or waits on a\n"
       "person. Running the same command again after a crash resumes: no job runs twice.\n"
       "Exit status: 0 every goal done, 1 a goal failed, 2 usage or load error, 3 waiting on a\n"
       "review, an approval or a blocked task.",
       {{"goal", "ID", "start and run only this goal"},
        {"jobs", "N", "run at most N jobs at a time"},
        {"auto-approve", "", "approve every review as soon as it is asked for"},
        {"spec", "", "start goals in spec mode: their first job plans the subtasks"},
        {"dry-run", "",
         "start no job and send no mutation (merges, commit statuses); say what would happen"}},
       {"goalkeeper run pipelines/examples/hello.yaml --auto-approve",
        "goalkeeper run pipelines/examples/fanout.yaml --jobs 4",
        "goalkeeper run goals.yaml --goal land-login-fix --state /tmp/gk/state.db"},
       1,
       1},
      {"serve",
       "serve [FILE.yaml] --listen HOST:PORT [--goal ID] [--jobs N] [--auto-approve] [--spec]",
       "run goals and receive webhooks, signals and reviews over HTTP",
       "`run` plus an HTTP/1.1 server in the same process, so a webhook, a signal or a review\n"
       "advances its goal at once. Endpoints: POST /webhooks/github (GitHub deliveries, checked\n"
       "against the secret in $GK_WEBHOOK_SECRET), POST /api/signals/resolve,\n"
       "POST /api/tasks/GOAL/TASK/signal|approve|reject, GET /api/tasks/GOAL/TASK, GET\n"
       "/api/status, GET /api/events, GET /healthz. /api/* needs Authorization: Bearer with the\n"
       "token in $GK_SIGNAL_TOKEN (config signals.token_env). While a centaur_review gate\n"
       "watches, the review bot (config centaur.url) gets a callback URL with a token of its own.\n"
       "Port 0 picks a free port; the line `listening on HOST:PORT` says which. serve keeps\n"
       "running after goals finish, until SIGTERM or SIGINT: it stops accepting, finishes the\n"
       "requests in flight and exits 0. Without FILE it drives the goals already in the state.",
       {{"listen", "HOST:PORT", "the address to listen on (required), e.g. 127.0.0.1:8080"},
        {"public-url", "URL", "how the review bot reaches this server (default http://HOST:PORT)"},
        {"http-threads", "N", "threads serving HTTP (default 2)"},
        {"max-connections", "N", "connections open at once (default 512); more get 503"},
        {"goal", "ID", "start and run only this goal"},
        {"jobs", "N", "run at most N jobs at a time"},
        {"auto-approve", "", "approve every review as soon as it is asked for"},
        {"spec", "", "start goals in spec mode: their first job plans the subtasks"}},
       {"GK_SIGNAL_TOKEN=$(openssl rand -hex 32) GK_WEBHOOK_SECRET=... goalkeeper serve "
        "pipelines/examples/pr-shepherd.yaml --listen 127.0.0.1:8080",
        "goalkeeper serve --listen 127.0.0.1:0 --json",
        "curl -H \"Authorization: Bearer $GK_SIGNAL_TOKEN\" -d "
        "'{\"type\":\"gh_ci\",\"repo\":\"acme/web\",\"pr\":42,\"status\":\"pass\"}' "
        "http://127.0.0.1:8080/api/signals/resolve"},
       0,
       1},
      {"step",
       "step [FILE.yaml] [--goal ID] [--jobs N] [--auto-approve] [--spec] [--no-start]",
       "one pipeline step: start the jobs due, report the ones that ended, return",
       "For a CI host that calls goalkeeper once per pipeline step. With a file, loads and starts\n"
       "its goals first (a no-op when they are already running). Then reports jobs that ended\n"
       "since the last step, makes one gk_step and starts the jobs it asks for, prints what it "
       "did\n"
       "and returns without waiting for them. Exit status: 0 nothing failed and no person is\n"
       "needed, 1 a goal failed, 2 usage error, 3 waiting on a person.\n"
       "\n"
       "--no-start is for a CI that starts its own child jobs: one gk_step, its actions printed\n"
       "(with --json the plugin's answer as goalkeeper.h documents it: run_job with key,\n"
       "command, env, prompt, session and timeout; cancel_job; await_review; goal_finished),\n"
       "nothing started. The CI runs each run_job (writing the prompt to a file and setting\n"
       "GK_PROMPT_FILE, GK_RESULT_FILE and GK_WORKSPACE itself), reports it with `goalkeeper\n"
       "job`, and steps again; a run_job is offered again until it is reported started. With\n"
       "--no-start, --jobs N offers at most N run_job actions (the CI's free slots, 0 or more).",
       {{"goal", "ID", "step only this goal"},
        {"jobs", "N", "keep at most N jobs running (--no-start: offer at most N)"},
        {"auto-approve", "", "approve every review as soon as it is asked for"},
        {"spec", "", "start goals from FILE in spec mode"},
        {"no-start", "", "print the step's actions and start nothing (the CI starts the jobs)"}},
       {"goalkeeper step pipelines/examples/hello.yaml", "goalkeeper step --json",
        "goalkeeper step pipelines/examples/fanout.yaml --no-start --json --jobs 4"},
       0,
       1},
      {"job",
       "job started|start-failed|finished|heartbeat KEY [--host-ref REF] [--reason TEXT] "
       "[--exit-code N] [--result-file PATH]",
       "report what a CI did with a job that `step --no-start` offered",
       "For a CI that starts its own child jobs: reports to the state (--state) what happened to\n"
       "the job KEY of a run_job action. started: the job runs (--host-ref: the CI's build id\n"
       "or URL, shown by status and events; a URL must not carry credentials). start-failed\n"
       "--reason: it could not start; the task is tried again after a backoff. finished\n"
       "--exit-code N [--result-file PATH]: it ended; the result file is the job's\n"
       "$GK_RESULT_FILE, read now. heartbeat: it still runs; without one within limits.lease_s\n"
       "of the last report the job counts as lost. Exit status: 0 reported, 2 usage error or\n"
       "a report the state refuses (an unknown key, no state).",
       {{"host-ref", "REF", "started: the CI's name for the job (build id or URL)"},
        {"reason", "TEXT", "start-failed: why it could not start (required)"},
        {"exit-code", "N", "finished: the job's exit status (required)"},
        {"result-file", "PATH", "finished: the job's result file ($GK_RESULT_FILE)"}},
       {"goalkeeper job started 'fanout/shard-1#1' --host-ref https://ci.example/job/gk/42/",
        "goalkeeper job finished 'fanout/shard-1#1' --exit-code 0 --result-file result.json",
        "goalkeeper job start-failed 'fanout/shard-1#1' --reason 'no executor'",
        "goalkeeper job heartbeat 'fanout/shard-1#1'"},
       2,
       2},
      {"status",
       "status [GOAL] [--format tree|dot|mermaid]",
       "show goals, their progress, running jobs and what waits on a person",
       "Without --format: one block per goal with its state, progress, running jobs, reviews and\n"
       "blocked tasks. --format tree prints every task with its status; dot and mermaid print the\n"
       "task tree as a graph to paste into Graphviz or a Markdown document.",
       {{"format", "FORMAT", "tree, dot or mermaid"}},
       {"goalkeeper status", "goalkeeper status hello --format tree",
        "goalkeeper status --format mermaid > goals.md", "goalkeeper status --json"},
       0,
       1},
      {"events",
       "events [--goal ID] [--follow]",
       "print the audit log of every transition",
       "Reads the events table oldest first. --follow keeps polling for new events until\n"
       "interrupted.",
       {{"goal", "ID", "only this goal's events"},
        {"follow", "", "keep printing new events"},
        {"after", "ID", "start after this event id"}},
       {"goalkeeper events --goal hello", "goalkeeper events --follow --json"},
       0,
       0},
      {"logs",
       "logs JOB_KEY [--follow]",
       "print the output of a job",
       "Prints .goalkeeper/logs/<job key>.log, stdout and stderr of the job. --follow keeps\n"
       "printing what the job writes until interrupted.",
       {{"follow", "", "keep printing new output"}},
       {"goalkeeper logs 'hello/greet#1'", "goalkeeper logs 'fanout/shard-3#1' --follow"},
       1,
       1},
      {"approve",
       "approve TASK",
       "approve a task (or a spec-mode plan) that waits on a review",
       "TASK is GOAL/TASK, a bare task id that names one task, or a goal id to approve its plan.",
       {},
       {"goalkeeper approve hello/review", "goalkeeper approve spec-demo"},
       1,
       1},
      {"reject",
       "reject TASK --feedback TEXT",
       "reject a review: the agent runs again with the feedback",
       "The agent task (for a human_review stage, the closest preceding agent task) runs again\n"
       "with TEXT in its prompt.",
       {{"feedback", "TEXT", "what the agent should change (required)"}},
       {"goalkeeper reject hello/review --feedback 'Say hello to the world too.'"},
       1,
       1},
      {"signal",
       "signal --type T [--repo R --pr N | --pr-url U | --key K | --task ID] --status pass|fail",
       "resolve gates by what they wait for",
       "Resolves every active gate of type T whose configuration matches: gh_ci, gh_review,\n"
       "centaur_review or human_approval. Prints the gates it resolved; matching nothing is not\n"
       "an error, the message says why.",
       {{"type", "T", "gh_ci, gh_review, centaur_review or human_approval"},
        {"repo", "R", "owner/name"},
        {"pr", "N", "pull request number"},
        {"pr-url", "U", "pull request URL (centaur_review)"},
        {"sha", "SHA", "head commit (gh_ci)"},
        {"key", "K", "the key of a human_approval gate"},
        {"task", "ID", "the gate's task, GOAL/TASK"},
        {"status", "S", "pass or fail"},
        {"artifact", "KEY=VALUE", "stored on the gate", true}},
       {"goalkeeper signal --type gh_ci --repo acme/web --pr 42 --status pass",
        "goalkeeper signal --type human_approval --key ship-it --status pass",
        "goalkeeper signal --type centaur_review --pr-url https://github.com/acme/web/pull/42 "
        "--status fail"},
       0,
       0},
      {"pause",
       "pause GOAL",
       "dispatch nothing new for a goal; running jobs finish",
       "",
       {},
       {"goalkeeper pause hello"},
       1,
       1},
      {"resume",
       "resume GOAL",
       "undo pause or stop; blocked tasks become pending again",
       "",
       {},
       {"goalkeeper resume hello"},
       1,
       1},
      {"stop",
       "stop GOAL",
       "stop a goal: its running jobs are cancelled",
       "",
       {},
       {"goalkeeper stop hello"},
       1,
       1},
      {"validate",
       "validate FILE.yaml",
       "check a goal file without touching any state",
       "Loads the file into an in-memory state. Errors are printed as file:line:column.",
       {},
       {"goalkeeper validate pipelines/examples/pr-shepherd.yaml"},
       1,
       1},
      {"discover",
       "discover FILE.yaml [--once] [--dry-run] [--trigger ID]",
       "find the pull requests the file's triggers match and make one goal for each",
       "Loads the file and runs its triggers (triggers: in the goal file): each searches GitHub\n"
       "and every matching pull request gets one goal from the trigger's template, made once\n"
       "however often discovery runs. A pull request that no longer matches pauses its goal and\n"
       "resumes it when it matches again; one closed or merged outside goalkeeper ends its goal\n"
       "with status closed. Without --once it runs again at each trigger's `every` until\n"
       "SIGTERM or SIGINT. --dry-run changes nothing anywhere: no state is written and only\n"
       "reads reach GitHub. `run`, `step` and `serve` drive the goals (and discover by\n"
       "themselves when a trigger is due). --json prints one object per pull request:\n"
       "{\"pr\",\"action\":\"create|exists|stop|pause|resume|skip\",\"goal_id\",\"reason\"}.\n"
       "Exit status: 0 success, 2 a usage, load or GitHub error (the trigger is named).",
       {{"once", "", "one cycle, then exit"},
        {"dry-run", "", "say what would happen; change nothing"},
        {"trigger", "ID", "only this trigger"}},
       {"goalkeeper discover pipelines/examples/pr-shepherd.yaml --once --json",
        "goalkeeper discover shop.yaml --dry-run"},
       1,
       1},
      {"instantiate",
       "instantiate FILE.yaml TEMPLATE [--param NAME=VALUE]...",
       "make a goal from one of the file's templates",
       "Loads the file and makes a goal from its template TEMPLATE (declared in the file or in a\n"
       "file it imports) with these param values, checked against the template's types, enum\n"
       "and pattern. The goal's id comes from the template id and the values, so the same values\n"
       "name the same goal: a second call changes nothing. The goal belongs to the file:\n"
       "`goalkeeper run FILE` drives it with the file's other goals. Bad params write nothing.",
       {{"param", "NAME=VALUE", "a param value (repeat for each param)", true}},
       {"goalkeeper instantiate pipelines/examples/pr-shepherd.yaml pr-shepherd --param "
        "repo=acme/shop --param pr=11"},
       2,
       2},
      {"plan",
       "plan FILE.yaml",
       "show what would run, in which order, in parallel or not, in which session",
       "Loads the file into an in-memory state and prints each goal's tasks as numbered waves:\n"
       "tasks in one wave can run at the same time. Marks: [parallel] children start together,\n"
       "[spawn] a child job in its own workspace, [pinned] the goal's own session, [auto] pinned\n"
       "unless another job runs, [gate: T] waits for a signal, [review] waits for a person,\n"
       "needs: the tasks it waits for.",
       {},
       {"goalkeeper plan pipelines/examples/hello.yaml"},
       1,
       1},
      {"task",
       "task complete|block|fail|add [--summary TEXT] [--artifact KEY=VALUE]... | add --id ID "
       "--title T [--description D]",
       "report from inside a running job (writes $GK_RESULT_FILE)",
       "Run by a session inside its job: merges into the job's result file, which the runner\n"
       "hands to the plugin when the job ends. complete/block/fail set the status; add appends a\n"
       "subtask (a spec-mode plan, or work found along the way). Needs GK_RESULT_FILE,\n"
       "GK_TASK_ID and GK_JOB_KEY in the environment, which every job has.",
       {{"summary", "TEXT", "one line about the outcome"},
        {"artifact", "KEY=VALUE", "a result value later tasks can use", true},
        {"id", "ID", "add: the new subtask's id"},
        {"title", "T", "add: its title"},
        {"description", "D", "add: its description"}},
       {"goalkeeper task complete --summary 'Opened PR 42' --artifact pr=42",
        "goalkeeper task block --summary 'Needs a database password'",
        "goalkeeper task add --id docs --title 'Document the flag'"},
       1,
       1},
      {"completion",
       "completion bash",
       "print a completion script for the shell",
       "Prints a bash completion script for goalkeeper's commands and options. Load it with\n"
       "`source <(goalkeeper completion bash)`; the packages install it for bash-completion.",
       {},
       {"source <(goalkeeper completion bash)",
        "goalkeeper completion bash > ~/.local/share/bash-completion/completions/goalkeeper"},
       1,
       1},
  };
  return specs;
}

const CommandSpec *find_command(const std::string &name) {
  for (const auto &spec : command_specs())
    if (spec.name == name) return &spec;
  return nullptr;
}

namespace {

const OptionSpec *find_option(const std::vector<OptionSpec> &options, const std::string &name) {
  for (const auto &o : options)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

Args parse_args(const std::vector<std::string> &argv) {
  Args args;
  const CommandSpec *spec = nullptr;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    if (!only_positional && (a == "--help" || a == "-h")) {
      args.help = true;
      continue;
    }
    if (!only_positional && a == "--") {
      only_positional = true;
      continue;
    }
    if (!only_positional && a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::optional<std::string> value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const OptionSpec *opt = find_option(global_options(), name);
      if (!opt && spec) opt = find_option(spec->options, name);
      if (!opt) {
        if (args.help) continue;
        throw UsageError(
            "unknown option --" + name +
            (spec ? " for '" + spec->name + "' (see goalkeeper " + spec->name + " --help)"
                  : " (see goalkeeper --help)"));
      }
      if (opt->value_name.empty()) {
        if (value) throw UsageError("--" + name + " takes no value");
        value = "";
      } else if (!value) {
        if (i + 1 >= argv.size())
          throw UsageError("--" + name + " needs a value (" + opt->value_name + ")");
        value = argv[++i];
      }
      auto &values = args.options[name];
      if (!values.empty() && !opt->repeatable && !opt->value_name.empty() &&
          values.back() != *value)
        throw UsageError("--" + name + " was given twice");
      values.push_back(*value);
      continue;
    }
    if (!spec && args.command.empty()) {
      if (a.rfind("-", 0) == 0 && a.size() > 1 && !only_positional)
        throw UsageError("unknown option " + a + " (see goalkeeper --help)");
      args.command = a;
      spec = find_command(a);
      if (!spec) {
        if (args.help) continue;
        throw UsageError("unknown command '" + a + "' (see goalkeeper --help)");
      }
      continue;
    }
    args.positional.push_back(a);
  }
  if (args.help) return args;
  if (!spec) throw UsageError("no command given (see goalkeeper --help)");
  if (args.positional.size() < spec->min_positional)
    throw UsageError("missing argument: usage: goalkeeper " + spec->usage);
  if (args.positional.size() > spec->max_positional)
    throw UsageError("unexpected argument '" + args.positional[spec->max_positional] +
                     "': usage: goalkeeper " + spec->usage);
  return args;
}

namespace {

std::string option_lines(const std::vector<OptionSpec> &options) {
  std::string out;
  for (const auto &o : options) {
    std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    if (left.size() < 26)
      left.resize(26, ' ');
    else
      left += "  ";
    out += left + o.help + (o.repeatable ? " (repeatable)" : "") + "\n";
  }
  return out;
}

}  // namespace

std::string general_help() {
  std::string out =
      "goalkeeper: run goals (trees of agent tasks and gates) locally or from a CI host.\n\n"
      "Usage: goalkeeper [GLOBAL OPTIONS] COMMAND [ARGS]\n\nCommands:\n";
  for (const auto &spec : command_specs()) {
    std::string left = "  " + spec.name;
    left.resize(12, ' ');
    out += left + spec.summary + "\n";
  }
  out += "\nGlobal options:\n" + option_lines(global_options());
  out +=
      "\nExamples:\n"
      "  goalkeeper validate pipelines/examples/hello.yaml\n"
      "  goalkeeper plan pipelines/examples/hello.yaml\n"
      "  goalkeeper run pipelines/examples/hello.yaml --auto-approve\n"
      "  goalkeeper status\n\n"
      "`goalkeeper COMMAND --help` describes a command.\n";
  return out;
}

std::string command_help(const CommandSpec &spec) {
  std::string out = "Usage: goalkeeper " + spec.usage + "\n\n" + spec.summary + ".\n";
  if (!spec.description.empty()) out += "\n" + spec.description + "\n";
  if (!spec.options.empty()) out += "\nOptions:\n" + option_lines(spec.options);
  out += "\nGlobal options:\n" + option_lines(global_options());
  if (!spec.examples.empty()) {
    out += "\nExamples:\n";
    for (const auto &e : spec.examples) out += "  " + e + "\n";
  }
  return out;
}

long long parse_count(const std::string &option, const std::string &value, long long min) {
  long long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min)
    throw UsageError("--" + option + " needs a whole number of at least " + std::to_string(min) +
                     ", found '" + value + "'");
  return n;
}

}  // namespace gk::runner
