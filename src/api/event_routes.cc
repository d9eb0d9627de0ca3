// Customer events in: Segment's HTTP tracking API (/v1/batch, /v1/identify, /v1/track, /v1/page,
// /v1/screen, /v1/group, /v1/alias, and analytics.js's /v1/b, /v1/i, /v1/t, /v1/p, /v1/s, /v1/g, /v1/a,
// callable from any web page with the write key in the body), Snowplow's tracker protocol
// (POST /com.snowplowanalytics.snowplow/tp2 and GET /i, also under /snowplow/{write_key}/ for trackers
// that cannot send headers) and touchpoint's own shape (POST /api/v1/events); events out
// (GET /api/v1/events, GET /api/v1/events/{id}). docs/ingestion.md is the user's guide.
//
// Partial failure: events/requests.h splits a request into valid and rejected messages; the valid ones
// go to ONE ingest::IngestRequest call in ONE write transaction (one commit per batch is what makes
// high event rates possible), the invalid ones come back in `rejected` with their index and error.
// Only when no message is valid is the answer an error (400, or the single message's own status).
#include <algorithm>
#include <tuple>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "events/events.h"
#include "events/requests.h"
#include "http/errors.h"
#include "ingest/ingest.h"
#include "profiles/customers.h"

namespace tp::api {
namespace {

using identity::Permission;

// Ingests the valid messages in one transaction and renders the partial-failure answer.
Result<http::Response> IngestAndAnswer(Registrar& registrar, const Call& call, events::SplitRequest parsed) {
  Json rejected = Json::array();
  for (const events::RejectedMessage& item : parsed.rejected) {
    rejected.push_back(Json{{"index", item.index}, {"messageId", item.message_id}, {"error", http::ErrorJson(item.status)}});
  }
  if (parsed.valid.empty()) {
    // A single call answers with its message's own error; a batch with nothing valid is a 400.
    const Status status = parsed.single ? parsed.rejected.front().status
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

// POST /v1/batch.
Result<http::Response> SegmentBatch(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  TP_ASSIGN_OR_RETURN(events::SplitRequest split, events::SplitSegmentBatch(std::move(body), call.now));
  return IngestAndAnswer(registrar, call, std::move(split));
}

// POST /v1/{identify,track,page,screen,group,alias}: one message whose type is the path's.
template <events::EventType kType>
Result<http::Response> SegmentSingle(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  return IngestAndAnswer(registrar, call, events::SplitSegmentSingle(std::move(body), call.now, kType));
}

// POST /com.snowplowanalytics.snowplow/tp2: {"schema": "iglu:…/payload_data/…", "data": [event, …]}.
Result<http::Response> SnowplowPost(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  TP_ASSIGN_OR_RETURN(events::SplitRequest split, events::SplitSnowplowPayload(std::move(body), call.now));
  return IngestAndAnswer(registrar, call, std::move(split));
}

// GET /i?e=pv&…: one event as query parameters (the first value of a repeated one). A stored event is
// answered with the 1×1 GIF a tracking pixel expects; errors are JSON as everywhere.
Result<http::Response> SnowplowPixel(Registrar& registrar, Call& call) {
  Json parameters = Json::object();
  for (const auto& [name, value] : call.request.query) {
    if (!parameters.contains(name)) parameters[name] = value;
  }
  TP_ASSIGN_OR_RETURN(http::Response answer,
                      IngestAndAnswer(registrar, call, events::SplitSnowplowEvent(std::move(parameters), call.now)));
  if (answer.status != 200) return answer;
  static constexpr unsigned char kTransparentGif[] = {
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
      0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
      0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};
  http::Response pixel = http::Response::Text(
      200, std::string(reinterpret_cast<const char*>(kTransparentGif), sizeof(kTransparentGif)), "image/gif");
  pixel.headers["Cache-Control"] = "no-store";
  return pixel;
}

// POST /api/v1/events: one event in touchpoint's shape, or {"events": [...]}.
Result<http::Response> IngestNative(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  TP_ASSIGN_OR_RETURN(events::SplitRequest split, events::SplitNativeRequest(std::move(body), call.now));
  return IngestAndAnswer(registrar, call, std::move(split));
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
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    TP_ASSIGN_OR_RETURN(auto page, events::ListEvents(tx, query, page_request));
    return PageJson(page, [&](const events::Event& event) { return view.Event(event); });
  });
}

Result<http::Response> GetEvent(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string event_id, PathId(call.request, "id", "evt_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto event, events::GetEvent(tx, event_id));
    if (!CheckCustomerVisible(tx, call, event.customer_id).ok()) return NotFound("no such event");
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return view.Event(event);
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
  // Snowplow's collector paths, and the same under /snowplow/{write_key} for trackers that name their key
  // in the URL (a tracker's endpoint setting may carry a path).
  for (const std::string prefix : {"", "/snowplow/{write_key}"}) {
    registrar.Protected("POST", prefix + "/com.snowplowanalytics.snowplow/tp2", Permission::kEventsIngest, SnowplowPost,
                        Callers::kTrackers);
    registrar.Protected("GET", prefix + "/i", Permission::kEventsIngest, SnowplowPixel, Callers::kTrackers);
  }
  registrar.Protected("POST", "/api/v1/events", Permission::kEventsIngest, IngestNative);
  registrar.Protected("GET", "/api/v1/events", Permission::kCustomersRead, ListEvents);
  registrar.Protected("GET", "/api/v1/events/{id}", Permission::kCustomersRead, GetEvent);
}

}  // namespace tp::api
