#include "events/requests.h"

#include <string>

#include "events/snowplow.h"

namespace tp::events {
namespace {

using Json = nlohmann::json;

Json MessageIdOf(const Json& message, std::string_view key) {
  if (!message.is_object()) return nullptr;
  const auto found = message.find(key);
  return found != message.end() && found->is_string() ? *found : Json(nullptr);
}

// Segment merges a batch's top-level context under each message's own: the message's keys win, nested
// objects merge key by key.
void MergeContextUnder(Json& context, const Json& defaults) {
  for (const auto& [key, value] : defaults.items()) {
    const auto own = context.find(key);
    if (own == context.end()) {
      context[key] = value;
    } else if (own->is_object() && value.is_object()) {
      MergeContextUnder(*own, value);
    }
  }
}

template <typename Parse>
void ParseOne(SplitRequest& split, std::size_t index, Json& message, std::string_view id_key, Parse&& parse) {
  // Parsed first, so that an over-long field is named; the whole message is bounded too. The parser
  // moves the message's objects out but leaves its id.
  Result<Message> result = parse(message);
  if (!result.ok()) {
    split.rejected.push_back({index, MessageIdOf(message, id_key), result.status()});
  } else if (StoredBytes(*result) > kMaxMessageBytes) {
    split.rejected.push_back({index, MessageIdOf(message, id_key),
                              Status(ErrorCode::kPayloadTooLarge, "a message may be at most " +
                                                                      std::to_string(kMaxMessageBytes) +
                                                                      " bytes as stored (properties, context, ids)")});
  } else {
    split.valid.push_back(std::move(result).value());
  }
}

Status CheckMessageCount(std::size_t count, std::string_view field) {
  if (count == 0) return InvalidArgument(std::string(field) + " is empty: send at least one message", std::string(field));
  if (count > kMaxMessagesPerRequest) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "at most " + std::to_string(kMaxMessagesPerRequest) + " messages per request; split the batch",
                  std::string(field));
  }
  return Status::Ok();
}

Result<std::optional<Micros>> SentAtOf(const Json& body) {
  const auto found = body.find("sentAt");
  if (found == body.end() || found->is_null()) return std::optional<Micros>();
  std::optional<Micros> sent_at = found->is_string() ? ParseTimestamp(found->get<std::string>()) : std::nullopt;
  if (!sent_at) return InvalidArgument("sentAt must be an ISO 8601 timestamp with a time zone", "sentAt");
  return sent_at;
}

}  // namespace

Result<SplitRequest> SplitSegmentBatch(Json body, Micros received_at) {
  const auto batch = body.find("batch");
  if (batch == body.end() || !batch->is_array()) return InvalidArgument("batch must be an array of messages", "batch");
  TP_RETURN_IF_ERROR(CheckMessageCount(batch->size(), "batch"));
  TP_ASSIGN_OR_RETURN(const std::optional<Micros> sent_at, SentAtOf(body));
  const Json* context = nullptr;
  if (const auto found = body.find("context"); found != body.end() && !found->is_null()) {
    if (!found->is_object()) return InvalidArgument("context must be an object", "context");
    context = &*found;
  }
  const ReceiptTimes times{.received_at = received_at, .sent_at = sent_at};
  SplitRequest split;
  split.valid.reserve(batch->size());
  for (std::size_t index = 0; index < batch->size(); ++index) {
    Json& message = (*batch)[index];
    if (context != nullptr && message.is_object()) {
      Json& own = message["context"];
      if (own.is_null()) own = Json::object();
      if (own.is_object()) MergeContextUnder(own, *context);  // a non-object context is the parser's to refuse
    }
    ParseOne(split, index, message, "messageId",
             [&](Json& item) { return ParseSegmentMessage(std::move(item), times); });
  }
  return split;
}

SplitRequest SplitSegmentSingle(Json body, Micros received_at, EventType type) {
  const ReceiptTimes times{.received_at = received_at, .sent_at = std::nullopt};  // the message's own sentAt applies
  SplitRequest split{.single = true};
  ParseOne(split, 0, body, "messageId", [&](Json& item) { return ParseSegmentMessage(std::move(item), times, type); });
  return split;
}

Result<SplitRequest> SplitNativeRequest(Json body, Micros received_at) {
  const auto parse = [&](Json& item) { return ParseNativeMessage(std::move(item), received_at); };
  const auto list = body.find("events");
  if (list == body.end()) {
    SplitRequest split{.single = true};
    ParseOne(split, 0, body, "id", parse);
    return split;
  }
  if (!list->is_array()) return InvalidArgument("events must be an array of events", "events");
  for (const auto& [key, value] : body.items()) {
    if (key != "events") return InvalidArgument("unknown field " + key + " next to events", key);
  }
  TP_RETURN_IF_ERROR(CheckMessageCount(list->size(), "events"));
  SplitRequest split;
  split.valid.reserve(list->size());
  for (std::size_t index = 0; index < list->size(); ++index) ParseOne(split, index, (*list)[index], "id", parse);
  return split;
}

Result<SplitRequest> SplitSnowplowPayload(Json body, Micros received_at) {
  TP_RETURN_IF_ERROR(CheckSnowplowPayload(body));
  Json& events = body["data"];
  if (!events.is_array()) return InvalidArgument("data must be an array of events", "data");
  TP_RETURN_IF_ERROR(CheckMessageCount(events.size(), "data"));
  SplitRequest split;
  split.valid.reserve(events.size());
  for (std::size_t index = 0; index < events.size(); ++index) {
    ParseOne(split, index, events[index], "eid", [&](Json& item) { return ParseSnowplowEvent(std::move(item), received_at); });
  }
  return split;
}

SplitRequest SplitSnowplowEvent(Json parameters, Micros received_at) {
  SplitRequest split{.single = true};
  ParseOne(split, 0, parameters, "eid", [&](Json& item) { return ParseSnowplowEvent(std::move(item), received_at); });
  return split;
}

}  // namespace tp::events
