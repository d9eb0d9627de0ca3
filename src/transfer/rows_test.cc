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

}  // namespace
}  // namespace tp::transfer
