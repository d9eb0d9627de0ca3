// Customer events: what sources tell touchpoint a person did (Segment's identify, track, page, screen,
// group and alias calls, or the same data in touchpoint's own shape). This module turns a message into
// a validated Event and stores and lists events; deciding which profile an event belongs to is
// ingest/'s job.
//
//   TP_ASSIGN_OR_RETURN(Message message, ParseSegmentMessage(json, {.received_at = now, .sent_at = batch_sent_at}));
//   ... ingest resolves message.identifiers to a customer ...
//   TP_ASSIGN_OR_RETURN(std::vector<std::string> stored, InsertEvents(tx, events));   // skips known message ids
//
// Time: Segment corrects the client's clock with `sentAt`: timestamp' = receivedAt − (sentAt − timestamp),
// so a device whose clock is an hour off still lands its events at the right time. A corrected time more
// than kMaxFutureSkew after receipt is refused, as is one before 2000-01-01 (a device with a reset clock).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/money.h"
#include "common/pagination.h"
#include "common/status.h"
#include "profiles/identifiers.h"
#include "store/store.h"

namespace tp::events {

enum class EventType { kIdentify, kTrack, kPage, kScreen, kGroup, kAlias };
std::string_view EventTypeName(EventType type);  // "identify", "track", ...
// kInvalidArgument field "type" for anything else.
Result<EventType> ParseEventType(std::string_view name);
// identify and group calls carry traits; the others carry properties.
inline bool CarriesTraits(EventType type) { return type == EventType::kIdentify || type == EventType::kGroup; }

inline constexpr std::size_t kMaxMessageIdChars = 200;
inline constexpr std::size_t kMaxEventNameChars = 200;
inline constexpr std::size_t kMaxPropertiesBytes = 32 * 1024;  // properties or traits, as JSON text
inline constexpr std::size_t kMaxContextBytes = 16 * 1024;
inline constexpr int kMaxEventDepth = 16;
inline constexpr Micros kMaxFutureSkew = 24LL * 3600 * 1'000'000;  // after clock-skew correction

// The well-known events whose properties feed a profile's computed attributes.
inline constexpr std::string_view kOrderCompleted = "Order Completed";
inline constexpr std::string_view kOrderRefunded = "Order Refunded";

// An order ("Order Completed") or refund ("Order Refunded") is one order whatever path it arrives by
// (an SDK, the events API, an orders import): its message id becomes "order:<order_id>" or
// "refund:<order_id>[:<refund_id>]", so the second arrival is a duplicate and counts nothing. Its amount
// is properties.revenue, total or value (a refund's refund_amount first), as an exact Money with
// properties.currency. kInvalidArgument naming the property for an amount that is not a number from 0
// to a trillion or a currency that is not an ISO 4217 code; other messages are left alone.
struct Message;
Status ApplyOrderFields(Message& message);

// One validated message, ready to be resolved to a profile and stored.
struct Message {
  std::string message_id;  // the source's id, or one generated from the content when absent
  EventType type = EventType::kTrack;
  std::string name;  // track: event; page/screen: name; group: group id; else ""
  std::optional<std::string> user_id;
  std::optional<std::string> anonymous_id;
  std::optional<std::string> previous_id;  // alias: the identity being linked to user_id
  // Every identifier the message names, normalised (userId, anonymousId, traits.email/phone,
  // context.traits, context.externalIds): the links identity resolution works with.
  std::vector<profiles::Identifier> identifiers;
  nlohmann::json properties = nlohmann::json::object();  // track/page/screen properties
  nlohmann::json traits = nlohmann::json::object();      // identify/group traits
  nlohmann::json context = nlohmann::json::object();
  // The properties (traits for identify/group) and context as stored, serialised while parsing on the
  // request's thread rather than by the single writer. Empty for messages built in code, which
  // EventFromMessage serialises itself.
  std::string stored_payload;
  std::string stored_context;
  std::string channel;                // a name of common/channels.h: "web", "mobile", "server", "email", …
  // Orders and refunds: what the order or refund was worth (OrderFields). An empty currency means the
  // message named none: ingestion takes the tenant's reporting currency.
  std::optional<Money> amount;
  Micros occurred_at = 0;             // corrected for clock skew
  Micros received_at = 0;
  // When the person became a customer and when they were first seen, as a customers import states
  // them (transfer/rows.h): the profile's created and first-seen times move back to them when earlier.
  std::optional<Micros> customer_since;
  std::optional<Micros> first_seen_at;
};

struct ReceiptTimes {
  Micros received_at = 0;
  std::optional<Micros> sent_at;  // the batch's sentAt, used when a message has none of its own
};

// Parses one message of Segment's HTTP tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
// `default_type` is used when the message has no "type" (the single-call endpoints /v1/track etc.).
// Unknown top-level fields are ignored as Segment does; wrong types, missing required fields, values
// over the limits and bad timestamps are kInvalidArgument naming the field ("userId", "event", …).
// properties, traits and context are moved out of `message`, not copied.
Result<Message> ParseSegmentMessage(nlohmann::json&& message, const ReceiptTimes& times,
                                    std::optional<EventType> default_type = std::nullopt);

// touchpoint's own shape (POST /api/v1/events):
//   {"id": "…", "type": "track", "name": "Order Completed", "occurred_at": "2026-11-25T10:00:00Z",
//    "customer": {"user_id": "u1", "email": "…", "phone": "…", "anonymous_id": "…", "whatsapp": "…", …},
//    "properties": {…}, "traits": {…}, "channel": "web"}
// Unknown fields are kInvalidArgument (as everywhere in the native API). Moves out of `message` as above.
Result<Message> ParseNativeMessage(nlohmann::json&& message, Micros received_at);

// The bytes a parsed message will take in storage: its properties (traits) and context as JSON text,
// its ids and names. What the per-message size limit of the ingestion endpoints counts.
std::size_t StoredBytes(const Message& message);

struct Event {
  std::string id;  // "evt_…"
  std::string message_id;
  std::string customer_id;
  EventType type = EventType::kTrack;
  std::string name;
  std::optional<std::string> user_id;
  std::optional<std::string> anonymous_id;
  std::string channel;
  std::optional<Money> amount;
  // amount in the tenant's reporting currency at the rate configured when it arrived (the rate is
  // kept as configured); std::nullopt when no rate for its currency was configured.
  std::optional<Money> reporting_amount;
  std::string exchange_rate;
  std::string properties_json = "{}";  // properties, or traits for identify/group
  std::string context_json = "{}";
  Micros occurred_at = 0;
  Micros received_at = 0;
};

// An event's amount as the API, timeline and exports show it, decimal text:
// {"amount": "300.00", "currency": "CZK", "reporting_amount": "11.94", "reporting_currency": "EUR",
//  "exchange_rate": "0.0398"}; the reporting fields are null when no rate was configured; null without an amount.
nlohmann::json AmountJson(const std::optional<Money>& amount, const std::optional<Money>& reporting_amount,
                          std::string_view exchange_rate);

// The Money stored in an amount column and the currency column after it; std::nullopt when NULL.
std::optional<Money> MoneyAt(const store::Row& row, int amount_column);

// A stored event from a message attributed to `customer_id`.
Event EventFromMessage(const Message& message, std::string customer_id);

// Inserts the events in one statement per chunk. Events whose message id the tenant already has are
// skipped (a retried batch is not counted twice); returns the message ids that were new.
Result<std::vector<std::string>> InsertEvents(store::TenantTx& tx, std::vector<Event> events);

struct EventQuery {
  std::optional<std::string> customer_id;
  std::optional<EventType> type;
  std::optional<std::string> name;
};
// Newest first (by occurred_at, then id).
Result<Page<Event>> ListEvents(store::TenantTx& tx, const EventQuery& query, const PageRequest& page);
Result<Event> GetEvent(store::TenantTx& tx, std::string_view event_id);

}  // namespace tp::events
