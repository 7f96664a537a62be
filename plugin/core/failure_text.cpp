#include "core/failure_text.hpp"

#include <algorithm>

namespace gk {

namespace json = boost::json;

namespace {

// The largest character boundary at or before `at`.
size_t boundary(std::string_view s, size_t at) {
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}

std::string without_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      continue;
    }
    if (c < 0x20 || c == 0x7f) continue;
    // C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9F) {
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string cut(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  auto note = [](size_t n) { return "\u2026[" + std::to_string(n) + " bytes cut]"; };
  const size_t room = note(s.size()).size();  // at least as long as the real note
  if (room >= max_bytes) return s.substr(0, boundary(s, max_bytes));
  const size_t keep = boundary(s, max_bytes - room);
  std::string out = s.substr(0, keep);
  out += note(s.size() - keep);
  return out;
}

std::string trimmed(std::string s) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t start = 0;
  while (start < s.size() && space(s[start])) ++start;
  return s.substr(start);
}

// Untrusted text shown on one line: newlines and tabs become spaces.
std::string one_line(std::string_view text, size_t max_bytes = kFailureMaxLineBytes) {
  std::string s = without_controls(text);
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
  return cut(trimmed(std::move(s)), max_bytes);
}

// Untrusted text shown as lines of its own, each indented by two spaces.
std::string block(std::string_view text, size_t max_bytes) {
  const std::string s = trimmed(prompt_text(text, max_bytes));
  if (s.empty()) return {};
  std::string out = "  ";
  for (char c : s) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out + "\n";
}

// A string field (a number is shown as such: a line number); "" when absent.
std::string field(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return {};
}

const json::array *list(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

size_t count(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (v && v->is_int64() && v->as_int64() > 0) return static_cast<size_t>(v->as_int64());
  if (v && v->is_uint64()) return static_cast<size_t>(v->as_uint64());
  return 0;
}

std::string short_sha(const json::object &o) {
  std::string sha = one_line(field(o, "head_sha"), 64);
  return sha.substr(0, 7);
}

void more(std::string &out, size_t n, const char *what) {
  if (n > 0) out += "- (" + std::to_string(n) + " more " + what + " not shown)\n";
}

bool ci_shaped(const json::object &a) {
  const auto *checks = list(a, "failed_checks");
  const auto *statuses = list(a, "failed_statuses");
  return (checks && !checks->empty()) || (statuses && !statuses->empty());
}

bool review_shaped(const json::object &a) {
  const auto *reviews = list(a, "reviews");
  const auto *comments = list(a, "comments");
  return field(a, "review_decision") == "CHANGES_REQUESTED" || (reviews && !reviews->empty()) ||
         (comments && !comments->empty());
}

// An entry that is not an object (a signal may send plain text) is shown as it is.
void plain_item(const json::value &v, std::string &out) {
  const std::string text = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  out += "- " + one_line(text) + "\n";
}

void render_ci(const json::object &a, std::string &out) {
  if (const auto *checks = list(a, "failed_checks"); checks && !checks->empty()) {
    out += "Failing checks:\n";
    size_t shown = 0;
    for (const auto &v : *checks) {
      if (shown == kFailureMaxChecks) continue;
      ++shown;
      if (!v.is_object()) {  // a signal's own words: "lint: failure"
        plain_item(v, out);
        continue;
      }
      const auto &c = v.as_object();
      std::string name = one_line(field(c, "name"));
      std::string title = one_line(field(c, "title"));
      out += "- " + (name.empty() ? std::string("(unnamed check)") : name) + ": " +
             one_line(field(c, "conclusion"));
      if (!title.empty()) out += " \u2014 " + title;
      out += "\n" + block(field(c, "summary"), kFailureMaxSummaryBytes);
      if (std::string url = one_line(field(c, "url")); !url.empty()) out += "  " + url + "\n";
    }
    more(out, checks->size() - shown + count(a, "failed_checks_omitted"), "failing checks");
  }
  if (const auto *statuses = list(a, "failed_statuses"); statuses && !statuses->empty()) {
    out += "Failing statuses:\n";
    size_t shown = 0;
    for (const auto &v : *statuses) {
      if (shown == kFailureMaxChecks) continue;
      ++shown;
      if (!v.is_object()) {
        plain_item(v, out);
        continue;
      }
      const auto &s = v.as_object();
      std::string description = one_line(field(s, "description"));
      out += "- " + one_line(field(s, "context")) + ": " + one_line(field(s, "state"));
      if (!description.empty()) out += " \u2014 " + description;
      out += "\n";
      if (std::string url = one_line(field(s, "url")); !url.empty()) out += "  " + url + "\n";
    }
    more(out, statuses->size() - shown + count(a, "failed_statuses_omitted"), "failing statuses");
  }
}

void render_review(const json::object &a, std::string &out) {
  size_t shown = 0;
  const auto *reviews = list(a, "reviews");
  if (reviews) {
    for (const auto &v : *reviews) {
      if (!v.is_object() || shown == kFailureMaxReviews) continue;
      ++shown;
      const auto &r = v.as_object();
      std::string user = one_line(field(r, r.contains("reviewer") ? "reviewer" : "user"));
      std::string body = block(field(r, "body"), kFailureMaxReviewBytes);
      out += "Changes requested by " + (user.empty() ? std::string("a reviewer") : user) +
             (body.empty() ? " (without a message).\n" : ":\n" + body);
    }
    if (reviews->size() > shown)
      out += "(" + std::to_string(reviews->size() - shown) + " more reviews not shown)\n";
  }
  if (shown == 0) out += "Changes were requested (GitHub gave no review text).\n";
  if (const auto *comments = list(a, "comments"); comments && !comments->empty()) {
    out += "Line comments:\n";
    size_t listed = 0;
    for (const auto &v : *comments) {
      if (!v.is_object() || listed == kFailureMaxComments) continue;
      ++listed;
      const auto &c = v.as_object();
      std::string where = one_line(field(c, "path"));
      if (std::string line = field(c, "line"); !line.empty() && line != "0") where += ":" + line;
      std::string user = one_line(field(c, "user"));
      std::string body = block(field(c, "body"), kFailureMaxCommentBytes);
      out += "- " + (where.empty() ? std::string("(no file)") : where);
      if (!user.empty()) out += " (" + user + ")";
      // The first line of the body follows the colon; the rest stays indented under it.
      out += body.empty() ? std::string("\n") : ": " + body.substr(2);
    }
    more(out, comments->size() - listed + count(a, "comments_omitted"), "line comments");
  }
  if (std::string error = one_line(field(a, "comments_error"), 1000); !error.empty())
    out += "The line comments could not be read: " + error + "\n";
}

}  // namespace

