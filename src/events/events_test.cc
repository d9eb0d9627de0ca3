#include "events/events.h"
#include "events/requests.h"
#include "events/snowplow.h"

#include <gmock/gmock.h>
#include <algorithm>
#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/ids.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::events {
namespace {

using nlohmann::json;
using profiles::Identifier;
using profiles::IdentifierKind;
using ::testing::Contains;

const Micros kNow = *ParseTimestamp("2026-11-25T12:00:00Z");

Result<Message> Parse(const json& message, std::optional<Micros> batch_sent_at = std::nullopt) {
  return ParseSegmentMessage(json(message), {.received_at = kNow, .sent_at = batch_sent_at});
}

std::string FieldOf(const Result<Message>& result) { return result.ok() ? "" : result.status().field(); }

TEST(SegmentMessageTest, IdentifyCollectsEveryIdentifier) {
  const Result<Message> message = Parse(json::parse(R"({
    "type": "identify", "userId": "u-1", "anonymousId": "a-1", "messageId": "m-1",
    "traits": {"email": " Jana@Example.CZ ", "phone": "+420 777 123 456", "plan": "pro"},
    "context": {"externalIds": [{"id": "+420 777 000 111", "type": "whatsapp", "collection": "users"},
                                {"id": "GA1.2.3", "type": "ga_client_id"}]},
    "timestamp": "2026-11-25T11:00:00.000Z"})"));
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->type, EventType::kIdentify);
  EXPECT_EQ(message->message_id, "m-1");
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kUserId, "u-1"}));
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kAnonymousId, "a-1"}));
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kEmail, "jana@example.cz"}));
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kPhone, "+420777123456"}));
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kWhatsapp, "+420777000111"}));
  EXPECT_EQ(message->identifiers.size(), 5u);
  EXPECT_EQ(message->traits["plan"], "pro");
  EXPECT_EQ(message->occurred_at, *ParseTimestamp("2026-11-25T11:00:00Z"));
}

TEST(SegmentMessageTest, SentAtCorrectsClockSkew) {
  // The device clock is two hours fast: it stamped the event 10 s before it sent it.
  const json track = json::parse(R"({"type": "track", "userId": "u", "event": "Signed Up",
    "timestamp": "2026-11-25T13:59:50Z", "sentAt": "2026-11-25T14:00:00Z"})");
  const Result<Message> message = Parse(track);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->occurred_at, kNow - 10'000'000);
  // The batch's sentAt applies to messages without their own.
  json without_own = track;
  without_own.erase("sentAt");
  const Result<Message> batched = Parse(without_own, *ParseTimestamp("2026-11-25T14:00:00Z"));
  ASSERT_TRUE(batched.ok());
  EXPECT_EQ(batched->occurred_at, kNow - 10'000'000);
}

TEST(SegmentMessageTest, RejectsBadMessagesNamingTheField) {
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "userId": "u"})"))), "event");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "teleport", "userId": "u"})"))), "type");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "event": "x"})"))), "userId");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "userId": "u", "event": "x",
                                          "timestamp": "2030-01-01T00:00:00Z"})"))), "timestamp");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "userId": "u", "event": "x", "timestamp": "yesterday"})"))),
            "timestamp");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "userId": "u", "event": "x", "properties": [1]})"))),
            "properties");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "alias", "userId": "u"})"))), "previousId");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "group", "userId": "u"})"))), "groupId");
  EXPECT_EQ(FieldOf(Parse(json::parse(R"({"type": "track", "userId": {"a": 1}, "event": "x"})"))), "userId");

  json deep = json::object();
  json* level = &deep;
  for (int i = 0; i < kMaxEventDepth + 2; ++i) level = &((*level)["x"] = json::object());
  EXPECT_EQ(FieldOf(Parse({{"type", "track"}, {"userId", "u"}, {"event", "x"}, {"properties", deep}})), "properties");
  EXPECT_EQ(FieldOf(Parse({{"type", "identify"}, {"userId", "u"},
                           {"traits", {{"blob", std::string(kMaxPropertiesBytes, 'a')}}}})), "traits");
  EXPECT_EQ(FieldOf(Parse({{"type", "track"}, {"userId", "u"}, {"event", std::string(kMaxEventNameChars + 1, 'e')}})),
            "event");
}

