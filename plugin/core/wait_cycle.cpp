#include "core/wait_cycle.hpp"

#include <utility>

namespace gk {

std::vector<size_t> sequential_wait_cycle(
    const std::vector<std::optional<std::vector<size_t>>> &needs,
    const std::vector<size_t> &position) {
  const size_t n = needs.size();
  // Nodes 0..n-1 are the tasks, n+k is "every task at run positions 0..k".
  std::vector<size_t> at_position(n);
  for (size_t i = 0; i < n; ++i) at_position[position[i]] = i;
  auto successors = [&](size_t v, std::vector<size_t> &out) {
    out.clear();
    if (v < n) {
      if (needs[v])
        out = *needs[v];
      else if (position[v] > 0)
        out.push_back(n + position[v] - 1);
    } else {
      // Down the chain first: the cycle found then names the fewest tasks.
      const size_t k = v - n;
      if (k > 0) out.push_back(v - 1);
      out.push_back(at_position[k]);
    }
  };
  enum : unsigned char { kUnseen, kOpen, kClosed };
  std::vector<unsigned char> state(2 * n, kUnseen);
  struct Frame {
    size_t node;
    std::vector<size_t> next;
    size_t at = 0;
  };
  std::vector<Frame> stack;
  for (size_t root = 0; root < n; ++root) {
    if (state[root] != kUnseen) continue;
    stack.push_back({root, {}, 0});
    successors(root, stack.back().next);
    state[root] = kOpen;
    while (!stack.empty()) {
      Frame &f = stack.back();
      if (f.at == f.next.size()) {
        state[f.node] = kClosed;
        stack.pop_back();
        continue;
      }
      const size_t w = f.next[f.at++];
      if (state[w] == kUnseen) {
        state[w] = kOpen;
        Frame g{w, {}, 0};
        successors(w, g.next);
        stack.push_back(std::move(g));
      } else if (state[w] == kOpen) {
        std::vector<size_t> cycle;
        bool in = false;
        for (const Frame &s : stack) {
          if (s.node == w) in = true;
          if (in && s.node < n) cycle.push_back(s.node);
        }
        return cycle;
      }
    }
  }
  return {};
}

}  // namespace gk
