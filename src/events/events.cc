// Parsing and validation of incoming messages (Segment's shape and touchpoint's own).
#include <algorithm>
#include <array>
#include <cmath>
#include <span>

#include "common/channels.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "events/events.h"
#include "identity/validation.h"
#include "profiles/text.h"

namespace tp::events {
namespace {

using nlohmann::json;
using profiles::Identifier;
using profiles::IdentifierKind;

constexpr std::array<std::string_view, 6> kTypeNames = {"identify", "track", "page", "screen", "group", "alias"};
// Events before this are a device with a reset clock, not history.
constexpr Micros kEarliestEvent = 946'684'800'000'000;  // 2000-01-01T00:00:00Z

int DepthOf(const json& value) {
  if (!value.is_structured()) return 0;
  int deepest = 0;
  for (const json& child : value) deepest = std::max(deepest, DepthOf(child));
  return deepest + 1;
}

// A JSON object field (properties, traits, context), moved out of the message: absent → {}, otherwise an
// object within the limits. Also returns the object as JSON text in `text`, which both the size check
// and storage need.
Result<json> ObjectField(json& message, std::string_view field, std::size_t max_bytes, std::string& text) {
  const auto it = message.find(field);
  if (it == message.end() || it->is_null()) {
    text = "{}";
    return json::object();
  }
  if (!it->is_object()) return InvalidArgument(std::string(field) + " must be a JSON object", std::string(field));
  if (DepthOf(*it) > kMaxEventDepth) {
    return InvalidArgument(std::string(field) + " is nested more than " + std::to_string(kMaxEventDepth) + " levels",
                           std::string(field));
  }
  text = it->dump();
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(field) + " must be at most " + std::to_string(max_bytes / 1024) + " KiB",
                           std::string(field));
  }
  return std::move(*it);
}

// A string field that Segment also accepts as a number (userId: 42).
Result<std::optional<std::string>> IdField(const json& message, std::string_view field, std::size_t max_chars) {
  const auto it = message.find(field);
  if (it == message.end() || it->is_null()) return std::optional<std::string>();
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_number_integer()) {
    text = it->dump();
  } else {
    return InvalidArgument(std::string(field) + " must be a string", std::string(field));
  }
  TP_ASSIGN_OR_RETURN(std::string cleaned, profiles::CleanLine(text, field, max_chars, /*required=*/false));
  if (cleaned.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(cleaned));
}

Result<std::optional<Micros>> TimeField(const json& message, std::string_view field) {
  const auto it = message.find(field);
  if (it == message.end() || it->is_null()) return std::optional<Micros>();
  if (!it->is_string()) return InvalidArgument(std::string(field) + " must be an ISO 8601 timestamp", std::string(field));
  const std::optional<Micros> at = ParseTimestamp(it->get<std::string>());
  if (!at) {
    return InvalidArgument(std::string(field) + " must be an ISO 8601 timestamp with a time zone, e.g. "
                           "2026-11-25T10:00:00.000Z", std::string(field));
  }
  return at;
}

// Segment's clock-skew correction: the client's clock is off by (sentAt − receivedAt), so the event
// happened at timestamp − that offset.
Result<Micros> OccurredAt(std::optional<Micros> timestamp, std::optional<Micros> sent_at, Micros received_at,
                          std::string_view field) {
  Micros at = received_at;
  if (timestamp) at = sent_at ? received_at - (*sent_at - *timestamp) : *timestamp;
  if (at > received_at + kMaxFutureSkew) {
    return InvalidArgument(std::string(field) + " is more than 24 hours in the future (after clock-skew correction)",
                           std::string(field));
  }
  if (at < kEarliestEvent) return InvalidArgument(std::string(field) + " is before the year 2000", std::string(field));
  return at;
}

std::optional<std::string> OrderKeyPart(const json& properties, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const auto it = properties.find(key);
    if (it == properties.end()) continue;
    if (it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
  }
  return std::nullopt;
}

}  // namespace

