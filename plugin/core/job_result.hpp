// What a job says about itself when it ends: the result given inline in a "finished" event or
// the result file the host names. The job has run by then, so a result the plugin cannot use is
// never an error of the event (which would leave the job unreported and run it again): it becomes
// a failed result whose summary says what was wrong, and that attempt ends once, as failed.
#pragma once

#include <boost/json.hpp>
#include <cstdint>

namespace gk {

// {"status":"done|blocked|failed","summary":"...","artifacts":{...},"subtasks":[...]}, every key
// optional (unknown keys are ignored); empty when the job left no result (the exit code
// decides). A result that is not a JSON object, has a key of the wrong type or an unknown
// status, or is larger than max_bytes (serialized, or as a file) comes back as
// {"status":"failed","summary":"<why it was refused>"}. Reads the file, so call it before the
// transaction.
boost::json::object read_job_result(const boost::json::object &event, int64_t max_bytes);

}  // namespace gk
