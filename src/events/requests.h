// The messages of one ingestion request, split into those ready to ingest and those refused. Every
// message is parsed on its own, so one bad message does not cost the others; the whole request is
// refused only when its shape is wrong (not an array, too many messages). The HTTP layer renders the
// result; the CLI and later channels use the same splitting.
//
//   TP_ASSIGN_OR_RETURN(SplitRequest split, SplitSegmentBatch(std::move(body), now));
//   ... ingest split.valid in one transaction, report split.rejected by index ...
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/events.h"

namespace tp::events {

inline constexpr std::size_t kMaxMessagesPerRequest = 2500;
inline constexpr std::size_t kMaxMessageBytes = 32 * 1024;  // one message as stored (StoredBytes)

struct RejectedMessage {
  std::size_t index;           // position in the request
  nlohmann::json message_id;   // the message's own id when it has a string one, else null
  Status status;
};

struct SplitRequest {
  std::vector<Message> valid;
  std::vector<RejectedMessage> rejected;
  bool single = false;  // one message sent alone: its own error is the request's
};

// Segment's POST /v1/batch body {"batch": [...], "sentAt", "context"} (the batch's context merges under
// each message's own; other top-level fields are ignored, as Segment does). kInvalidArgument naming
// "batch", "sentAt" or "context"; kPayloadTooLarge beyond kMaxMessagesPerRequest.
Result<SplitRequest> SplitSegmentBatch(nlohmann::json body, Micros received_at);
// One Segment message of the path's type (POST /v1/identify, /v1/track, …).
SplitRequest SplitSegmentSingle(nlohmann::json body, Micros received_at, EventType type);
// touchpoint's own shape: one event, or {"events": [...]} and nothing else beside it.
Result<SplitRequest> SplitNativeRequest(nlohmann::json body, Micros received_at);
// Snowplow's POST /com.snowplowanalytics.snowplow/tp2 body, {"schema": "iglu:…/payload_data/…", "data":
// [event, …]} (events/snowplow.h); kInvalidArgument naming "schema" or "data", kPayloadTooLarge beyond
// kMaxMessagesPerRequest.
Result<SplitRequest> SplitSnowplowPayload(nlohmann::json body, Micros received_at);
// One Snowplow event given as its parameters (GET /i's query string).
SplitRequest SplitSnowplowEvent(nlohmann::json parameters, Micros received_at);

}  // namespace tp::events
