// Rule conditions: a small expression language parsed once into a tree and evaluated over a JSON
// context (the change's payload and the customer's profile). No user text is ever executed; the
// grammar and the semantics are documented in docs/rules.md.
//
//   TP_ASSIGN_OR_RETURN(Expression condition, Expression::Parse(R"(score <= 6 and customer.segment == "vip")"));
//   if (condition.Matches(context)) { ... }
//
// Grammar (keywords are lower case; names are [A-Za-z_][A-Za-z0-9_]*):
//   expression := or
//   or         := and ("or" and)*
//   and        := not ("and" not)*
//   not        := "not" not | comparison
//   comparison := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
//                         | ["not"] "in" operand | "contains" operand | "starts_with" operand ]
//   operand    := number | string | "true" | "false" | "null" | list | path | "(" expression ")"
//   list       := "[" [ literal ("," literal)* ] "]"      (literals only: numbers, strings, true/false/null)
//   path       := name ("." (name | digits))*               (digits index a list)
//
// Semantics: a path that does not exist is null. `==` / `!=` are exact (numbers by value, 6 == 6.0), so
// `comment == null` tests for absence; an ordering comparison (< <= > >=) involving null, or between a
// number and a string, is false. `contains` and `starts_with` on strings ignore ASCII case; `contains`
// on a list is membership. `and`/`or`/`not` treat only the boolean true as true. The whole expression
// matches when it evaluates to true.
//
// An Expression is immutable after parsing and safe to evaluate from several threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace tp::rules {

inline constexpr std::size_t kMaxExpressionChars = 4096;
// Nesting of parentheses, lists and `not`, so hostile input cannot exhaust the stack.
inline constexpr int kMaxExpressionDepth = 32;

class Expression {
 public:
  // kInvalidArgument (field `field`) naming what was expected and the 1-based character position
  // where parsing stopped, e.g. `expected an operand at position 9, found "=="`; also for text over
  // kMaxExpressionChars or nested deeper than kMaxExpressionDepth.
  static Result<Expression> Parse(std::string_view text, std::string field = "condition");

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  // The value of the expression in `context`. The reference points into `context`, into the tree or
  // to a static constant: valid while both live.
  const nlohmann::json& Evaluate(const nlohmann::json& context) const;
  // True when Evaluate gives the boolean true.
  bool Matches(const nlohmann::json& context) const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  Expression(std::string text, std::unique_ptr<const Node> root);

  std::string text_;
  std::unique_ptr<const Node> root_;
};

}  // namespace tp::rules
