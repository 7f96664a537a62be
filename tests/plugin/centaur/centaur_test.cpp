// The centaur_review checker against a tiny scripted HTTP server on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "centaur/centaur_checker.hpp"

namespace json = boost::json;
using Kind = gk::GateOutcome::Kind;

namespace {

// Answers every request with the same scripted status and body; records request lines.
class TinyServer {
 public:
  TinyServer(int status, std::string body) : status_(status), body_(std::move(body)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
    listen(fd_, 8);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(req.substr(0, req.find("\r\n")));
      }
      std::string resp = "HTTP/1.1 " + std::to_string(status_) +
                         " X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         "Content-Length: " +
                         std::to_string(body_.size()) + "\r\n\r\n" + body_;
      ssize_t ignored = write(c, resp.data(), resp.size());
      (void)ignored;
      close(c);
    }
  }
  int status_;
  std::string body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

gk::GateOutcome ask(const std::string &url, json::object config) {
  gk::centaur::Settings s;
  s.url = url;
  gk::centaur::CentaurChecker checker(s);
  gk::GatePoll p;
  p.gate = "g/bot";
  p.config = std::move(config);
  return checker.poll({p}, 1'000, 2'000).at(0);
}

const json::object kByUrl{{"type", "centaur_review"},
                          {"pr_url", "https://github.com/octo/app/pull/9"}};

}  // namespace

TEST(Centaur, ApprovedPassesWithTheBotsAnswer) {
  TinyServer server(200, R"({"status": "approved", "summary": "LGTM", "score": 9})");
  auto o = ask(server.url(), kByUrl);
  EXPECT_EQ(o.kind, Kind::pass);
  EXPECT_EQ(o.artifacts.at("centaur").at("summary"), "LGTM");
  ASSERT_EQ(server.lines().size(), 1u);
  EXPECT_EQ(server.lines()[0],
            "GET /api/reviews?pr=https%3A%2F%2Fgithub.com%2Focto%2Fapp%2Fpull%2F9 HTTP/1.1");
}

TEST(Centaur, ChangesRequestedFails) {
  TinyServer server(200, R"({"status": "changes_requested", "comments": ["null check"]})");
  auto o = ask(server.url(), {{"type", "centaur_review"}, {"repo", "octo/app"}, {"pr", 9}});
  EXPECT_EQ(o.kind, Kind::fail);
  EXPECT_EQ(o.artifacts.at("centaur").at("comments").as_array()[0], "null check");
  EXPECT_EQ(o.artifacts.at("pr_url"), "https://github.com/octo/app/pull/9");
}

TEST(Centaur, AnythingElseWaits) {
  for (const char *body : {R"({"status": "in_progress"})", R"({"status": "queued"})", "{}"}) {
    TinyServer server(200, body);
    auto o = ask(server.url(), kByUrl);
    EXPECT_EQ(o.kind, Kind::wait) << body;
    EXPECT_TRUE(o.reason.empty()) << o.reason;
  }
  TinyServer none(404, R"({"error": "no review"})");
  EXPECT_EQ(ask(none.url(), kByUrl).kind, Kind::wait);
}

TEST(Centaur, FaultsWaitWithAReason) {
  for (auto [status, body] : {std::pair{503, "down"}, std::pair{200, "<html>"}}) {
    TinyServer server(status, body);
    auto o = ask(server.url(), kByUrl);
    EXPECT_EQ(o.kind, Kind::wait);
    EXPECT_FALSE(o.reason.empty());
    EXPECT_GE(o.next_poll_ms, 1'000 + 4'000);
  }
}
