// `goalkeeper instantiate`: a goal from a template, made once, driven by `run FILE`; bad params
// write nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

const char *kLib = R"(version: 1
templates:
  - id: greet
    title: "Greet {{ params.who }}"
    params:
      who: {type: string, required: true, pattern: '[a-z]+'}
      times: {type: integer, default: 1}
    tasks:
      - id: say
        run: [sh, -c, 'test "$WHO" = ada && test "$TIMES" = 2']
        env: {WHO: "{{ params.who }}", TIMES: "{{ params.times }}"}
)";

TEST(Instantiate, AGoalIsMadeOnceAndRunDrivesItWithTheFilesGoals) {
  TempDir d;
  write(d / "templates" / "greet.yaml", kLib);
  write(d / "goals.yaml", "version: 1\nimports: [templates/greet.yaml]\n");
  Result a = run(
      {"instantiate", "goals.yaml", "greet", "--param", "who=ada", "--param", "times=2", "--json"},
      in(d));
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  boost::json::object made = boost::json::parse(a.out).as_object();
  EXPECT_TRUE(made.at("created").as_bool());
  std::string id(made.at("goal_id").as_string());
  EXPECT_TRUE(id.starts_with("greet-ada-")) << id;  // times is optional: not part of the name

  Result again = run(
      {"instantiate", "goals.yaml", "greet", "--param", "who=ada", "--param", "times=2"}, in(d));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("goal " + id + " exists already"), std::string::npos) << again.out;

  Result r = run({"run", "goals.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Result status = run({"status"}, in(d));
  EXPECT_NE(status.out.find(id), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(id + "  done"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("Greet ada"), std::string::npos) << status.out;
}

TEST(Instantiate, BadParamsAreRefusedBeforeAnythingIsWritten) {
  TempDir d;
  write(d / "goals.yaml", kLib);
  Result bad = run({"instantiate", "goals.yaml", "greet", "--param", "who=Ada!"}, in(d));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("param 'who': value 'Ada!' does not match the pattern [a-z]+"),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(fs::exists(d / ".goalkeeper"));
  Result missing = run({"instantiate", "goals.yaml", "greet"}, in(d));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("param 'who' is required"), std::string::npos) << missing.err;
  Result form = run({"instantiate", "goals.yaml", "greet", "--param", "who"}, in(d));
  EXPECT_EQ(form.exit_code, 2);
  EXPECT_NE(form.err.find("expected NAME=VALUE"), std::string::npos) << form.err;
  Result unknown = run({"instantiate", "goals.yaml", "gret", "--param", "who=x"}, in(d));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no template 'gret'"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(d / ".goalkeeper"));
}

}  // namespace
}  // namespace gk::runner_test
