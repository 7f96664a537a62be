// Streamed answers: a body produced over time instead of a whole one (server.hpp says how the
// server sends it), and the framing of Server-Sent Events.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace gk::http {

// The body of a streamed answer. The server calls next() on the connection's strand: once right
// after the headers went out, then `interval` after the previous call's text was written (and
// flushed). What next() returns is sent as one chunk ("" sends nothing); it sets *done to end the
// stream after that text. next() may block for a short while, as a handler may. The stream also
// ends when the client disconnects or the server stops; next() is not called after that, and
// the StreamBody (with whatever its next() holds) is destroyed with the connection.
struct StreamBody {
  std::chrono::milliseconds interval{200};
  std::function<std::string(bool *done)> next;
};

// One Server-Sent Event: "id: <id>\nevent: <event>\ndata: <line>\n...\n\n", each line of data on
// its own "data:" line. Empty id or event leave out their line. Carriage returns and newlines in
// id and event are dropped (they would end the field).
std::string sse_event(std::string_view id, std::string_view event, std::string_view data);
// A comment line ": <text>\n\n" (a heartbeat that keeps proxies and clients from timing out).
std::string sse_comment(std::string_view text);

}  // namespace gk::http
