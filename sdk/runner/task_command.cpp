// `goalkeeper task complete|block|fail|add`: how a session reports from inside its job. It merges
// into the job's result file ($GK_RESULT_FILE), which the runner hands to the plugin when the job
// ends, so it works the same for jobs of `run` and of `step`, and needs no plugin.
#include <cstdlib>
#include <iostream>

#include <boost/json.hpp>

#include "commands.hpp"
#include "layout.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

int cmd_task(const Args &args) {
  const std::string verb = args.positional.at(0);
  if (verb != "complete" && verb != "block" && verb != "fail" && verb != "add")
    throw UsageError("task: expected complete, block, fail or add, found '" + verb + "'");
  const std::string result_path = env("GK_RESULT_FILE");
  const std::string job_key = env("GK_JOB_KEY");
  if (result_path.empty() || job_key.empty())
    throw UsageError(
        "`goalkeeper task " + verb +
        "` reports from inside a job that goalkeeper started, and this is not one: "
        "GK_RESULT_FILE and GK_JOB_KEY are not set. To decide from outside, use goalkeeper "
        "approve/reject/signal.");

  json::object result;
  std::error_code ec;
  if (std::filesystem::exists(result_path, ec)) {
    std::string text = read_file(result_path);
    if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
      json::error_code jec;
      json::value v = json::parse(text, jec);
      if (jec || !v.is_object())
        throw UsageError("the result file " + result_path +
                         " is not a JSON object; fix or remove it");
      result = v.as_object();
    }
  }
  if (verb == "add") {
    auto id = args.get("id");
    auto title = args.get("title");
    if (!id || !is_valid_id(*id))
      throw UsageError(
          "task add needs --id ID ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters)");
    json::object sub{{"id", *id}, {"title", title.value_or(*id)}};
    if (auto d = args.get("description")) sub["description"] = *d;
    json::value &subs = result["subtasks"];
    if (!subs.is_array()) subs = json::array();
    for (const auto &s : subs.as_array())
      if (s.is_object() && s.as_object().contains("id") &&
          s.as_object().at("id") == json::value(*id))
        throw UsageError("task add: a subtask '" + *id + "' is already in " + result_path);
    subs.as_array().push_back(std::move(sub));
  } else {
    result["status"] = verb == "complete" ? "done" : verb == "block" ? "blocked" : "failed";
  }
  if (auto s = args.get("summary")) result["summary"] = *s;
  for (const auto &kv : args.all("artifact")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--artifact needs KEY=VALUE, found '" + kv + "'");
    json::value &a = result["artifacts"];
    if (!a.is_object()) a = json::object();
    a.as_object()[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  write_file_atomic(result_path, json::serialize(result));
  if (args.has("json"))
    std::cout << json::serialize(json::object{{"job_key", job_key}, {"result", result}}) << '\n';
  else
    std::cout << job_key << ": " << (verb == "add" ? "subtask added" : "reported " + verb) << '\n';
  return 0;
}

}  // namespace gk::runner
