// goalkeeper.hpp -- a header-only C++20 helper for hosts of the goalkeeper plugin.
//
// Loads libgoalkeeper.so at run time (Boost.DLL), resolves every gk_* function, refuses a plugin
// whose ABI major differs from goalkeeper.h's, and wraps a state handle in an RAII class whose
// methods return owned std::string and throw goalkeeper::Error on failure. JSON stays a string
// here: use whichever JSON library the host already has.
//
//   goalkeeper::Plugin plugin("/usr/lib/x86_64-linux-gnu/libgoalkeeper.so.1");
//   goalkeeper::Handle state(plugin, R"({"state_path": "/tmp/gk/state.db"})");
//   state.load(yaml_text, "pipelines/fix.yaml");
//   state.start("land-fix");
//   std::string actions = state.step();
//
// Needs only the Boost headers (and libdl on old C libraries): BOOST_DLL_USE_STD_FS makes
// Boost.DLL use std::filesystem, so no Boost library is linked.
#pragma once

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/shared_library.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

#include "goalkeeper.h"

namespace goalkeeper {

// A failed gk_* call (status is the negative gk_status it returned, message is gk_last_error()),
// or a plugin that could not be loaded (status GK_ERR_NOT_FOUND, GK_ERR_IO or GK_ERR_VERSION).
class Error : public std::runtime_error {
 public:
  Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// The plugin's functions, resolved by name.
struct Api {
  decltype(&::gk_abi_version) abi_version = nullptr;
  decltype(&::gk_version) version = nullptr;
  decltype(&::gk_last_error) last_error = nullptr;
  decltype(&::gk_free) free = nullptr;
  decltype(&::gk_host_init) host_init = nullptr;
  decltype(&::gk_open) open = nullptr;
  decltype(&::gk_close) close = nullptr;
  decltype(&::gk_load) load = nullptr;
  decltype(&::gk_instantiate) instantiate = nullptr;
  decltype(&::gk_discover) discover = nullptr;
  decltype(&::gk_start) start = nullptr;
  decltype(&::gk_control) control = nullptr;
  decltype(&::gk_step) step = nullptr;
  decltype(&::gk_job_event) job_event = nullptr;
  decltype(&::gk_review) review = nullptr;
  decltype(&::gk_signal) signal = nullptr;
  decltype(&::gk_webhook) webhook = nullptr;
  decltype(&::gk_query) query = nullptr;
};

// A loaded plugin library and its function table. Copies share the library, which stays loaded
// until the last copy (and the last Handle opened from it) is gone.
class Plugin {
 public:
  // Loads the library at `path`. A path without a directory ("libgoalkeeper.so.1") is searched
  // for like dlopen does (LD_LIBRARY_PATH, the system folders). Throws Error when the file is
  // missing or cannot be loaded, when a gk_* function is missing, or when the plugin's ABI major
  // is not GK_ABI_VERSION_MAJOR; the message names the path, what was found and what was expected.
  explicit Plugin(const std::filesystem::path &path) : impl_(load(path)) {}

  const Api &api() const noexcept { return impl_->api; }
  const std::filesystem::path &path() const noexcept { return impl_->path; }
  std::uint32_t abi_version() const { return impl_->api.abi_version(); }
  std::string version() const { return impl_->api.version(); }

 private:
  struct Impl {
    boost::dll::shared_library library;
    Api api;
    std::filesystem::path path;
  };

  static std::string describe(const std::filesystem::path &path) {
    return "goalkeeper plugin '" + path.string() + "'";
  }

  static std::string version_string(std::uint32_t v) {
    return std::to_string(v >> 16) + "." + std::to_string(v & 0xffffu);
  }

