#include "fake_http.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace gkfake::detail {

std::string HttpResponse::header(std::string_view name) const {
  const std::string wanted = to_lower(name);
  for (const auto &[key, value] : headers) {
    if (to_lower(key) == wanted) return value;
  }
  return "";
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string_view target_query(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string github_error(std::string_view message, std::string_view documentation_url) {
  boost::json::object o;
  o["message"] = message;
  o["documentation_url"] = documentation_url;
  return boost::json::serialize(o);
}

}  // namespace gkfake::detail
