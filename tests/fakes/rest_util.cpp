#include "rest_util.hpp"

#include <algorithm>
#include <charconv>

namespace gkfake::detail {
namespace json = boost::json;

std::vector<QueryParam> parse_query(std::string_view query) {
  std::vector<QueryParam> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      params.push_back({std::string(part), url_decode(part.substr(0, eq)),
                        eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1))});
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

std::optional<std::string> param(const std::vector<QueryParam> &params, std::string_view key) {
  for (const auto &p : params) {
    if (p.key == key) return p.value;
  }
  return std::nullopt;
}

int int_param(const std::vector<QueryParam> &params, std::string_view key, int fallback) {
  const auto v = param(params, key);
  if (!v) return fallback;
  int out = 0;
  const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  return ec == std::errc() && ptr == v->data() + v->size() ? out : fallback;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) segments.push_back(url_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

std::optional<int> pull_number(const std::string &s) {
  int n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || n <= 0) return std::nullopt;
  return n;
}

HttpResponse json_response(unsigned status, const json::value &body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

HttpResponse not_found() {
  return error_response(404, "Not Found");
}

HttpResponse error_response(unsigned status, std::string_view message,
                            std::string_view documentation_url) {
  HttpResponse r;
  r.status = status;
  r.body = github_error(message, documentation_url);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

Page paginate(std::size_t total, const std::vector<QueryParam> &params, std::string_view origin,
              std::string_view path) {
  const int per_page = std::clamp(int_param(params, "per_page", 30), 1, 100);
  const int page = std::max(1, int_param(params, "page", 1));
  const std::size_t pages = std::max<std::size_t>(1, (total + per_page - 1) / per_page);
  Page out;
  out.number = page;
  out.per_page = per_page;
  out.first = std::min(total, static_cast<std::size_t>(page - 1) * per_page);
  out.last = std::min(total, out.first + per_page);
  auto url = [&](std::size_t n) {
    std::string u = std::string(origin) + std::string(path) + "?";
    for (const auto &p : params) {
      if (p.key != "page") u += p.raw + "&";
    }
    return u + "page=" + std::to_string(n);
  };
  std::vector<std::string> links;
  if (page > 1)
    links.push_back("<" + url(std::min<std::size_t>(page - 1, pages)) + ">; rel=\"prev\"");
  if (static_cast<std::size_t>(page) < pages) {
    links.push_back("<" + url(page + 1) + ">; rel=\"next\"");
    links.push_back("<" + url(pages) + ">; rel=\"last\"");
  }
  if (page > 1) links.push_back("<" + url(1) + ">; rel=\"first\"");
  for (std::size_t i = 0; i < links.size(); ++i) out.link += (i ? ", " : "") + links[i];
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      const auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace gkfake::detail
