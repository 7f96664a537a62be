// Goals made from templates: gk_instantiate, and the files a goal file imports.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/goal_file.hpp"

namespace gk {

namespace json = boost::json;

// An imported file is named relative to the importing one, as a C #include is: where the goal
// file lives decides, not where the host runs.
std::string read_import(std::string_view importer, const std::string &path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.is_relative()) p = fs::path(std::string(importer)).parent_path() / p;
  std::string shown = "'" + path + "'" + (p.string() == path ? "" : " (" + p.string() + ")");
  std::error_code ec;
  if (!fs::is_regular_file(p, ec))
    fail(Errc::invalid, "cannot import " + shown + ": " +
                            (fs::exists(p, ec) ? "not a regular file" : "no such file"));
  if (fs::file_size(p, ec) > (64u << 20))
    fail(Errc::invalid, "cannot import " + shown + ": larger than 64 MiB");
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) fail(Errc::invalid, "cannot import " + shown + ": " + std::strerror(errno));
  return text.str();
}

json::object Engine::instantiate(std::string_view template_id, const json::object &params) {
  // The template is read and the goal built inside the transaction: another process may load a
  // newer template at the same time, and the goal must be made from the one stored now.
  return mutate([&] {
    std::optional<GoalTemplate> t = store_.get_template(template_id);
    if (!t)
      fail(Errc::not_found, "no template '" + std::string(template_id) +
                                "' in the state: load the goal file that declares it first");
    GoalDef def = gk::instantiate(*t, params);
    auto existing = model_.goal_by_id.find(def.id);
    json::object r{{"goal_id", def.id}, {"template_id", t->id}, {"params", def.params}};
    if (existing != model_.goal_by_id.end()) {
      const Goal &g = model_.goals[existing->second];
      if (g.def.template_id != t->id)
        fail(Errc::conflict,
             "goal '" + def.id + "' exists and was not made from template '" + t->id + "'");
      // The goal keeps the definition it was made with, even when the template changed since.
      r["created"] = false;
      r["tasks"] = static_cast<int64_t>(g.by_id.size());
      return r;
    }
    json::object added = add_goal(def, t->source);
    r["created"] = true;
    r["tasks"] = added["tasks"];
    return r;
  });
}

}  // namespace gk
