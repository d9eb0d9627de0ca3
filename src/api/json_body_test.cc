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
