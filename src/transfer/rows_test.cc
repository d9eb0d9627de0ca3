#include "transfer/rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/crypto.h"

namespace tp::transfer {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Micros kNow = 1'790'000'000LL * 1'000'000;  // 2026-09-21

RowConverter Make(ImportKind kind, const std::vector<std::string>& header) {
  InitCrypto();
  auto converter = RowConverter::Create(kind, header, kNow);
  EXPECT_TRUE(converter.ok()) << converter.status().ToString();
  return std::move(converter).value();
}

TEST(RowsTest, CustomerRowBecomesAnIdentifyWithNormalisedIdentifiersAndTraits) {
  auto converter = Make(ImportKind::kCustomers, {"User_ID", " Email ", "phone", "first_name", "last_name", "Plan",
                                                 "traits", "created_at"});
  auto message = converter.Convert({"u1", " Jana@Example.CZ ", "+420 777 123 456", "Jana", "Nováková", "gold",
                                    R"({"vip":true})", "2024-03-01T10:00:00Z"});
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->type, events::EventType::kIdentify);
  EXPECT_EQ(message->user_id, "u1");
  EXPECT_EQ(message->traits["name"], "Jana Nováková");
  EXPECT_EQ(message->traits["email"], "jana@example.cz");
  EXPECT_EQ(message->traits["phone"], "+420777123456");
  EXPECT_EQ(message->traits["Plan"], "gold");
  EXPECT_EQ(message->traits["vip"], true);
  EXPECT_EQ(message->occurred_at, *ParseTimestamp("2024-03-01T10:00:00Z"));
  EXPECT_EQ(message->identifiers.size(), 3u);
  EXPECT_THAT(message->message_id, StartsWith("import:customers:"));
  // The same content in another column order gives the same message id; other content another one.
  auto reordered = Make(ImportKind::kCustomers, {"email", "user_id", "phone", "first_name", "last_name", "plan",
                                                 "traits", "created_at"});
  auto same = reordered.Convert({"Jana@Example.CZ", "u1", "+420 777 123 456", "Jana", "Nováková", "gold",
                                 R"({"vip":true})", "2024-03-01T10:00:00Z"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->message_id, message->message_id);
  auto other = converter.Convert({"u2", "", "", "", "", "", "", ""});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->message_id, message->message_id);
}

TEST(RowsTest, CustomerRowErrorsNameTheColumn) {
  auto converter = Make(ImportKind::kCustomers, {"user_id", "email", "phone", "created_at", "traits"});
  auto no_identifier = converter.Convert({"", "", "", "", ""});
  EXPECT_EQ(no_identifier.status().field(), "user_id");
  EXPECT_EQ(converter.Convert({"", "not-an-email", "", "", ""}).status().field(), "email");
  EXPECT_EQ(converter.Convert({"", "", "12", "", ""}).status().field(), "phone");
  EXPECT_EQ(converter.Convert({"u", "", "", "yesterday", ""}).status().field(), "created_at");
  EXPECT_EQ(converter.Convert({"u", "", "", "", "[1]"}).status().field(), "traits");
  EXPECT_EQ(converter.Convert({"u", "", "", "", "{"}).status().field(), "traits");
  EXPECT_EQ(converter.Convert({"u", ""}).status().field(), "row");
  EXPECT_EQ(converter.Convert({"u", "", "", "2999-01-01T00:00:00Z", ""}).status().field(), "created_at");
}

TEST(RowsTest, HeaderChecks) {
  InitCrypto();
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"name", "plan"}, kNow).status().field(), "user_id");
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"email", "EMAIL"}, kNow).status().field(), "EMAIL");
  EXPECT_EQ(RowConverter::Create(ImportKind::kEvents, {"user_id", "event", "colour"}, kNow).status().field(), "colour");
  EXPECT_EQ(RowConverter::Create(ImportKind::kEvents, {"user_id", "event", "name"}, kNow).status().field(), "name");
  EXPECT_EQ(RowConverter::Create(ImportKind::kOrders, {"user_id", "total"}, kNow).status().field(), "order_id");
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"email", ""}, kNow).status().field(), "header");
}

