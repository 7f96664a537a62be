// git worktrees and session folders for spawned sessions.
#include "workspace.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <vector>

#include "subprocess.hpp"

namespace gk::runner {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The last line git printed, which names the problem ("fatal: ...").
std::string last_line(const std::string &output) {
  std::string t = trim(output);
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// Each workspace is the top of a tree of its own, unrelated to its neighbours. Said to ext4 with
// the "top directory" flag on their parent, it spreads them over the disk's block groups as it does
// home directories, instead of packing them all into one. That also spares new files a cost of
// ext4 without a journal: a new inode in a group skips, one look each, every inode of the group
// freed in the last minutes, such as a done goal's thousand session folders. File systems without
// the flag refuse it, and nothing changes there.
void mark_as_top_of_trees(const fs::path &dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  int flags = 0;  // an int, whatever the ioctl's declaration says
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_TOPDIR_FL) == 0) {
    flags |= FS_TOPDIR_FL;
    ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
  close(fd);
}

// Creates dir's parent (when missing, marked as above) and dir.
void make_workspace_folder(const fs::path &dir) {
  if (::mkdir(dir.c_str(), 0777) == 0) return;
  std::error_code ec;
  if (errno == ENOENT) {
    fs::create_directories(dir.parent_path(), ec);
    if (!ec) mark_as_top_of_trees(dir.parent_path());
    if (!ec && ::mkdir(dir.c_str(), 0777) == 0) return;
    if (!ec) ec = std::error_code(errno, std::generic_category());
  } else {
    ec = std::error_code(errno, std::generic_category());
  }
  // Made before a crash: the same session goes on in it.
  std::error_code probe;
  if (ec.value() == EEXIST && fs::is_directory(dir, probe)) return;
  throw std::runtime_error("cannot create the session folder " + dir.string() + ": " +
                           ec.message());
}

}  // namespace

Workspaces::Workspaces(fs::path main_dir, const Layout &layout)
    : main_dir_(fs::absolute(main_dir)), layout_(layout) {}

std::string Workspaces::git(const std::vector<std::string> &args, int *exit_code) {
  std::vector<std::string> argv{"git", "-C", main_dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Captured c = run_captured(argv, main_dir_);
  if (exit_code) *exit_code = c.exit_code;
  return c.output;
}

bool Workspaces::is_git() {
  if (!git_) {
    int rc = -1;
    std::string out = git({"rev-parse", "--is-inside-work-tree"}, &rc);
    git_ = rc == 0 && trim(out) == "true";
  }
  return *git_;
}

fs::path Workspaces::prepare(const WorkspaceRequest &r) {
  if (r.pinned) return main_dir_;
  if (is_git()) return worktree(r);
  fs::path dir = layout_.sessions() / key_path(r.job_key);
  make_workspace_folder(dir);
  return dir;
}

fs::path Workspaces::worktree(const WorkspaceRequest &r) {
  const std::string task = r.task_id.empty() ? r.goal_id : r.task_id;
  const std::string branch = "gk/" + r.goal_id + "/" + task;
  const fs::path dir = layout_.worktrees() / r.goal_id / (task + "-" + std::to_string(r.attempt));
  std::error_code ec;
  if (fs::exists(dir / ".git", ec)) return dir;  // made before a crash
  if (fs::create_directories(dir.parent_path(), ec)) mark_as_top_of_trees(dir.parent_path());
  if (ec)
    throw std::runtime_error("cannot create " + dir.parent_path().string() + ": " + ec.message());

  int rc = -1;
  git({"rev-parse", "--verify", "--quiet", "refs/heads/" + branch}, &rc);
  const bool branch_exists = rc == 0;
  if (branch_exists) {
    // An earlier attempt of this task: its worktree holds the branch; hand the branch over
    // (the commits stay on it) so the new attempt continues from them.
    std::string list = git({"worktree", "list", "--porcelain"}, nullptr);
    std::istringstream lines(list);
    std::string line, path;
    const fs::path mine = layout_.worktrees() / r.goal_id;
    while (std::getline(lines, line)) {
      if (line.rfind("worktree ", 0) == 0) path = line.substr(9);
      if (line == "branch refs/heads/" + branch && !path.empty() &&
          fs::path(path).parent_path() == mine) {
        git({"worktree", "remove", "--force", path}, nullptr);
      }
    }
  }
  auto add = [&] {
    std::vector<std::string> args{"worktree", "add"};
    if (branch_exists) {
      args.insert(args.end(), {dir.string(), branch});
    } else {
      args.insert(args.end(), {"-b", branch, dir.string()});
    }
    return git(args, &rc);
  };
  std::string out = add();
  if (rc != 0) {
    git({"worktree", "prune"}, nullptr);  // a worktree folder someone deleted by hand
    out = add();
  }
  if (rc != 0)
    throw std::runtime_error("git worktree add " + dir.string() + " failed: " + last_line(out));
  return dir;
}

std::string Workspaces::remove_goal(const std::string &goal_id) {
  std::string problems;
  std::error_code ec;
  fs::path sessions = layout_.sessions() / goal_id;
  if (fs::exists(sessions, ec)) {
    // Many sessions are left empty (their work went to artifacts): one rmdir each, and the
    // walk of remove_all only for those that hold files.
    for (const auto &entry : fs::directory_iterator(sessions, ec)) {
      if (::rmdir(entry.path().c_str()) == 0) continue;
      std::error_code one;
      fs::remove_all(entry.path(), one);
      if (one) problems += "cannot remove " + entry.path().string() + ": " + one.message() + "\n";
    }
    if (!ec) fs::remove_all(sessions, ec);
  }
  if (ec) problems += "cannot remove " + sessions.string() + ": " + ec.message() + "\n";
  fs::path trees = layout_.worktrees() / goal_id;
  if (!fs::exists(trees, ec) || !is_git()) return problems;
  for (const auto &entry : fs::directory_iterator(trees, ec)) {
    int rc = -1;
    std::string out = git({"worktree", "remove", "--force", entry.path().string()}, &rc);
    if (rc != 0 && fs::exists(entry.path() / ".git"))
      problems += "cannot remove worktree " + entry.path().string() + ": " + last_line(out) + "\n";
  }
  git({"worktree", "prune"}, nullptr);
  std::string refs =
      git({"for-each-ref", "--format=%(refname:short)", "refs/heads/gk/" + goal_id}, nullptr);
  std::istringstream lines(refs);
  std::string branch;
  while (std::getline(lines, branch)) {
    branch = trim(branch);
    if (branch.empty()) continue;
    int rc = -1;
    std::string out = git({"branch", "-D", branch}, &rc);
    if (rc != 0) problems += "cannot delete branch " + branch + ": " + last_line(out) + "\n";
  }
  fs::remove(trees, ec);
  return problems;
}

}  // namespace gk::runner
