// A tiny libcurl client for the fake's own tests: one request, everything the tests look at.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gkfake::testing {

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::string body;
  long connects = 0;  // new connections this request opened (0: a kept-alive one was reused)
  double seconds = 0;
  std::string header(const std::string &name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Request {
  std::string method = "GET";
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  long timeout_ms = 5000;
};

inline size_t write_body(char *data, size_t size, size_t n, void *user) {
  static_cast<Reply *>(user)->body.append(data, size * n);
  return size * n;
}

inline size_t write_header(char *data, size_t size, size_t n, void *user) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<Reply *>(user)->headers[name] = value;
  }
  return size * n;
}

// Sets `easy` up for `request`; `reply` and `list` must outlive the transfer.
inline void prepare(CURL *easy, const std::string &url, const Request &request, Reply &reply,
                    curl_slist *&list) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  // Any method but GET sends the body (PUT, PATCH and DELETE carry JSON bodies on GitHub too).
  if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  for (const auto &h : request.headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &reply);
}

inline void finish(CURL *easy, Reply &reply) {
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &reply.connects);
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &reply.seconds);
}

// One request on `easy` (reused handles keep their connection alive).
inline Reply perform(CURL *easy, const std::string &url, const Request &request = {}) {
  Reply reply;
  curl_slist *list = nullptr;
  prepare(easy, url, request, reply, list);
  reply.code = curl_easy_perform(easy);
  finish(easy, reply);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  return reply;
}

inline Reply fetch(const std::string &url, const Request &request = {}) {
  CURL *easy = curl_easy_init();
  Reply reply = perform(easy, url, request);
  curl_easy_cleanup(easy);
  return reply;
}

inline Request post(std::string body) {
  Request r;
  r.method = "POST";
  r.body = std::move(body);
  r.headers = {"Content-Type: application/json"};
  return r;
}

}  // namespace gkfake::testing
