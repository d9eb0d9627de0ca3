// Errors as values. A Status is either OK or carries a canonical code, a human message and, when the
// error is about one input field, the name of that field. Result<T> holds a T or a non-OK Status.
//
//   Result<User> FindUser(...);
//   TP_ASSIGN_OR_RETURN(auto user, FindUser(tx, id));
//   TP_RETURN_IF_ERROR(CheckPermission(principal, Permission::kUsersWrite));
//
// The codes map one-to-one onto HTTP statuses in http/errors.cc; domain code never names a status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tp {

enum class ErrorCode {
  kOk,
  kInvalidArgument,    // 400: a field is wrong, missing or unknown
  kMalformedJson,      // 400: the body is not JSON; the message names the position
  kUnauthenticated,    // 401
  kPermissionDenied,   // 403
  kNotFound,           // 404
  kMethodNotAllowed,   // 405
  kConflict,           // 409: already exists, stale write, idempotency key reused
  kPayloadTooLarge,    // 413
  kUnsupportedMedia,   // 415
  kFailedPrecondition, // 422: well-formed but not allowed in the current state
  kRateLimited,        // 429: retry_after_seconds says when to come back
  kUnavailable,        // 503: the store or another dependency is down
  kInternal,           // 500: a bug; the message is never shown to clients
};

// The stable machine-readable name of a code, as it appears in JSON error bodies.
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  std::optional<int> retry_after_seconds() const { return retry_after_seconds_; }

  Status&& WithRetryAfter(int seconds) && {
    retry_after_seconds_ = seconds;
    return std::move(*this);
  }
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string field_;
  std::optional<int> retry_after_seconds_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Status NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
inline Status Conflict(std::string message, std::string field = {}) {
  return {ErrorCode::kConflict, std::move(message), std::move(field)};
}
inline Status PermissionDenied(std::string message) {
  return {ErrorCode::kPermissionDenied, std::move(message)};
}
inline Status Unauthenticated(std::string message) {
  return {ErrorCode::kUnauthenticated, std::move(message)};
}
inline Status FailedPrecondition(std::string message, std::string field = {}) {
  return {ErrorCode::kFailedPrecondition, std::move(message), std::move(field)};
}
inline Status Unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message)}; }
inline Status Internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design, like StatusOr
  Result(Status status) : data_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

namespace internal {
inline Status AsStatus(const Status& status) { return status; }
template <typename T>
Status AsStatus(const Result<T>& result) { return result.status(); }
}  // namespace internal

}  // namespace tp

#define TP_CONCAT_INNER(a, b) a##b
#define TP_CONCAT(a, b) TP_CONCAT_INNER(a, b)

#define TP_RETURN_IF_ERROR(expr)                                  \
  do {                                                            \
    if (auto tp_status_ = ::tp::internal::AsStatus(expr); !tp_status_.ok()) \
      return tp_status_;                                          \
  } while (0)

#define TP_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                             \
  if (!result.ok()) return result.status();         \
  lhs = std::move(result).value()

#define TP_ASSIGN_OR_RETURN(lhs, expr) \
  TP_ASSIGN_OR_RETURN_IMPL(TP_CONCAT(tp_result_, __LINE__), lhs, expr)
