// Customer events in: Segment's HTTP tracking API (/v1/batch, /v1/identify, /v1/track, /v1/page,
// /v1/screen, /v1/group, /v1/alias, and analytics.js's /v1/b, /v1/i, /v1/t, /v1/p, /v1/s, /v1/g, /v1/a,
// callable from any web page with the write key in the body) and touchpoint's own shape
// (POST /api/v1/events); events out (GET /api/v1/events, GET /api/v1/events/{id}). docs/ingestion.md
// is the user's guide.
//
// Partial failure: every message of a request is parsed on its own; the valid ones go to ONE
// ingest::IngestRequest call in ONE write transaction (one commit per batch is what makes high event
// rates possible), the invalid ones come back in `rejected` with their index and error. Only when no
// message is valid is the answer an error (400, or the single message's own status).
#include <algorithm>
#include <tuple>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "events/events.h"
#include "http/errors.h"
#include "ingest/ingest.h"
#include "profiles/customers.h"

namespace tp::api {
namespace {

using identity::Permission;

constexpr std::size_t kMaxMessagesPerRequest = 2500;
constexpr std::size_t kMaxMessageBytes = 32 * 1024;  // one message as stored (events::StoredBytes)


struct Rejected {
  std::size_t index;
  Json message_id;  // the message's own id when it has a string one, else null
  Status status;
};

// The messages of one request, split into those ready to ingest and those refused.
struct ParsedRequest {
  std::vector<events::Message> valid;
  std::vector<Rejected> rejected;
};

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
void ParseOne(ParsedRequest& parsed, std::size_t index, Json& message, std::string_view id_key, Parse&& parse) {
  // Parsed first, so that an over-long field is named; the whole message is bounded too. The parser
  // moves the message's objects out but leaves its id.
  Result<events::Message> result = parse(message);
  if (!result.ok()) {
    parsed.rejected.push_back({index, MessageIdOf(message, id_key), result.status()});
  } else if (events::StoredBytes(*result) > kMaxMessageBytes) {
    parsed.rejected.push_back({index, MessageIdOf(message, id_key),
                               Status(ErrorCode::kPayloadTooLarge, "a message may be at most " +
                                                                       std::to_string(kMaxMessageBytes) +
                                                                       " bytes as stored (properties, context, ids)")});
  } else {
    parsed.valid.push_back(std::move(result).value());
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

// Ingests the valid messages in one transaction and renders the partial-failure answer.
Result<http::Response> IngestAndAnswer(Registrar& registrar, const Call& call, ParsedRequest parsed, bool single) {
  Json rejected = Json::array();
  for (const Rejected& item : parsed.rejected) {
    rejected.push_back(Json{{"index", item.index}, {"messageId", item.message_id}, {"error", http::ErrorJson(item.status)}});
  }
  if (parsed.valid.empty()) {
    // A single call answers with its message's own error; a batch with nothing valid is a 400.
    const Status status = single ? parsed.rejected.front().status
                                 : InvalidArgument("every message of the request was rejected; see rejected");
    return JsonResponse(http::HttpStatusFor(status.code()), Json{{"error", http::ErrorJson(status)}, {"rejected", std::move(rejected)}});
  }
  ingest::IngestSummary summary;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(summary, ingest::IngestRequest(tx, parsed.valid, static_cast<int>(parsed.rejected.size()),
                                                       call.audit));
    return Status::Ok();
  }));
  return JsonResponse(200, Json{{"success", true},
                                {"accepted", summary.stored},
                                {"duplicates", summary.duplicates},
                                {"rejected", std::move(rejected)}});
}

Result<std::optional<Micros>> SentAtOf(const Json& body) {
  const auto found = body.find("sentAt");
  if (found == body.end() || found->is_null()) return std::optional<Micros>();
  std::optional<Micros> sent_at = found->is_string() ? ParseTimestamp(found->get<std::string>()) : std::nullopt;
  if (!sent_at) return InvalidArgument("sentAt must be an ISO 8601 timestamp with a time zone", "sentAt");
  return sent_at;
}

// POST /v1/batch: {"batch": [...], "sentAt": "...", "context": {...}}; other top-level fields
// (writeKey, integrations, metadata) are ignored as Segment does.
Result<http::Response> SegmentBatch(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  const auto batch = body.find("batch");
  if (batch == body.end() || !batch->is_array()) return InvalidArgument("batch must be an array of messages", "batch");
  TP_RETURN_IF_ERROR(CheckMessageCount(batch->size(), "batch"));
  TP_ASSIGN_OR_RETURN(const std::optional<Micros> sent_at, SentAtOf(body));
  const Json* context = nullptr;
  if (const auto found = body.find("context"); found != body.end() && !found->is_null()) {
    if (!found->is_object()) return InvalidArgument("context must be an object", "context");
    context = &*found;
  }
  const events::ReceiptTimes times{.received_at = call.now, .sent_at = sent_at};
  ParsedRequest parsed;
  parsed.valid.reserve(batch->size());
  for (std::size_t index = 0; index < batch->size(); ++index) {
    Json& message = (*batch)[index];
    if (context != nullptr && message.is_object()) {
      Json& own = message["context"];
      if (own.is_null()) own = Json::object();
      if (own.is_object()) MergeContextUnder(own, *context);  // a non-object context is the parser's to refuse
    }
    ParseOne(parsed, index, message, "messageId",
             [&](Json& item) { return events::ParseSegmentMessage(std::move(item), times); });
  }
  return IngestAndAnswer(registrar, call, std::move(parsed), /*single=*/false);
}

// POST /v1/{identify,track,page,screen,group,alias}: one message whose type is the path's.
template <events::EventType kType>
Result<http::Response> SegmentSingle(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  const events::ReceiptTimes times{.received_at = call.now, .sent_at = std::nullopt};  // the message's own sentAt applies
  ParsedRequest parsed;
  ParseOne(parsed, 0, body, "messageId", [&](Json& item) {
    return events::ParseSegmentMessage(std::move(item), times, kType);
  });
  return IngestAndAnswer(registrar, call, std::move(parsed), /*single=*/true);
}

// POST /api/v1/events: one event in touchpoint's shape, or {"events": [...]}.
Result<http::Response> IngestNative(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  ParsedRequest parsed;
  const auto parse = [&](Json& item) { return events::ParseNativeMessage(std::move(item), call.now); };
  const auto list = body.find("events");
  if (list == body.end()) {
    ParseOne(parsed, 0, body, "id", parse);
    return IngestAndAnswer(registrar, call, std::move(parsed), /*single=*/true);
  }
  if (!list->is_array()) return InvalidArgument("events must be an array of events", "events");
  for (const auto& [key, value] : body.items()) {
    if (key != "events") return InvalidArgument("unknown field " + key + " next to events", key);
  }
  TP_RETURN_IF_ERROR(CheckMessageCount(list->size(), "events"));
  parsed.valid.reserve(list->size());
  for (std::size_t index = 0; index < list->size(); ++index) ParseOne(parsed, index, (*list)[index], "id", parse);
  return IngestAndAnswer(registrar, call, std::move(parsed), /*single=*/false);
}

Json EventJson(const events::Event& event) {
  const bool carries_traits = events::CarriesTraits(event.type);
  const Json payload = StoredJson(event.properties_json);
  return Json{{"id", event.id},
              {"message_id", event.message_id},
              {"customer_id", event.customer_id},
              {"type", events::EventTypeName(event.type)},
              {"name", event.name},
              {"user_id", event.user_id ? Json(*event.user_id) : Json(nullptr)},
              {"anonymous_id", event.anonymous_id ? Json(*event.anonymous_id) : Json(nullptr)},
              {"channel", event.channel},
              {"amount", event.amount ? Json(*event.amount) : Json(nullptr)},
              {"properties", carries_traits ? Json::object() : payload},
              {"traits", carries_traits ? payload : Json::object()},
              {"context", StoredJson(event.context_json)},
              {"occurred_at", TimestampJson(event.occurred_at)},
              {"received_at", TimestampJson(event.received_at)}};
}

Result<http::Response> ListEvents(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  events::EventQuery query;
  query.customer_id = call.request.QueryParam("customer_id");
  query.name = call.request.QueryParam("name");
  if (auto type = call.request.QueryParam("type")) {
    TP_ASSIGN_OR_RETURN(query.type, events::ParseEventType(*type));
  }
  if (!query.customer_id && TeamScope(call)) {
    return InvalidArgument("agents list the events of one customer: give customer_id", "customer_id");
  }
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    if (query.customer_id) {
      TP_ASSIGN_OR_RETURN(bool exists, profiles::CustomerExists(tx, *query.customer_id));
      if (!exists) return NotFound("no such customer");
      TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, *query.customer_id));
    }
    TP_ASSIGN_OR_RETURN(auto page, events::ListEvents(tx, query, page_request));
    return PageJson(page, EventJson);
  });
}

