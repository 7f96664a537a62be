// Small helpers around Boost.JSON for reading untrusted input with errors that say where.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace gk {

// Parses JSON text; invalid UTF-8 or syntax is gk::Error(invalid) naming `what` and the offset.
boost::json::value parse_json(std::string_view text, std::string_view what);
// Parses text that must be a JSON object ("" -> empty object).
boost::json::object parse_json_object(std::string_view text, std::string_view what);

// Typed optional fields of an object; a present field of the wrong type is an error naming it.
std::optional<std::string> opt_string(const boost::json::object &o, std::string_view key,
                                      std::string_view what);
std::optional<int64_t> opt_int(const boost::json::object &o, std::string_view key,
                               std::string_view what);
std::optional<bool> opt_bool(const boost::json::object &o, std::string_view key,
                             std::string_view what);

// Unknown keys in an input object are an error that names them and lists the allowed ones.
void check_keys(const boost::json::object &o, std::initializer_list<std::string_view> allowed,
                std::string_view what);

// Text of a scalar for comparisons (numbers as digits, strings as they are).
std::optional<std::string> scalar_text(const boost::json::value &v);

// True when the bytes are valid UTF-8.
bool is_valid_utf8(std::string_view s);
// The offset of the first byte that does not start valid UTF-8; npos when all of it is valid.
std::size_t invalid_utf8_at(std::string_view s);

std::string to_text(const boost::json::value &v);

}  // namespace gk
