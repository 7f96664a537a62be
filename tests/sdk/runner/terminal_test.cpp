// Text from a job, a goal file or GitHub never reaches the terminal as controls: escape
// sequences, bare carriage returns and bells are shown as escapes in every human output.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

Options uncoloured(const TempDir &d) {
  Options o = in(d);
  o.env["NO_COLOR"] = "1";  // our own colours off: any escape left came from the text
  return o;
}

bool has_controls(const std::string &text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
  return text.find("\xc2\x9b") != std::string::npos;  // CSI as a C1 character
}

TEST(Terminal, HostileSummariesTitlesAndReasonsAreShownNotObeyed) {
  TempDir d;
  // A title with an OSC (set the window title) and a bare CR; a summary that clears the
  // screen, rings the bell and holds a C1 CSI; a block reason with a newline that forges a line.
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - id: a\n"
        "        title: \"owned\\e]0;title\\a\\rfake\"\n"
        "        run: [sh, -c, 'goalkeeper task complete --summary \"$(printf "
        "\"\\033[2Jbell\\007\\302\\233x\")\"']\n"
        "      - id: b\n"
        "        run: [sh, -c, 'goalkeeper task block --summary \"$(printf "
        "\"why\\nfinished g/fake#1\")\"']\n");
  Result r = run({"run", "g.yaml"}, uncoloured(d));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_FALSE(has_controls(r.out)) << r.out;
  EXPECT_NE(r.out.find("owned\\e]0;title\\x07\\rfake"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("why\\nfinished g/fake#1"), std::string::npos) << r.out;
  for (std::vector<std::string> args : {std::vector<std::string>{"status"},
                                        {"status", "--format", "tree"},
                                        {"status", "--format", "dot"},
                                        {"events"}}) {
    Result s = run(args, uncoloured(d));
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_FALSE(has_controls(s.out)) << args.back() << "\n" << s.out;
  }
  Result events = run({"events"}, uncoloured(d));
  EXPECT_NE(events.out.find("\\u001b[2Jbell\\u0007\\u009bx"), std::string::npos) << events.out;
  Result plan = run({"plan", "g.yaml"}, uncoloured(d));
  EXPECT_FALSE(has_controls(plan.out)) << plan.out;
}

TEST(Terminal, ErrorMessagesShowWhatTheFileHeldAsEscapes) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - {id: a, run: [x], wait_for: \"\\e[2J\"}\n");
  Result r = run({"validate", "g.yaml"}, uncoloured(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(has_controls(r.err)) << r.err;
  EXPECT_NE(r.err.find("\\e[2J"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gk::runner_test
