// The gk-supervise processes a LocalJobs starts its jobs under: one long-lived launcher that runs
// every job as its own child (one process start saved per job), and one supervisor per job where
// no launcher can run. Each holds the claim's lock, handed over as its fd 3, until the job's end
// is in the claim.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace gk::jobs {

class SupervisorLauncher {
 public:
  SupervisorLauncher(std::filesystem::path supervise, std::filesystem::path registry_dir);
  ~SupervisorLauncher();
  SupervisorLauncher(const SupervisorLauncher &) = delete;
  SupervisorLauncher &operator=(const SupervisorLauncher &) = delete;

  // Variables of our environment that no job gets; a name ending in '*' is a prefix. A launcher
  // running already has the old environment, so it is let go of and the next start begins anew.
  void withhold(std::vector<std::string> names);
  // Starts the claim's supervisor; lock_fd (above 3) stays the caller's to close. Throws
  // std::runtime_error when no helper could be started.
  void start_supervisor(const std::string &name, int lock_fd);
  // Lets the launcher take what it was sent; waits for it only when it has no job left to run.
  void stop();
  // Waits for the helpers of this process that have exited (never for other children).
  static void reap();

 private:
  pid_t spawn_helper(const std::vector<std::string> &args, int fd);
  bool start_launcher();
  void let_go_of_launcher(bool exiting);
  bool launch(const std::string &name, int lock_fd);

  std::filesystem::path supervise_;
  std::filesystem::path dir_;
  std::vector<std::string> withheld_;
  int launcher_fd_ = -1;  // our end of its socket; -1 before the first start or once it failed
  pid_t launcher_pid_ = -1;
  bool launcher_broken_ = false;
};

}  // namespace gk::jobs
