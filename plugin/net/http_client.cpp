#include "net/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "net/curl_handle.hpp"

#ifndef GK_NET_VERSION
#define GK_NET_VERSION "0"
#endif

namespace gk::net {

namespace {

constexpr long kMaxRedirects = 3;

struct Transfer {
  CurlHandle easy;
  CurlHeaders headers;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
  size_t max_body = 0;
  bool too_large = false;
  bool done = false;
  std::chrono::steady_clock::time_point started;
  // The URL of the last answer received: where a refused redirect came from (libcurl's effective
  // URL is by then the redirect's target).
  std::string answered_url;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  size_t n = size * count;
  if (t->response.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a redirect or 100-continue: keep the final answer's headers
    char *url = nullptr;
    if (curl_easy_getinfo(t->easy.get(), CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
      t->answered_url = url;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response.headers[std::move(name)] = std::string(value);
  return n;
}

// A URL fit for a message: without user info, query and fragment, which may carry credentials.
std::string url_for_message(const std::string &url) {
  CURLU *u = curl_url();
  if (!u) return "(a URL)";
  std::string out = "(a URL libcurl cannot read)";
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
    for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
                           CURLUPART_FRAGMENT})
      curl_url_set(u, part, nullptr, 0);
    char *clean = nullptr;
    if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK && clean) out = clean;
    curl_free(clean);
  }
  curl_url_cleanup(u);
  return out;
}

// Why a transfer that followed, or would have followed, a redirect failed; "" when it did not end
// at a redirect. libcurl's own words ("Protocol "http" not supported") do not say it was a
// redirect that was refused, nor which.
std::string redirect_failure(const Transfer &t, CURLcode code) {
  if (code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_TOO_MANY_REDIRECTS) return {};
  CURL *e = t.easy.get();
  long status = 0;
  char *target = nullptr;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &target);
  if (status < 300 || status > 399 || !target || t.answered_url.empty()) return {};
  const std::string hop =
      "from " + url_for_message(t.answered_url) + " to " + url_for_message(target);
  if (code == CURLE_TOO_MANY_REDIRECTS)
    return "gave up after " + std::to_string(kMaxRedirects) + " redirects (the last " + hop + ")";
  return "refused a redirect " + hop + ": only https redirects are followed";
}

int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

std::string default_user_agent() {
  return std::string("goalkeeper/") + GK_NET_VERSION;
}

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)), multi_(options_.max_host_connections) {
  if (options_.user_agent.empty()) options_.user_agent = default_user_agent();
  // CURLOPT_NOPROXY replaces the variable, so it carries the variable's hosts along.
  no_proxy_ = "localhost,127.0.0.1,::1";
  for (const char *name : {"no_proxy", "NO_PROXY"})
    if (const char *v = std::getenv(name); v && *v) {
      no_proxy_ = std::string(v) + "," + no_proxy_;
      break;
    }
}

std::vector<HttpResponse> HttpClient::perform(const std::vector<HttpRequest> &requests,
                                              std::chrono::steady_clock::time_point deadline) {
  std::vector<std::unique_ptr<Transfer>> transfers;
  std::unordered_map<CURL *, Transfer *> by_handle;
  transfers.reserve(requests.size());
  auto start = std::chrono::steady_clock::now();
  int64_t left_ms = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start).count());
  struct Cleanup {
    CurlMulti &multi;
    std::vector<std::unique_ptr<Transfer>> &transfers;
    ~Cleanup() {
      for (auto &t : transfers) multi.remove(t->easy.get());
    }
  } cleanup{multi_, transfers};

  for (const HttpRequest &r : requests) {
    auto t = std::make_unique<Transfer>();
    t->max_body = options_.max_body_bytes;
    t->started = start;
    CURL *e = t->easy.get();
    for (const auto &[name, value] : r.headers) t->headers.append((name + ": " + value).c_str());
    const bool sends_body = r.method != "GET" && !r.body.empty();
    if (sends_body) t->headers.append("Content-Type: application/json");
    t->headers.append("Expect:");  // no 100-continue round trip for small POST bodies
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers.get());
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_NOPROXY, no_proxy_.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);  // renamed repositories answer 301
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, kMaxRedirects);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(options_.connect_timeout_ms, left_ms)));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(std::min(r.timeout_ms, left_ms)));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    if (r.method == "POST" || sends_body) {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
      curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r.body.c_str());
    }
    if (r.method != "GET" && r.method != "POST")  // PUT (merges), DELETE (branches)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    by_handle[e] = t.get();
    transfers.push_back(std::move(t));
  }
  for (auto &t : transfers) multi_.add(t->easy.get());

  for (auto &[easy, code] : multi_.run_until(deadline)) {
    auto it = by_handle.find(easy);
    if (it == by_handle.end()) continue;
    Transfer &t = *it->second;
    t.done = true;
    t.response.elapsed_ms = ms_since(t.started);
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      t.response.status = status;
      continue;
    }
    t.response.status = 0;
    t.response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (t.too_large) {
      t.response.error = "the answer was larger than " + std::to_string(t.max_body) + " bytes";
    } else if (t.response.timed_out) {
      t.response.error = "no answer within " + std::to_string(t.response.elapsed_ms) + " ms";
    } else if (std::string why = redirect_failure(t, code); !why.empty()) {
      t.response.error = std::move(why);
    } else {
      t.response.error = t.error[0] ? std::string(t.error) : std::string(curl_easy_strerror(code));
    }
  }
  std::vector<HttpResponse> out;
  out.reserve(transfers.size());
  for (auto &t : transfers) {
    if (!t->done) {
      t->response.status = 0;
      t->response.timed_out = true;
      t->response.elapsed_ms = ms_since(t->started);
      t->response.error =
          "no answer within the poll's time budget (" + std::to_string(left_ms) + " ms)";
    }
    out.push_back(std::move(t->response));
  }
  return out;
}

}  // namespace gk::net