std::string prompt_text(std::string_view text, size_t max_bytes) {
  return cut(without_controls(text), max_bytes);
}

std::string failure_text(std::string_view gate_id, std::string_view gate_type, int retry,
                         int max_retries, const json::object &artifacts) {
  const std::string head = "The gate '" + one_line(gate_id) + "' (" + one_line(gate_type) +
                           ") failed (retry " + std::to_string(retry) + " of " +
                           std::to_string(max_retries) + ")";
  auto at = [](const json::object &a) {
    std::string sha = short_sha(a);
    return sha.empty() ? std::string() : " at " + sha;
  };
  std::string out;
  if (gate_type == "gh_ci" && ci_shaped(artifacts)) {
    out = head + at(artifacts) + ".\n";
    render_ci(artifacts, out);
  } else if (gate_type == "gh_review" && review_shaped(artifacts)) {
    out = head + at(artifacts) + ".\n";
    render_review(artifacts, out);
  } else if (gate_type == "compound" && !artifacts.empty() &&
             std::any_of(artifacts.begin(), artifacts.end(), [](const auto &kv) {
               return kv.value().is_object() &&
                      (ci_shaped(kv.value().as_object()) || review_shaped(kv.value().as_object()));
             })) {
    out = head + ".\n";
    for (const auto &kv : artifacts) {
      std::string part = "Part '" + one_line(kv.key()) + "'";
      const json::object *a = kv.value().is_object() ? &kv.value().as_object() : nullptr;
      if (a && ci_shaped(*a)) {
        out += part + at(*a) + ":\n";
        render_ci(*a, out);
      } else if (a && review_shaped(*a)) {
        out += part + at(*a) + ":\n";
        render_review(*a, out);
      } else {
        out += part + ": " + without_controls(json::serialize(kv.value())) + "\n";
      }
    }
  } else {
    out = head + ": " + without_controls(json::serialize(artifacts));
  }
  return cut(std::move(out), kFailureMaxTextBytes);
}

}  // namespace gk
