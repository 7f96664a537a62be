// The commands of `goalkeeper`. Each returns the process exit status: 0 success, 1 a goal failed,
// 2 usage, load or state error, 3 waiting on a person. Errors are thrown (UsageError,
// goalkeeper::Error, std::exception) and printed by main with exit status 2.
#pragma once

#include "cli.hpp"

namespace gk::runner {

int cmd_run(const Args &args);            // run_command.cpp
int cmd_step(const Args &args);           // run_command.cpp
int cmd_step_no_start(const Args &args);  // host_protocol_command.cpp: step --no-start
int cmd_job(const Args &args);            // host_protocol_command.cpp
int cmd_serve(const Args &args);          // serve_command.cpp
int cmd_status(const Args &args);         // status_command.cpp
int cmd_events(const Args &args);         // status_command.cpp
int cmd_logs(const Args &args);           // status_command.cpp
int cmd_decide(const Args &args);  // decide_command.cpp: approve, reject, signal, pause/resume/stop
int cmd_validate(const Args &args);     // plan_command.cpp
int cmd_plan(const Args &args);         // plan_command.cpp
int cmd_instantiate(const Args &args);  // instantiate_command.cpp
int cmd_discover(const Args &args);     // discover_command.cpp
int cmd_run_dry(const Args &args);      // dry_run_command.cpp: run --dry-run
int cmd_task(const Args &args);         // task_command.cpp
int cmd_completion(const Args &args);   // completion_command.cpp

// Set by SIGINT / SIGTERM while a command loops (run, events --follow, logs --follow).
bool interrupted();
void install_interrupt_handler();

}  // namespace gk::runner
