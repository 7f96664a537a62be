// The HTTP/1.1 receiver: an acceptor and one Connection per socket, each on its own strand.
// Longer than most of our files (about 670 lines): a Connection is one state machine (read,
// limit, answer, keep alive or close, time out) whose asynchronous halves call each other, and
// the acceptor's descriptor and connection limits belong with it; split, neither half reads alone.
#include "server.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace gk::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string endpoint_text(const tcp::endpoint &ep) {
  const auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::chrono::milliseconds kFirstAcceptPause{50};
constexpr std::chrono::milliseconds kLongestAcceptPause{1000};
// Clients answered 503 through the spare descriptor per pause: enough to empty a backlog in a few
// pauses, few enough that the acceptor's strand is not held for long.
constexpr int kTurnedAwayPerPause = 64;

// Errors of accept() that say the process (or the system) has no descriptor or memory for one more
// socket: they last until something is closed, so retrying at once only spins.
bool out_of_descriptors(const beast::error_code &ec) {
  namespace errc = boost::system::errc;
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

int open_spare_descriptor() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto &[k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::string_view reason_phrase(int status) {
  auto s = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return {s.data(), s.size()};
}

Response error_response(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(boost::json::object{{"error", message}});
  return r;
}

std::pair<std::string, uint16_t> parse_listen(const std::string &text) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("expected [IPv6]:PORT, found '" + text + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
      throw std::invalid_argument("expected HOST:PORT (e.g. 127.0.0.1:8080), found '" + text + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("no address before the port in '" + text + "'");
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (ec)
    throw std::invalid_argument("'" + host + "' is not a numeric IP address (e.g. 127.0.0.1)");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad port '" + port + "' in '" + text + "'");
  unsigned long p = std::stoul(port);
  if (p > 65535) throw std::invalid_argument("port " + port + " is out of range");
  return {host, static_cast<uint16_t>(p)};
}

// ---------------------------------------------------------------------------------------------

class Connection;

struct Server::Impl {
  net::io_context ioc;
  net::strand<net::io_context::executor_type> accept_strand{net::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  Handler handler;
  Limits limits;
  int threads = 1;
  std::vector<std::thread> pool;
  uint16_t port = 0;
  std::string address;

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> served{0};

  // Out of descriptors: a descriptor held open on /dev/null, given up for a moment to take a
  // waiting client and answer it 503; and the pause before the next accept. Both on accept_strand.
  int spare = open_spare_descriptor();
  net::steady_timer accept_pause{accept_strand};
  std::chrono::milliseconds next_pause{kFirstAcceptPause};

  std::mutex mutex;  // connections, open, the stop state
  std::condition_variable all_closed;
  std::map<Connection *, std::weak_ptr<Connection>> connections;
  size_t open = 0;
  bool started = false, stopped = false;

  ~Impl() {
    if (spare >= 0) ::close(spare);
  }

  void accept(const std::shared_ptr<Impl> &self);
  void pause_accepting(const std::shared_ptr<Impl> &self, const beast::error_code &ec);
  void turn_away_waiting_clients();
  void on_connection_closed(Connection *c) {
    std::lock_guard lock(mutex);
    connections.erase(c);
    --open;
    all_closed.notify_all();
  }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Server::Impl> server, std::string remote)
      : stream_(std::move(socket)), server_(std::move(server)), remote_(std::move(remote)) {}
  ~Connection() { server_->on_connection_closed(this); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->idle(); });
  }
  void refuse(int status, std::string message) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), status, message] {
      self->send_error(status, message);
    });
  }
  // Called on the connection's strand when the server stops.
  void on_shutdown() {
    if (phase_ == Phase::idle) stream_.cancel();
    // A stream waiting for its next text ends now (the timer's handler sees the server stop);
    // one writing ends when the write is done.
    if (phase_ == Phase::streaming && !writing_) timer_.cancel();
  }
  void post_shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->on_shutdown(); });
  }
  // Past the grace period: cut it off; its pending operations end with operation_aborted.
  void post_abort() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  enum class Phase { idle, reading, handling, writing, streaming, closing };

  const Limits &limits() const { return server_->limits; }

  // Between requests: wait for the first byte of the next one (or leave when the server stops).
  void idle() {
    if (buffer_.size() > 0) return begin_request();
    if (server_->stopping) return close();
    phase_ = Phase::idle;
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec && n == 0) return self->close();
                              self->begin_request();
                            });
  }

  void begin_request() {
    phase_ = Phase::reading;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(limits().max_header_bytes, std::numeric_limits<uint32_t>::max())));
    parser_->body_limit(limits().max_body_bytes);
    // The request timer cancels the read (it does not close the socket, as the stream's own
    // expiry would), so the client still gets a 408.
    stream_.expires_never();
    timed_out_ = false;
    timer_.expires_after(limits().read_timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::reading) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  bool read_failed(beast::error_code ec) {
    if (!ec) return false;
    timer_.cancel();
    if (timed_out_) {
      send_error(408, "the request was not received within " +
                          std::to_string(limits().read_timeout.count()) + " ms");
    } else if (ec == bhttp::error::body_limit) {
      send_error(413, "the request body is larger than " + std::to_string(limits().max_body_bytes) +
                          " bytes");
    } else if (ec == bhttp::error::header_limit) {
      send_error(431, "the request headers are larger than " +
                          std::to_string(limits().max_header_bytes) + " bytes");
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      send_error(400, "malformed HTTP request: " + ec.message());
    } else {
      close();
    }
    return true;
  }

  void on_header(beast::error_code ec) {
    if (read_failed(ec)) return;
    auto &req = parser_->get();
    if (parser_->is_done()) return handle();
    auto expect = req[bhttp::field::expect];
    if (iequals({expect.data(), expect.size()}, "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       req.version());
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code wec, size_t) {
                           if (wec) return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (self->read_failed(ec)) return;
                        self->handle();
                      });
  }

  void handle() {
    timer_.cancel();
    phase_ = Phase::handling;
    auto msg = parser_->release();
    parser_.reset();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto &f : msg)
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.remote = remote_;
    Response res;
    try {
      res = server_->handler ? server_->handler(req) : error_response(404, "no handler");
    } catch (const std::exception &e) {
      res = error_response(500, std::string("internal error: ") + e.what());
    } catch (...) {
      res = error_response(500, "internal error");
    }
    ++server_->served;
    if (res.stream && msg.method() != bhttp::verb::head) return start_stream(std::move(res), msg);
    res.stream.reset();
    bool keep = msg.keep_alive() && !server_->stopping;
    send(std::move(res), msg.version(), keep, false, msg.method() == bhttp::verb::head);
  }

  // head: the answer to a HEAD request, whatever its status: the headers GET would get, with the
  // Content-Length of its body, and no byte of that body (the client reads none, so any byte sent
  // would be taken for the start of the next answer on the connection).
  void send(Response res, unsigned version, bool keep_alive, bool linger, bool head) {
    phase_ = Phase::writing;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(res.status), version);
    out->set(bhttp::field::server, "goalkeeper");
    if (!res.content_type.empty()) out->set(bhttp::field::content_type, res.content_type);
    for (auto &[k, v] : res.headers) out->set(k, v);
    out->keep_alive(keep_alive);
    if (head) {
      out->content_length(res.body.size());
    } else {
      out->body() = std::move(res.body);
      out->prepare_payload();
    }
    stream_.expires_after(std::max(limits().read_timeout, std::chrono::milliseconds(1000)));
    bhttp::async_write(
        stream_, *out,
        [self = shared_from_this(), out, keep_alive, linger](beast::error_code ec, size_t) {
          if (ec) return self->close();
          if (linger) return self->linger();
          if (!keep_alive) return self->close();
          self->idle();
        });
  }

  // A streamed answer (server.hpp): the headers, then each text of the StreamBody as it comes,
  // while a read on the socket notices the client leave.
  void start_stream(Response res, const bhttp::request<bhttp::string_body> &req) {
    phase_ = Phase::streaming;
    body_ = std::move(res.stream);
    chunked_ = req.version() >= 11;
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(res.status), req.version());
    head->set(bhttp::field::server, "goalkeeper");
    if (!res.content_type.empty()) head->set(bhttp::field::content_type, res.content_type);
    for (auto &[k, v] : res.headers) head->set(k, v);
    head->keep_alive(false);
    if (chunked_) head->chunked(true);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    writing_ = true;
    stream_.expires_after(limits().idle_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer](beast::error_code ec, size_t) {
          self->writing_ = false;
          if (ec || self->phase_ != Phase::streaming) return self->close();
          self->watch_client();
          self->produce();
        });
  }

  // Reads (and drops) what the client sends while it streams: the read ends when it leaves.
  void watch_client() {
    stream_.socket().async_read_some(net::buffer(sink_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (self->phase_ != Phase::streaming) return;
                                       if (ec) return self->close();
                                       self->watch_client();
                                     });
  }

  void produce() {
    if (phase_ != Phase::streaming) return;
    if (server_->stopping) return finish_stream();
    bool done = false;
    std::string text;
    try {
      if (body_->next)
        text = body_->next(&done);
      else
        done = true;
    } catch (...) {
      done = true;
    }
    if (!text.empty()) return write_chunk(std::move(text), done);
    if (done) return finish_stream();
    wait_next();
  }

  void write_chunk(std::string text, bool last) {
    out_ = std::move(text);
    writing_ = true;
    stream_.expires_after(limits().idle_timeout);
    auto written = [self = shared_from_this(), last](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec || self->phase_ != Phase::streaming) return self->close();
      if (last || self->server_->stopping) return self->finish_stream();
      self->wait_next();
    };
    if (chunked_)
      net::async_write(stream_, bhttp::make_chunk(net::buffer(out_)), std::move(written));
    else
      net::async_write(stream_, net::buffer(out_), std::move(written));
  }

  void wait_next() {
    timer_.expires_after(std::max(body_->interval, std::chrono::milliseconds(1)));
    timer_.async_wait([self = shared_from_this()](beast::error_code) {
      if (self->phase_ == Phase::streaming) self->produce();
    });
  }

  // The last chunk (HTTP/1.1; for HTTP/1.0 the body ends with the connection), then close.
  void finish_stream() {
    if (phase_ != Phase::streaming || writing_) return;
    phase_ = Phase::writing;
    if (!chunked_) return close();
    stream_.expires_after(std::min(limits().idle_timeout, kLinger));
    net::async_write(stream_, bhttp::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code, size_t) { self->close(); });
  }

  // A request refused before it was read whole: answer, then read and drop what the client is
  // still sending for a moment, so it sees the answer instead of a reset connection.
  void send_error(int status, const std::string &message) {
    const bool head =
        parser_ && parser_->is_header_done() && parser_->get().method() == bhttp::verb::head;
    parser_.reset();
    send(error_response(status, message), 11, false, true, head);
  }

  void linger() {
    phase_ = Phase::closing;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLinger);
    drain();
  }
  void drain() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(64 * 1024),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void close() {
    phase_ = Phase::closing;
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Server::Impl> server_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  net::steady_timer timer_{stream_.get_executor()};
  bool timed_out_ = false;
  Phase phase_ = Phase::idle;
  // While streaming: the body, its framing, the text being written, a sink for what the client
  // sends meanwhile.
  std::shared_ptr<StreamBody> body_;
  bool chunked_ = true, writing_ = false;
  std::string out_;
  std::array<char, 1024> sink_{};
};

