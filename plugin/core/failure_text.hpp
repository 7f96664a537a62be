// The text a failed gate sends back to the agent task before it (Gates::gate_failed): what the
// gate found, as a person would write it (the failing checks with their output, the reviews and
// line comments that asked for changes), within fixed bounds and saying what was cut.
//
// Titles, summaries, descriptions and bodies come from GitHub, written by people and tools. They
// go into a prompt (that is what they are for), so they lose NUL and the other control characters
// (but newline and tab) first. The checker that read them redacts its token before it cuts them
// (a token cut in half would no longer be found); see github_checker.cpp.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace gk {

// The bounds, shared by the checkers that build a failure's artifacts and by failure_text.
inline constexpr size_t kFailureMaxChecks = 20;            // failing checks; failing statuses
inline constexpr size_t kFailureMaxSummaryBytes = 2000;    // a check's output.summary
inline constexpr size_t kFailureMaxLineBytes = 300;        // a name, title, description, URL
inline constexpr size_t kFailureMaxReviews = 10;           // reviews that requested changes
inline constexpr size_t kFailureMaxReviewBytes = 4000;     // a review's body
inline constexpr size_t kFailureMaxComments = 50;          // line comments
inline constexpr size_t kFailureMaxCommentBytes = 1000;    // a line comment's body
inline constexpr size_t kFailureMaxTextBytes = 64 * 1024;  // the whole text

// `text` without NUL and control characters (C0 but newline and tab, DEL, C1; "\r\n" becomes
// "\n"), cut at a UTF-8 boundary to at most `max_bytes` bytes, a note saying how many bytes were
// cut included: "…[1234 bytes cut]". Text within the bound comes back as it was (so a second pass
// changes nothing).
std::string prompt_text(std::string_view text, size_t max_bytes);

// "The gate 'ci' (gh_ci) failed (retry 1 of 3) at 6dcb09b.\nFailing checks:\n- unit-tests: ..."
// for gh_ci and gh_review artifacts (and the parts of a compound gate that have their shape); the
// gate's artifacts as JSON for other gate types and for artifacts of an unknown shape. At most
// kFailureMaxTextBytes.
std::string failure_text(std::string_view gate_id, std::string_view gate_type, int retry,
                         int max_retries, const boost::json::object &artifacts);

}  // namespace gk
