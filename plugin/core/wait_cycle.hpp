// A deadlock that `needs` alone does not show: under a sequential parent a task without needs
// waits for every sibling before it in run order, so a task that needs a later sibling waits for
// a task that waits for it. The loader refuses such a file (it would validate, then never run).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace gk {

// needs[i]: the siblings task i names (indexes), or nullopt when it has no `needs`. position[i]:
// its place in its parent's run order. Returns the tasks of one cycle of waiting, each waiting
// for the next and the last for the first; empty when there is none. Linear in the siblings and
// their needs: "every sibling before it" is one edge to a chain of prefixes, not one per sibling.
std::vector<size_t> sequential_wait_cycle(
    const std::vector<std::optional<std::vector<size_t>>> &needs,
    const std::vector<size_t> &position);

}  // namespace gk