void Server::Impl::accept(const std::shared_ptr<Impl> &self) {
  acceptor.async_accept(net::make_strand(ioc), [self](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
    // A client that left before it was accepted is its own trouble; any other error is the
    // server's, and lasts a while.
    if (ec && ec != net::error::connection_aborted) return self->pause_accepting(self, ec);
    if (!ec) {
      self->next_pause = kFirstAcceptPause;
      std::string remote;
      beast::error_code rec;
      auto ep = socket.remote_endpoint(rec);
      if (!rec) remote = endpoint_text(ep);
      bool over = false;
      std::shared_ptr<Connection> c;
      {
        std::lock_guard lock(self->mutex);
        over = self->open >= self->limits.max_connections;
        ++self->open;
      }
      c = std::make_shared<Connection>(std::move(socket), self, std::move(remote));
      if (over) {
        c->refuse(503, "too many connections (the limit is " +
                           std::to_string(self->limits.max_connections) + ")");
      } else {
        {
          std::lock_guard lock(self->mutex);
          self->connections[c.get()] = c;
        }
        c->start();
      }
    }
    self->accept(self);
  });
}

void Server::Impl::pause_accepting(const std::shared_ptr<Impl> &self, const beast::error_code &ec) {
  if (out_of_descriptors(ec)) turn_away_waiting_clients();
  accept_pause.expires_after(next_pause);
  next_pause = std::min(next_pause * 2, kLongestAcceptPause);
  accept_pause.async_wait([self](beast::error_code wait_ec) {
    if (wait_ec || !self->acceptor.is_open()) return;
    self->accept(self);
  });
}

