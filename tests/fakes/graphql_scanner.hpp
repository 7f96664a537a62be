// The pieces of the fake's GraphQL answerer (graphql.hpp) shared by its parts: a cursor over the
// query text that reads arguments (literals, $variables, {objects} and [lists]), connection
// cursors, and the answers of the search connection (graphql_search.cpp) and of mutations
// (graphql_mutation.cpp).
#pragma once

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_http.hpp"
#include "fake_store.hpp"

namespace gkfake::detail::graphql {
namespace json = boost::json;

inline bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// A cursor over the query text.
class Scanner {
 public:
  Scanner(std::string_view text, const json::object &variables)
      : text_(text), variables_(variables) {}

  std::size_t pos = 0;

  void skip() {
    while (pos < text_.size()) {
      const char c = text_[pos];
      if (c == '#') {
        while (pos < text_.size() && text_[pos] != '\n') ++pos;
      } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++pos;
      } else {
        break;
      }
    }
  }

  bool eat(char c) {
    skip();
    if (pos < text_.size() && text_[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  std::string_view name() {
    skip();
    const std::size_t start = pos;
    while (pos < text_.size() && name_char(text_[pos])) ++pos;
    return text_.substr(start, pos - start);
  }

  // A literal or a $variable, as JSON: strings, numbers, true/false/null, {objects}, [lists],
  // other bare words (enum values) as strings.
  std::optional<json::value> value() {
    skip();
    if (pos >= text_.size()) return std::nullopt;
    if (text_[pos] == '$') {
      ++pos;
      const auto var = variables_.if_contains(name());
      return var ? std::optional<json::value>(*var) : std::nullopt;
    }
    if (text_[pos] == '"') {
      std::string out;
      for (++pos; pos < text_.size() && text_[pos] != '"'; ++pos) {
        if (text_[pos] == '\\' && pos + 1 < text_.size()) ++pos;
        out += text_[pos];
      }
      ++pos;
      return json::value(out);
    }
    if (text_[pos] == '{') {
      // An input object: {key: value, ...}
      ++pos;
      json::object out;
      for (;;) {
        if (eat('}')) return json::value(std::move(out));
        const std::string key(name());
        if (key.empty() || !eat(':')) return std::nullopt;
        auto v = value();
        if (!v) return std::nullopt;
        out[key] = std::move(*v);
      }
    }
    if (text_[pos] == '[') {
      ++pos;
      json::array out;
      for (;;) {
        if (eat(']')) return json::value(std::move(out));
        auto v = value();
        if (!v) return std::nullopt;
        out.push_back(std::move(*v));
      }
    }
    const std::size_t start = pos;
    while (pos < text_.size() && (name_char(text_[pos]) || text_[pos] == '-')) ++pos;
    const std::string_view word = text_.substr(start, pos - start);
    if (word.empty()) return std::nullopt;
    if (word == "true" || word == "false") return json::value(word == "true");
    if (word == "null") return json::value(nullptr);
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
    if (!word.empty() && ec == std::errc() && ptr == word.data() + word.size()) {
      return json::value(n);
    }
    return json::value(std::string(word));
  }

  // `(key: value, ...)`; false when malformed.
  bool arguments(std::map<std::string, json::value> &out) {
    if (!eat('(')) return false;
    for (;;) {
      if (eat(')')) return true;
      const std::string key(name());
      if (key.empty() || !eat(':')) return false;
      auto v = value();
      if (!v) return false;
      out[key] = std::move(*v);
    }
  }

  // The next occurrence of the word `word` followed by '(' in [pos, end), or npos.
  std::size_t find_call(std::string_view word, std::size_t end) const {
    std::size_t at = pos;
    while ((at = text_.find(word, at)) != std::string_view::npos && at < end) {
      const bool start_ok = at == 0 || (!name_char(text_[at - 1]) && text_[at - 1] != '$');
      std::size_t after = at + word.size();
      const bool end_ok = after >= text_.size() || !name_char(text_[after]);
      while (after < text_.size() && std::isspace(static_cast<unsigned char>(text_[after]))) {
        ++after;
      }
      if (start_ok && end_ok && after < text_.size() && text_[after] == '(') return at;
      at += word.size();
    }
    return std::string_view::npos;
  }

  // The alias written before position `at` ("ALIAS: repository"), or "" when none.
  std::string alias_before(std::size_t at) const {
    std::size_t i = at;
    while (i > 0 && std::isspace(static_cast<unsigned char>(text_[i - 1]))) --i;
    if (i == 0 || text_[i - 1] != ':') return "";
    --i;
    while (i > 0 && std::isspace(static_cast<unsigned char>(text_[i - 1]))) --i;
    const std::size_t end = i;
    while (i > 0 && name_char(text_[i - 1])) --i;
    return std::string(text_.substr(i, end - i));
  }

  json::object location(std::size_t at) const {
    const auto before = text_.substr(0, at);
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const auto nl = before.rfind('\n');
    const auto column = nl == std::string_view::npos ? at + 1 : at - nl;
    return {{"line", line}, {"column", column}};
  }

  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  const json::object &variables_;
};

inline std::string encode_cursor(std::size_t index) {
  const std::string plain = "cursor:v2:" + std::to_string(index);
  std::string out(boost::beast::detail::base64::encoded_size(plain.size()), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), plain.data(), plain.size()));
  return out;
}

inline std::size_t decode_cursor(const std::string &cursor) {
  std::string plain(boost::beast::detail::base64::decoded_size(cursor.size()), '\0');
  plain.resize(
      boost::beast::detail::base64::decode(plain.data(), cursor.data(), cursor.size()).first);
  const std::string_view prefix = "cursor:v2:";
  if (!plain.starts_with(prefix)) return 0;
  std::size_t n = 0;
  std::from_chars(plain.data() + prefix.size(), plain.data() + plain.size(), n);
  return n;
}

inline std::string upper(std::string s) {
  for (char &c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

inline json::value upper_or_null(const std::string &s) {
  return s.empty() ? json::value(nullptr) : json::value(upper(s));
}

inline json::value string_or_null(const std::string &s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

inline HttpResponse json_response(unsigned status, const json::value &body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

inline bool contains_word(std::string_view text, std::string_view word) {
  for (auto at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const std::size_t after = at + word.size();
    if ((at == 0 || !name_char(text[at - 1])) &&
        (after == text.size() || !name_char(text[after]))) {
      return true;
    }
  }
  return false;
}

// One top-level field of the answer: "data"[alias] = value, plus an error when there is one.
struct Field {
  std::string alias;
  json::value value;
  std::optional<json::object> error;
};

// Every `ALIAS: search(query:, type:, first:, after:)` of the query (graphql_search.cpp).
std::vector<Field> answer_searches(const Store &store, Scanner &scanner);

// A `mutation { ... }` request (graphql_mutation.cpp).
HttpResponse answer_mutation(Store &store, Scanner &scanner);

// The first word of the query after comments and whitespace ("query", "mutation", "" for `{`).
inline std::string_view operation_type(std::string_view text) {
  static const json::object none;
  Scanner s(text, none);
  return s.name();
}

}  // namespace gkfake::detail::graphql
