// Pieces of URLs: percent-encoding as RFC 3986 asks (libcurl's), for path segments and query
// values built from ids, repository names and pull request URLs.
#pragma once

#include <string>
#include <string_view>

namespace gk::net {

// Everything but the unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX.
std::string url_encode(std::string_view text);

}  // namespace gk::net
