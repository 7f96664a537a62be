// gk-fake-github: the fake GitHub as a process, for tests that drive the `goalkeeper` command.
//
//   gk-fake-github --state FILE.json
//
// Prints "PORT <n>" on stdout (flushed) once listening on 127.0.0.1:<n>; the REST API is at
// http://127.0.0.1:<n>/api/v3 and GraphQL at http://127.0.0.1:<n>/api/graphql. Reloads FILE
// whenever its modification time or size changes (a file that does not parse is reported on
// stderr and the previous state stays), so a test scripts changes over time by rewriting it
// (write a temporary file and rename it over FILE to avoid half-written reads). Counters:
// GET /_fake/stats -> {"requests", "counted_requests", "log"}; DELETE /_fake/stats resets them.
// Mutations (what a client sent that may change something, e.g. a merge or a posted status):
// GET /_fake/mutations -> {"mutations": [{"method": "PUT", "path": "/api/v3/repos/o/r/pulls/1/
// merge", "body": "<JSON as sent>", "status": 200}, ...]} in order; DELETE /_fake/mutations
// clears them. A state reload does not clear them.
// Exits 0 on SIGTERM or SIGINT; 2 on bad arguments or a first state that does not load.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>

#include "fake_github.hpp"
#include "state_file.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) {
  g_stop = 1;
}

// The inode too: a file replaced by rename within one tick of the file system's clock, at the same
// size, differs from the old one only by it.
struct FileStamp {
  timespec mtime{};
  off_t size = 0;
  ino_t inode = 0;
  bool operator==(const FileStamp &o) const {
    return mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec && size == o.size &&
           inode == o.inode;
  }
};

bool stamp_of(const std::string &path, FileStamp &out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  out = {st.st_mtim, st.st_size, st.st_ino};
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  std::string state_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--state" && i + 1 < argc) {
      state_path = argv[++i];
    } else {
      std::cerr << "usage: gk-fake-github --state FILE.json\n";
      return 2;
    }
  }
  if (state_path.empty()) {
    std::cerr << "usage: gk-fake-github --state FILE.json\n";
    return 2;
  }

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  gkfake::FakeGitHub fake;
  FileStamp loaded;
  try {
    stamp_of(state_path, loaded);
    gkfake::apply_state(fake, gkfake::load_state_file(state_path));
  } catch (const std::exception &e) {
    std::cerr << "gk-fake-github: " << state_path << ": " << e.what() << "\n";
    return 2;
  }
  std::cout << "PORT " << fake.port() << std::endl;

  FileStamp failed;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    FileStamp now;
    if (!stamp_of(state_path, now) || now == loaded) continue;
    try {
      gkfake::apply_state(fake, gkfake::load_state_file(state_path));
      loaded = now;
    } catch (const std::exception &e) {
      // Perhaps half written: tried again at the next tick, reported once per version.
      if (!(now == failed))
        std::cerr << "gk-fake-github: " << state_path << ": " << e.what() << "\n";
      failed = now;
    }
  }
  return 0;
}