TEST(SegmentMessageTest, InvalidTraitContactDataDoesNotLink) {
  const Result<Message> message =
      Parse(json::parse(R"({"type": "identify", "userId": "u", "traits": {"email": "not an address"}})"));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->identifiers.size(), 1u);
  EXPECT_EQ(message->traits["email"], "not an address");
}

TEST(SegmentMessageTest, ChannelsComeFromTheOneVocabulary) {
  auto channel_of = [](std::string_view channel) {
    const Result<Message> message = Parse(json{{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"channel", channel}});
    return message.ok() ? message->channel : message.status().ToString();
  };
  EXPECT_EQ(channel_of("browser"), "web");  // what analytics.js sends
  EXPECT_EQ(channel_of("WhatsApp"), "whatsapp");
  EXPECT_EQ(channel_of("a-vendors-word"), "other");  // Segment's shape: kept, not lost
  // touchpoint's own shape is strict.
  EXPECT_EQ(FieldOf(ParseNativeMessage(json::parse(R"({"type": "track", "name": "x", "customer": {"email": "a@b.cz"},
      "channel": "fax"})"), kNow)), "channel");
  const Result<Message> native = ParseNativeMessage(
      json::parse(R"({"type": "track", "name": "x", "customer": {"email": "a@b.cz"}, "channel": "chat"})"), kNow);
  ASSERT_TRUE(native.ok());
  EXPECT_EQ(native->channel, "webchat");
}

TEST(SegmentMessageTest, MissingMessageIdIsDerivedFromTheContent) {
  const json page = json::parse(R"({"type": "page", "anonymousId": "a", "name": "Pricing", "timestamp": "2026-11-25T11:00:00Z"})");
  const Result<Message> first = Parse(page);
  const Result<Message> again = Parse(page);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->message_id, again->message_id);
  EXPECT_EQ(first->channel, "web");
}

TEST(SegmentMessageTest, OrdersCarryTheirAmount) {
  const Result<Message> order = Parse(json::parse(
      R"({"type": "track", "userId": "u", "event": "Order Completed", "properties": {"order_id": "o1", "revenue": "25.50"}})"));
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->amount, (Money{.amount = 255'000, .currency = ""}));  // ingestion fills in the currency
  EXPECT_EQ(order->message_id, "order:o1");  // one order, whatever path it arrives by
  const Result<Message> other = Parse(json::parse(
      R"({"type": "track", "userId": "u", "event": "Viewed", "properties": {"revenue": 3}})"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->amount.has_value());
  const Result<Message> refund = Parse(json::parse(
      R"({"type": "track", "userId": "u", "event": "Order Refunded", "properties": {"order_id": 17, "refund_id": "r1",
          "refund_amount": 5.25, "total": 99, "currency": "pln"}})"));
  ASSERT_TRUE(refund.ok()) << refund.status().ToString();
  EXPECT_EQ(refund->amount, (Money{.amount = 52'500, .currency = "PLN"}));
  EXPECT_EQ(refund->message_id, "refund:17:r1");
}

TEST(SegmentMessageTest, AmountsAreBoundedAndCurrenciesChecked) {
  auto field_of = [](std::string_view properties) {
    return FieldOf(Parse(json::parse(R"({"type": "track", "userId": "u", "event": "Order Completed", "properties": )" +
                                     std::string(properties) + "}")));
  };
  EXPECT_EQ(field_of(R"({"revenue": 1e308})"), "properties.revenue");
  EXPECT_EQ(field_of(R"({"revenue": 1000000000000.01})"), "properties.revenue");
  EXPECT_EQ(field_of(R"({"total": -5})"), "properties.total");
  EXPECT_EQ(field_of(R"({"revenue": "12,50"})"), "properties.revenue");
  EXPECT_EQ(field_of(R"({"revenue": "1e3"})"), "properties.revenue");
  EXPECT_EQ(field_of(R"({"revenue": true})"), "properties.revenue");
  EXPECT_EQ(field_of(R"({"revenue": 10, "currency": "EURO"})"), "properties.currency");
  EXPECT_EQ(field_of(R"({"revenue": 10, "currency": 978})"), "properties.currency");
  EXPECT_EQ(field_of(R"({"revenue": 1000000000000, "currency": "EUR"})"), "");
}

TEST(NativeMessageTest, ParsesTheOwnShapeStrictly) {
  const Result<Message> message = ParseNativeMessage(json::parse(R"({
    "id": "n-1", "type": "track", "name": "Order Completed", "occurred_at": "2026-11-25T10:00:00Z",
    "customer": {"email": "Jana@Example.cz", "telegram": "12345"}, "properties": {"total": 12}})"), kNow);
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_THAT(message->identifiers, Contains(Identifier{IdentifierKind::kTelegram, "12345"}));
  EXPECT_EQ(message->amount, (Money{.amount = 120'000, .currency = ""}));
  EXPECT_EQ(FieldOf(ParseNativeMessage(json::parse(R"({"type": "track", "name": "x", "customer": {"email": "a@b.cz"}, "extra": 1})"), kNow)), "extra");
  EXPECT_EQ(FieldOf(ParseNativeMessage(json::parse(R"({"type": "track", "name": "x", "customer": {"fax": "1"}})"), kNow)), "customer.fax");
  EXPECT_EQ(FieldOf(ParseNativeMessage(json::parse(R"({"type": "track", "name": "x", "customer": {"email": "nope"}})"), kNow)), "customer.email");
  EXPECT_EQ(FieldOf(ParseNativeMessage(json::parse(R"({"type": "track", "name": "x"})"), kNow)), "customer");
}

class EventStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  store::TestDatabase db_{GetParam()};
};

TEST_P(EventStoreTest, InsertSkipsKnownMessageIdsAndListsNewestFirst) {
  const std::string tenant = profiles::CreateTestTenant(db_.store(), "acme");
  const auto event_number = [](int i) {
    Message message;
    message.message_id = "m-" + std::to_string(i);
    message.name = "Viewed";
    message.occurred_at = kNow - i * 1'000'000;
    message.received_at = kNow;
    return EventFromMessage(message, "cus_01ABCDEFGHJKMNPQRSTVWXYZ01");
  };
  std::vector<Event> events;
  for (int i = 0; i < 100; ++i) events.push_back(event_number(i));
  auto insert = [&](const std::vector<Event>& batch) {
    return profiles::WriteResult<std::vector<std::string>>(db_.store(), tenant,
                                                           [&](store::TenantTx& tx) { return InsertEvents(tx, batch); });
  };
  Result<std::vector<std::string>> first = insert(events);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 100u);
  for (Event& event : events) event.id = NewId("evt_");  // a retry gets new event ids, same message ids
  Result<std::vector<std::string>> again = insert(events);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // A retry that overlaps: only the new message ids come back, across chunks of every size.
  std::vector<Event> overlapping(events.begin() + 60, events.end());
  for (Event& event : overlapping) event.id = NewId("evt_");
  for (int i = 100; i < 137; ++i) overlapping.push_back(event_number(i));
  Result<std::vector<std::string>> mixed = insert(overlapping);
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  std::vector<std::string> expected_new;
  for (int i = 100; i < 137; ++i) expected_new.push_back("m-" + std::to_string(i));
  std::vector<std::string> got_new = *mixed;
  std::sort(got_new.begin(), got_new.end());
  std::sort(expected_new.begin(), expected_new.end());
  EXPECT_EQ(got_new, expected_new);

  std::vector<std::string> seen;
  PageRequest page{.limit = 30};
  do {
    Result<Page<Event>> listed = profiles::ReadResult<Page<Event>>(db_.store(), tenant, [&](store::TenantTx& tx) {
      return ListEvents(tx, {.customer_id = "cus_01ABCDEFGHJKMNPQRSTVWXYZ01"}, page);
    });
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    for (const Event& event : listed->items) seen.push_back(event.message_id);
    if (listed->next_cursor.empty()) break;
    Result<PageRequest> next = PageRequest::Parse(listed->next_cursor, "30");
    ASSERT_TRUE(next.ok());
    page = *next;
  } while (true);
  ASSERT_EQ(seen.size(), 137u);  // each message once
  EXPECT_EQ(seen.front(), "m-0");
  EXPECT_EQ(seen.back(), "m-136");
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest, ::testing::ValuesIn(store::TestBackends()));

TEST(SplitRequestTest, ABatchKeepsItsGoodMessagesAndNamesTheBadOnesByIndex) {
  const json body = {{"batch",
                      {{{"type", "track"}, {"userId", "u1"}, {"event", "Viewed"}, {"messageId", "m-1"}},
                       {{"type", "track"}, {"messageId", "m-2"}},  // no user or anonymous id
                       {{"type", "page"}, {"anonymousId", "a1"}, {"messageId", "m-3"}}}},
                     {"context", {{"library", {{"name", "test"}}}}}};
  Result<SplitRequest> split = SplitSegmentBatch(body, 1'800'000'000'000'000);
  ASSERT_TRUE(split.ok()) << split.status().message();
  EXPECT_FALSE(split->single);
  ASSERT_EQ(split->valid.size(), 2u);
  ASSERT_EQ(split->rejected.size(), 1u);
  EXPECT_EQ(split->rejected[0].index, 1u);
  EXPECT_EQ(split->rejected[0].message_id, "m-2");
  EXPECT_NE(split->valid[0].stored_context.find("\"library\""), std::string::npos) << "the batch context merged in";

  EXPECT_EQ(SplitSegmentBatch(json{{"batch", json::array()}}, 0).status().field(), "batch");
  EXPECT_EQ(SplitSegmentBatch(json{{"batch", json::array({json::object()})}, {"sentAt", 5}}, 0).status().field(),
            "sentAt");
  json too_many = {{"batch", json::array()}};
  for (std::size_t i = 0; i <= kMaxMessagesPerRequest; ++i) too_many["batch"].push_back(json::object());
  EXPECT_EQ(SplitSegmentBatch(too_many, 0).status().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(SplitNativeRequest(json{{"events", json::array({json::object()})}, {"extra", 1}}, 0).status().field(),
            "extra");
  EXPECT_TRUE(SplitSegmentSingle(json{{"userId", "u"}, {"event", "X"}}, 0, EventType::kTrack).single);
}

TEST(SegmentMessageTest, APagesTopLevelCategoryJoinsItsProperties) {
  // RudderStack sends category only at the top level; Segment's libraries copy it into properties too.
  const Result<Message> page = Parse(json{{"type", "page"}, {"userId", "u"}, {"name", "Pricing"}, {"category", "Docs"}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->properties["category"], "Docs");
  EXPECT_NE(page->stored_payload.find("Docs"), std::string::npos);
  const Result<Message> own = Parse(json{{"type", "screen"}, {"userId", "u"}, {"category", "A"}, {"properties", {{"category", "B"}}}});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->properties["category"], "B");
  EXPECT_EQ(FieldOf(Parse(json{{"type", "page"}, {"userId", "u"}, {"category", json::array()}})), "category");
}

TEST(SnowplowEventTest, BothBase64AlphabetsWithOrWithoutPaddingDecode) {
  const std::string event =
      R"({"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",)"
      R"("data":{"schema":"iglu:com.acme/rated/jsonschema/1-0-0","data":{"note":"ÿÿÿ>>>"}}})";
  std::string standard = Base64Encode(event);  // padded, with '+' and '/'
  ASSERT_NE(standard.find_first_of("+/"), std::string::npos);
  std::string url_safe = standard;
  std::replace(url_safe.begin(), url_safe.end(), '+', '-');
  std::replace(url_safe.begin(), url_safe.end(), '/', '_');
  url_safe.erase(url_safe.find_last_not_of('=') + 1);
  for (const std::string& encoded : {standard, url_safe}) {
    const Result<Message> message =
        ParseSnowplowEvent(json{{"e", "ue"}, {"eid", "e-1"}, {"nuid", "n-1"}, {"ue_px", encoded}, {"dtm", 1764072000000}}, kNow);
    ASSERT_TRUE(message.ok()) << message.status().ToString();
    EXPECT_EQ(message->name, "rated");
    EXPECT_EQ(message->anonymous_id, "n-1");
    EXPECT_EQ(message->properties["note"], "ÿÿÿ>>>");
    EXPECT_EQ(message->occurred_at, *ParseTimestamp("2025-11-25T12:00:00Z"));
    EXPECT_EQ(message->context["library"]["name"], "snowplow");
  }
}

}  // namespace
}  // namespace tp::events
