// Strict parsing of JSON request bodies. Every write endpoint reads its body through a FieldReader, so
// the same rules hold everywhere: the body must be a JSON object; malformed JSON is 400
// malformed_json naming the byte position; a wrong type, a missing required field or a field the
// endpoint does not know is 400 invalid_argument naming the field; strings have length limits.
//
//   TP_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
//   FieldReader fields(body);
//   TP_ASSIGN_OR_RETURN(std::string email, fields.RequiredString("email", 254));
//   TP_ASSIGN_OR_RETURN(auto name, fields.OptionalString("name", 200));
//   TP_RETURN_IF_ERROR(fields.RejectUnknown());
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/request.h"

namespace tp::api {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 32;

// Parses text as JSON (depth-limited); errors are kMalformedJson with the byte position.
Result<Json> ParseJson(std::string_view text);
// The media type of a Content-Type header (lower case) when its only parameter, if any, is
// charset=utf-8; std::nullopt otherwise or when there is no header.
std::optional<std::string> Utf8MediaType(const std::optional<std::string>& content_type);
// Whether a Content-Type header names `media_type` (lower case), optionally with charset=utf-8, the
// only encoding bodies may have. Media types and parameter names are case-insensitive (RFC 9110 §8.3).
bool IsUtf8MediaType(const std::optional<std::string>& content_type, std::string_view media_type);
// application/json, optionally with charset=utf-8 (case-insensitive); anything else is 415.
Status CheckJsonContentType(const std::optional<std::string>& content_type);
// Checks Content-Type and parses the body, which must be an object.
Result<Json> ParseJsonObject(const http::Request& request);

// Takes the field `name` (any type) out of `body`, so that a FieldReader checks the rest.
std::optional<Json> TakeField(Json& body, std::string_view name);

class FieldReader {
 public:
  // `prefix` names nested objects in errors: a reader for {"customer": {...}} reports "customer.email".
  explicit FieldReader(const Json& object, std::string prefix = {}) : object_(object), prefix_(std::move(prefix)) {}

  Result<std::string> RequiredString(std::string_view name, size_t max_length);
  Result<std::optional<std::string>> OptionalString(std::string_view name, size_t max_length);
  // For patches: absent → std::nullopt; JSON null → an engaged optional holding std::nullopt (clear it).
  Result<std::optional<std::optional<std::string>>> NullableString(std::string_view name, size_t max_length);
  Result<std::optional<bool>> OptionalBool(std::string_view name);
  // An array (maybe empty) of at most `max_items` strings of 1 to `max_length` bytes; absent: std::nullopt.
  Result<std::optional<std::vector<std::string>>> OptionalStringArray(std::string_view name, size_t max_items,
                                                                      size_t max_length);
  // A non-empty array of at most `max_items` strings of 1 to `max_length` bytes.
  Result<std::vector<std::string>> RequiredStringArray(std::string_view name, size_t max_items, size_t max_length);
  Result<std::optional<std::int64_t>> OptionalInt(std::string_view name, std::int64_t min, std::int64_t max);
  Result<std::int64_t> RequiredInt(std::string_view name, std::int64_t min, std::int64_t max);
  // An object-valued field, returned as compact JSON text (for settings documents).
  Result<std::optional<std::string>> OptionalObjectText(std::string_view name, size_t max_bytes);
  // A reader for an object-valued field (absent or null: std::nullopt).
  Result<std::optional<FieldReader>> OptionalObject(std::string_view name);
  // kInvalidArgument naming the first field that no getter asked for.
  Status RejectUnknown() const;

 private:
  const Json* Find(std::string_view name);
  std::string Field(std::string_view name) const;

  const Json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace tp::api
