#include "graphql.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gkfake::detail {
namespace json = boost::json;

namespace {

bool name_char(char c) {
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

  // A literal or a $variable, as JSON: strings, numbers, bare words as strings.
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
    const std::size_t start = pos;
    while (pos < text_.size() && (name_char(text_[pos]) || text_[pos] == '-')) ++pos;
    const std::string_view word = text_.substr(start, pos - start);
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

struct Ask {
  std::string alias;
  std::string owner;
  std::string name;
  int64_t number = 0;
  std::size_t at = 0;
  std::size_t first = 100;
  std::size_t after = 0;
  bool latest_reviews = false;
};

std::string encode_cursor(std::size_t index) {
  const std::string plain = "cursor:v2:" + std::to_string(index);
  std::string out(boost::beast::detail::base64::encoded_size(plain.size()), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), plain.data(), plain.size()));
  return out;
}

std::size_t decode_cursor(const std::string &cursor) {
  std::string plain(boost::beast::detail::base64::decoded_size(cursor.size()), '\0');
  plain.resize(
      boost::beast::detail::base64::decode(plain.data(), cursor.data(), cursor.size()).first);
  const std::string_view prefix = "cursor:v2:";
  if (!plain.starts_with(prefix)) return 0;
  std::size_t n = 0;
  std::from_chars(plain.data() + prefix.size(), plain.data() + plain.size(), n);
  return n;
}

