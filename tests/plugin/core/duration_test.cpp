#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace gk {
namespace {

TEST(Duration, BareNumberIsSeconds) {
  EXPECT_EQ(parse_duration_s("90"), 90);
  EXPECT_EQ(parse_duration_s("0"), 0);
}

TEST(Duration, EachUnitAndCombinations) {
  EXPECT_EQ(parse_duration_s("45s"), 45);
  EXPECT_EQ(parse_duration_s("30m"), 1800);
  EXPECT_EQ(parse_duration_s("1h"), 3600);
  EXPECT_EQ(parse_duration_s("2d"), 2 * 86400);
  EXPECT_EQ(parse_duration_s("1w"), 7 * 86400);
  EXPECT_EQ(parse_duration_s("1h30m"), 5400);
  EXPECT_EQ(parse_duration_s("1w2d3h4m5s"), 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  EXPECT_EQ(parse_duration_s("90m"), 5400);
}

TEST(Duration, RejectsNegativesAndGarbage) {
  for (const char *bad : {"", "-1", "-5m", "+5", "1.5h", "h", "5x", "1h ", " 1h", "1 h", "abc",
                          "1h30", "30m1h", "1h1h", "1hm", "5S", "0x10"}) {
    EXPECT_EQ(parse_duration_s(bad), std::nullopt) << bad;
  }
}

TEST(Duration, RejectsOverflow) {
  EXPECT_EQ(parse_duration_s("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_duration_s("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_duration_s("99999999999999999w"), std::nullopt);
  EXPECT_EQ(parse_duration_s("15250284452471w"), INT64_C(15250284452471) * 7 * 86400);
  EXPECT_EQ(parse_duration_s("15250284452472w"), std::nullopt);
  EXPECT_EQ(parse_duration_s("15250284452471w1w"), std::nullopt);
}

}  // namespace
}  // namespace gk
