// Streamed answers of the HTTP receiver (sdk/runner/http), in process: chunks flushed as they
// are made, a client that leaves frees its slot, stop() ends open streams within its grace.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/server.hpp"
#include "http/stream.hpp"
#include "sse_client.hpp"

namespace gkserve {
namespace {

using namespace std::chrono_literals;
namespace http_ = gk::http;
using Clock = std::chrono::steady_clock;

// A handler that streams "tick N\n" every `interval` (`ticks` of them, 0 for no end), or
// nothing at all when quiet.
struct Ticker {
  std::chrono::milliseconds interval{30ms};
  int ticks = 0;
  bool quiet = false;
  std::shared_ptr<std::atomic<int>> made = std::make_shared<std::atomic<int>>(0);

  http_::Handler handler() const {
    return [t = *this](const http_::Request &) {
      http_::Response r;
      r.content_type = "text/event-stream";
      r.stream = std::make_shared<http_::StreamBody>();
      r.stream->interval = t.interval;
      r.stream->next = [t, n = 0](bool *done) mutable -> std::string {
        if (t.quiet) return "";
        ++n;
        ++*t.made;
        if (t.ticks > 0 && n >= t.ticks) *done = true;
        return "tick " + std::to_string(n) + "\n";
      };
      return r;
    };
  }
};

bool no_connections_within(const http_::Server &server, std::chrono::milliseconds within) {
  const auto until = Clock::now() + within;
  while (server.connections() > 0 && Clock::now() < until) std::this_thread::sleep_for(10ms);
  return server.connections() == 0;
}

TEST(HttpStream, StreamedChunksArriveBeforeTheResponseEnds) {
  Ticker t;
  http_::Server server("127.0.0.1", 0, t.handler());
  server.start();
  StreamClient c(server.port(), "/s");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.read_until([&] { return c.body().find("tick 3\n") != std::string::npos; }, 3s))
      << c.bytes();
  EXPECT_FALSE(c.last_chunk());
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(c.status(), 200);
  EXPECT_NE(c.head().find("Transfer-Encoding: chunked"), std::string::npos) << c.head();
  EXPECT_EQ(c.head().find("Content-Length"), std::string::npos) << c.head();
  EXPECT_NE(c.head().find("Content-Type: text/event-stream"), std::string::npos) << c.head();
  EXPECT_TRUE(c.body().starts_with("tick 1\ntick 2\ntick 3\n")) << c.body();
  server.stop(1000ms);
}

TEST(HttpStream, AStreamWhoseProducerIsDoneEndsWithTheLastChunkAndCloses) {
  Ticker t;
  t.ticks = 3;
  http_::Server server("127.0.0.1", 0, t.handler());
  server.start();
  StreamClient c(server.port(), "/s");
  ASSERT_TRUE(c.read_until([&] { return c.closed(); }, 3s)) << c.bytes();
  EXPECT_TRUE(c.last_chunk()) << c.bytes();
  EXPECT_EQ(c.body(), "tick 1\ntick 2\ntick 3\n");
  EXPECT_NE(c.head().find("Connection: close"), std::string::npos) << c.head();
  EXPECT_TRUE(no_connections_within(server, 2s));
  server.stop(1000ms);
}

TEST(HttpStream, AnHttp10StreamIsNotChunkedAndEndsWithTheConnection) {
  Ticker t;
  t.ticks = 2;
  http_::Server server("127.0.0.1", 0, t.handler());
  server.start();
  StreamClient c(server.port(), "/s", {}, "1.0");
  ASSERT_TRUE(c.read_until([&] { return c.closed(); }, 3s)) << c.bytes();
  EXPECT_EQ(c.head().find("chunked"), std::string::npos) << c.head();
  EXPECT_EQ(c.body(), "tick 1\ntick 2\n");
  server.stop(1000ms);
}

TEST(HttpStream, AClientThatDisconnectsFreesItsConnectionSlot) {
  Ticker t;
  t.quiet = true;  // nothing is written: the server must notice the client leave by reading
  t.interval = 10000ms;
  http_::Limits limits;
  limits.max_connections = 1;
  http_::Server server("127.0.0.1", 0, t.handler(), limits);
  server.start();
  {
    StreamClient c(server.port(), "/s");
    ASSERT_TRUE(c.read_until([&] { return c.status() != 0; }, 3s)) << c.bytes();
    EXPECT_EQ(c.status(), 200);
    EXPECT_EQ(server.connections(), 1u);
    // The slot is taken: one more connection is refused.
    StreamClient other(server.port(), "/s");
    ASSERT_TRUE(other.read_until([&] { return other.status() != 0; }, 3s)) << other.bytes();
    EXPECT_EQ(other.status(), 503);
    ASSERT_TRUE(other.read_until([&] { return other.closed(); }, 3s));
    other.disconnect();
    c.disconnect();
    EXPECT_TRUE(no_connections_within(server, 2s)) << "the slot stayed taken";
  }
  StreamClient again(server.port(), "/s");
  ASSERT_TRUE(again.read_until([&] { return again.status() != 0; }, 3s)) << again.bytes();
  EXPECT_EQ(again.status(), 200);
  server.stop(1000ms);
}

TEST(HttpStream, StopEndsOpenStreamsWithinTheGrace) {
  Ticker busy;   // writes all the time
  Ticker quiet;  // waits 10 s between turns
  quiet.quiet = true;
  quiet.interval = 10000ms;
  http_::Handler b = busy.handler(), q = quiet.handler();
  http_::Server server(
      "127.0.0.1", 0, [&](const http_::Request &r) { return r.path == "/quiet" ? q(r) : b(r); }, {},
      2);
  server.start();
  std::vector<std::unique_ptr<StreamClient>> clients;
  for (const char *path : {"/busy", "/busy", "/quiet", "/quiet"})
    clients.push_back(std::make_unique<StreamClient>(server.port(), path));
  for (auto &c : clients)
    ASSERT_TRUE(c->read_until([&] { return c->status() == 200; }, 3s)) << c->bytes();
  EXPECT_EQ(server.connections(), 4u);
  const auto t0 = Clock::now();
  server.stop(3000ms);
  EXPECT_LT(Clock::now() - t0, 1500ms) << "stop() waited for the streams to end by themselves";
  EXPECT_EQ(server.connections(), 0u);
  for (auto &c : clients) {
    ASSERT_TRUE(c->read_until([&] { return c->closed(); }, 2s)) << c->bytes();
    EXPECT_TRUE(c->last_chunk()) << "a stream cut off instead of ended: " << c->bytes();
  }
}

TEST(HttpStream, HeadOnAStreamGetsTheHeadersOnly) {
  Ticker t;
  http_::Server server("127.0.0.1", 0, t.handler());
  server.start();
  RawClient c(server.port());
  c.send("HEAD /s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer = c.read_all(2s);
  EXPECT_TRUE(c.eof());
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << answer;
  EXPECT_EQ(*t.made, 0);
  server.stop(1000ms);
}

TEST(HttpStream, SseEventsPutEachLineOfDataOnItsOwnField) {
  EXPECT_EQ(http_::sse_event("7", "status", "{\"a\":1}"),
            "id: 7\nevent: status\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(http_::sse_event("", "line", "a\nb\r\nc"),
            "event: line\ndata: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(http_::sse_event("1\n2", "x\ry", ""), "id: 12\nevent: xy\ndata: \n\n");
  EXPECT_EQ(http_::sse_comment("keep-alive"), ": keep-alive\n\n");
  auto parsed = parse_sse(http_::sse_event("3", "line", "a\nb") + ": keep-alive\n\n");
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].data, "a\nb");
}

}  // namespace
}  // namespace gkserve