TEST(RowsTest, EventRows) {
  auto converter = Make(ImportKind::kEvents, {"message_id", "type", "event", "user_id", "anonymous_id", "timestamp",
                                              "properties", "properties.plan"});
  auto track = converter.Convert({"m-1", "", "Signed Up", "u1", "", "2025-01-02T03:04:05Z", R"({"a":1})", "pro"});
  ASSERT_TRUE(track.ok()) << track.status().ToString();
  EXPECT_EQ(track->type, events::EventType::kTrack);
  EXPECT_EQ(track->message_id, "m-1");
  EXPECT_EQ(track->name, "Signed Up");
  EXPECT_EQ(track->properties["a"], 1);
  EXPECT_EQ(track->properties["plan"], "pro");
  auto page = converter.Convert({"", "PAGE", "", "", "anon-1", "", "", ""});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->type, events::EventType::kPage);
  EXPECT_EQ(page->occurred_at, kNow);
  EXPECT_THAT(page->message_id, StartsWith("import:events:"));
  EXPECT_EQ(converter.Convert({"", "", "", "u1", "", "", "", ""}).status().field(), "event");
  EXPECT_EQ(converter.Convert({"", "", "E", "", "", "", "", ""}).status().field(), "user_id");
  EXPECT_EQ(converter.Convert({"", "jump", "E", "u1", "", "", "", ""}).status().field(), "type");
  EXPECT_EQ(converter.Convert({"", "", "E", "u1", "", "1999-12-31T23:59:59Z", "", ""}).status().field(), "timestamp");
  EXPECT_EQ(converter.Convert({"", "", "E", "u1", "", "", R"({"a":")" + std::string(40'000, 'x') + R"("})", ""}).status().field(),
            "properties");
  const std::string deep = std::string(20, '[') + std::string(20, ']');
  EXPECT_EQ(converter.Convert({"", "", "E", "u1", "", "", R"({"a":)" + deep + "}", ""}).status().field(), "properties");
  EXPECT_EQ(converter.Convert({std::string(201, 'm'), "", "E", "u1", "", "", "", ""}).status().field(), "message_id");
  EXPECT_EQ(converter.Convert({"", "identify", "", "u1", "", "", R"({"a":1})", ""}).status().field(), "properties");
}

TEST(RowsTest, OrderRows) {
  auto converter = Make(ImportKind::kOrders, {"order_id", "email", "total", "currency", "status", "ordered_at",
                                              "products", "coupon"});
  auto order = converter.Convert({"A-1", "jana@example.cz", "129.90", "czk", "", "2025-05-01T12:00:00+02:00",
                                  R"([{"sku":"x","quantity":1}])", "SPRING"});
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(order->name, events::kOrderCompleted);
  EXPECT_EQ(order->message_id, "order:A-1");
  EXPECT_EQ(order->amount, (Money{.amount = 1'299'000, .currency = "CZK"}));
  EXPECT_EQ(order->properties["order_id"], "A-1");
  EXPECT_EQ(order->properties["total"], 129.90);
  EXPECT_EQ(order->properties["currency"], "CZK");
  EXPECT_EQ(order->properties["coupon"], "SPRING");
  EXPECT_EQ(order->properties["products"][0]["sku"], "x");
  auto refund = converter.Convert({"A-1", "jana@example.cz", "129.90", "", "Refunded", "", "", ""});
  ASSERT_TRUE(refund.ok());
  EXPECT_EQ(refund->name, events::kOrderRefunded);
  EXPECT_EQ(refund->message_id, "refund:A-1");
  EXPECT_EQ(converter.Convert({"", "j@x.cz", "1", "", "", "", "", ""}).status().field(), "order_id");
  EXPECT_EQ(converter.Convert({"A", "", "1", "", "", "", "", ""}).status().field(), "user_id");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "", "", "", "", "", ""}).status().field(), "total");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "12,5", "", "", "", "", ""}).status().field(), "total");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "nan", "", "", "", "", ""}).status().field(), "total");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "-1", "", "", "", "", ""}).status().field(), "total");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "1", "euro", "", "", "", ""}).status().field(), "currency");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "1", "", "pending", "", "", ""}).status().field(), "status");
  EXPECT_EQ(converter.Convert({"A", "j@x.cz", "1", "", "", "", "{}", ""}).status().field(), "products");
  EXPECT_THAT(converter.Convert({"A", "j@x.cz", "1", "", "", "", "{}", ""}).status().message(), HasSubstr("array"));
}

