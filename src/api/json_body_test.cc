#include "api/json_body.h"

#include <gtest/gtest.h>

namespace tp::api {
namespace {

TEST(ParseJson, ReportsTheBytePositionOfMalformedInput) {
  auto parsed = ParseJson(R"({"a": 1,})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformedJson);
  EXPECT_NE(parsed.status().message().find("byte 9"), std::string::npos) << parsed.status().message();
}

TEST(ParseJson, RefusesNestingDeeperThanTheLimit) {
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_EQ(ParseJson(deep).status().code(), ErrorCode::kInvalidArgument);
  std::string fine = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(fine).ok());
}

TEST(ParseJson, BuildsTheSameDocumentAsNlohmannsOwnParser) {
  const std::string text =
      R"({"batch": [{"type": "track", "properties": {"price": 12.5, "tags": ["a", {"b": null}], "n": -3,)"
      R"( "big": 18446744073709551615, "ok": true, "nested": {"x": {}}, "list": []}}, [], "ü"], "sentAt": null})";
  const Result<Json> parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(*parsed, Json::parse(text));
  EXPECT_EQ(ParseJson("42").value(), Json(42));
}

TEST(ParseJson, RefusesAKeyRepeatedInOneObjectOnly) {
  const Result<Json> nested = ParseJson(R"({"a": {"k": 1, "m": 2, "k": 3}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(nested.status().field(), "k");
  // The same key in sibling objects, or in an object and its parent, is not a repeat.
  EXPECT_TRUE(ParseJson(R"({"k": {"k": 1}, "list": [{"k": 1}, {"k": 2}]})").ok());
}

TEST(ParseJson, NamesOverflowingNumbersAndTrailingInput) {
  const Result<Json> huge = ParseJson(R"({"n": 1e999999})");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), ErrorCode::kMalformedJson);
  EXPECT_NE(huge.status().message().find("out of range"), std::string::npos) << huge.status().message();
  const Result<Json> trailing = ParseJson(R"({"a": 1} x)");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().code(), ErrorCode::kMalformedJson);
  EXPECT_EQ(ParseJson("").status().code(), ErrorCode::kMalformedJson);
}

TEST(FieldReader, NamesTheFieldOfEveryProblem) {
  const Json body = Json::parse(R"({"name": 7, "age": "x", "long": "abcdef", "extra": true, "count": 99})");
  FieldReader fields(body);
  EXPECT_EQ(fields.RequiredString("name", 10).status().field(), "name");
  EXPECT_EQ(fields.OptionalInt("age", 0, 10).status().field(), "age");
  EXPECT_EQ(fields.OptionalString("long", 3).status().field(), "long");
  EXPECT_EQ(fields.RequiredInt("count", 0, 10).status().field(), "count");
  EXPECT_EQ(fields.RequiredString("missing", 10).status().field(), "missing");
  EXPECT_EQ(fields.RejectUnknown().field(), "extra");
}

TEST(FieldReader, NullMeansAbsent) {
  const Json body = Json::parse(R"({"name": null})");
  FieldReader fields(body);
  auto name = fields.OptionalString("name", 10);
  ASSERT_TRUE(name.ok());
  EXPECT_FALSE(name->has_value());
  EXPECT_TRUE(fields.RejectUnknown().ok());
}

}  // namespace
}  // namespace tp::api
