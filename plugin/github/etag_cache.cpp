#include "github/etag_cache.hpp"

namespace gk::github {

const EtagCache::Entry *EtagCache::find(const std::string &url) {
  auto it = map_.find(url);
  if (it == map_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.age);
  return &it->second.entry;
}

void EtagCache::put(const std::string &url, std::string etag,
                    std::shared_ptr<const boost::json::value> body) {
  auto it = map_.find(url);
  if (it != map_.end()) {
    it->second.entry = {std::move(etag), std::move(body)};
    order_.splice(order_.begin(), order_, it->second.age);
    return;
  }
  order_.push_front(url);
  map_.emplace(url, Slot{{std::move(etag), std::move(body)}, order_.begin()});
  while (map_.size() > capacity_ && !order_.empty()) {
    map_.erase(order_.back());
    order_.pop_back();
  }
}

void EtagCache::erase(const std::string &url) {
  auto it = map_.find(url);
  if (it == map_.end()) return;
  order_.erase(it->second.age);
  map_.erase(it);
}

}  // namespace gk::github