// Segment's camelCase, snake_case and spreadsheet words all name the documented columns.
TEST(RowsTest, DocumentedColumnsMatchInCamelCaseSnakeCaseAndWords) {
  auto customers = Make(ImportKind::kCustomers, {"userId", "anonymousID", "First Name", "lastName", "createdAt",
                                                 "firstSeen", "Default Address City"});
  auto customer = customers.Convert({"u1", "anon-1", "Jana", "Nováková", "2024-03-01T10:00:00Z",
                                     "2023-06-01T08:00:00Z", "Brno"});
  ASSERT_TRUE(customer.ok()) << customer.status().ToString();
  EXPECT_EQ(customer->user_id, "u1");
  EXPECT_EQ(customer->anonymous_id, "anon-1");
  EXPECT_EQ(customer->traits["name"], "Jana Nováková");
  EXPECT_EQ(customer->customer_since, *ParseTimestamp("2024-03-01T10:00:00Z"));
  EXPECT_EQ(customer->first_seen_at, *ParseTimestamp("2023-06-01T08:00:00Z"));
  EXPECT_EQ(customer->traits["Default Address City"], "Brno");  // any other column: a trait under its own name
  EXPECT_FALSE(customer->traits.contains("firstSeen"));

  auto events = Make(ImportKind::kEvents, {"messageId", "type", "event", "userId", "anonymousId", "previousId",
                                           "timestamp"});
  auto alias = events.Convert({"m-1", "alias", "", "u1", "", "anon-9", "2025-01-02T03:04:05Z"});
  ASSERT_TRUE(alias.ok()) << alias.status().ToString();
  EXPECT_EQ(alias->message_id, "m-1");
  EXPECT_EQ(alias->previous_id, "anon-9");
  EXPECT_EQ(alias->user_id, "u1");

  // The same content under another spelling is the same row: the same derived message id.
  auto snake = Make(ImportKind::kCustomers, {"user_id", "anonymous_id", "first_name", "last_name", "created_at",
                                             "first_seen", "Default Address City"});
  auto same = snake.Convert({"u1", "anon-1", "Jana", "Nováková", "2024-03-01T10:00:00Z", "2023-06-01T08:00:00Z", "Brno"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->message_id, customer->message_id);
  // Two spellings of one column are one column twice.
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"user_id", "userId"}, kNow).status().field(), "userId");
}