Status ApplyOrderFields(Message& message) {
  if (message.type != EventType::kTrack) return Status::Ok();
  const bool refund = message.name == kOrderRefunded;
  if (!refund && message.name != kOrderCompleted) return Status::Ok();
  const json& properties = message.properties;
  if (const std::optional<std::string> order_id = OrderKeyPart(properties, {"order_id", "orderId"})) {
    const std::optional<std::string> refund_id =
        refund ? OrderKeyPart(properties, {"refund_id", "refundId"}) : std::nullopt;
    std::string id = (refund ? "refund:" : "order:") + *order_id;
    if (refund_id) id += ":" + *refund_id;
    if (id.size() > kMaxMessageIdChars) {
      return InvalidArgument("properties.order_id is longer than " + std::to_string(kMaxMessageIdChars - 16) +
                                 " characters",
                             "properties.order_id");
    }
    message.message_id = std::move(id);
  }
  message.amount.reset();
  static constexpr std::array<const char*, 3> kOrderAmounts = {"revenue", "total", "value"};
  static constexpr std::array<const char*, 4> kRefundAmounts = {"refund_amount", "revenue", "total", "value"};
  for (const char* key : refund ? std::span<const char* const>(kRefundAmounts) : std::span<const char* const>(kOrderAmounts)) {
    const auto it = properties.find(key);
    if (it == properties.end() || it->is_null()) continue;
    const std::string field = std::string("properties.") + key;
    Money money;
    if (it->is_number()) {
      TP_ASSIGN_OR_RETURN(money.amount, ParseAmountNumber(it->get<double>(), field));
    } else if (it->is_string()) {
      TP_ASSIGN_OR_RETURN(money.amount, ParseAmountText(it->get<std::string>(), field));
    } else {
      return InvalidArgument(field + " must be a number", field);
    }
    if (const auto currency = properties.find("currency"); currency != properties.end() && !currency->is_null()) {
      if (!currency->is_string()) return NormaliseCurrency("", "properties.currency").status();
      TP_ASSIGN_OR_RETURN(money.currency, NormaliseCurrency(currency->get<std::string>(), "properties.currency"));
    }
    message.amount = std::move(money);
    break;
  }
  return Status::Ok();
}

