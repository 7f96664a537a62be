// Server-Sent Events framing.
#include "stream.hpp"

namespace gk::http {

namespace {

void field(std::string &out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  for (char c : value)
    if (c != '\r' && c != '\n') out += c;
  out += '\n';
}

}  // namespace

std::string sse_event(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  if (!id.empty()) field(out, "id", id);
  if (!event.empty()) field(out, "event", event);
  // Lines end at "\r\n", "\n" or "\r" (the SSE grammar); each becomes one data field.
  size_t start = 0;
  for (size_t i = 0; i <= data.size(); ++i) {
    if (i < data.size() && data[i] != '\n' && data[i] != '\r') continue;
    out.append("data: ");
    out.append(data.substr(start, i - start));
    out += '\n';
    if (i + 1 < data.size() && data[i] == '\r' && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out;
  field(out, "", text);
  out += '\n';
  return out;
}

}  // namespace gk::http
