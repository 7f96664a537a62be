// Workspaces: every spawned job sees its own worktree and branch, the pinned session the main
// checkout; worktrees go when the goal is done and stay when it failed; outside git, folders.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

const char *kWhere =
    "version: 1\ngoals:\n  - id: g\n    parallel: true\n    env: {OUT: \"%OUT%\"}\n"
    "    run: [sh, -c, 'pwd -P > \"$OUT/$GK_TASK_ID.txt\"; git branch --show-current >> "
    "\"$OUT/$GK_TASK_ID.txt\" 2>/dev/null; echo \"$GK_WORKSPACE\" >> \"$OUT/$GK_TASK_ID.txt\"; "
    "%TAIL%']\n    tasks:\n      - {id: a, session_policy: spawn}\n"
    "      - {id: b, session_policy: spawn}\n      - {id: c, session_policy: spawn}\n"
    "      - {id: p, session_policy: reuse}\n";

std::string where_yaml(const fs::path &out, const std::string &tail) {
  std::string y = kWhere;
  y.replace(y.find("%OUT%"), 5, out.string());
  y.replace(y.find("%TAIL%"), 6, tail);
  return y;
}

TEST(Workspace, SpawnedJobsGetTheirOwnWorktreeAndBranchPinnedSeesMainCheckout) {
  TempDir d;
  d.git_init();
  fs::path out = d / "out";
  fs::create_directory(out);
  write(d / "g.yaml", where_yaml(out, "true"));
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::path root = fs::canonical(d.path());
  for (const char *t : {"a", "b", "c"}) {
    auto l = lines(out / (std::string(t) + ".txt"));
    ASSERT_EQ(l.size(), 3u) << t;
    EXPECT_EQ(l[0], (root / ".goalkeeper/worktrees/g" / (std::string(t) + "-1")).string());
    EXPECT_EQ(l[1], std::string("gk/g/") + t);
    EXPECT_EQ(l[2], (d.path() / ".goalkeeper/worktrees/g" / (std::string(t) + "-1")).string());
  }
  auto p = lines(out / "p.txt");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], root.string());
  EXPECT_EQ(p[1], "main");
  // Done: the worktrees and their branches are gone, the checkout is clean.
  EXPECT_FALSE(fs::exists(d / ".goalkeeper/worktrees/g"));
  EXPECT_EQ(sh("test -z \"$(git branch --list 'gk/*')\"", d.path()), 0);
  EXPECT_EQ(sh("test -z \"$(git worktree list | grep worktrees)\"", d.path()), 0);
  EXPECT_EQ(sh("test -z \"$(git status --porcelain --untracked-files=all | grep -v '^?? out/' "
               "| grep -v g.yaml | grep -v runner_)\"",
               d.path()),
            0)
      << ".goalkeeper is ignored by git";
}

TEST(Workspace, WorktreesOfAFailedGoalAreKept) {
  TempDir d;
  d.git_init();
  fs::path out = d / "out";
  fs::create_directory(out);
  write(d / "g.yaml", where_yaml(out, "test \"$GK_TASK_ID\" != b"));
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(fs::exists(d / ".goalkeeper/worktrees/g/b-1/.git"));
  EXPECT_EQ(sh("git rev-parse --verify -q refs/heads/gk/g/b > /dev/null", d.path()), 0);
}

TEST(Workspace, OutsideGitSpawnedSessionsGetTheirOwnFolders) {
  TempDir d;
  fs::path out = d / "out";
  fs::create_directory(out);
  write(d / "g.yaml", where_yaml(out, "true"));
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::path root = fs::canonical(d.path());
  auto a = lines(out / "a.txt");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0], (root / ".goalkeeper/sessions/g/a#1").string());
  EXPECT_EQ(lines(out / "p.txt")[0], root.string());
}

TEST(Workspace, OutsideGitSessionFoldersGoWhenTheGoalIsDoneAndStayWhenItFailed) {
  for (bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "failed goal" : "done goal");
    TempDir d;
    // a leaves its folder empty, b leaves a file and a folder in it; c fails or not.
    write(d / "g.yaml",
          "version: 1\ngoals:\n  - id: g\n    tasks:\n"
          "      - {id: a, session_policy: spawn, run: [\"true\"]}\n"
          "      - {id: b, session_policy: spawn, run: [sh, -c, \"mkdir -p x && echo 1 > x/f\"]}\n"
          "      - {id: c, session_policy: spawn, run: [\"" +
              std::string(fail ? "false" : "true") + "\"]}\n");
    Result r = run({"run", "g.yaml"}, in(d));
    ASSERT_EQ(r.exit_code, fail ? 1 : 0) << r.out << r.err;
    EXPECT_EQ(fs::exists(d / ".goalkeeper/sessions/g/a#1"), fail);
    EXPECT_EQ(fs::exists(d / ".goalkeeper/sessions/g/b#1/x/f"), fail);
    EXPECT_EQ(fs::exists(d / ".goalkeeper/sessions/g"), fail);
  }
}

// FS_TOPDIR_FL, or 0 when the file system keeps no such flag (then there is nothing to check).
int top_dir_flag(const fs::path &dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags = 0;
  bool ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (fd >= 0) close(fd);
  return ok ? flags & FS_TOPDIR_FL : -1;
}

bool file_system_keeps_top_dir_flag(const fs::path &scratch) {
  fs::create_directory(scratch);
  int fd = open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags = 0;
  bool ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags |= FS_TOPDIR_FL;
  ok = ok && ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  if (fd >= 0) close(fd);
  return ok && top_dir_flag(scratch) != 0;
}

TEST(Workspace, SessionFoldersAreMarkedAsTopsOfTreesSoExt4SpreadsThem) {
  TempDir d;
  if (!file_system_keeps_top_dir_flag(d / "probe"))
    GTEST_SKIP() << "the file system under " << d.path() << " keeps no top-directory flag";
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    parallel: true\n    tasks:\n"
        "      - {id: a, session_policy: spawn, run: [\"true\"]}\n"
        "      - {id: b, session_policy: spawn, run: [\"false\"]}\n");
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // failed: its folders stay to look at
  EXPECT_GT(top_dir_flag(d / ".goalkeeper/sessions/g"), 0);
  EXPECT_EQ(top_dir_flag(d / ".goalkeeper/sessions/g/a#1"), 0) << "only their parent says it";
}

TEST(Workspace, FailureToCreateAWorktreeIsAStartFailureWithTheReason) {
  TempDir d;
  // A repository without any commit: git cannot make a worktree of it.
  ASSERT_EQ(sh("git init -q -b main .", d.path()), 0);
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - {id: a, session_policy: spawn, run: [\"true\"]}\n");
  Options o = in(d);
  o.timeout = std::chrono::milliseconds(3000);
  Result r = run({"run", "g.yaml"}, o);
  // The plugin backs off and retries, then blocks the task; either way the reason is printed.
  EXPECT_NE(r.out.find("cannot start g/a#1: git worktree add"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gk::runner_test