namespace {

void AddIdentifier(Message& message, const Identifier& identifier) {
  for (const Identifier& known : message.identifiers) {
    if (known == identifier) return;
  }
  message.identifiers.push_back(identifier);
}

// Contact points found in traits link the profile only when they are valid; an invalid one stays a
// plain trait (an SDK's typo should not lose the event).
void AddTraitIdentifiers(Message& message, const json& traits) {
  for (const auto& [key, kind] : {std::pair{"email", IdentifierKind::kEmail}, std::pair{"phone", IdentifierKind::kPhone}}) {
    const auto it = traits.find(key);
    if (it == traits.end() || !it->is_string()) continue;
    if (Result<Identifier> identifier = profiles::NormaliseIdentifier(kind, it->get<std::string>()); identifier.ok()) {
      AddIdentifier(message, *identifier);
    }
  }
}

// context.externalIds: [{"id": "+420…", "type": "whatsapp"}, …]. Explicit identifiers must be valid.
Status AddExternalIds(Message& message) {
  const auto it = message.context.find("externalIds");
  if (it == message.context.end()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("context.externalIds must be an array", "context.externalIds");
  for (const json& entry : *it) {
    if (!entry.is_object() || !entry.contains("id") || !entry.contains("type") || !entry["type"].is_string() ||
        !(entry["id"].is_string() || entry["id"].is_number_integer())) {
      return InvalidArgument("each of context.externalIds needs a string id and type", "context.externalIds");
    }
    const Result<IdentifierKind> kind = profiles::ParseIdentifierKind(entry["type"].get<std::string>());
    if (!kind.ok()) continue;  // other systems' ids (e.g. ga_client_id) are kept in context, not resolved
    const std::string id = entry["id"].is_string() ? entry["id"].get<std::string>() : entry["id"].dump();
    TP_ASSIGN_OR_RETURN(Identifier identifier, profiles::NormaliseIdentifier(*kind, id, "context.externalIds"));
    AddIdentifier(message, identifier);
  }
  return Status::Ok();
}

Channel DefaultChannel(EventType type) {
  switch (type) {
    case EventType::kPage: return Channel::kWeb;
    case EventType::kScreen: return Channel::kMobile;
    default: return Channel::kServer;
  }
}

// A channel of common/channels.h. Segment's own shape names channels freely ("browser", a vendor's
// word), so a name outside the vocabulary is "other" there rather than a lost event; the native API
// is strict about it, as about everything else.
enum class ChannelStrictness { kUnknownIsOther, kUnknownIsAnError };

Result<std::string> ChannelField(const json& message, EventType type, ChannelStrictness strictness) {
  TP_ASSIGN_OR_RETURN(std::optional<std::string> name, IdField(message, "channel", 40));
  if (!name) return std::string(ChannelName(DefaultChannel(type)));
  Result<Channel> channel = ParseChannel(identity::TrimAndLowerAscii(*name), "channel");
  if (!channel.ok() && strictness == ChannelStrictness::kUnknownIsOther) channel = Channel::kOther;
  TP_RETURN_IF_ERROR(channel.status());
  return std::string(ChannelName(*channel));
}

Result<std::string> NameOf(const json& message, EventType type) {
  std::optional<std::string> name;
  switch (type) {
    case EventType::kTrack: {
      TP_ASSIGN_OR_RETURN(name, IdField(message, "event", kMaxEventNameChars));
      if (!name) return InvalidArgument("a track call needs an event name", "event");
      break;
    }
    case EventType::kPage:
    case EventType::kScreen: {
      TP_ASSIGN_OR_RETURN(name, IdField(message, "name", kMaxEventNameChars));
      break;
    }
    case EventType::kGroup: {
      TP_ASSIGN_OR_RETURN(name, IdField(message, "groupId", kMaxEventNameChars));
      if (!name) return InvalidArgument("a group call needs a groupId", "groupId");
      break;
    }
    default: break;
  }
  return name.value_or("");
}

// A page or screen call's top-level category: Segment's libraries also copy it into properties,
// RudderStack's send it only at the top level, where it would be lost. It joins the properties unless
// they name a category of their own.
Status KeepCategory(const json& input, Message& message) {
  TP_ASSIGN_OR_RETURN(std::optional<std::string> category, IdField(input, "category", kMaxEventNameChars));
  if (!category || message.properties.contains("category")) return Status::Ok();
  message.properties["category"] = std::move(*category);
  message.stored_payload = message.properties.dump();
  return Status::Ok();
}

// Fills the parts common to both shapes once type, ids, name, payload and times are known.
Result<Message> Finish(Message message) {
  if (message.user_id) {
    TP_ASSIGN_OR_RETURN(Identifier user, profiles::NormaliseIdentifier(IdentifierKind::kUserId, *message.user_id, "userId"));
    AddIdentifier(message, user);
  }
  if (message.anonymous_id) {
    TP_ASSIGN_OR_RETURN(Identifier anonymous, profiles::NormaliseIdentifier(IdentifierKind::kAnonymousId,
                                                                             *message.anonymous_id, "anonymousId"));
    AddIdentifier(message, anonymous);
  }
  if (message.type == EventType::kIdentify) AddTraitIdentifiers(message, message.traits);
  if (const auto traits = message.context.find("traits"); traits != message.context.end() && traits->is_object()) {
    AddTraitIdentifiers(message, *traits);
  }
  TP_RETURN_IF_ERROR(AddExternalIds(message));
  if (message.identifiers.empty()) {
    return InvalidArgument("a message needs a userId or an anonymousId", "userId");
  }
  TP_RETURN_IF_ERROR(ApplyOrderFields(message));
  return message;
}

}  // namespace

std::size_t StoredBytes(const Message& message) {
  return message.stored_payload.size() + message.stored_context.size() + message.message_id.size() +
         message.name.size() + message.user_id.value_or("").size() + message.anonymous_id.value_or("").size() +
         message.previous_id.value_or("").size() + message.channel.size();
}

std::string_view EventTypeName(EventType type) { return kTypeNames[static_cast<std::size_t>(type)]; }

Result<EventType> ParseEventType(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return InvalidArgument("type must be one of identify, track, page, screen, group, alias", "type");
}

Result<Message> ParseSegmentMessage(json&& input, const ReceiptTimes& times, std::optional<EventType> default_type) {
  if (!input.is_object()) return InvalidArgument("a message must be a JSON object");
  Message message;
  TP_ASSIGN_OR_RETURN(std::optional<std::string> message_id, IdField(input, "messageId", kMaxMessageIdChars));
  // Without a messageId the content is the identity, so an SDK's retry of the same call still dedupes.
  message.message_id = message_id ? *message_id : "content:" + Sha256Hex(input.dump());
  if (default_type) {
    message.type = *default_type;
  } else {
    const auto type = input.find("type");
    if (type == input.end() || !type->is_string()) return InvalidArgument("type is required", "type");
    TP_ASSIGN_OR_RETURN(message.type, ParseEventType(type->get<std::string>()));
  }
  TP_ASSIGN_OR_RETURN(message.user_id, IdField(input, "userId", profiles::kMaxIdentifierChars));
  TP_ASSIGN_OR_RETURN(message.anonymous_id, IdField(input, "anonymousId", profiles::kMaxIdentifierChars));
  TP_ASSIGN_OR_RETURN(message.name, NameOf(input, message.type));
  if (CarriesTraits(message.type)) {
    TP_ASSIGN_OR_RETURN(message.traits, ObjectField(input, "traits", kMaxPropertiesBytes, message.stored_payload));
  } else {
    TP_ASSIGN_OR_RETURN(message.properties,
                        ObjectField(input, "properties", kMaxPropertiesBytes, message.stored_payload));
  }
  TP_ASSIGN_OR_RETURN(message.context, ObjectField(input, "context", kMaxContextBytes, message.stored_context));
  if (message.type == EventType::kPage || message.type == EventType::kScreen) {
    TP_RETURN_IF_ERROR(KeepCategory(input, message));
  }
  if (message.type == EventType::kAlias) {
    TP_ASSIGN_OR_RETURN(message.previous_id, IdField(input, "previousId", profiles::kMaxIdentifierChars));
    if (!message.previous_id) return InvalidArgument("an alias call needs a previousId", "previousId");
    if (!message.user_id) return InvalidArgument("an alias call needs a userId", "userId");
  }
  TP_ASSIGN_OR_RETURN(message.channel, ChannelField(input, message.type, ChannelStrictness::kUnknownIsOther));

  TP_ASSIGN_OR_RETURN(std::optional<Micros> timestamp, TimeField(input, "timestamp"));
  if (!timestamp) {
    TP_ASSIGN_OR_RETURN(timestamp, TimeField(input, "originalTimestamp"));
  }
  TP_ASSIGN_OR_RETURN(std::optional<Micros> sent_at, TimeField(input, "sentAt"));
  if (!sent_at) sent_at = times.sent_at;
  TP_ASSIGN_OR_RETURN(message.occurred_at, OccurredAt(timestamp, sent_at, times.received_at, "timestamp"));
  message.received_at = times.received_at;
  return Finish(std::move(message));
}

Result<Message> ParseNativeMessage(json&& input, Micros received_at) {
  if (!input.is_object()) return InvalidArgument("an event must be a JSON object");
  static const std::array<std::string_view, 9> kFields = {"id",     "type",    "name",       "occurred_at", "customer",
                                                          "traits", "context", "properties", "channel"};
  for (const auto& [key, value] : input.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      return InvalidArgument("unknown field '" + key + "'", key);
    }
  }
  Message message;
  const auto type = input.find("type");
  if (type == input.end() || !type->is_string()) return InvalidArgument("type is required", "type");
  TP_ASSIGN_OR_RETURN(message.type, ParseEventType(type->get<std::string>()));
  if (message.type == EventType::kAlias) {
    return InvalidArgument("alias is a Segment call; link identifiers through customer instead", "type");
  }
  TP_ASSIGN_OR_RETURN(std::optional<std::string> name, IdField(input, "name", kMaxEventNameChars));
  if (message.type == EventType::kTrack && !name) return InvalidArgument("a track event needs a name", "name");
  message.name = name.value_or("");
  std::string properties_text;
  std::string traits_text;
  TP_ASSIGN_OR_RETURN(message.properties, ObjectField(input, "properties", kMaxPropertiesBytes, properties_text));
  TP_ASSIGN_OR_RETURN(message.traits, ObjectField(input, "traits", kMaxPropertiesBytes, traits_text));
  TP_ASSIGN_OR_RETURN(message.context, ObjectField(input, "context", kMaxContextBytes, message.stored_context));
  message.stored_payload = CarriesTraits(message.type) ? std::move(traits_text) : std::move(properties_text);
  TP_ASSIGN_OR_RETURN(message.channel, ChannelField(input, message.type, ChannelStrictness::kUnknownIsAnError));

