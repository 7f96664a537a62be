// --config, --state and --plugin become a gk_open call.
#include "state.hpp"

#include <yaml-cpp/yaml.h>

#include "layout.hpp"
#include "plugin_locator.hpp"

namespace gk::runner {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

json::value from_yaml(const YAML::Node &n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto &kv : n) o[kv.first.as<std::string>()] = from_yaml(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto &v : n) a.push_back(from_yaml(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string &s = n.Scalar();
      if (n.Tag() == "!") return json::value(s);  // quoted: always a string
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "~") return nullptr;
      try {
        size_t used = 0;
        long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (const std::exception &) {
      }
      return json::value(s);
    }
    default:
      return nullptr;
  }
}

}  // namespace

json::value read_config_file(const fs::path &path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception &e) {
    throw UsageError(std::string("--config: ") + e.what());
  }
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec) return v;
  try {
    return from_yaml(YAML::Load(text));
  } catch (const YAML::Exception &e) {
    throw UsageError("--config " + path.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

json::object open_config(const Args &args, bool in_memory) {
  json::object config;
  if (auto file = args.get("config")) {
    json::value v = read_config_file(*file);
    if (!v.is_object() && !v.is_null())
      throw UsageError("--config " + *file + ": expected a mapping of configuration keys");
    if (v.is_object()) config = v.as_object();
  }
  // run --dry-run: the plugin sends no mutation anywhere (merges, commit statuses).
  if (args.has("dry-run") && args.command == "run") config["dry_run"] = true;
  // serve --public-url: where people open a goal, linked from commit statuses (#goal=ID).
  if (auto url = args.get("public-url");
      url && args.command == "serve" && !config.contains("public_url"))
    config["public_url"] = *url;
  if (in_memory) {
    config["state_path"] = ":memory:";
    return config;
  }
  std::string path = ".goalkeeper/state.db";
  if (auto s = args.get("state")) {
    path = *s;
  } else if (auto *p = config.if_contains("state_path"); p && p->is_string()) {
    path = std::string(p->as_string());
  }
  if (path.empty()) throw UsageError("--state: the path is empty");
  if (path != ":memory:") path = fs::absolute(path).lexically_normal().string();
  config["state_path"] = path;
  return config;
}

std::optional<std::string> config_string(const json::object &config, const char *section,
                                         const char *key) {
  const auto *s = config.if_contains(section);
  if (!s || !s->is_object()) return std::nullopt;
  const auto *v = s->as_object().if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::vector<std::string> withheld_variables(const json::object &config) {
  const std::string github = config_string(config, "github", "token_env").value_or("GITHUB_TOKEN");
  std::vector<std::string> names{
      config_string(config, "webhook", "secret_env").value_or("GK_WEBHOOK_SECRET"),
      config_string(config, "signals", "token_env").value_or("GK_SIGNAL_TOKEN")};
  // The bot may share the GitHub token, which sessions need.
  if (auto bot = config_string(config, "centaur", "token_env"); bot && *bot != github)
    names.push_back(*bot);
  // And what the configuration adds (names, or prefixes ending in '*').
  if (const auto *jobs = config.if_contains("jobs"); jobs && jobs->is_object())
    if (const auto *more = jobs->as_object().if_contains("withhold_env"); more && more->is_array())
      for (const auto &name : more->as_array())
        if (name.is_string()) names.emplace_back(name.as_string());
  std::erase_if(names, [](const std::string &name) { return name.empty(); });
  return names;
}

std::string state_path_of(const json::object &config) {
  const auto *p = config.if_contains("state_path");
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}

json::value parse_answer(const std::string &text) {
  json::parse_options options;
  options.max_depth = 256;
  return json::parse(text, {}, options);
}

void check_before_writing(const Args &args, const std::string &file, const std::string &text) {
  const json::object config = open_config(args, false);
  std::error_code ec;
  const bool fresh = !fs::exists(state_path_of(config), ec) ||
                     !fs::is_directory(fs::current_path() / ".goalkeeper", ec);
  const auto only = args.get("goal");
  if (!fresh && !(only && !file.empty())) return;
  goalkeeper::Handle memory = open_state(args, nullptr, Access::in_memory);
  if (file.empty()) return;
  json::value result = parse_answer(memory.load(text, file));
  if (!only) return;
  std::string names;
  for (const auto &g : result.at("goals").as_array()) {
    if (g.at("goal_id").as_string() == *only) return;
    names += (names.empty() ? "" : ", ") + std::string(g.at("goal_id").as_string());
  }
  throw UsageError("--goal " + *only + ": " + file + " has no such goal (it has " + names + ")");
}

goalkeeper::Handle open_state(const Args &args, const gk_host *host, Access access) {
  json::object config = open_config(args, access == Access::in_memory);
  // The plugin first: a wrong --plugin is said even where there is no state yet.
  goalkeeper::Plugin plugin = load_plugin(args.get("plugin"));
  const std::string path = state_path_of(config);
  std::error_code ec;
  const bool exists = path == ":memory:" || fs::exists(path, ec);
  if (access == Access::existing && !exists)
    throw UsageError("no state at " + path +
                     ": nothing to act on (run a goal file first, or name the state with --state)");
  if (access == Access::read_only) {
    if (!exists) throw NoState(path);
    config["read_only"] = true;
  }
  try {
    return goalkeeper::Handle(plugin, json::serialize(config), host);
  } catch (const goalkeeper::Error &e) {
    if (e.status() == GK_ERR_NOT_FOUND && access == Access::read_only) throw NoState(path);
    if (e.status() == GK_ERR_INVALID) throw;  // the configuration: the message names the key
    throw goalkeeper::Error(e.status(), "cannot open the state " + path + ": " + e.what());
  }
}

}  // namespace gk::runner
