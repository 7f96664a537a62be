// Pieces every REST route of the fake uses: query parameters, path segments, JSON answers and
// GitHub's pagination (per_page default 30, max 100; page from 1; the Link header).
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_http.hpp"

namespace gkfake::detail {

struct QueryParam {
  std::string raw;  // "key=value" as sent
  std::string key;
  std::string value;  // decoded
};

std::vector<QueryParam> parse_query(std::string_view query);
std::optional<std::string> param(const std::vector<QueryParam> &params, std::string_view key);
int int_param(const std::vector<QueryParam> &params, std::string_view key, int fallback);
std::vector<std::string> split_path(std::string_view path);  // decoded, no empty segments
std::optional<int> pull_number(const std::string &s);        // a positive decimal number

HttpResponse json_response(unsigned status, const boost::json::value &body);
HttpResponse not_found();
// {"message": ..., "documentation_url": ...} with `status`.
HttpResponse error_response(unsigned status, std::string_view message,
                            std::string_view documentation_url = "https://docs.github.com/rest");

// One page of `total` items: [first, last) and the Link header ("" when everything fits).
struct Page {
  int number = 1;
  int per_page = 30;
  std::size_t first = 0;
  std::size_t last = 0;
  std::string link;
};
Page paginate(std::size_t total, const std::vector<QueryParam> &params, std::string_view origin,
              std::string_view path);

// Percent-decoding of a query component ('+' is a space).
std::string url_decode(std::string_view s);

}  // namespace gkfake::detail
