// `goalkeeper instantiate FILE TEMPLATE --param NAME=VALUE...`: a goal from one of the file's
// templates. The goal belongs to the file: `goalkeeper run FILE` drives it with the others.
#include <iostream>

#include "commands.hpp"
#include "goal_text.hpp"
#include "state.hpp"

namespace gk::runner {

namespace json = boost::json;

int cmd_instantiate(const Args &args) {
  const std::string file = args.positional.at(0);
  const std::string template_id = args.positional.at(1);
  json::object params;
  for (const std::string &p : args.all("param")) {
    std::size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--param " + p + ": expected NAME=VALUE, e.g. --param pr=11");
    std::string name = p.substr(0, eq);
    if (params.contains(name)) throw UsageError("--param " + name + " is given twice");
    params[name] = p.substr(eq + 1);
  }
  const std::string text = read_goal_text(file);
  const std::string params_text = json::serialize(params);
  // Bad params write nothing: the file is loaded and the goal made in memory first.
  {
    goalkeeper::Handle memory = open_state(args, nullptr, Access::in_memory);
    memory.load(text, file);
    memory.instantiate(template_id, params_text);
  }
  goalkeeper::Handle state = open_state(args);
  state.load(text, file);
  json::object r = parse_answer(state.instantiate(template_id, params_text)).as_object();
  if (args.has("json")) {
    std::cout << json::serialize(r) << '\n';
    return 0;
  }
  const std::string id(r.at("goal_id").as_string());
  if (r.at("created").as_bool()) {
    const int64_t tasks = r.at("tasks").to_number<int64_t>();
    std::cout << "created goal " << id << " from template " << template_id << " (" << tasks
              << (tasks == 1 ? " task" : " tasks") << "); run it with: goalkeeper run " << file
              << '\n';
  } else {
    std::cout << "goal " << id << " exists already (template " << template_id
              << " with these params): nothing changed\n";
  }
  return 0;
}

}  // namespace gk::runner
