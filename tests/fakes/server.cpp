// The fake's HTTP/1.1 server: an acceptor on 127.0.0.1 (port 0), one io_context on its own
// thread, one Connection per accepted socket. Connections are kept alive as the client asks,
// many may be open at once, `Expect: 100-continue` is answered at once (libcurl sends it for large
// POST bodies and would otherwise wait a second before sending the body). The destructor closes the
// acceptor and every socket on the io thread, then joins it.
#include <boost/beast.hpp>

#include <chrono>
#include <optional>

#include "fake_impl.hpp"

namespace gkfake {
namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, RequestHandler &fake) : socket_(std::move(socket)), fake_(fake) {}

  void start() { read_header(); }

  void close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(16 * 1024 * 1024);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->on_header();
                            });
  }

  void on_header() {
    const auto &req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->on_request();
                     });
  }

  void on_request() {
    auto &req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.body = std::move(req.body());
    request.if_none_match = std::string(req[http::field::if_none_match]);
    request.authorization = std::string(req[http::field::authorization]);
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();

    HttpResponse answer = fake_.handle(request);
    switch (answer.delivery) {
      case Delivery::normal:
        return write(answer, keep_alive, version);
      case Delivery::hang:
        return hang();
      case Delivery::truncate:
        return write_truncated(answer);
    }
  }

  void write(HttpResponse &answer, bool keep_alive, unsigned version) {
    response_.emplace();
    response_->version(version);
    response_->result(answer.status);
    for (const auto &[name, value] : answer.headers) response_->insert(name, value);
    response_->body() = std::move(answer.body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    http::async_write(socket_, *response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || !self->response_->keep_alive()) return self->close();
                        self->read_header();
                      });
  }

  // Headers with the whole body's Content-Length, half the body, then close.
  void write_truncated(const HttpResponse &answer) {
    raw_ = "HTTP/1.1 " + std::to_string(answer.status) + " " +
           std::string(http::obsolete_reason(static_cast<http::status>(answer.status))) + "\r\n";
    for (const auto &[name, value] : answer.headers) raw_ += name + ": " + value + "\r\n";
    raw_ += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
    raw_ += "Connection: close\r\n\r\n";
    raw_ += answer.body.substr(0, answer.body.size() / 2);
    asio::async_write(
        socket_, asio::buffer(raw_),
        [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
  }

  // No answer: wait for the client to close (or the fake to stop), then close.
  void hang() {
    socket_.async_read_some(asio::buffer(hang_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->hang();
                            });
  }

  tcp::socket socket_;
  RequestHandler &fake_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string raw_;
  char hang_buffer_[512];
};

}  // namespace detail

void FakeGitHub::Impl::start() {
  namespace asio = boost::asio;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port = acceptor.local_endpoint().port();
  accept();
  thread = std::thread([this] { io.run(); });
}

void FakeGitHub::Impl::accept() {
  acceptor.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == boost::asio::error::operation_aborted || !acceptor.is_open()) return;
      return accept();  // e.g. too many open files: keep serving the connections we have
    }
    socket.set_option(boost::asio::ip::tcp::no_delay(true));
    auto connection = std::make_shared<detail::Connection>(std::move(socket), *this);
    std::erase_if(connections, [](const auto &weak) { return weak.expired(); });
    connections.push_back(connection);
    connection->start();
    accept();
  });
}

void FakeGitHub::Impl::stop() {
  if (!thread.joinable()) return;
  boost::asio::post(io, [this] {
    boost::beast::error_code ignored;
    acceptor.close(ignored);
    for (const auto &weak : connections) {
      if (auto connection = weak.lock()) connection->close();
    }
    connections.clear();
  });
  thread.join();
}

FakeGitHub::FakeGitHub() : impl_(std::make_unique<Impl>()) {
  impl_->rate_reset_epoch_s = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count() +
                              3600;
  impl_->search_reset_epoch_s = impl_->rate_reset_epoch_s - 3600 + 60;
  impl_->start();
}

FakeGitHub::~FakeGitHub() {
  impl_->stop();
}

uint16_t FakeGitHub::port() const {
  return impl_->port;
}

std::string FakeGitHub::api_url() const {
  return impl_->origin() + "/api/v3";
}

std::string FakeGitHub::graphql_url() const {
  return impl_->origin() + "/api/graphql";
}

}  // namespace gkfake
