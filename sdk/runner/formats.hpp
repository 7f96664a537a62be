// Output formats of status views: goal summaries, the task tree as text, Graphviz dot and
// Mermaid, and the event log as lines. Input is the plugin's query JSON; output is text.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace gk::runner {

// One block per goal of a {"what":"status"} answer. now_ms: the wall clock, for elapsed times.
std::string render_status(const boost::json::object &status, int64_t now_ms, bool color);

// A {"what":"tree"} answer as an indented tree with each task's status.
std::string render_tree(const boost::json::object &tree, bool color);

// Several goals' trees as one graph.
std::string render_dot(const std::vector<boost::json::object> &trees);
std::string render_mermaid(const std::vector<boost::json::object> &trees);

// One event of {"what":"events"} as a line for people.
std::string render_event(const boost::json::object &event);

// The string value of key, a number as written, or "".
std::string json_str(const boost::json::object &o, const char *key);
int64_t json_int(const boost::json::object &o, const char *key, int64_t fallback = 0);
// The array at key, or an empty one.
const boost::json::array &json_array(const boost::json::object &o, const char *key);

// A tree node's id: "task_id" as the plugin writes it (or "id", as goalkeeper.h documents it).
std::string node_id(const boost::json::object &node);
// The root node of a {"what":"tree"} answer, whether it is the node itself or wraps it in "tree".
const boost::json::object &tree_root(const boost::json::object &answer);

}  // namespace gk::runner
