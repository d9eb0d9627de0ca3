#include "api/json_body.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace tp::api {
namespace {

// The two rules both parsers add to JSON's grammar.
Status RepeatedKey(std::string_view name) {
  return InvalidArgument("the key " + std::string(name) + " appears twice in one object", std::string(name));
}
Status NestedTooDeep() {
  return InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

// Builds the document as nlohmann's own DOM parser does, and also refuses a key repeated in one object
// (RFC 8259 leaves its meaning undefined) and nesting deeper than kMaxJsonDepth. The duplicate check
// looks the key up in the object being built, which costs no allocation.
class DomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  bool null() { return Add(nullptr); }
  bool boolean(bool value) { return Add(value); }
  bool number_integer(number_integer_t value) { return Add(value); }
  bool number_unsigned(number_unsigned_t value) { return Add(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return Add(value); }
  bool string(string_t& value) { return Add(std::move(value)); }
  bool binary(binary_t& value) { return Add(std::move(value)); }
  bool start_object(std::size_t /*size*/) { return Open(Json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return Open(Json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(string_t& name) {
    Json& object = *open_.back();
    if (object.contains(name)) {
      error_ = RepeatedKey(name);
      return false;
    }
    slot_ = &object[name];
    return true;
  }
  bool parse_error(std::size_t position, const std::string& /*token*/, const nlohmann::detail::exception& error) {
    if (error.id == kNumberOverflow) {
      error_ = Status(ErrorCode::kMalformedJson, "malformed JSON: a number is out of range");
      return false;
    }
    // nlohmann's text after the last ": " describes the problem without echoing the input.
    std::string message = "malformed JSON at byte " + std::to_string(position);
    const std::string what = error.what();
    if (auto pos = what.rfind(": "); pos != std::string::npos) message += ": " + what.substr(pos + 2);
    error_ = Status(ErrorCode::kMalformedJson, message);
    return false;
  }

  Result<Json> Take(bool parsed) {
    if (parsed) return std::move(root_);
    if (error_.ok()) return Status(ErrorCode::kMalformedJson, "malformed JSON");
    return error_;
  }

 private:
  static constexpr int kNumberOverflow = 406;  // nlohmann's out_of_range.406

  // The value's depth counts the containers around it, the document itself being at depth 0.
  bool TooDeep() {
    if (open_.size() < static_cast<std::size_t>(kMaxJsonDepth)) return false;
    error_ = NestedTooDeep();
    return true;
  }

  template <typename Value>
  Json* Place(Value&& value) {
    if (open_.empty()) {
      root_ = Json(std::forward<Value>(value));
      return &root_;
    }
    Json& container = *open_.back();
    if (container.is_array()) {
      container.emplace_back(std::forward<Value>(value));
      return &container.back();
    }
    *slot_ = Json(std::forward<Value>(value));
    return slot_;
  }

  template <typename Value>
  bool Add(Value&& value) {
    if (TooDeep()) return false;
    Place(std::forward<Value>(value));
    return true;
  }

  bool Open(Json::value_t type) {
    if (TooDeep()) return false;
    open_.push_back(Place(type));
    return true;
  }

  bool Close() {
    open_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Json*> open_;  // the objects and arrays being filled, innermost last
  Json* slot_ = nullptr;     // the member the last key named
  Status error_;
};

// simdjson validates a document (UTF-8 included) several times faster than nlohmann's lexer, which
// matters on the ingestion endpoints. Its document is copied into nlohmann's DOM, with the same values
// and types nlohmann's parser gives (a non-negative integer is unsigned), the same depth limit and the
// same refusal of repeated keys, found in the same document order.
Status CopyInto(simdjson::dom::element element, int depth, Json& out) {
  using simdjson::dom::element_type;
  if (depth >= kMaxJsonDepth) return NestedTooDeep();
  switch (element.type()) {
    case element_type::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      out = Json::object();
      Json::object_t& object = out.get_ref<Json::object_t&>();
      for (const simdjson::dom::key_value_pair field : fields) {
        const auto [slot, inserted] = object.try_emplace(std::string(field.key));
        if (!inserted) return RepeatedKey(field.key);
        TP_RETURN_IF_ERROR(CopyInto(field.value, depth + 1, slot->second));
      }
      return Status::Ok();
    }
    case element_type::ARRAY: {
      const simdjson::dom::array items = element.get_array().value_unsafe();
      out = Json::array();
      Json::array_t& array = out.get_ref<Json::array_t&>();
      array.reserve(items.size());
      for (const simdjson::dom::element item : items) TP_RETURN_IF_ERROR(CopyInto(item, depth + 1, array.emplace_back()));
      return Status::Ok();
    }
    case element_type::INT64: {
      const std::int64_t number = element.get_int64().value_unsafe();
      out = number >= 0 ? Json(static_cast<std::uint64_t>(number)) : Json(number);
      return Status::Ok();
    }
    case element_type::UINT64: out = element.get_uint64().value_unsafe(); return Status::Ok();
    case element_type::DOUBLE: out = element.get_double().value_unsafe(); return Status::Ok();
    case element_type::STRING: out = std::string(element.get_string().value_unsafe()); return Status::Ok();
    case element_type::BOOL: out = element.get_bool().value_unsafe(); return Status::Ok();
    case element_type::NULL_VALUE: out = nullptr; return Status::Ok();
  }
  return Internal("unknown simdjson element type");
}

// A parser keeps its buffers between documents; a thread's own one is kept for bodies up to this size
// so that one large upload does not pin its memory.
constexpr std::size_t kReusedParserCapacity = 1 << 20;

std::string TypeMessage(std::string_view name, std::string_view expected) {
  return std::string(name) + " must be " + std::string(expected);
}
}  // namespace

Result<Json> ParseJson(std::string_view text) {
  {
    thread_local simdjson::dom::parser reused_parser(kReusedParserCapacity);
    simdjson::dom::parser one_off_parser;
    simdjson::dom::parser& parser = text.size() <= kReusedParserCapacity ? reused_parser : one_off_parser;
    if (const auto document = parser.parse(text.data(), text.size()); !document.error()) {
      Json root;
      TP_RETURN_IF_ERROR(CopyInto(document.value_unsafe(), 0, root));
      return root;
    }
  }
  // Not valid JSON (or beyond simdjson's limits): nlohmann's parser says where and why.
  DomBuilder builder;
  const bool parsed = Json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, /*strict=*/true);
  return builder.Take(parsed);
}

std::optional<std::string> Utf8MediaType(const std::optional<std::string>& content_type) {
  if (!content_type) return std::nullopt;
  std::string lowered(*content_type);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  lowered.erase(std::remove(lowered.begin(), lowered.end(), ' '), lowered.end());
  const auto semicolon = lowered.find(';');
  if (semicolon != std::string::npos) {
    const std::string parameters = lowered.substr(semicolon + 1);
    if (parameters != "charset=utf-8" && parameters != "charset=\"utf-8\"") return std::nullopt;
  }
  return lowered.substr(0, semicolon);
}

bool IsUtf8MediaType(const std::optional<std::string>& content_type, std::string_view media_type) {
  const std::optional<std::string> type = Utf8MediaType(content_type);
  return type && *type == media_type;
}

Status CheckJsonContentType(const std::optional<std::string>& content_type) {
  if (IsUtf8MediaType(content_type, "application/json")) return Status::Ok();
  return Status(ErrorCode::kUnsupportedMedia, "the body must be sent as Content-Type: application/json (UTF-8)");
}

Result<Json> ParseJsonObject(const http::Request& request) {
  TP_RETURN_IF_ERROR(CheckJsonContentType(request.Header("Content-Type")));
  TP_ASSIGN_OR_RETURN(Json body, ParseJson(request.body));
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  return body;
}

std::optional<Json> TakeField(Json& body, std::string_view name) {
  const auto found = body.find(name);
  if (found == body.end()) return std::nullopt;
  Json value = std::move(*found);
  body.erase(found);
  return value;
}

std::string FieldReader::Field(std::string_view name) const { return prefix_ + std::string(name); }

Result<std::optional<FieldReader>> FieldReader::OptionalObject(std::string_view name) {
  const Json* value = Find(name);
  if (!value) return std::optional<FieldReader>();
  if (!value->is_object()) return InvalidArgument(TypeMessage(Field(name), "an object"), Field(name));
  return std::optional<FieldReader>(FieldReader(*value, Field(name) + "."));
}

const Json* FieldReader::Find(std::string_view name) {
  seen_.emplace(name);
  auto found = object_.find(name);
  if (found == object_.end() || found->is_null()) return nullptr;
  return &*found;
}

Result<std::string> FieldReader::RequiredString(std::string_view name, size_t max_length) {
  TP_ASSIGN_OR_RETURN(auto value, OptionalString(name, max_length));
  if (!value || value->empty()) return InvalidArgument(Field(name) + " is required", Field(name));
  return std::move(*value);
}

Result<std::optional<std::vector<std::string>>> FieldReader::OptionalStringArray(std::string_view name,
                                                                                 size_t max_items,
                                                                                 size_t max_length) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::vector<std::string>>();
  const Status wrong = InvalidArgument(Field(name) + " must be an array of at most " + std::to_string(max_items) +
                                           " strings of 1 to " + std::to_string(max_length) + " bytes",
                                       Field(name));
  if (!value->is_array() || value->size() > max_items) return wrong;
  std::vector<std::string> items;
  for (const Json& item : *value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
        item.get_ref<const std::string&>().size() > max_length) {
      return wrong;
    }
    items.push_back(item.get<std::string>());
  }
  return std::optional(std::move(items));
}

Result<std::vector<std::string>> FieldReader::RequiredStringArray(std::string_view name, size_t max_items,
                                                                  size_t max_length) {
  TP_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> items, OptionalStringArray(name, max_items, max_length));
  if (!items || items->empty()) {
    return InvalidArgument(Field(name) + " must be an array of 1 to " + std::to_string(max_items) + " strings of 1 to " +
                               std::to_string(max_length) + " bytes",
                           Field(name));
  }
  return std::move(*items);
}