  const auto customer = input.find("customer");
  if (customer == input.end() || !customer->is_object() || customer->empty()) {
    return InvalidArgument("customer must be an object naming at least one identifier, e.g. {\"email\": …}",
                           "customer");
  }
  for (const auto& [key, value] : customer->items()) {
    const std::string field = "customer." + key;
    const Result<IdentifierKind> kind = profiles::ParseIdentifierKind(key);
    if (!kind.ok()) return InvalidArgument("unknown identifier kind '" + key + "'", field);
    if (!value.is_string()) return InvalidArgument(field + " must be a string", field);
    TP_ASSIGN_OR_RETURN(Identifier identifier, profiles::NormaliseIdentifier(*kind, value.get<std::string>(), field));
    if (*kind == IdentifierKind::kUserId) message.user_id = identifier.value;
    if (*kind == IdentifierKind::kAnonymousId) message.anonymous_id = identifier.value;
    AddIdentifier(message, identifier);
  }
  TP_ASSIGN_OR_RETURN(std::optional<Micros> occurred_at, TimeField(input, "occurred_at"));
  TP_ASSIGN_OR_RETURN(message.occurred_at, OccurredAt(occurred_at, std::nullopt, received_at, "occurred_at"));
  message.received_at = received_at;
  TP_ASSIGN_OR_RETURN(std::optional<std::string> id, IdField(input, "id", kMaxMessageIdChars));
  // Without an id the event is new every time: a client that retries should send one.
  message.message_id = id ? *id : NewId("msg_");
  return Finish(std::move(message));
}

}  // namespace tp::events
