// Whether one task always finishes before another starts, by the order rules alone (docs/design.md,
// "Order"): a child waits for the siblings its `needs` names, else, under a sequential parent,
// for every sibling before it in run order; under a parallel parent it waits for nothing. A
// template may read a task's artifacts or summary only where this holds, or the value is missing
// when the reader starts. The loader asks it about the tasks of a file, the engine about a job's
// subtasks and the tasks already in the state, so it works on any tree through an accessor:
//
//   struct Tree {
//     using Node = ...;                                   // cheap to copy; comparable
//     std::optional<Node> parent(Node) const;             // nullopt for the root
//     size_t position(Node) const;                        // index in its parent's run order
//     const std::vector<Node> &children(Node) const;      // in run order
//     bool parallel(Node) const;
//     bool has_needs(Node) const;
//     std::vector<Node> needs(Node) const;                // siblings it names
//   };
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace gk {

template <class Tree>
bool finishes_before(typename Tree::Node x, typename Tree::Node t, const Tree &tree) {
  using Node = typename Tree::Node;
  // The ancestors-or-self of x and of t that are siblings: the order between them decides.
  auto chain = [&](Node n) {
    std::vector<Node> up{n};
    while (auto p = tree.parent(up.back())) up.push_back(*p);
    return up;
  };
  std::vector<Node> xs = chain(x), ts = chain(t);
  // Both chains end at the root; walk down from it while they agree.
  size_t i = xs.size(), j = ts.size();
  while (i > 0 && j > 0 && xs[i - 1] == ts[j - 1]) --i, --j;
  // One is an ancestor of the other (or they are the same task): neither finishes first.
  if (i == 0 || j == 0) return false;
  const Node a = ts[j - 1];  // t's side
  const Node b = xs[i - 1];  // x's side
  const Node parent = *tree.parent(a);
  const std::vector<Node> &siblings = tree.children(parent);
  const bool sequential = !tree.parallel(parent);
  const size_t b_at = tree.position(b);
  // Depth-first over "waits for" among the siblings; each is visited once. A sequential child
  // without needs waits for every sibling before it: that prefix is pushed once, so the walk
  // stays linear in the siblings and their needs.
  std::vector<char> seen(siblings.size(), 0);
  size_t prefix = 0;  // siblings [0, prefix) are pushed already
  std::vector<Node> work{a};
  seen[tree.position(a)] = 1;
  auto push = [&](const Node &m) {
    char &s = seen[tree.position(m)];
    if (!s) {
      s = 1;
      work.push_back(m);
    }
  };
  while (!work.empty()) {
    Node n = work.back();
    work.pop_back();
    if (tree.has_needs(n)) {
      for (const Node &m : tree.needs(n)) {
        if (m == b) return true;
        push(m);
      }
    } else if (sequential) {
      const size_t at = tree.position(n);
      if (b_at < at) return true;
      for (; prefix < at; ++prefix) push(siblings[prefix]);
    }
  }
  return false;
}

}  // namespace gk
