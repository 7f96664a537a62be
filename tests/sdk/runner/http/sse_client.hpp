// A client for streamed answers over a raw socket: sends one GET, reads as the bytes come, and
// shows the head, the body (de-chunked) and the Server-Sent Events received so far.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "serve_support.hpp"

namespace gkserve {

struct SseEvent {
  std::string id, event, data;  // data: its lines joined with '\n'
};

// Complete events ("...\n\n") of an SSE body, comments left out.
std::vector<SseEvent> parse_sse(const std::string &body);

class StreamClient {
 public:
  // headers: "Name: value" lines. version "1.0" sends an HTTP/1.0 request.
  StreamClient(int port, const std::string &path, const std::vector<std::string> &headers = {},
               const std::string &version = "1.1");
  bool connected() const { return raw_ && raw_->connected(); }

  // Reads until pred() holds, the server closes or `within` passes; returns pred().
  bool read_until(const std::function<bool()> &pred, std::chrono::milliseconds within);
  // Reads for `within` (or until the server closes).
  void read_for(std::chrono::milliseconds within);

  std::string head() const;  // status line and headers ("" until they are whole)
  int status() const;        // 0 until the head is whole
  std::string body() const;  // de-chunked when chunked
  std::vector<SseEvent> events() const { return parse_sse(body()); }
  bool last_chunk() const;  // the zero-length chunk that ends a chunked body was received
  bool closed() const { return closed_; }
  void disconnect() { raw_.reset(); }
  const std::string &bytes() const { return bytes_; }

 private:
  std::optional<RawClient> raw_;
  std::string bytes_;
  bool closed_ = false;
};

}  // namespace gkserve
