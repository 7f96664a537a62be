// Lines of the live view cut to the terminal's width: by whole UTF-8 characters and by the
// columns they take, with nothing left that could move the cursor.
#include "text_width.hpp"

#include <gtest/gtest.h>

namespace gk::runner {
namespace {

TEST(TextWidth, AsciiIsCutAtTheWidth) {
  EXPECT_EQ(fit_columns("abcdef", 4), "abcd");
  EXPECT_EQ(fit_columns("abc", 4), "abc");
  EXPECT_EQ(fit_columns("abc", 0), "");
}

TEST(TextWidth, AMultibyteCharacterIsKeptWholeOrLeftOut) {
  // "é" is two bytes and one column.
  EXPECT_EQ(fit_columns("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(fit_columns("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9");
}

TEST(TextWidth, WideCharactersTakeTwoColumns) {
  // 日本語: three characters, six columns; five columns hold two of them.
  EXPECT_EQ(columns_of(U'\u65e5'), 2);
  EXPECT_EQ(fit_columns("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5), "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(fit_columns("a\xe6\x97\xa5", 2), "a");
}

TEST(TextWidth, CombiningMarksStayWithTheirLetter) {
  // "e" + U+0301 is one column.
  EXPECT_EQ(columns_of(U'\u0301'), 0);
  EXPECT_EQ(fit_columns("e\xcc\x81x", 1), "e\xcc\x81");
}

TEST(TextWidth, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(fit_columns("a\nb\tc\x1b[2Jd", 20), "a b c [2Jd");
  EXPECT_EQ(fit_columns("\xc2\x9b"
                        "1A",
                        20),
            " 1A");  // C1 control (CSI)
}

TEST(TextWidth, BytesThatAreNotUtf8BecomeQuestionMarks) {
  EXPECT_EQ(fit_columns("a\xff"
                        "b",
                        20),
            "a?b");
  EXPECT_EQ(fit_columns("\xc3", 20), "?");                     // cut short
  EXPECT_EQ(fit_columns("\xc0\xaf", 20), "??");                // overlong '/'
  EXPECT_EQ(fit_columns("\xed\xa0\x80", 20), "???");           // a surrogate
  EXPECT_EQ(fit_columns("\xef\xbf\xbd", 20), "\xef\xbf\xbd");  // U+FFFD itself is fine
}

TEST(ShownText, ControlCharactersBecomeVisibleEscapes) {
  EXPECT_EQ(shown("a\x1b]0;title\x07"
                  "b"),
            "a\\e]0;title\\x07b");
  EXPECT_EQ(shown("line\rfake\nnext\ttab"), "line\\rfake\\nnext\\ttab");
  EXPECT_EQ(shown("del\x7f"), "del\\x7f");
  EXPECT_EQ(shown("csi\xc2\x9b"
                  "2J"),
            "csi\\u009b2J");                                                 // C1 CSI, as UTF-8
  EXPECT_EQ(shown("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");  // text stays
}

TEST(ShownText, ShownLinesKeepsOnlyNewlines) {
  EXPECT_EQ(shown_lines("one\ntwo\x1b[2J\r"), "one\ntwo\\e[2J\\r");
}

TEST(ShownText, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(valid_utf8("ok\xff\xc3"), "ok\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(shown("\xe9t\xe9"), "\xef\xbf\xbdt\xef\xbf\xbd");
  EXPECT_EQ(valid_utf8("\xef\xbf\xbd"), "\xef\xbf\xbd");  // a real U+FFFD stays one
}

}  // namespace
}  // namespace gk::runner
