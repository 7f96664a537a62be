// The REST routes of the fake that change state, under /api/v3 (bodies are JSON; a body that is
// not JSON is 400 {"message": "Problems parsing JSON"}; merge.hpp decides merges and branch
// updates):
//   PUT    /repos/{o}/{r}/pulls/{n}/merge         {sha?, merge_method?, commit_title?,
//                                                 commit_message?} -> 200 {sha, merged: true,
//                                                 message: "Pull Request successfully merged"},
//                                                 or 405 / 409 / 422 {message, documentation_url};
//                                                 an unknown merge_method is 422 "Validation
//                                                 Failed"
//   PUT    /repos/{o}/{r}/pulls/{n}/update-branch {expected_head_sha?} -> 202 {message:
//                                                 "Updating pull request branch.", url}, or 422
//   DELETE /repos/{o}/{r}/git/refs/heads/{branch} 204 without a body; 422 "Reference does not
//                                                 exist" when deleted before
//   POST   /repos/{o}/{r}/statuses/{sha}          {state, target_url?, description?, context?
//                                                 (default "default")} -> 201 with the status;
//                                                 the commit's combined status, its statuses and
//                                                 the GraphQL rollup (when it is a head) then
//                                                 show it, replacing an earlier status of the
//                                                 same context. An unknown commit is 422 "No
//                                                 commit found for SHA: ...", a state outside
//                                                 error|failure|pending|success is 422
//                                                 "Validation Failed".
// An unknown repository or pull request is 404; any other method or path is 404.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fake_http.hpp"
#include "fake_store.hpp"

namespace gkfake::detail {

// `segments` is the path after /api/v3, split and decoded.
HttpResponse route_write(Store &store, const HttpRequest &request,
                         const std::vector<std::string> &segments, std::string_view origin);

}  // namespace gkfake::detail
