#include "rules/expression.h"

#include <gtest/gtest.h>

#include <string>

namespace tp::rules {
namespace {

using nlohmann::json;

const json kContext = json::parse(R"({
  "score": 4, "metric": "nps", "comment": "The Parcel arrived DAMAGED", "touchpoint": "delivery",
  "ratio": 0.5, "tags": ["late", "damaged"],
  "customer": {"segment": "vip", "traits": {"plan": "pro", "language": "cs", "orders": 12}},
  "answers": [{"score": 2}, {"score": 9}]
})");

bool Match(std::string_view text) {
  auto expression = Expression::Parse(text);
  EXPECT_TRUE(expression.ok()) << text << ": " << expression.status().ToString();
  return expression.ok() && expression->Matches(kContext);
}

std::string ParseError(std::string_view text) {
  auto expression = Expression::Parse(text);
  EXPECT_FALSE(expression.ok()) << text;
  if (expression.ok()) return "";
  EXPECT_EQ(expression.status().field(), "condition");
  return expression.status().message();
}

TEST(Expression, ComparesNumbersStringsAndBooleans) {
  EXPECT_TRUE(Match("score <= 6"));
  EXPECT_TRUE(Match("score < 5 and score > 3 and score >= 4 and score == 4.0 and score != 5"));
  EXPECT_FALSE(Match("score > 6"));
  EXPECT_TRUE(Match("ratio == 0.5 and ratio < 1e1 and -1 < ratio"));
  EXPECT_TRUE(Match(R"(metric == "nps" and metric != 'csat')"));
  EXPECT_TRUE(Match(R"(touchpoint < "e")"));  // strings order by bytes
  EXPECT_TRUE(Match("true and not false"));
  EXPECT_TRUE(Match("customer.traits.orders >= 10"));
}

TEST(Expression, FollowsDottedPathsAndListIndexes) {
  EXPECT_TRUE(Match(R"(customer.segment == "vip" and customer.traits.plan == "pro")"));
  EXPECT_TRUE(Match("answers.1.score == 9"));
  EXPECT_TRUE(Match("answers.5.score == null"));
}

TEST(Expression, MissingPathsAreNullAndOrderingWithNullIsFalse) {
  EXPECT_TRUE(Match("customer.traits.missing == null"));
  EXPECT_FALSE(Match("customer.traits.missing != null"));
  EXPECT_TRUE(Match("comment != null"));
  EXPECT_FALSE(Match("customer.traits.missing < 5"));
  EXPECT_FALSE(Match("customer.traits.missing >= 5"));
  EXPECT_FALSE(Match("score.deeper == 4"));  // a path through a number is null
  EXPECT_FALSE(Match(R"(score < "5")"));      // numbers and strings are unordered
  EXPECT_FALSE(Match("customer.traits.missing"));
  EXPECT_TRUE(Match("not customer.traits.missing"));
}

TEST(Expression, InContainsAndStartsWith) {
  EXPECT_TRUE(Match(R"(touchpoint in ["delivery", "checkout"])"));
  EXPECT_FALSE(Match(R"(touchpoint in ["checkout"])"));
  EXPECT_TRUE(Match(R"(touchpoint not in ["checkout"])"));
  EXPECT_TRUE(Match("score in [1, 4.0, null]"));
  EXPECT_FALSE(Match("score in []"));
  EXPECT_TRUE(Match("customer.missing not in [1]"));  // null is not in the list
  EXPECT_FALSE(Match("score not in customer.missing"));  // not a list: neither in nor not in
  EXPECT_TRUE(Match(R"(comment contains "damaged")"));   // case-insensitive
  EXPECT_TRUE(Match(R"(comment contains "")"));
  EXPECT_FALSE(Match(R"(comment contains "broken")"));
  EXPECT_TRUE(Match(R"(tags contains "late")"));         // membership for lists
  EXPECT_FALSE(Match(R"(tags contains "LATE")"));        // elements compare exactly
  EXPECT_TRUE(Match(R"(comment starts_with "the parcel")"));
  EXPECT_FALSE(Match(R"(comment starts_with "parcel")"));
  EXPECT_FALSE(Match(R"(score contains 4)"));
}

TEST(Expression, PrecedenceAndParentheses) {
  // not > and > or
  EXPECT_TRUE(Match("score == 1 or score == 4 and metric == \"nps\""));
  EXPECT_FALSE(Match("(score == 1 or score == 4) and metric == \"csat\""));
  EXPECT_TRUE(Match("not score == 1 and not (score == 5 or score == 6)"));
  EXPECT_TRUE(Match("not not true"));
}

TEST(Expression, DecodesStringEscapes) {
  const json context = {{"text", "a \"quoted\"\nline \xC4\x8D"}};
  auto expression = Expression::Parse(R"(text == "a \"quoted\"\nline \u010d")");
  ASSERT_TRUE(expression.ok()) << expression.status().ToString();
  EXPECT_TRUE(expression->Matches(context));
  auto single = Expression::Parse(R"(text contains 'it\'s')");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_FALSE(single->Matches(context));
}

TEST(Expression, KeywordsAfterADotAreFieldNames) {
  const json context = {{"case", {{"in", 3}}}};
  auto expression = Expression::Parse("case.in == 3");
  ASSERT_TRUE(expression.ok()) << expression.status().ToString();
  EXPECT_TRUE(expression->Matches(context));
}

TEST(Expression, EvaluateReturnsTheValue) {
  auto expression = Expression::Parse("customer.traits.plan");
  ASSERT_TRUE(expression.ok());
  EXPECT_EQ(expression->Evaluate(kContext), "pro");
  EXPECT_EQ(expression->text(), "customer.traits.plan");
}

TEST(Expression, ParseErrorsSayWhatWasExpectedAndWhere) {
  EXPECT_EQ(ParseError(""), "expected an operand (a number, string, true, false, null, list, field name or \"(\") "
                            "at position 1, found the end");
  EXPECT_EQ(ParseError("score <= "), "expected an operand (a number, string, true, false, null, list, field name "
                                     "or \"(\") at position 10, found the end");
  EXPECT_EQ(ParseError("score <= <= 6"), "expected an operand (a number, string, true, false, null, list, field "
                                         "name or \"(\") at position 10, found \"<=\"");
  EXPECT_EQ(ParseError("score = 6"), "expected \"==\" (a single \"=\" is not an operator) at position 7");
  EXPECT_EQ(ParseError("score <= 6 score"),
            "expected an operator (and, or, ==, in, ...) or the end at position 12, found \"score\"");
  EXPECT_EQ(ParseError("(score <= 6"), "expected \")\" at position 12, found the end");
  EXPECT_EQ(ParseError("x in [1, 2"), "expected \",\" or \"]\" at position 11, found the end");
  EXPECT_EQ(ParseError("x in [1, y]"), "expected a number, string, true, false or null in the list at position 10, "
                                       "found \"y\"");
  EXPECT_EQ(ParseError("comment contains \"abc"), "unterminated string starting at position 18");
  EXPECT_EQ(ParseError(R"(x == "\q")"), R"(unknown escape \q (use \" \' \\ \n \t \r \/ \uXXXX) at position 7)");
  EXPECT_EQ(ParseError(R"(x == "\u12")"), "expected four hexadecimal digits after \\u at position 11");
  EXPECT_EQ(ParseError("score # 6"), "unexpected character '#' at position 7");
  EXPECT_EQ(ParseError("customer. == 1"), "expected a field name after \".\" at position 11, found \"==\"");
  EXPECT_EQ(ParseError("x not 3"), "expected \"in\" after \"not\" at position 7, found \"3\"");
  EXPECT_EQ(ParseError("score <= 6and"), "expected a space or an operator after the number at position 11");
  EXPECT_EQ(ParseError("x == 1e"), "expected the digits of an exponent at position 8");
  EXPECT_EQ(ParseError("x == 1e999"), "number out of range at position 6");
  EXPECT_EQ(ParseError("and == 1"), "expected an operand (a number, string, true, false, null, list, field name "
                                    "or \"(\") at position 1, found \"and\"");
}

TEST(Expression, RefusesHostileInput) {
  EXPECT_EQ(ParseError(std::string(kMaxExpressionChars + 1, ' ')), "longer than 4096 characters");
  EXPECT_EQ(ParseError(std::string(33, '(') + "true" + std::string(33, ')')),
            "nested deeper than 32 levels at position 33");
  std::string nots;
  for (int not_idx = 0; not_idx < 40; ++not_idx) nots += "not ";
  EXPECT_EQ(ParseError(nots + "true"), "nested deeper than 32 levels at position 129");
  // At the limit it still parses, and long flat chains do not recurse.
  EXPECT_TRUE(Expression::Parse(std::string(32, '(') + "true" + std::string(32, ')')).ok());
  std::string chain = "true";
  while (chain.size() + 9 < kMaxExpressionChars) chain += " and true";
  auto long_chain = Expression::Parse(chain);
  ASSERT_TRUE(long_chain.ok()) << long_chain.status().ToString();
  EXPECT_TRUE(long_chain->Matches(kContext));
  EXPECT_EQ(ParseError(std::string("x == \"\0\"", 8) + " ("), "expected an operator (and, or, ==, in, ...) or the "
                                                             "end at position 10, found \"(\"");
}

}  // namespace
}  // namespace tp::rules