TEST(RowsTest, AMappingNamesTheDocumentedColumnOfAnyOther) {
  InitCrypto();
  ColumnMapping mapping;
  ASSERT_TRUE(ParseColumnMapping("customer_id=user_id, signup_date = first_seen_at,Notes=ignore", mapping).ok());
  ASSERT_TRUE(ParseColumnMappingJson(R"({"Phone Number": "phone", "segment": "traits.tier"})", mapping).ok());
  auto converter = RowConverter::Create(ImportKind::kCustomers,
                                        {"Customer_ID", "signup_date", "Phone Number", "segment", "notes", "plan"}, kNow,
                                        mapping);
  ASSERT_TRUE(converter.ok()) << converter.status().ToString();
  auto message = converter->Convert({"c-42", "2021-05-04", "+420 777 123 456", "vip", "call back", "gold"});
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->user_id, "c-42");
  EXPECT_EQ(message->first_seen_at, *ParseTimestamp("2021-05-04T00:00:00Z"));
  EXPECT_FALSE(message->customer_since);
  EXPECT_EQ(message->traits["phone"], "+420777123456");
  EXPECT_EQ(message->traits["tier"], "vip");
  EXPECT_EQ(message->traits["plan"], "gold");
  EXPECT_FALSE(message->traits.contains("notes"));
  EXPECT_FALSE(message->traits.contains("customer_id"));
  // An error in a mapped column names the file's column.
  EXPECT_EQ(converter->Convert({"c-42", "soon", "", "", "", ""}).status().field(), "signup_date");

  // An orders file of other names.
  ColumnMapping orders;
  ASSERT_TRUE(ParseColumnMapping("customer_id=user_id,ts=timestamp,amount=total", orders).ok());
  auto order_converter = RowConverter::Create(ImportKind::kOrders, {"order_id", "customer_id", "ts", "amount"}, kNow,
                                              orders);
  ASSERT_TRUE(order_converter.ok()) << order_converter.status().ToString();
  auto order = order_converter->Convert({"A-1", "c-42", "2025-05-01 12:00:00", "19.90"});
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(order->user_id, "c-42");
  EXPECT_EQ(order->amount, (Money{.amount = 199'000, .currency = ""}));
  EXPECT_EQ(order->occurred_at, *ParseTimestamp("2025-05-01T12:00:00Z"));
}

TEST(RowsTest, BadMappingsAreErrorsNamingWhatIsWrong) {
  InitCrypto();
  ColumnMapping mapping;
  EXPECT_EQ(ParseColumnMapping("customer_id", mapping).field(), "map");
  EXPECT_EQ(ParseColumnMapping("=user_id", mapping).field(), "map");
  EXPECT_EQ(ParseColumnMappingJson("[1]", mapping).field(), "map");
  EXPECT_EQ(ParseColumnMappingJson(R"({"a": 1})", mapping).field(), "map");
  EXPECT_TRUE(mapping.empty());

  ASSERT_TRUE(ParseColumnMapping("customer_id=user_identifier,ts=when,plan=traits.plan", mapping).ok());
  auto unknown = RowConverter::Create(ImportKind::kCustomers, {"customer_id", "ts", "plan"}, kNow, mapping);
  EXPECT_EQ(unknown.status().field(), "map");
  EXPECT_THAT(unknown.status().message(), HasSubstr("user_identifier, when, which are not a column of customers"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("first_seen_at"));  // and says which are

  ColumnMapping absent{{"customer_id", "user_id"}, {"ts", "timestamp"}};
  auto missing = RowConverter::Create(ImportKind::kOrders, {"order_id", "customer_id", "total"}, kNow, absent);
  EXPECT_EQ(missing.status().field(), "map");
  EXPECT_THAT(missing.status().message(), HasSubstr("ts, which the header does not have"));

  ColumnMapping twice{{"a", "user_id"}, {"A", "email"}};
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"a"}, kNow, twice).status().field(), "map");
  ColumnMapping two_phones{{"Phone", "phone"}, {"Default Address Phone", "phone"}};
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"Phone", "Default Address Phone"}, kNow, two_phones)
                .status()
                .field(),
            "Default Address Phone");
  // A target that exists for another kind only.
  ColumnMapping channel{{"source", "channel"}};
  EXPECT_EQ(RowConverter::Create(ImportKind::kCustomers, {"email", "source"}, kNow, channel).status().field(), "map");
  // Without an identifier the error says a column may be mapped to one.
  EXPECT_THAT(RowConverter::Create(ImportKind::kCustomers, {"customer_id"}, kNow).status().message(),
              HasSubstr("customer_id=user_id"));
}

TEST(RowsTest, TimesInTheFormsExportersWrite) {
  auto converter = Make(ImportKind::kOrders, {"order_id", "email", "total", "ordered_at"});
  const auto time_of = [&](const std::string& text) -> std::optional<Micros> {
    auto order = converter.Convert({"A-1", "j@x.cz", "1", text});
    if (!order.ok()) return std::nullopt;
    return order->occurred_at;
  };
  const Micros noon = *ParseTimestamp("2025-05-01T12:00:00Z");
  EXPECT_EQ(time_of("2025-05-01T12:00:00Z"), noon);
  EXPECT_EQ(time_of("2025-05-01 12:00:00"), noon);  // no zone: UTC
  EXPECT_EQ(time_of("2025-05-01 12:00"), noon);
  EXPECT_EQ(time_of("2025-05-01 12:00:00 UTC"), noon);
  EXPECT_EQ(time_of("2025-05-01 14:00:00 +0200"), noon);
  EXPECT_EQ(time_of("2025-05-01T14:00+02:00"), noon);
  EXPECT_EQ(time_of("2025-05-01 12:00:00.250"), noon + 250'000);
  EXPECT_EQ(time_of("2025-05-01"), *ParseTimestamp("2025-05-01T00:00:00Z"));
  EXPECT_EQ(time_of(std::to_string(noon / 1'000'000)), noon);         // Unix seconds
  EXPECT_EQ(time_of(std::to_string(noon / 1'000 + 250)), noon + 250'000);  // Unix milliseconds
  EXPECT_FALSE(time_of("05/01/2025"));
  EXPECT_FALSE(time_of("2025-05-01 12"));
  EXPECT_FALSE(time_of("2025-05-01 12:00:00 CET"));
  EXPECT_FALSE(time_of("12345"));
}

}  // namespace
}  // namespace tp::transfer
