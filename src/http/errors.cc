#include "http/errors.h"

#include <algorithm>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace tp::http {
namespace {

// For unavailable answers whose cause does not know better: long enough for a restart or failover.
constexpr int kUnavailableRetryAfterSeconds = 5;

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kMalformedJson: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kUnsupportedMedia: return 415;
    case ErrorCode::kFailedPrecondition: return 422;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

nlohmann::json ErrorJson(const Status& status) {
  // An OK status here is a caller bug; answering 200 with an error body would hide it.
  const ErrorCode code = status.ok() ? ErrorCode::kInternal : status.code();
  std::string message = status.message();
  if (code == ErrorCode::kInternal) {
    spdlog::error("internal error: {}", status.ok() ? "ErrorResponse called with an OK status" : message);
    message = "internal error";
  }
  return {{"code", ErrorCodeName(code)},
          {"message", std::move(message)},
          {"field", status.field().empty() ? nlohmann::json(nullptr) : nlohmann::json(status.field())}};
}

Response ErrorResponse(const Status& status) {
  const ErrorCode code = status.ok() ? ErrorCode::kInternal : status.code();
  const nlohmann::json body = {{"error", ErrorJson(status)}};
  // Messages may quote client input that is not valid UTF-8; replace it rather than throw.
  Response response =
      Response::Json(HttpStatusFor(code), body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (code == ErrorCode::kRateLimited || code == ErrorCode::kUnavailable) {
    // Every 503 says when to come back, so that clients back off instead of retrying at once.
    const std::optional<int> retry_after =
        code == ErrorCode::kUnavailable ? status.retry_after_seconds().value_or(kUnavailableRetryAfterSeconds)
                                        : status.retry_after_seconds();
    if (retry_after) response.headers["Retry-After"] = std::to_string(std::max(0, *retry_after));
  }
  if (code == ErrorCode::kUnauthenticated) {
    response.headers["WWW-Authenticate"] = R"(Bearer realm="touchpoint")";
  }
  return response;
}

}  // namespace tp::http