// With no descriptor to spare, a client waiting in the backlog would wait for one (or time out):
// give up the spare descriptor to take each waiting client, answer it 503 at once and close it,
// then hold the spare again. The answer is small enough for a fresh socket's buffer, so the
// blocking write returns at once; what the client already sent is read first, so that closing
// does not reset the connection before it reads the answer.
void Server::Impl::turn_away_waiting_clients() {
  if (spare < 0) spare = open_spare_descriptor();  // lost to a race last time
  if (spare < 0) return;
  ::close(spare);
  spare = -1;
  beast::error_code ec;
  acceptor.non_blocking(true, ec);
  bhttp::response<bhttp::string_body> busy{bhttp::status::service_unavailable, 11};
  busy.set(bhttp::field::server, "goalkeeper");
  busy.set(bhttp::field::content_type, "application/json");
  busy.set(bhttp::field::retry_after, "1");
  busy.body() =
      error_response(503, "the server is out of file descriptors; try again shortly").body;
  busy.keep_alive(false);
  busy.prepare_payload();
  for (int i = 0; i < kTurnedAwayPerPause && !ec; ++i) {
    tcp::socket client(ioc);
    acceptor.accept(client, ec);
    if (ec) break;
    beast::error_code ignored;
    bhttp::write(client, busy, ignored);
    client.shutdown(tcp::socket::shutdown_send, ignored);
    client.non_blocking(true, ignored);
    char sink[4096];
    for (int reads = 0; reads < 16 && !ignored; ++reads)
      client.read_some(net::buffer(sink), ignored);
    client.close(ignored);
  }
  spare = open_spare_descriptor();
}

