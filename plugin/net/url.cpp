#include "net/url.hpp"

#include <curl/curl.h>

#include <new>

#include "net/curl_handle.hpp"

namespace gk::net {

std::string url_encode(std::string_view text) {
  ensure_curl_initialised();
  char *escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (!escaped) throw std::bad_alloc();
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

}  // namespace gk::net
