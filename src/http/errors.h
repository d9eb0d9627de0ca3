// The one place where an ErrorCode becomes an HTTP status and a JSON error body:
//   {"error":{"code":"not_found","message":"no user usr_…","field":null}}
// Internal errors never carry their message to the client (it may hold SQL or paths); it is logged.
#pragma once

#include "common/status.h"
#include "http/request.h"

namespace tp::http {

int HttpStatusFor(ErrorCode code);
Response ErrorResponse(const Status& status);

}  // namespace tp::http