  static std::shared_ptr<const Impl> load(const std::filesystem::path &path) {
    auto impl = std::make_shared<Impl>();
    impl->path = path;

    namespace mode = boost::dll::load_mode;
    const bool search = !path.has_parent_path();
    if (!search) {
      std::error_code exists_ec;
      if (!std::filesystem::exists(path, exists_ec)) {
        throw Error(GK_ERR_NOT_FOUND, "cannot load " + describe(path) + ": no such file");
      }
    }
    std::error_code ec;
    impl->library.load(path, ec, search ? mode::search_system_folders : mode::default_mode);
    if (ec || !impl->library.is_loaded()) {
      std::string why = ec ? ec.message() : "not loaded";
#if defined(__unix__) || defined(__APPLE__)
      if (const char *dl = ::dlerror()) why = dl;
#endif
      throw Error(search ? GK_ERR_NOT_FOUND : GK_ERR_IO,
                  "cannot load " + describe(path) + ": " + why);
    }

    std::vector<std::string> missing;
    auto resolve = [&](auto &fn, const char *name) {
      using Fn = std::remove_pointer_t<std::remove_reference_t<decltype(fn)>>;
      if (impl->library.has(name)) {
        fn = &impl->library.get<Fn>(name);
      } else {
        missing.emplace_back(name);
      }
    };
    Api &a = impl->api;
    resolve(a.abi_version, "gk_abi_version");
    resolve(a.version, "gk_version");
    resolve(a.last_error, "gk_last_error");
    resolve(a.free, "gk_free");
    resolve(a.host_init, "gk_host_init");
    resolve(a.open, "gk_open");
    resolve(a.close, "gk_close");
    resolve(a.load, "gk_load");
    resolve(a.instantiate, "gk_instantiate");
    resolve(a.discover, "gk_discover");
    resolve(a.start, "gk_start");
    resolve(a.control, "gk_control");
    resolve(a.step, "gk_step");
    resolve(a.job_event, "gk_job_event");
    resolve(a.review, "gk_review");
    resolve(a.signal, "gk_signal");
    resolve(a.webhook, "gk_webhook");
    resolve(a.query, "gk_query");

    // Without gk_abi_version nothing else can be trusted: report the missing symbols first.
    if (!missing.empty()) {
      std::string names;
      for (const auto &n : missing) names += (names.empty() ? "" : ", ") + n;
      const std::string what =
          missing.size() == 18
              ? "'" + path.string() + "' is not a goalkeeper plugin: the gk_ symbols are missing"
              : describe(path) + " is missing gk_ symbols";
      throw Error(GK_ERR_VERSION, what + " (" + names + "); expected the C ABI " +
                                      version_string(GK_ABI_VERSION) + " of goalkeeper.h");
    }
    const std::uint32_t found = a.abi_version();
    if ((found >> 16) != GK_ABI_VERSION_MAJOR) {
      throw Error(GK_ERR_VERSION, describe(path) + " implements ABI " + version_string(found) +
                                      ", but this host was built for ABI " +
                                      version_string(GK_ABI_VERSION) + " (major " +
                                      std::to_string(GK_ABI_VERSION_MAJOR) + " required)");
    }
    return impl;
  }