Server::Server(const std::string &host, uint16_t port, Handler handler, Limits limits, int threads)
    : impl_(std::make_shared<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->limits = limits;
  impl_->threads = std::max(1, threads);
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + host + ": not a numeric IP address");
  tcp::endpoint ep(addr, port);
  std::string where = endpoint_text(ep);
  auto &a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  auto local = a.local_endpoint(ec);
  impl_->port = local.port();
  impl_->address = endpoint_text(local);
}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
}

uint16_t Server::port() const {
  return impl_->port;
}
std::string Server::address() const {
  return impl_->address;
}

void Server::set_handler(Handler handler) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->started) impl_->handler = std::move(handler);
}

void Server::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  auto self = impl_;
  net::dispatch(impl_->accept_strand, [self] { self->accept(self); });
  for (int i = 0; i < impl_->threads; ++i) impl_->pool.emplace_back([self] { self->ioc.run(); });
}

void Server::stop(std::chrono::milliseconds grace) {
  auto self = impl_;
  {
    std::lock_guard lock(self->mutex);
    if (self->stopped) return;
    self->stopped = true;
  }
  // On the acceptor's strand, so no connection is accepted after the list is walked.
  std::promise<void> closed;
  auto done = closed.get_future();
  net::dispatch(self->accept_strand, [self, &closed] {
    self->stopping = true;
    beast::error_code ec;
    self->acceptor.close(ec);
    self->accept_pause.cancel();
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(self->mutex);
      for (auto &[p, w] : self->connections)
        if (auto c = w.lock()) live.push_back(std::move(c));
    }
    for (auto &c : live) c->post_shutdown();
    closed.set_value();
  });
  if (self->pool.empty()) {
    // Never started: nothing runs the strand; run what was queued here.
    self->ioc.poll();
    return;
  }
  done.wait();
  {
    std::unique_lock lock(self->mutex);
    self->all_closed.wait_for(lock, grace, [&] { return self->open == 0; });
  }
  self->ioc.stop();
  for (auto &t : self->pool)
    if (t.joinable()) t.join();
  self->pool.clear();
  // Cut off what is left and let every pending handler run out, so no handler keeps a
  // connection (and through it the server) alive.
  self->ioc.restart();
  std::vector<std::shared_ptr<Connection>> left;
  {
    std::lock_guard lock(self->mutex);
    for (auto &[p, w] : self->connections)
      if (auto c = w.lock()) left.push_back(std::move(c));
  }
  for (auto &c : left) c->post_abort();
  left.clear();
  while (self->ioc.poll() > 0) {
  }
}

size_t Server::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

uint64_t Server::requests() const {
  return impl_->served;
}

}  // namespace gk::http
