// The runner's HTTP/1.1 receiver (Boost.Beast on Asio) for webhook relays, bots and people: it
// knows HTTP, limits and routing, and nothing of goalkeeper. Whoever starts it hands it one
// Handler (usually a Router, router.hpp) and reaches the plugin from there.
//
// Limits, each answered the moment it is crossed:
//   header size     max_header_bytes (16 KB)            -> 431, connection closed
//   body size       max_body_bytes (25 MB, GitHub's own) -> 413 as soon as Content-Length says
//                   so (before the body is read), or when a chunked body grows past it
//   request time    read_timeout: from the first byte of a request to its last -> 408, closed
//   idle keep-alive idle_timeout between requests on one connection -> closed
//   connections     max_connections open at once; one more gets 503 and is closed
//   descriptors     when the process has none left to accept with, the clients waiting are
//                   answered 503 through a spare descriptor held for that, and accepting pauses
//                   (50 ms, doubling up to 1 s, back to 50 ms after an accept succeeds) instead of
//                   retrying at once: the waiting client keeps the listener readable, so an
//                   immediate retry would spin. Whoever sets max_connections keeps it under the
//                   process's descriptor limit (RLIMIT_NOFILE) with room for its own files.
// A client that sends "Expect: 100-continue" gets "100 Continue" only when its body is within
// the limit, so an oversized upload is refused before it is sent.
//
// Threads: `threads` Asio threads run the connections; handlers run on them and may block for a
// short while (a gk_* call). Each connection is on its own strand.
//
// Streamed answers: a handler may set Response::stream (a StreamBody, stream.hpp) instead of a
// body. The server sends the status and headers (no Content-Length; "Transfer-Encoding: chunked"
// for HTTP/1.1, for HTTP/1.0 the body simply ends with the connection; always "Connection:
// close"), then calls the StreamBody's next() on the connection's strand every `interval`,
// writing and flushing each text as it comes. A stream ends when next() says so (the last chunk
// is sent), when the client disconnects (noticed at once: the connection reads while it writes)
// or when the server stops. It is one connection under max_connections for as long as it lasts.
// A write that the client does not take within idle_timeout ends it. HEAD gets the headers only.
//
// Shutdown (stop()): the listener closes at once (new connections are refused), idle keep-alive
// connections are closed, open streams end (their last chunk is sent), requests that already
// started are read, handled and answered (with "Connection: close"), then the threads return.
// After `grace` the rest are cut off.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stream.hpp"

namespace gk::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  std::string path;    // target without the query, still percent-encoded
  std::string query;   // after '?', "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as received
  std::string body;
  std::string remote;  // "127.0.0.1:54321"

  // The first header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the answer is streamed (see above) and body is not sent.
  std::shared_ptr<StreamBody> stream;
};

using Handler = std::function<Response(const Request &)>;

struct Limits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 25 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_connections = 512;
};

// {"error": message} with the JSON escaping done.
Response error_response(int status, std::string_view message);
// The standard reason phrase ("Not Found"), "" when unknown.
std::string_view reason_phrase(int status);

class Server {
 public:
  // Binds and listens at once (throws std::runtime_error naming the address on failure); serves
  // after start(). host is a numeric IPv4 or IPv6 address; port 0 picks a free port. handler may
  // be empty and given later with set_handler(), so the port is had before what the handler
  // needs is made.
  Server(const std::string &host, uint16_t port, Handler handler, Limits limits = {},
         int threads = 1);
  ~Server();  // stop() with no grace, then joins
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  uint16_t port() const;
  std::string address() const;  // "127.0.0.1:8080" ("[::1]:8080" for IPv6)

  void set_handler(Handler handler);  // before start()
  void start();
  // Graceful shutdown as described above; blocks until every thread returned. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

  // Connections open right now, and requests handled so far (for tests and logs).
  size_t connections() const;
  uint64_t requests() const;

  struct Impl;  // opaque; public so the connections (in server.cpp) can name it

 private:
  std::shared_ptr<Impl> impl_;
};

// "host:port" -> (host, port); "[::1]:8080" for IPv6. Throws std::invalid_argument with a reason.
std::pair<std::string, uint16_t> parse_listen(const std::string &text);

}  // namespace gk::http
