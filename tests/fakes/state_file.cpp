#include "state_file.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gkfake {
namespace json = boost::json;

namespace {

std::string str(const json::object &o, const char *key, const std::string &fallback = "") {
  const json::value *v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) throw std::runtime_error(std::string("\"") + key + "\" must be a string");
  return std::string(v->as_string());
}

int integer(const json::object &o, const char *key, int fallback) {
  const json::value *v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64()) throw std::runtime_error(std::string("\"") + key + "\" must be an integer");
  return static_cast<int>(v->as_int64());
}

bool boolean(const json::object &o, const char *key, bool fallback) {
  const json::value *v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) throw std::runtime_error(std::string("\"") + key + "\" must be true or false");
  return v->as_bool();
}

const json::array &array(const json::object &o, const char *key) {
  static const json::array empty;
  const json::value *v = o.if_contains(key);
  if (!v) return empty;
  if (!v->is_array()) throw std::runtime_error(std::string("\"") + key + "\" must be an array");
  return v->as_array();
}

PullEntry parse_pull(const json::object &p) {
  PullEntry entry;
  entry.repo = str(p, "repo");
  if (entry.repo.find('/') == std::string::npos) {
    throw std::runtime_error("\"repo\" must be \"owner/name\"");
  }
  const json::value *number = p.if_contains("number");
  if (!number || !number->is_int64()) throw std::runtime_error("\"number\" must be an integer");
  entry.number = static_cast<int>(number->as_int64());
  PullState &s = entry.state;
  s.head_sha = str(p, "head_sha", s.head_sha);
  s.review_decision = str(p, "review_decision");
  s.title = str(p, "title", s.title);
  s.author = str(p, "author", s.author);
  for (const auto &l : array(p, "labels")) {
    if (!l.is_string()) throw std::runtime_error("\"labels\" must be an array of names");
    s.labels.emplace_back(l.as_string());
  }
  s.state = str(p, "state", s.state);
  if (s.state != "open" && s.state != "closed") {
    throw std::runtime_error("\"state\" must be \"open\" or \"closed\"");
  }
  s.merged = boolean(p, "merged", s.merged);
  if (s.merged) s.state = "closed";
  s.draft = boolean(p, "draft", s.draft);
  s.created_at = str(p, "created_at", s.created_at);
  s.updated_at = str(p, "updated_at", s.updated_at);
  s.closed_at = str(p, "closed_at");
  s.merged_at = str(p, "merged_at");
  s.base_ref = str(p, "base_ref", s.base_ref);
  s.head_ref = str(p, "head_ref", s.head_ref);
  s.mergeable_state = str(p, "mergeable_state", s.mergeable_state);
  s.unknown_mergeable_reads = integer(p, "unknown_mergeable_reads", 0);
  s.merge_refusal_status = integer(p, "merge_refusal_status", 0);
  s.merge_message = str(p, "merge_message");
  s.merge_commit_sha = str(p, "merge_commit_sha");
  s.merge_method = str(p, "merge_method");
  for (const auto &c : array(p, "checks")) {
    const json::object &o = c.as_object();
    s.checks.push_back({str(o, "name"), str(o, "status", "completed"), str(o, "conclusion"),
                        str(o, "details_url"), str(o, "title"), str(o, "summary")});
  }
  for (const auto &c : array(p, "statuses")) {
    const json::object &o = c.as_object();
    s.statuses.push_back(
        {str(o, "context"), str(o, "state"), str(o, "target_url"), str(o, "description")});
  }
  for (const auto &c : array(p, "comments")) {
    const json::object &o = c.as_object();
    s.comments.push_back({str(o, "user"), str(o, "path"), integer(o, "line", 1), str(o, "body"),
                          integer(o, "review_index", -1)});
  }
  for (const auto &c : array(p, "reviews")) {
    const json::object &o = c.as_object();
    s.reviews.push_back({str(o, "user"), str(o, "state"), str(o, "body")});
  }
  return entry;
}

}  // namespace

Fault fault_from_name(const std::string &name) {
  static const std::pair<const char *, Fault> names[] = {
      {"none", Fault::none},
      {"server_error", Fault::server_error},
      {"hang", Fault::hang},
      {"rate_limited", Fault::rate_limited},
      {"too_many", Fault::too_many},
      {"bad_json", Fault::bad_json},
      {"truncated_json", Fault::truncated_json},
      {"unauthorized", Fault::unauthorized},
      {"forbidden", Fault::forbidden},
      {"not_found", Fault::not_found},
  };
  for (const auto &[n, f] : names) {
    if (name == n) return f;
  }
  throw std::runtime_error("unknown fault \"" + name + "\"");
}

ScriptedState parse_state(const std::string &json_text) {
  boost::system::error_code ec;
  const json::value root = json::parse(json_text, ec);
  if (ec) throw std::runtime_error("state is not JSON: " + ec.message());
  if (!root.is_object()) throw std::runtime_error("state must be a JSON object");
  const json::object &o = root.as_object();
  ScriptedState state;
  try {
    for (const auto &p : array(o, "pulls")) state.pulls.push_back(parse_pull(p.as_object()));
    for (const auto &f : array(o, "faults")) {
      const json::object &fo = f.as_object();
      ScriptedFault fault;
      fault.fault = fault_from_name(str(fo, "fault"));
      if (const json::value *t = fo.if_contains("times"); t && t->is_int64()) {
        fault.times = static_cast<int>(t->as_int64());
      }
      fault.path_prefix = str(fo, "path_prefix");
      state.faults.push_back(fault);
    }
    if (const json::value *g = o.if_contains("graphql"); g && g->is_bool()) {
      state.graphql = g->as_bool();
    }
    if (const json::value *r = o.if_contains("rate_limit"); r && r->is_object()) {
      const json::object &ro = r->as_object();
      if (const json::value *v = ro.if_contains("remaining"); v && v->is_int64()) {
        state.rate_remaining = static_cast<int>(v->as_int64());
      }
      if (const json::value *v = ro.if_contains("reset"); v && v->is_int64()) {
        state.rate_reset = v->as_int64();
      }
    }
    if (const json::value *r = o.if_contains("search_rate_limit"); r && r->is_object()) {
      const json::object &ro = r->as_object();
      if (const json::value *v = ro.if_contains("remaining"); v && v->is_int64()) {
        state.search_remaining = static_cast<int>(v->as_int64());
      }
      if (const json::value *v = ro.if_contains("reset"); v && v->is_int64()) {
        state.search_reset = v->as_int64();
      }
    }
  } catch (const std::logic_error &e) {
    throw std::runtime_error(std::string("state has a wrong type: ") + e.what());
  }
  return state;
}

ScriptedState load_state_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_state(text.str());
}

void apply_state(FakeGitHub &fake, const ScriptedState &state) {
  fake.set_pulls(state.pulls);
  fake.clear_faults();
  for (const auto &f : state.faults) fake.set_fault(f.fault, f.times, f.path_prefix);
  if (state.graphql) fake.set_graphql_enabled(*state.graphql);
  if (state.rate_remaining || state.rate_reset) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    fake.set_rate_limit(state.rate_remaining.value_or(5000), state.rate_reset.value_or(now + 3600));
  }
  if (state.search_remaining || state.search_reset) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    fake.set_search_rate_limit(state.search_remaining.value_or(30),
                               state.search_reset.value_or(now + 60));
  }
}

}  // namespace gkfake
