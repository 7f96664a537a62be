// Process, HTTP and signing helpers for the serve tests.
#include "serve_support.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

namespace gkserve {

namespace rt = gk::runner_test;
using namespace std::chrono_literals;

json::value HttpResult::json() const {
  return json::parse(body);
}

namespace {

size_t collect(char *data, size_t size, size_t count, void *user) {
  static_cast<std::string *>(user)->append(data, size * count);
  return size * count;
}

size_t collect_header(char *data, size_t size, size_t count, void *user) {
  auto *headers = static_cast<std::map<std::string, std::string> *>(user);
  std::string line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*headers)[name] = value;
  }
  return size * count;
}

}  // namespace

HttpResult http(const std::string &method, const std::string &url,
                const std::vector<std::string> &headers, const std::string &body, long timeout_ms) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult r;
  CURL *c = curl_easy_init();
  curl_slist *list = nullptr;
  for (const auto &h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (method == "POST" || method == "PUT" || !body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (method != "GET" && method != "POST")
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<int>(status);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

std::string bearer(const std::string &token) {
  return "Authorization: Bearer " + token;
}

std::string sign(const std::string &secret, const std::string &body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char *>(body.data()), body.size(), mac, &len);
  static const char *digits = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[mac[i] >> 4];
    out += digits[mac[i] & 15];
  }
  return out;
}

std::string new_delivery_id() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", rd(), rd() & 0xffff, rd() & 0xfff,
                rd() & 0xfff, static_cast<unsigned long long>(++counter) ^ (uint64_t(rd()) << 16));
  return buf;
}

std::vector<std::string> delivery_headers(const std::string &event, const std::string &body,
                                          const std::string &secret) {
  return {"X-GitHub-Event: " + event, "X-GitHub-Delivery: " + new_delivery_id(),
          "X-Hub-Signature-256: " + sign(secret, body), "Content-Type: application/json",
          "User-Agent: GitHub-Hookshot/test"};
}

json::object fixture(const std::string &event, size_t index) {
  json::value all =
      json::parse(rt::read(fs::path(GK_FIXTURES_DIR) / "github" / "webhooks" / (event + ".json")));
  return all.as_array().at(index).as_object();
}

Serve::Serve(const TempDir &dir, const ServeOptions &o) : dir_(dir.path()) {
  std::vector<std::string> args{"serve"};
  if (!o.goal_yaml.empty()) {
    rt::write(dir_ / "goals.yaml", o.goal_yaml);
    args.push_back("goals.yaml");
  }
  args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  if (!o.config.empty()) {
    rt::write(dir_ / "config.json", json::serialize(o.config));
    args.insert(args.end(), {"--config", "config.json"});
  }
  args.insert(args.end(), o.args.begin(), o.args.end());
  rt::Options po;
  po.cwd = dir_;
  po.env["GK_SIGNAL_TOKEN"] = o.signal_token ? kSignalToken : "";
  po.env["GK_WEBHOOK_SECRET"] = o.webhook_secret ? kWebhookSecret : "";
  po.env[kGitHubTokenEnv] = "test-github-token";
  po.env["no_proxy"] = "127.0.0.1,localhost";
  po.env["NO_PROXY"] = "127.0.0.1,localhost";
  for (const auto &[k, v] : o.env) po.env[k] = v;
  pid_ = rt::spawn(args, po, dir_ / "serve.out", dir_ / "serve.err");
  static const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
  rt::eventually(
      [&] {
        std::smatch m;
        std::string text = out();
        if (std::regex_search(text, m, listening)) {
          port_ = std::stoi(m[1]);
          return true;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited_ = true;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        }
        return false;
      },
      20000ms);
}

Serve::~Serve() {
  if (!exited_ && pid_ > 0) stop(10000ms);
}

std::string Serve::url(const std::string &path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Serve::out() const {
  return rt::read(dir_ / "serve.out");
}
std::string Serve::err() const {
  return rt::read(dir_ / "serve.err");
}

void Serve::signal(int sig) const {
  if (!exited_ && pid_ > 0) ::kill(pid_, sig);
}

int Serve::stop(std::chrono::milliseconds within) {
  if (exited_) return exit_code_;
  ::kill(pid_, SIGTERM);
  exit_code_ = rt::wait_for(pid_, within);
  exited_ = true;
  return exit_code_;
}

std::string goal_state(const Serve &s, const std::string &goal) {
  auto r = http("GET", s.url("/api/status?goal=" + goal), {bearer()});
  if (r.status != 200) return "";
  const json::value status = r.json();
  for (const auto &g : status.at("goals").as_array())
    if (g.at("goal_id").as_string() == goal) return std::string(g.at("state").as_string());
  return "";
}

std::string task_status(const Serve &s, const std::string &goal, const std::string &task) {
  auto r = http("GET", s.url("/api/tasks/" + goal + "/" + task), {bearer()});
  if (r.status != 200) return "";
  return std::string(r.json().at("status").as_string());
}

RawClient::RawClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const std::string &bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string RawClient::read_all(std::chrono::milliseconds within) {
  std::string out;
  eof_ = false;
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool can_connect(int port) {
  RawClient c(port);
  return c.connected();
}

}  // namespace gkserve
