#include "core/job_result.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/json_util.hpp"

namespace gk {

namespace json = boost::json;

namespace {

const char *kind_name(const json::value &v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

json::object refused(const std::string &where, const std::string &why) {
  return {{"status", "failed"}, {"summary", "the job's result " + where + " was refused: " + why}};
}

std::string bytes_text(int64_t n) {
  if (n >= (1 << 20) && n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

std::string too_large(int64_t size, int64_t max_bytes) {
  return "it is " + std::to_string(size) + " bytes, more than limits.max_result_bytes (" +
         bytes_text(max_bytes) + ")";
}

// Why the result cannot be used, or "" when it can.
std::string problem(const json::object &r) {
  auto expect = [&](const char *key, json::kind kind, const char *what) -> std::string {
    const json::value *v = r.if_contains(key);
    if (!v || v->is_null() || v->kind() == kind) return {};
    return std::string("\"") + key + "\" must be " + what + ", found " + kind_name(*v);
  };
  for (std::string why : {expect("status", json::kind::string, "a string"),
                          expect("summary", json::kind::string, "a string"),
                          expect("artifacts", json::kind::object, "an object"),
                          expect("subtasks", json::kind::array, "an array")})
    if (!why.empty()) return why;
  if (const json::value *s = r.if_contains("status"); s && s->is_string()) {
    const json::string &status = s->get_string();
    if (status != "done" && status != "blocked" && status != "failed")
      return "\"status\" must be done, blocked or failed, found " + json::serialize(*s);
  }
  return {};
}

json::object checked(json::object r, const std::string &where, int64_t max_bytes) {
  if (std::string why = problem(r); !why.empty()) return refused(where, why);
  // Inline results are measured as the plugin would store them.
  if (auto size = static_cast<int64_t>(json::serialize(r).size()); size > max_bytes)
    return refused(where, too_large(size, max_bytes));
  return r;
}

}  // namespace

json::object read_job_result(const json::object &ev, int64_t max_bytes) {
  if (const auto *r = ev.if_contains("result"); r && !r->is_null()) {
    if (!r->is_object())
      return refused("in the event", "expected an object, found " + std::string(kind_name(*r)));
    return checked(r->as_object(), "in the event", max_bytes);
  }
  auto path = opt_string(ev, "result_file", "job event");
  if (!path) return {};
  const std::string where = "file " + *path;
  // The size first: a file of gigabytes is refused without being read.
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return {};  // no result file: the exit code decides
  if (S_ISDIR(st.st_mode)) return refused(where, "it is a folder");
  if (st.st_size > max_bytes) return refused(where, too_large(st.st_size, max_bytes));
  std::ifstream in(*path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (static_cast<int64_t>(text.size()) > max_bytes)  // it grew since stat
    return refused(where, too_large(static_cast<int64_t>(text.size()), max_bytes));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  if (!is_valid_utf8(text)) return refused(where, "it is not valid UTF-8");
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) return refused(where, "it is not a JSON object (" + ec.message() + ")");
  if (!v.is_object())
    return refused(where, "it is not a JSON object (found " + std::string(kind_name(v)) + ")");
  return checked(std::move(v.as_object()), where, max_bytes);
}

}  // namespace gk
