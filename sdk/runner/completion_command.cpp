// `goalkeeper completion bash`: a completion script made from the command table itself, so it
// never lists a command or an option that does not exist.
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"

namespace gk::runner {

namespace {

std::string options_of(const std::vector<OptionSpec> &options) {
  std::string out;
  for (const auto &o : options) out += (out.empty() ? "--" : " --") + o.name;
  return out;
}

}  // namespace

int cmd_completion(const Args &args) {
  if (args.positional.at(0) != "bash")
    throw UsageError("completion: only bash is known, found '" + args.positional[0] + "'");
  std::string commands;
  for (const auto &spec : command_specs()) commands += (commands.empty() ? "" : " ") + spec.name;
  std::cout << "# bash completion for goalkeeper, from `goalkeeper completion bash`\n"
               "_goalkeeper() {\n"
               "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= w\n"
               "  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n"
               "    case $w in -*) ;; *) cmd=$w; break ;; esac\n"
               "  done\n"
               "  local globals='"
            << options_of(global_options())
            << "'\n"
               "  case $prev in --state|--config|--plugin) COMPREPLY=($(compgen -f -- \"$cur\"));"
               " return ;; esac\n"
               "  if [[ -z $cmd ]]; then\n"
               "    COMPREPLY=($(compgen -W \""
            << commands
            << " $globals\" -- \"$cur\"))\n"
               "    return\n"
               "  fi\n"
               "  local opts=\n"
               "  case $cmd in\n";
  for (const auto &spec : command_specs())
    std::cout << "    " << spec.name << ") opts='" << options_of(spec.options) << "' ;;\n";
  std::cout << "  esac\n"
               "  if [[ $cur == -* ]]; then\n"
               "    COMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\"))\n"
               "  else\n"
               "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "  fi\n"
               "}\n"
               "complete -o filenames -F _goalkeeper goalkeeper\n";
  return 0;
}

}  // namespace gk::runner