  std::shared_ptr<const Impl> impl_;
};

// An open state (gk_open .. gk_close). Move-only; a moved-from Handle is empty and may only be
// destroyed or assigned to. Methods take JSON/YAML text and return the plugin's JSON as an owned
// string. Each throws Error{status, gk_last_error()} when the call fails. A Handle may be used
// from several threads at once, like the gk_plugin it wraps.
class Handle {
 public:
  // Opens the state described by config_json ("" for all defaults). host may be nullptr; its
  // ctx and callbacks must outlive the Handle.
  explicit Handle(Plugin plugin, const std::string &config_json = {}, const gk_host *host = nullptr)
      : plugin_(std::move(plugin)) {
    gk_plugin *p = nullptr;
    check(api().open(host, config_json.c_str(), &p));
    handle_ = p;
  }

  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  Handle(Handle &&other) noexcept
      : plugin_(other.plugin_), handle_(std::exchange(other.handle_, nullptr)) {}
  Handle &operator=(Handle &&other) noexcept {
    if (this != &other) {
      reset();
      plugin_ = other.plugin_;
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~Handle() { reset(); }

  gk_plugin *get() const noexcept { return handle_; }
  const Plugin &plugin() const noexcept { return plugin_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

  // gk_load: returns {"goals":[{"goal_id":...,"tasks":N,"created":bool}]}.
  std::string load(const std::string &yaml, const std::string &source_name = "<input>") {
    char *out = nullptr;
    check(api().load(handle_, yaml.c_str(), source_name.c_str(), &out));
    return take(out);
  }

  // gk_instantiate: returns {"goal_id":...,"template_id":...,"params":{...},"created":bool,...}.
  std::string instantiate(const std::string &template_id, const std::string &params_json = "{}") {
    char *out = nullptr;
    check(api().instantiate(handle_, template_id.c_str(), params_json.c_str(), &out));
    return take(out);
  }

  // gk_discover: returns {"triggers":[{"trigger":...,"actions":[...]}]}.
  std::string discover(const std::string &options_json = "{}") {
    char *out = nullptr;
    check(api().discover(handle_, options_json.c_str(), &out));
    return take(out);
  }

  // gk_start: options_json "" for none, or e.g. {"spec":true}.
  void start(const std::string &goal_id, const std::string &options_json = {}) {
    check(api().start(handle_, goal_id.c_str(),
                      options_json.empty() ? nullptr : options_json.c_str()));
  }

  // gk_control: command is "pause", "resume" or "stop".
  void control(const std::string &goal_id, const std::string &command) {
    check(api().control(handle_, goal_id.c_str(), command.c_str()));
  }

  // gk_step: returns {"actions":[...],"next_step_ms":N,"goals":[...]}.
  std::string step(const std::string &input_json = "{}") {
    char *out = nullptr;
    check(api().step(handle_, input_json.c_str(), &out));
    return take(out);
  }

  // gk_job_event: event_json e.g. {"type":"finished","exit_code":0}.
  void job_event(const std::string &job_key, const std::string &event_json) {
    check(api().job_event(handle_, job_key.c_str(), event_json.c_str()));
  }

  // gk_review: decision_json {"decision":"approve"} or {"decision":"reject","feedback":"..."}.
  void review(const std::string &task_id, const std::string &decision_json) {
    check(api().review(handle_, task_id.c_str(), decision_json.c_str()));
  }

  // gk_signal: returns {"matched":[{"goal_id":...,"task_id":...}],"message":"..."}.
  std::string signal(const std::string &signal_json) {
    char *out = nullptr;
    check(api().signal(handle_, signal_json.c_str(), &out));
    return take(out);
  }

  // gk_webhook: body is the raw request body (any bytes, length given).
  std::string webhook(const std::string &headers_json, std::string_view body) {
    char *out = nullptr;
    check(api().webhook(handle_, headers_json.c_str(), body.data(), body.size(), &out));
    return take(out);
  }

  // gk_query: e.g. {"what":"status"}.
  std::string query(const std::string &query_json) {
    char *out = nullptr;
    check(api().query(handle_, query_json.c_str(), &out));
    return take(out);
  }

 private:
  const Api &api() const noexcept { return plugin_.api(); }

  void check(int status) const {
    if (status != GK_OK) {
      const char *message = api().last_error();
      throw Error(status, message != nullptr && *message != '\0'
                              ? std::string(message)
                              : "goalkeeper call failed with status " + std::to_string(status));
    }
  }

  std::string take(char *s) const {
    std::unique_ptr<char, decltype(api().free)> owned(s, api().free);
    return s != nullptr ? std::string(s) : std::string();
  }

  void reset() noexcept {
    if (handle_ != nullptr) {
      api().close(handle_);
      handle_ = nullptr;
    }
  }

  Plugin plugin_;
  gk_plugin *handle_ = nullptr;
};

}  // namespace goalkeeper
