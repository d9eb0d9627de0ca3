#include "profiles/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tp::profiles {
namespace {

using ::testing::ElementsAre;

TEST(SearchWords, FoldCaseAndCentralEuropeanDiacritics) {
  EXPECT_THAT(SearchWords("Jana Nováková-Svobodová"), ElementsAre("jana", "novakova", "svobodova"));
  EXPECT_THAT(SearchWords("ŘEHOŘ Łukasz Žižek Ľudovít Čučković"),
              ElementsAre("rehor", "lukasz", "zizek", "ludovit", "cuckovic"));
  EXPECT_THAT(SearchWords("Straße Œuvre"), ElementsAre("strasse", "oeuvre"));
  // A decomposed accent (e + U+0301) folds like the composed letter.
  EXPECT_THAT(SearchWords("Rene\xCC\x81"), ElementsAre("rene"));
}

TEST(SearchWords, LowerCaseCyrillicAndKeepOtherScripts) {
  EXPECT_THAT(SearchWords("Олена Ковальчук"), ElementsAre("олена", "ковальчук"));
  EXPECT_THAT(SearchWords("東京 tokyo"), ElementsAre("東京", "tokyo"));
}

TEST(SearchWords, TreatPunctuationAndMalformedBytesAsSeparators) {
  EXPECT_THAT(SearchWords("  jan.novak@Seznam.cz "), ElementsAre("jan", "novak", "seznam", "cz"));
  EXPECT_THAT(SearchWords("a\xFF" "b"), ElementsAre("a", "b"));
  EXPECT_TRUE(SearchWords("--- !!").empty());
}

TEST(SearchKey, JoinsWordsAndCutsLongInput) {
  EXPECT_EQ(SearchKey("+420 777 123-456"), "420777123456");
  EXPECT_EQ(SearchKey("Jan.Novák@Seznam.cz"), "jannovakseznamcz");
  EXPECT_EQ(SearchKey(std::string(100, 'a')), std::string(kMaxSearchTermChars, 'a'));
}

TEST(PrefixUpperBound, IsTheNextPrefixInTheFoldedAlphabet) {
  EXPECT_EQ(PrefixUpperBound("nov"), "now");
  EXPECT_EQ(PrefixUpperBound("4207"), "4208");
  EXPECT_EQ(PrefixUpperBound("ab9"), "aba");
  EXPECT_EQ(PrefixUpperBound("abz"), "ac");
  EXPECT_EQ(PrefixUpperBound("azz"), "b");
  EXPECT_EQ(PrefixUpperBound("олен"), "олео");
  EXPECT_EQ(PrefixUpperBound("zz"), std::nullopt);
}

TEST(CleanLine, TrimsAndCountsCharactersNotBytes) {
  EXPECT_EQ(*CleanLine("  Žluťoučký kůň ", "subject", 14, true), "Žluťoučký kůň");
  Result<std::string> too_long = CleanLine("Žluťoučký kůň!", "subject", 13, true);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().field(), "subject");
  EXPECT_EQ(CleanLine("   ", "subject", 10, true).status().field(), "subject");
  EXPECT_TRUE(CleanLine("", "name", 10, false).ok());
  EXPECT_EQ(CleanLine("a\x01" "b", "name", 10, false).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CleanLine("\xC3", "name", 10, false).status().code(), ErrorCode::kInvalidArgument);
}

TEST(CheckFreeText, AllowsLineBreaksButNotOtherControls) {
  EXPECT_TRUE(CheckFreeText("line one\nline two\ttab", "comment", 100).ok());
  EXPECT_EQ(CheckFreeText("bell\x07", "comment", 100).field(), "comment");
  EXPECT_EQ(CheckFreeText(std::string(101, 'x'), "comment", 100).field(), "comment");
}

TEST(CheckClientTimestamp, AllowsFiveMinutesOfClockSkew) {
  const Micros now = 1'800'000'000'000'000;
  EXPECT_TRUE(CheckClientTimestamp(now - 1, now, "created_at").ok());
  EXPECT_TRUE(CheckClientTimestamp(now + kMaxClockSkew, now, "created_at").ok());
  EXPECT_EQ(CheckClientTimestamp(now + kMaxClockSkew + 1, now, "created_at").field(), "created_at");
  EXPECT_EQ(CheckClientTimestamp(-1, now, "created_at").field(), "created_at");
}

}  // namespace
}  // namespace tp::profiles
