// FakeGitHub's private parts, shared by server.cpp (sockets, io thread), dispatch.cpp (one
// request to one answer) and control.cpp (the scripting API the tests call).
#pragma once

#include <boost/asio.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_github.hpp"
#include "fake_http.hpp"
#include "fake_store.hpp"

namespace gkfake {

namespace detail {
class Connection;

// What a connection calls for each request it reads (FakeGitHub::Impl is private to FakeGitHub).
class RequestHandler {
 public:
  virtual HttpResponse handle(const HttpRequest &request) = 0;

 protected:
  ~RequestHandler() = default;
};
}  // namespace detail

struct FakeGitHub::Impl final : detail::RequestHandler {
  struct FaultRule {
    Fault fault = Fault::none;
    int times = -1;  // -1: until cleared
    std::string path_prefix;
  };
  struct RedirectRule {
    std::string path_prefix;
    std::string location;
    int times = -1;  // -1: until cleared
  };
  struct LogEntry {
    std::string line;  // "GET /api/v3/repos/o/r/pulls/1?page=2"
    std::string path;  // without the query, for prefix counting
  };

  // --- io (server.cpp); the io members are touched only by the io thread after start()
  boost::asio::io_context io{1};
  boost::asio::ip::tcp::acceptor acceptor{io};
  std::thread thread;
  uint16_t port = 0;
  std::vector<std::weak_ptr<detail::Connection>> connections;

  void start();
  void stop();
  void accept();

  // --- state (dispatch.cpp, control.cpp), guarded by `mutex`
  mutable std::mutex mutex;
  detail::Store store;
  std::vector<FaultRule> faults;
  std::vector<RedirectRule> redirects;
  bool graphql_enabled = true;
  int rate_limit = 5000;
  int core_remaining = 5000;
  int graphql_remaining = 5000;
  int64_t rate_reset_epoch_s = 0;
  // The search resource: its own limit a minute (GitHub: 30), refilled at each reset.
  int search_limit = 30;
  int search_remaining = 30;
  int64_t search_reset_epoch_s = 0;
  std::vector<LogEntry> log;
  std::vector<Mutation> mutations;
  int counted = 0;
  std::string last_authorization;

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port); }

  // One request to its answer; safe from any thread (takes `mutex`), never throws.
  detail::HttpResponse handle(const detail::HttpRequest &request) override;

 private:
  Fault take_fault(std::string_view path);                          // with `mutex` held
  std::optional<std::string> take_redirect(std::string_view path);  // with `mutex` held
  detail::HttpResponse route(const detail::HttpRequest &request, bool graphql);
  detail::HttpResponse control(const detail::HttpRequest &request);  // /_fake/...
};

}  // namespace gkfake
