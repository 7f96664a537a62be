#include "core/json_util.hpp"

#include "core/error.hpp"

namespace gk {

std::size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > n) return i;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) {
  return invalid_utf8_at(s) == std::string_view::npos;
}

boost::json::value parse_json(std::string_view text, std::string_view what) {
  if (!is_valid_utf8(text)) fail(Errc::invalid, std::string(what) + ": not valid UTF-8");
  boost::json::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  boost::json::value v = boost::json::parse(text, ec, {}, opts);
  if (ec) fail(Errc::invalid, std::string(what) + ": malformed JSON (" + ec.message() + ")");
  return v;
}

boost::json::object parse_json_object(std::string_view text, std::string_view what) {
  if (text.empty()) return {};
  boost::json::value v = parse_json(text, what);
  if (!v.is_object()) fail(Errc::invalid, std::string(what) + ": expected a JSON object");
  return std::move(v.as_object());
}

std::optional<std::string> opt_string(const boost::json::object &o, std::string_view key,
                                      std::string_view what) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string())
    fail(Errc::invalid, std::string(what) + ": \"" + std::string(key) + "\" must be a string");
  return std::string(v->as_string());
}

std::optional<int64_t> opt_int(const boost::json::object &o, std::string_view key,
                               std::string_view what) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->as_uint64());
  fail(Errc::invalid, std::string(what) + ": \"" + std::string(key) + "\" must be an integer");
}

std::optional<bool> opt_bool(const boost::json::object &o, std::string_view key,
                             std::string_view what) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool())
    fail(Errc::invalid, std::string(what) + ": \"" + std::string(key) + "\" must be true or false");
  return v->as_bool();
}

void check_keys(const boost::json::object &o, std::initializer_list<std::string_view> allowed,
                std::string_view what) {
  for (const auto &kv : o) {
    bool known = false;
    for (std::string_view a : allowed) known = known || kv.key() == a;
    if (known) continue;
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    fail(Errc::invalid, std::string(what) + ": unknown key \"" + std::string(kv.key()) +
                            "\" (allowed: " + list + ")");
  }
}

std::optional<std::string> scalar_text(const boost::json::value &v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return std::nullopt;
}

std::string to_text(const boost::json::value &v) {
  return boost::json::serialize(v);
}

}  // namespace gk
