#include "api/json_body.h"

namespace tp::api {
namespace {
struct TooDeep {};

std::string TypeMessage(std::string_view name, std::string_view expected) {
  return std::string(name) + " must be " + std::string(expected);
}
}  // namespace

Result<Json> ParseJson(std::string_view text) {
  try {
    return Json::parse(text, [](int depth, Json::parse_event_t, Json&) {
      if (depth >= kMaxJsonDepth) throw TooDeep{};  // depth counts from 0
      return true;
    });
  } catch (const Json::parse_error& error) {
    // error.byte is 1-based: the byte at which the parser gave up.
    std::string message = "malformed JSON at byte " + std::to_string(error.byte);
    const std::string what = error.what();
    // nlohmann's text after the last ": " describes the problem without echoing the input.
    if (auto pos = what.rfind(": "); pos != std::string::npos) message += ": " + what.substr(pos + 2);
    return Status(ErrorCode::kMalformedJson, message);
  } catch (const TooDeep&) {
    return InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
}

Result<Json> ParseJsonObject(const http::Request& request) {
  const auto content_type = request.Header("Content-Type");
  if (!content_type || content_type->rfind("application/json", 0) != 0) {
    return Status(ErrorCode::kUnsupportedMedia, "the body must be sent as Content-Type: application/json");
  }
  TP_ASSIGN_OR_RETURN(Json body, ParseJson(request.body));
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  return body;
}

const Json* FieldReader::Find(std::string_view name) {
  seen_.emplace(name);
  auto found = object_.find(name);
  if (found == object_.end() || found->is_null()) return nullptr;
  return &*found;
}

Result<std::string> FieldReader::RequiredString(std::string_view name, size_t max_length) {
  TP_ASSIGN_OR_RETURN(auto value, OptionalString(name, max_length));
  if (!value || value->empty()) return InvalidArgument(std::string(name) + " is required", std::string(name));
  return std::move(*value);
}

Result<std::optional<std::string>> FieldReader::OptionalString(std::string_view name, size_t max_length) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::string>();
  if (!value->is_string()) return InvalidArgument(TypeMessage(name, "a string"), std::string(name));
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_length) {
    return InvalidArgument(std::string(name) + " is longer than " + std::to_string(max_length) + " bytes",
                           std::string(name));
  }
  return std::optional<std::string>(text);
}

Result<std::optional<std::optional<std::string>>> FieldReader::NullableString(std::string_view name,
                                                                              size_t max_length) {
  using Patch = std::optional<std::optional<std::string>>;
  auto found = object_.find(name);
  if (found != object_.end() && found->is_null()) {
    seen_.emplace(name);
    return Patch(std::optional<std::string>());
  }
  TP_ASSIGN_OR_RETURN(auto value, OptionalString(name, max_length));
  if (!value) return Patch();
  return Patch(std::move(value));
}

Result<std::optional<bool>> FieldReader::OptionalBool(std::string_view name) {
  const Json* value = Find(name);
  if (!value) return std::optional<bool>();
  if (!value->is_boolean()) return InvalidArgument(TypeMessage(name, "true or false"), std::string(name));
  return std::optional<bool>(value->get<bool>());
}

Result<std::optional<std::int64_t>> FieldReader::OptionalInt(std::string_view name, std::int64_t min,
                                                             std::int64_t max) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::int64_t>();
  if (!value->is_number_integer()) return InvalidArgument(TypeMessage(name, "an integer"), std::string(name));
  const bool is_unsigned_overflow =
      value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max);
  const std::int64_t number = is_unsigned_overflow ? max : value->get<std::int64_t>();
  if (is_unsigned_overflow || number < min || number > max) {
    return InvalidArgument(std::string(name) + " must be between " + std::to_string(min) + " and " +
                               std::to_string(max),
                           std::string(name));
  }
  return std::optional<std::int64_t>(number);
}

Result<std::int64_t> FieldReader::RequiredInt(std::string_view name, std::int64_t min, std::int64_t max) {
  TP_ASSIGN_OR_RETURN(auto value, OptionalInt(name, min, max));
  if (!value) return InvalidArgument(std::string(name) + " is required", std::string(name));
  return *value;
}

Result<std::optional<std::string>> FieldReader::OptionalObjectText(std::string_view name, size_t max_bytes) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::string>();
  if (!value->is_object()) return InvalidArgument(TypeMessage(name, "an object"), std::string(name));
  std::string text = value->dump();
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(name) + " is larger than " + std::to_string(max_bytes) + " bytes",
                           std::string(name));
  }
  return std::optional<std::string>(std::move(text));
}

Status FieldReader::RejectUnknown() const {
  for (const auto& [key, value] : object_.items()) {
    if (!seen_.contains(key)) return InvalidArgument("unknown field " + key, key);
  }
  return Status::Ok();
}

}  // namespace tp::api
