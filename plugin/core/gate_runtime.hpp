// What an active gate holds while it waits: its config as rendered when it became active, when
// that was, its deadline, the verdicts of the parts already decided, and for each part a checker
// polls, when it is due and what the checker kept from its last answer. Read and written here only;
// it is stored as JSON in the task's row, and gk_query {"what":"task"} shows it in the same shape:
//   {"config":{...},"activated_ms":N,"parts":{"<path>":{"status":"pass|fail","artifacts":...}},
//    "deadline_ms":N,"polls":{"<path>":{"next_ms":N,"memo":{...},"nudged_ms":N}}}
// A part's path is "" for a plain gate, "all.0", "any.1.all.0" inside compounds (gate_leaves).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/signal_match.hpp"

namespace gk {

struct GatePart {
  bool pass = false;
  boost::json::value artifacts;
};

struct PartPoll {
  int64_t next_ms = 0;       // when the part is due
  boost::json::object memo;  // the checker's, from its last answer (ETag, head commit, ...)
  int64_t nudged_ms = 0;     // the last webhook nudge no poll has confirmed yet; 0 = none
};

struct GateRuntime {
  bool active = false;  // false: the task's gate is not waiting (nothing below means anything)
  boost::json::object config;
  int64_t activated_ms = 0;
  std::optional<int64_t> deadline_ms;
  std::map<std::string, GatePart> parts;
  std::map<std::string, PartPoll> polls;

  // The leaves of the config (gate_leaves) still undecided.
  std::vector<GateLeaf> undecided() const;
  // The verdict of the config from the decided parts.
  Verdict verdict() const;

  boost::json::object to_json() const;  // {} when not active
  static GateRuntime from_json(const boost::json::object &o);
};

}  // namespace gk
