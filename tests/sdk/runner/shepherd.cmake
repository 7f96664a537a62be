# Pull-request shepherding end to end: a goal template, a discovery trigger and merge tasks run by
# the `goalkeeper` command (discover, run, a SIGKILL and a restart) against the fake GitHub as a
# process (`gk-fake-github`). Real processes, temp folders, bounded waits.
add_executable(gk_shepherd_tests shepherd_test.cpp)
target_link_libraries(gk_shepherd_tests PRIVATE Boost::json Threads::Threads GTest::gtest_main
                                                gk_warnings)
target_compile_definitions(gk_shepherd_tests PRIVATE
  GK_BIN_DIR="$<TARGET_FILE_DIR:goalkeeper_cli>"
  GK_FAKE_GITHUB_EXE="$<TARGET_FILE:gk-fake-github>")
add_dependencies(gk_shepherd_tests goalkeeper_cli gk-fake-github)
gtest_discover_tests(gk_shepherd_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS shepherd TIMEOUT 90)
