# A whole pull-request goal (implement, gh_ci, gh_review, sign-off) run by the `goalkeeper`
# command against the fake GitHub as a process (`gk-fake-github`), and the GitHub token looked
# for in everything the run leaves behind. Real processes, temp folders, bounded waits.
add_executable(gk_pr_goal_tests pr_goal_test.cpp)
target_link_libraries(gk_pr_goal_tests PRIVATE Boost::json Threads::Threads GTest::gtest_main
                                               gk_warnings)
target_compile_definitions(gk_pr_goal_tests PRIVATE
  GK_BIN_DIR="$<TARGET_FILE_DIR:goalkeeper_cli>"
  GK_FAKE_GITHUB_EXE="$<TARGET_FILE:gk-fake-github>")
add_dependencies(gk_pr_goal_tests goalkeeper_cli gk-fake-github)
gtest_discover_tests(gk_pr_goal_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS pr_goal TIMEOUT 60)
