// Bodies of GitHub REST answers by URL, with their ETags, for conditional requests: a 304 Not
// Modified reuses the cached body (and does not count against GitHub's rate limit). In memory
// only, bounded, least recently used first out.
#pragma once

#include <boost/json.hpp>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace gk::github {

class EtagCache {
 public:
  explicit EtagCache(size_t capacity = 20'000) : capacity_(capacity) {}

  struct Entry {
    std::string etag;
    std::shared_ptr<const boost::json::value> body;  // parsed once
  };

  const Entry *find(const std::string &url);  // refreshes the entry's age
  void put(const std::string &url, std::string etag,
           std::shared_ptr<const boost::json::value> body);
  void erase(const std::string &url);
  size_t size() const { return map_.size(); }

 private:
  using Order = std::list<std::string>;
  struct Slot {
    Entry entry;
    Order::iterator age;
  };
  size_t capacity_;
  Order order_;  // front: most recently used
  std::unordered_map<std::string, Slot> map_;
};

}  // namespace gk::github
