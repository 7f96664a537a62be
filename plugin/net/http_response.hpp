// What came back for one HttpRequest: a status and body, or a transport error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gk::net {

struct HttpResponse {
  long status = 0;                             // 0 when no HTTP answer arrived (see error)
  std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
  std::string body;
  // Transport failure ("timed out after 300 ms", "connection refused", ...); empty on an answer.
  // Built from libcurl's messages, which never contain request headers (so never a token).
  std::string error;
  bool timed_out = false;
  int64_t elapsed_ms = 0;

  bool answered() const { return error.empty() && status != 0; }
  std::optional<std::string_view> header(std::string_view lower_name) const {
    auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

}  // namespace gk::net
