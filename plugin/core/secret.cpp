#include "core/secret.hpp"

#include <cstdlib>

namespace gk {

namespace json = boost::json;

std::string read_token(const std::string &name) {
  if (name.empty()) return {};
  const char *v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

std::string redact(std::string_view text, std::string_view secret) {
  if (secret.empty() || text.find(secret) == std::string_view::npos) return std::string(text);
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(secret, pos)) != std::string_view::npos;
       pos = hit + secret.size()) {
    out.append(text.substr(pos, hit - pos));
    out.append("[redacted]");
  }
  out.append(text.substr(pos));
  return out;
}

void redact_json(json::object &value, std::string_view secret) {
  if (secret.empty()) return;
  json::object fixed;
  bool keys_changed = false;
  for (auto &kv : value) {
    redact_json(kv.value(), secret);
    if (std::string_view(kv.key()).find(secret) != std::string_view::npos) keys_changed = true;
  }
  if (!keys_changed) return;
  for (auto &kv : value) fixed[redact(kv.key(), secret)] = std::move(kv.value());
  value = std::move(fixed);
}

void redact_json(json::value &value, std::string_view secret) {
  if (secret.empty()) return;
  if (value.is_string()) {
    std::string_view s = value.as_string();
    if (s.find(secret) != std::string_view::npos) value = redact(s, secret);
  } else if (value.is_array()) {
    for (auto &v : value.as_array()) redact_json(v, secret);
  } else if (value.is_object()) {
    redact_json(value.as_object(), secret);
  }
}

}  // namespace gk
