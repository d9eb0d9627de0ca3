// Snowplow's tracker protocol: the events Snowplow trackers (JavaScript, Node, iOS, Android, …) send to a
// collector, one event as a flat object of string parameters (the query string of GET /i, or one item of
// the POST payload's `data` array). Each event becomes the Segment-shaped message it means and is then
// parsed by ParseSegmentMessage, so the same limits, identifiers and clock-skew correction hold:
//
//   e=pv (page view)          → page, name from `page` (the title); url/page/refr → context.page
//   e=se (structured event)   → track named se_ac; se_ca/se_ac/se_la/se_pr/se_va → properties
//   e=ue (self-describing)    → track named after the event's schema ("iglu:com.acme/checkout/…" →
//                               "checkout"), its data as properties, the schema URI in context.snowplow
//   uid → userId; duid, else nuid/tnuid → anonymousId; eid → messageId (deduplication)
//   ttm (true timestamp) → the time as given; else dtm corrected by stm as Segment's sentAt corrects
//   co / cx (contexts, plain or base64) → context.snowplow.entities; ue_pr / ue_px likewise plain or base64
//
// Errors name the Snowplow parameter ("uid", "ue_px", "dtm").
#pragma once

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "events/events.h"

namespace tp::events {

// The POST body's envelope: {"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
// "data": [event, …]}; kInvalidArgument naming "schema" otherwise.
Status CheckSnowplowPayload(const nlohmann::json& body);
// The parameters of one Snowplow event: an object of strings (numbers are taken as their text).
Result<Message> ParseSnowplowEvent(nlohmann::json&& parameters, Micros received_at);

}  // namespace tp::events