Result<http::Response> GetEvent(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string event_id, PathId(call.request, "id", "evt_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto event, events::GetEvent(tx, event_id));
    if (!CheckCustomerVisible(tx, call, event.customer_id).ok()) return NotFound("no such event");
    return EventJson(event);
  });
}

}  // namespace

void RegisterEventRoutes(Registrar& registrar) {
  using events::EventType;
  // Segment's paths, and the one-letter ones analytics.js (the browser library) posts to.
  constexpr Callers kSources = Callers::kBrowserEventSources;
  for (const char* path : {"/v1/batch", "/v1/b"}) {
    registrar.Protected("POST", path, Permission::kEventsIngest, SegmentBatch, kSources);
  }
  const std::tuple<const char*, const char*, Endpoint> kSingles[] = {
      {"/v1/identify", "/v1/i", SegmentSingle<EventType::kIdentify>},
      {"/v1/track", "/v1/t", SegmentSingle<EventType::kTrack>},
      {"/v1/page", "/v1/p", SegmentSingle<EventType::kPage>},
      {"/v1/screen", "/v1/s", SegmentSingle<EventType::kScreen>},
      {"/v1/group", "/v1/g", SegmentSingle<EventType::kGroup>},
      {"/v1/alias", "/v1/a", SegmentSingle<EventType::kAlias>}};
  for (const auto& [path, short_path, endpoint] : kSingles) {
    registrar.Protected("POST", path, Permission::kEventsIngest, endpoint, kSources);
    registrar.Protected("POST", short_path, Permission::kEventsIngest, endpoint, kSources);
  }
  registrar.Protected("POST", "/api/v1/events", Permission::kEventsIngest, IngestNative);
  registrar.Protected("GET", "/api/v1/events", Permission::kCustomersRead, ListEvents);
  registrar.Protected("GET", "/api/v1/events/{id}", Permission::kCustomersRead, GetEvent);
}

}  // namespace tp::api
