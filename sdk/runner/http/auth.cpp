// Bearer tokens: parsing, constant-time comparison, random generation.
#include "auth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace gk::http {

std::optional<std::string> bearer_token(const Request &request) {
  std::string h = request.header("Authorization");
  size_t i = 0;
  while (i < h.size() && h[i] == ' ') ++i;
  static constexpr std::string_view scheme = "bearer";
  if (h.size() < i + scheme.size() + 1) return std::nullopt;
  for (size_t k = 0; k < scheme.size(); ++k) {
    char c = h[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[k]) return std::nullopt;
  }
  i += scheme.size();
  if (h[i] != ' ') return std::nullopt;
  while (i < h.size() && h[i] == ' ') ++i;
  size_t end = h.size();
  while (end > i && (h[end - 1] == ' ' || h[end - 1] == '\t')) --end;
  if (end == i) return std::nullopt;
  return h.substr(i, end - i);
}

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Compare against a copy of `given` padded or cut to the expected length, so the work never
  // depends on the given length; the length check itself is folded into the result.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  std::vector<unsigned char> padded(expected.size(), 0);
  for (size_t i = 0; i < expected.size(); ++i)
    padded[i] = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
  if (!expected.empty())
    diff |= static_cast<unsigned char>(
        CRYPTO_memcmp(padded.data(), expected.data(), expected.size()) != 0);
  return diff == 0 && !expected.empty();
}

std::string random_token(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw std::runtime_error("no random bytes available for a token");
  static const char *digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace gk::http
