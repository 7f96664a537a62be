// --plugin, $GOALKEEPER_PLUGIN, then next to the executable.
#include "plugin_locator.hpp"

#include <cstdlib>
#include <system_error>

namespace gk::runner {

namespace fs = std::filesystem;

fs::path executable_path() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

std::vector<fs::path> default_plugin_locations() {
  const std::string so = "libgoalkeeper.so." + std::to_string(GK_ABI_VERSION_MAJOR);
  fs::path dir = executable_path().parent_path();
  if (dir.empty()) return {};
  return {dir / so, (dir / ".." / "lib" / so).lexically_normal(),
          (dir / ".." / "lib" / "x86_64-linux-gnu" / so).lexically_normal()};
}

goalkeeper::Plugin load_plugin(const std::optional<std::string> &flag) {
  auto load_named = [](const fs::path &path, const std::string &how) {
    try {
      return goalkeeper::Plugin(path);
    } catch (const goalkeeper::Error &e) {
      throw goalkeeper::Error(e.status(), std::string(e.what()) + " (named by " + how + ")");
    }
  };
  if (flag && !flag->empty()) return load_named(*flag, "--plugin");
  if (const char *env = std::getenv("GOALKEEPER_PLUGIN"); env && *env)
    return load_named(env, "$GOALKEEPER_PLUGIN");
  std::string looked;
  for (const auto &candidate : default_plugin_locations()) {
    std::error_code ec;
    if (fs::exists(candidate, ec)) return load_named(candidate, "its place next to goalkeeper");
    looked += "\n  " + candidate.string() + " (no such file)";
  }
  throw goalkeeper::Error(
      GK_ERR_NOT_FOUND,
      "no goalkeeper plugin found. Looked at:\n  --plugin (not given)\n  $GOALKEEPER_PLUGIN (not "
      "set)" +
          looked + "\nPass --plugin PATH or set GOALKEEPER_PLUGIN to libgoalkeeper.so." +
          std::to_string(GK_ABI_VERSION_MAJOR) + ".");
}

}  // namespace gk::runner
