// The HTTP receiver (sdk/runner/http) in process, with limits small enough to test quickly: request
// time, idle keep-alive, graceful stop with a handler still running, routing and tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <optional>
#include <thread>

#include <boost/json.hpp>

#include "http/auth.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "serve_support.hpp"

namespace gkserve {
namespace {

using namespace std::chrono_literals;
namespace http_ = gk::http;

http_::Response ok(std::string body) {
  http_::Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

TEST(HttpServer, ARequestNotReceivedInTimeIs408) {
  http_::Limits limits;
  limits.read_timeout = 300ms;
  http_::Server server(
      "127.0.0.1", 0, [](const http_::Request &) { return ok("hi"); }, limits);
  server.start();
  RawClient c(server.port());
  ASSERT_TRUE(c.connected());
  c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  auto t0 = std::chrono::steady_clock::now();
  std::string answer = c.read_all(3s);
  EXPECT_NE(answer.find(" 408 "), std::string::npos) << answer;
  EXPECT_TRUE(c.eof());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  server.stop();
}

TEST(HttpServer, IdleKeepAliveConnectionsAreClosed) {
  http_::Limits limits;
  limits.idle_timeout = 200ms;
  http_::Server server(
      "127.0.0.1", 0, [](const http_::Request &) { return ok("hi"); }, limits);
  server.start();
  RawClient c(server.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = c.read_all(2s);
  EXPECT_NE(answer.find(" 200 "), std::string::npos);
  EXPECT_TRUE(c.eof());  // closed after the idle time, without a second request
  EXPECT_EQ(server.requests(), 1u);
  server.stop();
}

TEST(HttpServer, StopWaitsForTheHandlerInFlightAndRefusesNewConnections) {
  std::atomic<bool> entered{false};
  http_::Server server(
      "127.0.0.1", 0,
      [&](const http_::Request &) {
        entered = true;
        std::this_thread::sleep_for(400ms);
        return ok("finished");
      },
      {}, 2);
  server.start();
  const int port = server.port();
  RawClient c(port);
  c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!entered) std::this_thread::sleep_for(5ms);
  std::thread stopper([&] { server.stop(5000ms); });
  std::string answer = c.read_all(3s);
  stopper.join();
  EXPECT_NE(answer.find(" 200 "), std::string::npos) << answer;
  EXPECT_NE(answer.find("finished"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_FALSE(can_connect(port));
}

TEST(HttpServer, RouterDecodesPlaceholdersAndAnswers404And405) {
  http_::Router router;
  router.add("GET", "/a/{x}/b",
             [](const http_::Request &, const http_::RouteMatch &m) { return ok(m.param("x")); });
  http_::Request req;
  req.method = "GET";
  req.path = "/a/g%2Ft/b";
  EXPECT_EQ(router(req).body, "g/t");
  req.path = "/a//b";
  EXPECT_EQ(router(req).status, 404);
  req.path = "/a/%4/b";
  EXPECT_EQ(router(req).status, 400);
  req.method = "POST";
  req.path = "/a/x/b";
  auto r = router(req);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(http_::query_param("goal=a%20b&after=3", "goal").value_or(""), "a b");
  EXPECT_FALSE(http_::query_param("goal=a", "after").has_value());
  EXPECT_EQ(http_::percent_encode("g/t x"), "g%2Ft%20x");
}

// One answer read off the front of `bytes`: the header block, and as many body bytes as its
// Content-Length says unless it answers a HEAD. Removes what it read; nullopt when `bytes` does
// not start with a whole answer.
struct Answer {
  std::string head;  // status line and headers
  std::string body;
  size_t content_length = 0;
};
std::optional<Answer> take_answer(std::string &bytes, bool to_head) {
  if (!bytes.starts_with("HTTP/1.1 ")) return std::nullopt;
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  Answer a;
  a.head = bytes.substr(0, end + 4);
  std::string lower = a.head;
  for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower.find("\r\ncontent-length: ");
  if (at == std::string::npos) return std::nullopt;
  a.content_length = std::stoul(lower.substr(at + 18));
  size_t body = to_head ? 0 : a.content_length;
  if (bytes.size() < end + 4 + body) return std::nullopt;
  a.body = bytes.substr(end + 4, body);
  bytes.erase(0, end + 4 + body);
  return a;
}

TEST(HttpServer, HeadAnswerHasNoBody) {
  http_::Router router;
  router.add("GET", "/hello",
             [](const http_::Request &, const http_::RouteMatch &) { return ok("hello, world"); });
  http_::Server server("127.0.0.1", 0, router);
  server.start();
  RawClient c(server.port());
  ASSERT_TRUE(c.connected());
  // Three requests on one keep-alive connection: had a HEAD answer carried a body, its bytes would
  // be read as the start of the next answer.
  c.send(
      "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string bytes = c.read_all(3s);
  ASSERT_TRUE(c.eof()) << bytes;
  auto head = take_answer(bytes, true);
  ASSERT_TRUE(head) << bytes;
  EXPECT_TRUE(head->head.starts_with("HTTP/1.1 200")) << head->head;
  EXPECT_EQ(head->content_length, std::string("hello, world").size()) << head->head;
  auto missing = take_answer(bytes, true);
  ASSERT_TRUE(missing) << "the HEAD answer was followed by body bytes: " << bytes;
  EXPECT_TRUE(missing->head.starts_with("HTTP/1.1 404")) << missing->head;
  EXPECT_GT(missing->content_length, 0u);
  auto get = take_answer(bytes, false);
  ASSERT_TRUE(get) << "the HEAD answers were followed by body bytes: " << bytes;
  EXPECT_TRUE(get->head.starts_with("HTTP/1.1 200")) << get->head;
  EXPECT_EQ(get->body, "hello, world");
  EXPECT_EQ(bytes, "") << "bytes after the last answer";
  server.stop();
}

TEST(HttpServer, DecodedPathPiecesCarryNoControlCharacters) {
  http_::Router router;
  router.add("GET", "/a/{x}/b",
             [](const http_::Request &, const http_::RouteMatch &m) { return ok(m.param("x")); });
  http_::Request req;
  req.method = "GET";
  for (const char *piece : {"g%00t", "g%0At", "%1F", "g%7F"}) {
    req.path = std::string("/a/") + piece + "/b";
    auto r = router(req);
    EXPECT_EQ(r.status, 400) << piece;
    const std::string error(boost::json::parse(r.body).at("error").as_string());
    EXPECT_NE(error.find(std::string("\"") + piece + "\""), std::string::npos) << error;
    EXPECT_NE(error.find("control character"), std::string::npos) << error;
  }
  req.path = "/a/g%09t%00/b";
  EXPECT_NE(router(req).body.find("control character %09"), std::string::npos);
  req.path = "/a/g%20t%C3%A9/b";  // a space and UTF-8 are fine
  EXPECT_EQ(router(req).body, "g t\xC3\xA9");
  EXPECT_EQ(http_::control_character("ok"), std::nullopt);
  EXPECT_EQ(http_::control_character(std::string("a\0b", 3)), "%00");
}

TEST(HttpServer, BearerTokensAndConstantTimeCompare) {
  http_::Request req;
  req.headers = {{"authorization", "  BEARER   abc  "}};
  EXPECT_EQ(http_::bearer_token(req).value_or(""), "abc");
  req.headers = {{"Authorization", "Basic abc"}};
  EXPECT_FALSE(http_::bearer_token(req).has_value());
  req.headers = {{"Authorization", "Bearer"}};
  EXPECT_FALSE(http_::bearer_token(req).has_value());
  EXPECT_TRUE(http_::constant_time_equal("secret", "secret"));
  EXPECT_FALSE(http_::constant_time_equal("secreT", "secret"));
  EXPECT_FALSE(http_::constant_time_equal("secre", "secret"));
  EXPECT_FALSE(http_::constant_time_equal("secrets", "secret"));
  EXPECT_FALSE(http_::constant_time_equal("", ""));  // an empty token never matches
  auto a = http_::random_token(), b = http_::random_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_THROW(http_::parse_listen("nowhere"), std::invalid_argument);
  EXPECT_EQ(http_::parse_listen("[::1]:80").first, "::1");
  EXPECT_EQ(http_::parse_listen("localhost:0").first, "127.0.0.1");
  EXPECT_THROW(http_::parse_listen("127.0.0.1:70000"), std::invalid_argument);
}

}  // namespace
}  // namespace gkserve
