// Method + path pattern routing with percent-decoded placeholders.
#include "router.hpp"

#include "net/url.hpp"

#include <new>

namespace gk::http {

const std::string &RouteMatch::param(const std::string &name) const {
  static const std::string empty;
  auto it = params.find(name);
  return it == params.end() ? empty : it->second;
}

std::vector<std::string> split_path(const std::string &path) {
  std::vector<std::string> out;
  size_t i = path.empty() || path[0] != '/' ? 0 : 1;
  while (true) {
    size_t slash = path.find('/', i);
    out.push_back(path.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  return out;
}

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_param(const std::string &segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::optional<std::string> percent_decode(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<std::string> control_character(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return std::string{'%', kHex[byte >> 4], kHex[byte & 0xf]};
  }
  return std::nullopt;
}

std::string percent_encode(const std::string &text) {
  return net::url_encode(text);
}

std::optional<std::string> query_param(const std::string &query, const std::string &name) {
  size_t i = 0;
  while (i <= query.size()) {
    size_t amp = query.find('&', i);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(i, amp - i);
    size_t eq = pair.find('=');
    std::string key = pair.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (char &c : value)
      if (c == '+') c = ' ';
    if (percent_decode(key).value_or("") == name) return percent_decode(value);
    i = amp + 1;
  }
  return std::nullopt;
}

void Router::add(const std::string &method, const std::string &pattern, Route route) {
  routes_.push_back({method, split_path(pattern), std::move(route)});
}

Response Router::operator()(const Request &request) const {
  const std::vector<std::string> segments = split_path(request.path);
  std::string allow;
  for (const Entry &e : routes_) {
    if (e.segments.size() != segments.size()) continue;
    RouteMatch m;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      if (is_param(e.segments[i])) {
        if (segments[i].empty()) {
          ok = false;
          break;
        }
        auto decoded = percent_decode(segments[i]);
        if (!decoded)
          return error_response(400, "bad percent-encoding in the path segment \"" + segments[i] +
                                         "\" (a '%' must be followed by two hex digits)");
        if (auto control = control_character(*decoded))
          return error_response(400, "the path segment \"" + segments[i] +
                                         "\" decodes to the control character " + *control +
                                         ", which is not allowed in a path segment");
        m.params[e.segments[i].substr(1, e.segments[i].size() - 2)] = std::move(*decoded);
      } else {
        ok = e.segments[i] == segments[i];
      }
    }
    if (!ok) continue;
    if (e.method != request.method && !(e.method == "GET" && request.method == "HEAD")) {
      if (allow.find(e.method) == std::string::npos)
        allow += (allow.empty() ? "" : ", ") + e.method;
      continue;
    }
    return e.route(request, m);
  }
  if (!allow.empty()) {
    Response r =
        error_response(405, request.method + " is not allowed here (allowed: " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  return error_response(404, "no such endpoint: " + request.method + " " + request.path);
}

}  // namespace gk::http