std::string upper(std::string s) {
  for (char &c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

json::value upper_or_null(const std::string &s) {
  return s.empty() ? json::value(nullptr) : json::value(upper(s));
}

json::value string_or_null(const std::string &s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

std::string iso8601(int64_t epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rollup_state(const PullState &pr) {
  static const std::string_view failing[] = {"failure",         "timed_out",       "cancelled",
                                             "action_required", "startup_failure", "stale"};
  bool error = false;
  bool pending = false;
  for (const auto &c : pr.checks) {
    if (c.status != "completed") {
      pending = true;
    } else if (std::find(std::begin(failing), std::end(failing), c.conclusion) !=
               std::end(failing)) {
      return "FAILURE";
    }
  }
  for (const auto &s : pr.statuses) {
    if (s.state == "failure") return "FAILURE";
    if (s.state == "error") error = true;
    if (s.state == "pending") pending = true;
  }
  return error ? "ERROR" : pending ? "PENDING" : "SUCCESS";
}

json::value rollup(const Ask &ask, const PullState &pr) {
  const std::size_t total = pr.checks.size() + pr.statuses.size();
  if (total == 0) return nullptr;
  const std::size_t begin = std::min(ask.after, total);
  const std::size_t end = std::min(total, begin + ask.first);
  json::array nodes;
  for (std::size_t i = begin; i < end; ++i) {
    if (i < pr.checks.size()) {
      const CheckRun &c = pr.checks[i];
      nodes.push_back({{"__typename", "CheckRun"},
                       {"name", c.name},
                       {"status", upper(c.status)},
                       {"conclusion", upper_or_null(c.conclusion)},
                       {"detailsUrl",
                        c.details_url.empty()
                            ? "https://ci.example.com/" + ask.owner + "/" + ask.name + "/" + c.name
                            : c.details_url}});
    } else {
      const StatusContext &s = pr.statuses[i - pr.checks.size()];
      nodes.push_back({{"__typename", "StatusContext"},
                       {"context", s.context},
                       {"state", upper(s.state)},
                       {"targetUrl", string_or_null(s.target_url)}});
    }
  }
  json::object page_info{
      {"hasNextPage", end < total},
      {"endCursor", end > begin ? json::value(encode_cursor(end)) : json::value(nullptr)}};
  return {
      {"state", rollup_state(pr)},
      {"contexts",
       {{"totalCount", total}, {"pageInfo", std::move(page_info)}, {"nodes", std::move(nodes)}}}};
}

json::object latest_reviews(const PullState &pr) {
  // The latest review per author that is not pending, in the order of those latest reviews.
  std::vector<const Review *> latest;
  for (const auto &r : pr.reviews) {
    if (r.state == "PENDING") continue;
    auto same = std::find_if(latest.begin(), latest.end(),
                             [&](const Review *l) { return l->user == r.user; });
    if (same != latest.end()) latest.erase(same);
    latest.push_back(&r);
  }
  json::array nodes;
  for (const Review *r : latest) {
    const auto index = static_cast<int64_t>(r - pr.reviews.data());
    nodes.push_back({{"author", {{"login", r->user}}},
                     {"state", r->state},
                     {"body", r->body},
                     {"submittedAt", iso8601(1704067200 + 60 * index)}});
  }
  return {{"nodes", std::move(nodes)}};
}

json::object pull_request(const Ask &ask, const PullState &pr) {
  json::object out{
      {"headRefOid", pr.head_sha},
      {"reviewDecision", string_or_null(pr.review_decision)},
      {"commits",
       {{"nodes",
         json::array{
             {{"commit", {{"oid", pr.head_sha}, {"statusCheckRollup", rollup(ask, pr)}}}}}}}}};
  if (ask.latest_reviews) out["latestReviews"] = latest_reviews(pr);
  return out;
}

HttpResponse json_response(unsigned status, const json::value &body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

bool contains_word(std::string_view text, std::string_view word) {
  for (auto at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const std::size_t after = at + word.size();
    if ((at == 0 || !name_char(text[at - 1])) &&
        (after == text.size() || !name_char(text[after]))) {
      return true;
    }
  }
  return false;
}

std::vector<Ask> scan(Scanner &s) {
  std::vector<Ask> asks;
  const std::size_t n = s.text().size();
  std::size_t at = s.find_call("repository", n);
  while (at != std::string_view::npos) {
    Ask ask;
    ask.at = at;
    ask.alias = s.alias_before(at);
    if (ask.alias.empty()) ask.alias = "repository";
    s.pos = at + std::string_view("repository").size();
    std::map<std::string, json::value> args;
    const bool args_ok = s.arguments(args);
    const std::size_t body = s.pos;
    const std::size_t next = s.find_call("repository", n);
    const std::size_t end = next == std::string_view::npos ? n : next;
    const auto string_arg = [&](const char *key) -> std::string {
      const auto it = args.find(key);
      return it != args.end() && it->second.is_string() ? std::string(it->second.as_string()) : "";
    };
    ask.owner = string_arg("owner");
    ask.name = string_arg("name");
    s.pos = body;
    const std::size_t pr = s.find_call("pullRequest", end);
    if (args_ok && pr != std::string_view::npos) {
      s.pos = pr + std::string_view("pullRequest").size();
      std::map<std::string, json::value> pr_args;
      if (s.arguments(pr_args) && pr_args.count("number")) {
        const json::value &v = pr_args["number"];
        if (v.is_int64()) ask.number = v.as_int64();
        if (v.is_string()) ask.number = std::atoll(v.as_string().c_str());
      }
      const std::size_t contexts = s.find_call("contexts", end);
      if (contexts != std::string_view::npos) {
        s.pos = contexts + std::string_view("contexts").size();
        std::map<std::string, json::value> c_args;
        if (s.arguments(c_args)) {
          if (c_args.count("first") && c_args["first"].is_int64()) {
            ask.first =
                static_cast<std::size_t>(std::clamp<int64_t>(c_args["first"].as_int64(), 1, 100));
          }
          if (c_args.count("after") && c_args["after"].is_string()) {
            ask.after = decode_cursor(std::string(c_args["after"].as_string()));
          }
        }
      }
      const std::string_view span = s.text().substr(body, end - body);
      ask.latest_reviews = contains_word(span, "latestReviews");
      asks.push_back(ask);
    }
    s.pos = end;
    at = next;
  }
  return asks;
}

}  // namespace

HttpResponse answer_graphql(const Store &store, const HttpRequest &request,
                            const GraphqlRateLimit &rate) {
  json::value body;
  boost::system::error_code ec;
  body = json::parse(request.body, ec);
  if (ec || !body.is_object()) {
    return json_response(
        400, json::parse(github_error("Problems parsing JSON", "https://docs.github.com/graphql")));
  }
  const auto *query = body.as_object().if_contains("query");
  if (!query || !query->is_string()) {
    return json_response(
        200, json::object{{"errors", json::array{{{"message",
                                                   "A query attribute must be "
                                                   "specified and must be a string."}}}}});
  }
  static const json::object no_variables;
  const auto *vars = body.as_object().if_contains("variables");
  Scanner scanner(query->as_string(), vars && vars->is_object() ? vars->as_object() : no_variables);
  const std::vector<Ask> asks = scan(scanner);
  const bool want_rate = contains_word(query->as_string(), "rateLimit");
  if (asks.empty() && !want_rate) {
    return json_response(
        200,
        json::object{{"errors", json::array{{{"message",
                                              "gk fake: no `ALIAS: repository(owner:, name:) { "
                                              "pullRequest(number:) ... }` in the query"}}}}});
  }
  json::object data;
  json::array errors;
  for (const Ask &ask : asks) {
    const std::string repo = ask.owner + "/" + ask.name;
    if (!store.has_repo(repo)) {
      data[ask.alias] = nullptr;
      errors.push_back(
          {{"type", "NOT_FOUND"},
           {"path", json::array{json::value(ask.alias)}},
           {"locations", json::array{scanner.location(ask.at)}},
           {"message", "Could not resolve to a Repository with the name '" + repo + "'."}});
      continue;
    }
    const PullState *pr = store.pull(repo, static_cast<int>(ask.number));
    if (!pr) {
      data[ask.alias] = {{"pullRequest", nullptr}};
      errors.push_back({{"type", "NOT_FOUND"},
                        {"path", json::array{json::value(ask.alias), json::value("pullRequest")}},
                        {"locations", json::array{scanner.location(ask.at)}},
                        {"message", "Could not resolve to a PullRequest with the number of " +
                                        std::to_string(ask.number) + "."}});
      continue;
    }
    data[ask.alias] = {{"pullRequest", pull_request(ask, *pr)}};
  }
  if (want_rate) {
    data["rateLimit"] = {{"limit", rate.limit},
                         {"cost", 1},
                         {"remaining", rate.remaining},
                         {"used", rate.limit - rate.remaining},
                         {"resetAt", iso8601(rate.reset_epoch_s)}};
  }
  json::object out{{"data", std::move(data)}};
  if (!errors.empty()) out["errors"] = std::move(errors);
  return json_response(200, out);
}

}  // namespace gkfake::detail
