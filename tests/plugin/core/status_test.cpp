#include "core/status.hpp"

#include <gtest/gtest.h>

using namespace gk;

namespace {

Status derive(std::initializer_list<Status> children) {
  StatusCounts c;
  for (Status s : children) c.add(s);
  return c.derive();
}

}  // namespace

TEST(StatusDerivation, FailedBeatsBlockedBeatsActiveBeatsReview) {
  using enum Status;
  EXPECT_EQ(derive({done, failed, blocked, active}), failed);
  EXPECT_EQ(derive({done, blocked, active, pending_review}), blocked);
  EXPECT_EQ(derive({pending, active, pending_review}), active);
  EXPECT_EQ(derive({pending, pending_review, done}), pending_review);
}

TEST(StatusDerivation, AllDoneOrSkippedIsDoneOtherwisePending) {
  using enum Status;
  EXPECT_EQ(derive({done, skipped, done}), done);
  EXPECT_EQ(derive({done, pending}), pending);
  EXPECT_EQ(derive({}), done);
}

TEST(StatusDerivation, CountsFollowRemovals) {
  StatusCounts c;
  c.add(Status::failed);
  c.add(Status::done);
  c.remove(Status::failed);
  c.add(Status::done);
  EXPECT_EQ(c.derive(), Status::done);
  EXPECT_EQ(c.total, 2);
}

TEST(StatusNames, RoundTrip) {
  for (int i = 0; i < kStatusCount; ++i) {
    auto s = static_cast<Status>(i);
    EXPECT_EQ(status_from_string(to_string(s)), s);
  }
  EXPECT_FALSE(status_from_string("running"));
}
