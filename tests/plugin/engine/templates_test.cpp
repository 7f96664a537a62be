// Goals from templates through the C ABI: gk_load stores a file's templates (its own and the
// imported ones), gk_instantiate makes each goal once, and a bad call writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

using namespace gktest;
using ::testing::HasSubstr;

namespace {

const char *kFile = R"(version: 1
defaults: {run: [./agent.sh]}
templates:
  - id: shepherd
    title: "Shepherd {{ params.repo }}#{{ params.pr }}"
    params:
      repo: {type: string, required: true}
      pr: {type: integer, required: true}
    tasks:
      - id: fix
        env: {PR: "{{ params.pr }}"}
)";

int instantiate(Host &h, const std::string &tmpl, const std::string &params, json::object *out) {
  char *result = nullptr;
  int rc = gk_instantiate(h.plugin, tmpl.c_str(), params.c_str(), &result);
  if (result) {
    if (out) *out = json::parse(result).as_object();
    gk_free(result);
  }
  return rc;
}

size_t goal_count(Host &h) {
  return h.query(R"({"what":"status"})").at("goals").as_array().size();
}

TEST(Templates, InstantiatingTheSameParamsTwiceMakesOneGoal) {
  Host h;
  json::object loaded = h.load(kFile, "shepherd.yaml");
  EXPECT_EQ(loaded.at("goals").as_array().size(), 0u);
  EXPECT_EQ(json::serialize(loaded.at("templates")),
            R"([{"template_id":"shepherd","params":["repo","pr"]}])");

  json::object first, second;
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"acme/shop","pr":"11"})", &first), GK_OK)
      << last_error();
  EXPECT_TRUE(first.at("created").as_bool());
  std::string id(first.at("goal_id").as_string());
  EXPECT_TRUE(id.starts_with("shepherd-shop-11-")) << id;
  EXPECT_EQ(first.at("params").at("pr"), json::value(11));
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"ACME/shop","pr":11})", &second), GK_OK);
  EXPECT_FALSE(second.at("created").as_bool());
  EXPECT_EQ(second.at("goal_id"), first.at("goal_id"));
  EXPECT_EQ(goal_count(h), 1u);

  // Loading the file again names the goal made from its template, so a host drives it.
  json::object again = h.load(kFile, "shepherd.yaml");
  EXPECT_EQ(json::serialize(again.at("instances")), "[\"" + id + "\"]");
  // A goal belongs to the file that held its template when it was made.
  EXPECT_EQ(json::serialize(h.load(kFile, "other.yaml").at("instances")), "[]");
  EXPECT_EQ(json::serialize(h.load(kFile, "shepherd.yaml").at("instances")), "[\"" + id + "\"]");
}

TEST(Templates, AGoalFromATemplateRunsWithItsParams) {
  Host h;
  h.load(kFile, "shepherd.yaml");
  json::object r;
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"acme/shop","pr":7})", &r), GK_OK);
  std::string id(r.at("goal_id").as_string());
  h.start(id);
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("env").at("PR").as_string(), "7");
  EXPECT_EQ(runs[0].at("command").at(0).as_string(), "./agent.sh");
  EXPECT_EQ(h.goal_status(id).at("title").as_string(), "Shepherd acme/shop#7");
}

TEST(Templates, BadParamsAndUnknownTemplatesWriteNothing) {
  Host h;
  h.load(kFile, "shepherd.yaml");
  EXPECT_EQ(instantiate(h, "shepherd", R"({"repo":"acme/shop"})", nullptr), GK_ERR_INVALID);
  EXPECT_THAT(last_error(), HasSubstr("template 'shepherd': param 'pr' is required"));
  EXPECT_EQ(instantiate(h, "shepherd", R"({"repo":"a/b","pr":1,"x":2})", nullptr), GK_ERR_INVALID);
  EXPECT_THAT(last_error(), HasSubstr("no param 'x'"));
  EXPECT_EQ(instantiate(h, "nope", "{}", nullptr), GK_ERR_NOT_FOUND);
  EXPECT_THAT(last_error(), HasSubstr("no template 'nope' in the state"));
  EXPECT_EQ(instantiate(h, "shepherd", "[1]", nullptr), GK_ERR_INVALID);
  EXPECT_EQ(goal_count(h), 0u);
}

TEST(Templates, AGoalKeepsItsDefinitionWhenTheTemplateChanges) {
  Host h;
  h.load(kFile, "shepherd.yaml");
  json::object r;
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"a/b","pr":1})", &r), GK_OK);
  std::string changed(kFile);
  changed += "      - id: more\n";
  h.load(changed, "shepherd.yaml");
  json::object again, other;
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"a/b","pr":1})", &again), GK_OK);
  EXPECT_FALSE(again.at("created").as_bool());
  EXPECT_EQ(again.at("tasks"), r.at("tasks"));
  ASSERT_EQ(instantiate(h, "shepherd", R"({"repo":"a/b","pr":2})", &other), GK_OK);
  EXPECT_EQ(other.at("tasks").as_int64(), r.at("tasks").as_int64() + 1);
}

TEST(Templates, ImportsAreReadRelativeToTheImportingFile) {
  Host h;
  std::filesystem::create_directories(h.dir->path() / "pipelines" / "templates");
  std::ofstream(h.dir->path() / "pipelines" / "templates" / "lib.yaml") << kFile;
  const std::string main = (h.dir->path() / "pipelines" / "main.yaml").string();
  json::object loaded = h.load(
      "version: 1\nimports: [templates/lib.yaml]\n"
      "goals:\n  - {template: shepherd, params: {repo: acme/shop, pr: 5}}\n",
      main);
  ASSERT_EQ(loaded.at("goals").as_array().size(), 1u);
  EXPECT_TRUE(loaded.at("goals").at(0).at("goal_id").as_string().starts_with("shepherd-shop-5-"));

  EXPECT_EQ(h.load_status("version: 1\nimports: [templates/missing.yaml]\n", main), GK_ERR_INVALID);
  EXPECT_THAT(last_error(), HasSubstr("imports[0]: cannot import 'templates/missing.yaml'"));
  EXPECT_THAT(last_error(), HasSubstr("no such file"));
}

}  // namespace