Result<std::optional<std::string>> FieldReader::OptionalString(std::string_view name, size_t max_length) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::string>();
  if (!value->is_string()) return InvalidArgument(TypeMessage(Field(name), "a string"), Field(name));
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_length) {
    return InvalidArgument(Field(name) + " is longer than " + std::to_string(max_length) + " bytes",
                           Field(name));
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
  if (!value->is_boolean()) return InvalidArgument(TypeMessage(Field(name), "true or false"), Field(name));
  return std::optional<bool>(value->get<bool>());
}

Result<std::optional<std::int64_t>> FieldReader::OptionalInt(std::string_view name, std::int64_t min,
                                                             std::int64_t max) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::int64_t>();
  if (!value->is_number_integer()) return InvalidArgument(TypeMessage(Field(name), "an integer"), Field(name));
  const bool is_unsigned_overflow =
      value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max);
  const std::int64_t number = is_unsigned_overflow ? max : value->get<std::int64_t>();
  if (is_unsigned_overflow || number < min || number > max) {
    return InvalidArgument(Field(name) + " must be between " + std::to_string(min) + " and " +
                               std::to_string(max),
                           Field(name));
  }
  return std::optional<std::int64_t>(number);
}

Result<std::int64_t> FieldReader::RequiredInt(std::string_view name, std::int64_t min, std::int64_t max) {
  TP_ASSIGN_OR_RETURN(auto value, OptionalInt(name, min, max));
  if (!value) return InvalidArgument(Field(name) + " is required", Field(name));
  return *value;
}

Result<std::optional<std::string>> FieldReader::OptionalObjectText(std::string_view name, size_t max_bytes) {
  const Json* value = Find(name);
  if (!value) return std::optional<std::string>();
  if (!value->is_object()) return InvalidArgument(TypeMessage(Field(name), "an object"), Field(name));
  std::string text = value->dump();
  if (text.size() > max_bytes) {
    return InvalidArgument(Field(name) + " is larger than " + std::to_string(max_bytes) + " bytes",
                           Field(name));
  }
  return std::optional<std::string>(std::move(text));
}

Status FieldReader::RejectUnknown() const {
  for (const auto& [key, value] : object_.items()) {
    if (!seen_.contains(key)) return InvalidArgument("unknown field " + Field(key), Field(key));
  }
  return Status::Ok();
}

}  // namespace tp::api
