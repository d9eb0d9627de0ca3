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

// Same values and the same number types (nlohmann makes a non-negative integer unsigned), recursively.
void ExpectSameDocument(const Json& actual, const Json& expected, const std::string& path = "$") {
  ASSERT_EQ(actual.type(), expected.type()) << path;
  if (actual.is_object()) {
    ASSERT_EQ(actual.size(), expected.size()) << path;
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(actual.contains(key)) << path << "." << key;
      ExpectSameDocument(actual.at(key), value, path + "." + key);
    }
  } else if (actual.is_array()) {
    ASSERT_EQ(actual.size(), expected.size()) << path;
    for (std::size_t i = 0; i < actual.size(); ++i) ExpectSameDocument(actual[i], expected[i], path + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(actual, expected) << path;
  }
}

TEST(ParseJson, KeepsNlohmannsNumberTypesAndLargeDocuments) {
  const std::string numbers = R"([0, 7, -7, 9223372036854775807, 9223372036854775808, -9223372036854775808, 1.5, -0.25, 1e3, 2E-2, "\u00e9\n", "é"])";
  ExpectSameDocument(ParseJson(numbers).value(), Json::parse(numbers));
  // Over a MiB: parsed by a parser of its own rather than the thread's reused one, with the same result.
  std::string large = R"({"batch": [)";
  for (int i = 0; i < 20000; ++i) {
    large += (i == 0 ? "" : ",") + std::string(R"({"type": "track", "event": "Viewed", "properties": {"n": )") +
             std::to_string(i) + R"(, "price": 9.99, "tags": ["a", null, true]}})";
  }
  large += "]}";
  ASSERT_GT(large.size(), std::size_t{1} << 20);
  ExpectSameDocument(ParseJson(large).value(), Json::parse(large));
  // A small document after the large one still parses (the reused parser is unaffected).
  EXPECT_EQ(ParseJson(R"({"a": [1]})").value(), Json::parse(R"({"a": [1]})"));
}

TEST(ParseJson, RefusesInvalidTextWithNlohmannsExplanation) {
  for (const std::string& bad : {std::string("{\"a\": \"\xff\"}"), std::string("{\"a\": \"tab\there\"}"),
                                std::string(R"({"a": "\ud800"})"), std::string(R"({"a": tru})"), std::string("[1, 2")}) {
    const Result<Json> parsed = ParseJson(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformedJson) << bad;
    EXPECT_NE(parsed.status().message().find("malformed JSON at byte"), std::string::npos) << parsed.status().message();
  }
  // Deeper than simdjson's own limit: still the depth error, not a parse error.
  const std::string very_deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(ParseJson(very_deep).status().code(), ErrorCode::kInvalidArgument);
  // A repeated key after the depth limit is not reached first: reported in document order.
  const Result<Json> repeated_then_deep = ParseJson(R"({"k": 1, "k": 2, "d": )" + std::string(40, '[') + std::string(40, ']') + "}");
  EXPECT_EQ(repeated_then_deep.status().field(), "k");
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
