// goalkeeper.hpp loads the plugin by path at run time, checks its ABI and wraps calls in RAII and
// exceptions. This executable never links the plugin: it only knows GK_PLUGIN_PATH.
#include <goalkeeper/goalkeeper.hpp>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <type_traits>

namespace {

namespace fs = std::filesystem;

// A fresh, empty directory for one test's state.
fs::path fresh_dir(const std::string &name) {
  fs::path dir = fs::path(GK_TEST_TMPDIR) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string config_for(const fs::path &dir) {
  return R"({"state_path":")" + (dir / "state.db").string() + R"("})";
}

// Runs f, which must throw goalkeeper::Error; returns it.
template <typename F>
goalkeeper::Error expect_error(F &&f) {
  try {
    f();
  } catch (const goalkeeper::Error &e) {
    return e;
  }
  ADD_FAILURE() << "expected goalkeeper::Error";
  return goalkeeper::Error(GK_OK, "");
}

// The shared object that defines strlen: the C library, a real library with no gk_ symbols.
std::string libc_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&::strlen), &info) != 0 && info.dli_fname != nullptr) {
    return info.dli_fname;
  }
  return "/lib/x86_64-linux-gnu/libc.so.6";
}

TEST(HppLoader, LoadsThePluginByPathAndChecksItsAbi) {
  goalkeeper::Plugin plugin(GK_PLUGIN_PATH);
  EXPECT_EQ(plugin.abi_version() >> 16, static_cast<std::uint32_t>(GK_ABI_VERSION_MAJOR));
  EXPECT_FALSE(plugin.version().empty());
  EXPECT_EQ(plugin.path(), fs::path(GK_PLUGIN_PATH));
  EXPECT_NE(plugin.api().query, nullptr);
  EXPECT_NE(plugin.api().webhook, nullptr);
}

TEST(HppLoader, HandleOpensAStateAndFailingCallsThrowStatusAndMessage) {
  const fs::path dir = fresh_dir("handle");
  goalkeeper::Handle state(goalkeeper::Plugin(GK_PLUGIN_PATH), config_for(dir));
  ASSERT_TRUE(state);
  ASSERT_NE(state.get(), nullptr);

  goalkeeper::Error bad_json = expect_error([&] { state.step("{"); });
  EXPECT_EQ(bad_json.status(), GK_ERR_INVALID);
  EXPECT_STRNE(bad_json.what(), "");

  goalkeeper::Error unknown_goal = expect_error([&] { state.start("no-such-goal"); });
  EXPECT_EQ(unknown_goal.status(), GK_ERR_NOT_FOUND);
  EXPECT_STRNE(unknown_goal.what(), "");

  goalkeeper::Error unknown_signal =
      expect_error([&] { state.signal(R"({"type":"nope","status":"pass"})"); });
  EXPECT_EQ(unknown_signal.status(), GK_ERR_INVALID);

  goalkeeper::Error unsigned_webhook =
      expect_error([&] { state.webhook(R"({"X-GitHub-Event":"ping"})", "{}"); });
  EXPECT_EQ(unsigned_webhook.status(), GK_ERR_UNAUTHORIZED);

  // A successful call after failures still works and returns an owned string.
  EXPECT_FALSE(state.query(R"({"what":"status"})").empty());
}

TEST(HppLoader, HandleIsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<goalkeeper::Handle>);
  static_assert(!std::is_copy_assignable_v<goalkeeper::Handle>);
  static_assert(std::is_nothrow_move_constructible_v<goalkeeper::Handle>);
  static_assert(std::is_nothrow_move_assignable_v<goalkeeper::Handle>);

  const fs::path dir = fresh_dir("move");
  goalkeeper::Handle first(goalkeeper::Plugin(GK_PLUGIN_PATH), config_for(dir));
  gk_plugin *raw = first.get();
  goalkeeper::Handle second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): a moved-from Handle is empty
  EXPECT_EQ(second.get(), raw);
  EXPECT_FALSE(second.query(R"({"what":"status"})").empty());
}

TEST(HppLoader, MissingFileThrowsErrorNamingThePath) {
  const std::string path = std::string(GK_TEST_TMPDIR) + "/no-such-dir/libgoalkeeper.so.1";
  goalkeeper::Error e = expect_error([&] { goalkeeper::Plugin plugin(path); });
  EXPECT_EQ(e.status(), GK_ERR_NOT_FOUND);
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
}

TEST(HppLoader, LibraryWithoutGkSymbolsThrowsErrorSayingTheyAreMissing) {
  const std::string path = libc_path();
  goalkeeper::Error e = expect_error([&] { goalkeeper::Plugin plugin(path); });
  const std::string message = e.what();
  EXPECT_EQ(e.status(), GK_ERR_VERSION);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("gk_ symbols are missing"), std::string::npos) << message;
  EXPECT_NE(message.find("gk_abi_version"), std::string::npos) << message;
}

TEST(HppLoader, PluginMissingOneFunctionThrowsErrorNamingIt) {
  goalkeeper::Error e = expect_error([] { goalkeeper::Plugin plugin(GK_FAKE_NO_QUERY_PATH); });
  const std::string message = e.what();
  EXPECT_EQ(e.status(), GK_ERR_VERSION);
  EXPECT_NE(message.find("gk_query"), std::string::npos) << message;
  EXPECT_EQ(message.find("gk_step"), std::string::npos) << message;
  EXPECT_NE(message.find(GK_FAKE_NO_QUERY_PATH), std::string::npos) << message;
}

TEST(HppLoader, PluginWithAnotherAbiMajorThrowsErrorSayingFoundAndExpected) {
  goalkeeper::Error e = expect_error([] { goalkeeper::Plugin plugin(GK_FAKE_ABI2_PATH); });
  const std::string message = e.what();
  EXPECT_EQ(e.status(), GK_ERR_VERSION);
  EXPECT_NE(message.find("ABI 2.0"), std::string::npos) << message;
  EXPECT_NE(message.find("ABI 1." + std::to_string(GK_ABI_VERSION_MINOR)), std::string::npos)
      << message;
  EXPECT_NE(message.find(GK_FAKE_ABI2_PATH), std::string::npos) << message;
}

TEST(HppLoader, FailedCallsOfAPluginCarryItsLastError) {
  // The fake ABI 1.9 plugin (a newer minor) refuses gk_open with GK_ERR_INTERNAL and "fake plugin".
  goalkeeper::Plugin plugin(GK_FAKE_ABI1_9_PATH);
  EXPECT_EQ(plugin.abi_version(), 0x00010009u);  // a newer minor is accepted
  goalkeeper::Error e = expect_error([&] { goalkeeper::Handle state(plugin, "{}"); });
  EXPECT_EQ(e.status(), GK_ERR_INTERNAL);
  EXPECT_STREQ(e.what(), "fake plugin");
}

}  // namespace
