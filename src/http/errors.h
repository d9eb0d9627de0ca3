// The one place where an ErrorCode becomes an HTTP status and a JSON error body:
//   {"error":{"code":"not_found","message":"no user usr_…","field":null}}
// Internal errors never carry their message to the client (it may hold SQL or paths); it is logged.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "http/request.h"

namespace tp::http {

int HttpStatusFor(ErrorCode code);
// The JSON error response for a non-OK status. Adds Retry-After to rate-limited answers that carry
// retry_after_seconds and to every unavailable (503) answer (5 seconds unless it says otherwise), and `WWW-Authenticate: Bearer realm="touchpoint"` to 401s.
// An internal error (or, by mistake, an OK status) is logged and answered with a generic 500.
Response ErrorResponse(const Status& status);
// The {"code","message","field"} object of an error body (ErrorResponse wraps it in "error"); an
// internal error's detail is logged, not shown.
nlohmann::json ErrorJson(const Status& status);

}  // namespace tp::http
