// A client for streamed answers (see sse_client.hpp).
#include "sse_client.hpp"

#include <cctype>

namespace gkserve {

namespace {

bool chunked(const std::string &head) {
  std::string lower = head;
  for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("transfer-encoding: chunked") != std::string::npos;
}

// The chunks of a chunked body, as far as they are whole; *last when the zero chunk came.
std::string dechunk(const std::string &raw, bool *last) {
  std::string out;
  *last = false;
  size_t at = 0;
  while (true) {
    size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (size == 0) {
      *last = true;
      break;
    }
    if (raw.size() < eol + 2 + size + 2) break;
    out += raw.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

}  // namespace

std::vector<SseEvent> parse_sse(const std::string &body) {
  std::vector<SseEvent> out;
  size_t at = 0;
  for (size_t end; (end = body.find("\n\n", at)) != std::string::npos; at = end + 2) {
    SseEvent e;
    bool any = false, has_data = false;
    const std::string block = body.substr(at, end - at) + "\n";
    for (size_t s = 0, nl; (nl = block.find('\n', s)) != std::string::npos; s = nl + 1) {
      std::string line = block.substr(s, nl - s);
      if (line.empty() || line[0] == ':') continue;
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      any = true;
      if (name == "id") e.id = value;
      if (name == "event") e.event = value;
      if (name == "data") {
        e.data += (has_data ? "\n" : "") + value;
        has_data = true;
      }
    }
    if (any) out.push_back(std::move(e));
  }
  return out;
}

StreamClient::StreamClient(int port, const std::string &path,
                           const std::vector<std::string> &headers, const std::string &version) {
  raw_.emplace(port);
  std::string request = "GET " + path + " HTTP/" + version + "\r\nHost: 127.0.0.1\r\n";
  for (const auto &h : headers) request += h + "\r\n";
  raw_->send(request + "\r\n");
}

bool StreamClient::read_until(const std::function<bool()> &pred, std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (!pred()) {
    if (closed_ || !raw_ || std::chrono::steady_clock::now() >= until) return pred();
    bytes_ += raw_->read_all(std::chrono::milliseconds(30));
    if (raw_->eof()) closed_ = true;
  }
  return true;
}

void StreamClient::read_for(std::chrono::milliseconds within) {
  read_until([] { return false; }, within);
}

std::string StreamClient::head() const {
  size_t end = bytes_.find("\r\n\r\n");
  return end == std::string::npos ? "" : bytes_.substr(0, end + 4);
}

int StreamClient::status() const {
  const std::string h = head();
  return h.size() > 12 ? std::stoi(h.substr(9, 3)) : 0;
}

std::string StreamClient::body() const {
  const std::string h = head();
  if (h.empty()) return "";
  const std::string raw = bytes_.substr(h.size());
  if (!chunked(h)) return raw;
  bool last = false;
  return dechunk(raw, &last);
}

bool StreamClient::last_chunk() const {
  const std::string h = head();
  if (h.empty() || !chunked(h)) return false;
  bool last = false;
  dechunk(bytes_.substr(h.size()), &last);
  return last;
}

}  // namespace gkserve
