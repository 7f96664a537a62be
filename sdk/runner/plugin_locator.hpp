// Finding and loading the plugin: --plugin PATH, then $GOALKEEPER_PLUGIN, then the install
// location next to this executable (<exe dir>/libgoalkeeper.so.1, <exe dir>/../lib/...). A missing
// plugin or one with another ABI major is refused with a message that says what was found and
// where the runner looked.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <goalkeeper/goalkeeper.hpp>

namespace gk::runner {

// The absolute path of the running executable.
std::filesystem::path executable_path();

// The places looked at when neither --plugin nor $GOALKEEPER_PLUGIN names the plugin.
std::vector<std::filesystem::path> default_plugin_locations();

// Throws goalkeeper::Error (GK_ERR_NOT_FOUND, GK_ERR_IO or GK_ERR_VERSION) with the full story.
goalkeeper::Plugin load_plugin(const std::optional<std::string> &flag);

}  // namespace gk::runner
