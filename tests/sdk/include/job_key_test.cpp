// The job key format (goalkeeper/job_key.hpp), which the plugin writes and hosts read.
#include <goalkeeper/job_key.hpp>

#include <gtest/gtest.h>

namespace {

TEST(JobKey, TaskAndGoalKeysRoundTrip) {
  auto k = goalkeeper::parse_job_key("land-fix/ci#12");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->goal, "land-fix");
  EXPECT_EQ(k->task, "ci");
  EXPECT_EQ(k->attempt, 12);
  EXPECT_EQ(k->text(), "land-fix/ci#12");
  auto spec = goalkeeper::parse_job_key("spec-demo#1");
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->task.empty());
  EXPECT_EQ(spec->text(), "spec-demo#1");
  EXPECT_EQ(goalkeeper::job_key_goal("hello/greet#1"), "hello");
  EXPECT_EQ(goalkeeper::job_key_goal("hello#1"), "hello");
}

TEST(JobKey, WhatIsNotAKeyIsRefused) {
  for (const char *bad : {"", "g", "g/t", "g/t#", "g/t#x", "#1", "g/#1", "g/t#1234567890"})
    EXPECT_FALSE(goalkeeper::parse_job_key(bad).has_value()) << bad;
}

}  // namespace
