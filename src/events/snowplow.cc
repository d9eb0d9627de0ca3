// Snowplow tracker protocol events as Segment-shaped messages (snowplow.h). Reference: Snowplow's
// "Snowplow Tracker Protocol" (the parameter table) and the self-describing JSON envelopes
// iglu:com.snowplowanalytics.snowplow/unstruct_event and /contexts.
#include "events/snowplow.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <utility>
#include <vector>

#include "common/crypto.h"

namespace tp::events {
namespace {

using nlohmann::json;

constexpr std::string_view kSnowplowVendor = "com.snowplowanalytics.snowplow";
constexpr std::size_t kMaxMillisDigits = 15;  // beyond the year 30000: not a device's clock

// One parameter as text: absent, null and "" are absent; numbers are taken as their text.
Result<std::optional<std::string>> Text(const json& parameters, std::string_view name) {
  const auto it = parameters.find(name);
  if (it == parameters.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_number()) return std::optional<std::string>(it->dump());
  if (!it->is_string()) return InvalidArgument(std::string(name) + " must be a string", std::string(name));
  if (it->get_ref<const std::string&>().empty()) return std::optional<std::string>();
  return std::optional<std::string>(it->get<std::string>());
}

// dtm, stm, ttm: milliseconds since the epoch.
Result<std::optional<Micros>> MillisParameter(const json& parameters, std::string_view name) {
  TP_ASSIGN_OR_RETURN(std::optional<std::string> text, Text(parameters, name));
  if (!text) return std::optional<Micros>();
  if (text->size() > kMaxMillisDigits ||
      !std::all_of(text->begin(), text->end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return InvalidArgument(std::string(name) + " must be milliseconds since 1970-01-01 (digits only)", std::string(name));
  }
  return std::optional<Micros>(std::stoll(*text) * 1000);
}

// iglu:vendor/name/jsonschema/M-R-A; returns the name.
Result<std::string> IgluName(const json& schema, std::string_view field) {
  const Status wrong = InvalidArgument(
      std::string(field) + ": schema must be an Iglu URI, iglu:vendor/name/jsonschema/1-0-0", std::string(field));
  if (!schema.is_string()) return wrong;
  std::string_view uri = schema.get_ref<const std::string&>();
  if (!uri.starts_with("iglu:")) return wrong;
  uri.remove_prefix(5);
  std::array<std::string_view, 4> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t slash = i + 1 < parts.size() ? uri.find('/') : uri.size();
    if (slash == std::string_view::npos || slash == 0) return wrong;
    parts[i] = uri.substr(0, slash);
    uri.remove_prefix(std::min(uri.size(), slash + 1));
  }
  const std::string_view version = parts[3];
  const bool version_ok = std::count(version.begin(), version.end(), '-') == 2 &&
                          std::all_of(version.begin(), version.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0 || c == '-'; });
  if (!version_ok || version.front() == '-' || version.back() == '-' || version.find("--") != std::string_view::npos) {
    return wrong;
  }
  return std::string(parts[1]);
}

// Parses JSON text from a tracker without letting its nesting grow the stack (events are bounded at
// kMaxEventDepth levels anyway).
Result<json> ParseBoundedJson(const std::string& text, std::string_view field) {
  bool too_deep = false;
  json parsed = json::parse(
      text,
      [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > kMaxEventDepth + 2) too_deep = true;
        return !too_deep;
      },
      /*allow_exceptions=*/false);
  if (too_deep) {
    return InvalidArgument(std::string(field) + " is nested more than " + std::to_string(kMaxEventDepth) + " levels",
                           std::string(field));
  }
  if (parsed.is_discarded()) return InvalidArgument(std::string(field) + " is not valid JSON", std::string(field));
  return parsed;
}

// {"schema": "iglu:com.snowplowanalytics.snowplow/<envelope>/jsonschema/1-0-0", "data": …}.
Status CheckEnvelope(const json& document, std::string_view envelope, const std::string& field) {
  const Status wrong = InvalidArgument(field + " must be self-describing JSON: {\"schema\": \"iglu:" +
                                           std::string(kSnowplowVendor) + "/" + std::string(envelope) +
                                           "/jsonschema/1-0-0\", \"data\": …}",
                                       field);
  if (!document.is_object() || !document.contains("schema") || !document.contains("data")) return wrong;
  TP_ASSIGN_OR_RETURN(std::string name, IgluName(document["schema"], field));
  const bool ours = document["schema"].get_ref<const std::string&>().starts_with("iglu:" + std::string(kSnowplowVendor) + "/");
  return ours && name == envelope ? Status::Ok() : wrong;
}

// The `data` of a self-describing envelope (iglu:com.snowplowanalytics.snowplow/<envelope>/…) sent as
// JSON in `plain` or as base64 (URL-safe or standard, padded or not) in `encoded`. Also names the
// parameter it came from.
struct Envelope {
  json data;
  std::string field;
};
Result<std::optional<Envelope>> EnvelopeData(const json& parameters, std::string_view plain, std::string_view encoded,
                                             std::string_view envelope) {
  std::string field(plain);
  TP_ASSIGN_OR_RETURN(std::optional<std::string> text, Text(parameters, plain));
  if (!text) {
    field = std::string(encoded);
    TP_ASSIGN_OR_RETURN(std::optional<std::string> base64, Text(parameters, encoded));
    if (!base64) return std::optional<Envelope>();
    std::replace(base64->begin(), base64->end(), '-', '+');
    std::replace(base64->begin(), base64->end(), '_', '/');
    text.emplace();
    if (!Base64Decode(*base64, *text)) return InvalidArgument(field + " is not valid base64", field);
  }
  TP_ASSIGN_OR_RETURN(json document, ParseBoundedJson(*text, field));
  TP_RETURN_IF_ERROR(CheckEnvelope(document, envelope, field));
  return std::optional<Envelope>(Envelope{std::move(document["data"]), std::move(field)});
}

// One self-describing JSON inside an envelope: {"schema": "iglu:…", "data": {…}}; returns its name.
Result<std::string> CheckSelfDescribing(const json& item, const std::string& field) {
  if (!item.is_object() || !item.contains("data") || !item["data"].is_object()) {
    return InvalidArgument(field + ": each self-describing JSON needs a schema and a data object", field);
  }
  return IgluName(item.contains("schema") ? item["schema"] : json(), field);
}

// Snowplow's platform codes (p) that name one of touchpoint's channels; the others (pc, tv, iot, …) are
// "other".
std::string ChannelOf(std::string_view platform) {
  if (platform == "web") return "web";
  if (platform == "mob") return "mobile";
  if (platform == "srv") return "server";
  return "other";
}

// Copies parameters into an object under the names given, leaving out absent ones.
Status CopyParameters(const json& parameters, std::initializer_list<std::pair<std::string_view, const char*>> names,
                      json& into) {
  for (const auto& [parameter, key] : names) {
    TP_ASSIGN_OR_RETURN(std::optional<std::string> value, Text(parameters, parameter));
    if (value) into[key] = std::move(*value);
  }
  return Status::Ok();
}

// Which Snowplow parameter a field of the Segment-shaped message came from, for error messages.
using FieldSources = std::vector<std::pair<std::string_view, std::string>>;

Status RenameField(const Status& status, const FieldSources& sources) {
  for (const auto& [segment_field, parameter] : sources) {
    if (status.field() == segment_field) return Status(status.code(), status.message(), parameter);
  }
  return status;
}

// The Segment-shaped message an event means, and where its fields came from.
Status BuildMessage(const json& parameters, json& message, FieldSources& sources) {
  TP_ASSIGN_OR_RETURN(std::optional<std::string> kind, Text(parameters, "e"));
  if (!kind) return InvalidArgument("e (the event type) is required", "e");
  json properties = json::object();
  json snowplow = json::object();
  TP_RETURN_IF_ERROR(CopyParameters(parameters, {{"aid", "app_id"}, {"p", "platform"}, {"tna", "namespace"},
                                                 {"sid", "session_id"}, {"vid", "session_index"},
                                                 {"duid", "domain_user_id"}, {"nuid", "network_user_id"}},
                                    snowplow));
  json page = json::object();
  TP_RETURN_IF_ERROR(CopyParameters(parameters, {{"url", "url"}, {"page", "title"}, {"refr", "referrer"}}, page));
  if (*kind == "pv") {
    message["type"] = "page";
    if (page.contains("title")) message["name"] = page["title"];
    properties = page;
    sources.emplace_back("name", "page");
  } else if (*kind == "se") {
    message["type"] = "track";
    TP_RETURN_IF_ERROR(CopyParameters(parameters, {{"se_ca", "category"}, {"se_ac", "action"}, {"se_la", "label"},
                                                   {"se_pr", "property"}, {"se_va", "value"}},
                                      properties));
    if (!properties.contains("category")) return InvalidArgument("a structured event needs se_ca", "se_ca");
    if (!properties.contains("action")) return InvalidArgument("a structured event needs se_ac", "se_ac");
    message["event"] = properties["action"];
    if (properties.contains("value")) {
      const json number = json::parse(properties["value"].get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (!number.is_number()) return InvalidArgument("se_va must be a number", "se_va");
      properties["value"] = number;
    }
    sources.emplace_back("event", "se_ac");
    sources.emplace_back("properties", "se_la");
  } else if (*kind == "ue") {
    message["type"] = "track";
    TP_ASSIGN_OR_RETURN(std::optional<Envelope> event, EnvelopeData(parameters, "ue_pr", "ue_px", "unstruct_event"));
    if (!event) return InvalidArgument("a self-describing event needs ue_pr or ue_px", "ue_px");
    TP_ASSIGN_OR_RETURN(message["event"], CheckSelfDescribing(event->data, event->field));
    snowplow["schema"] = event->data["schema"];
    properties = std::move(event->data["data"]);
    sources.emplace_back("event", event->field);
    sources.emplace_back("properties", event->field);
  } else {
    return InvalidArgument("e must be pv (page view), se (structured event) or ue (self-describing event)", "e");
  }
  TP_ASSIGN_OR_RETURN(std::optional<Envelope> entities, EnvelopeData(parameters, "co", "cx", "contexts"));
  if (entities) {
    if (!entities->data.is_array()) return InvalidArgument(entities->field + ": data must be an array", entities->field);
    for (const json& entity : entities->data) TP_RETURN_IF_ERROR(CheckSelfDescribing(entity, entities->field));
    snowplow["entities"] = std::move(entities->data);
    sources.emplace_back("context", entities->field);
  }

  json context = {{"snowplow", std::move(snowplow)}};
  if (!page.empty()) context["page"] = std::move(page);
  TP_RETURN_IF_ERROR(CopyParameters(parameters, {{"ua", "userAgent"}, {"lang", "locale"}, {"tz", "timezone"}, {"ip", "ip"}},
                                    context));
  TP_ASSIGN_OR_RETURN(std::optional<std::string> tracker, Text(parameters, "tv"));
  context["library"] = {{"name", "snowplow"}};
  if (tracker) context["library"]["version"] = std::move(*tracker);
  message["properties"] = std::move(properties);
  message["context"] = std::move(context);

  TP_RETURN_IF_ERROR(CopyParameters(parameters, {{"eid", "messageId"}, {"uid", "userId"}}, message));
  sources.emplace_back("messageId", "eid");
  sources.emplace_back("userId", "uid");
  for (const char* anonymous : {"duid", "nuid", "tnuid"}) {
    TP_ASSIGN_OR_RETURN(std::optional<std::string> id, Text(parameters, anonymous));
    if (!id) continue;
    message["anonymousId"] = std::move(*id);
    sources.emplace_back("anonymousId", anonymous);
    break;
  }
  if (!message.contains("userId") && !message.contains("anonymousId")) {
    return InvalidArgument("a Snowplow event needs uid, duid or nuid", "uid");
  }
  TP_ASSIGN_OR_RETURN(std::optional<std::string> platform, Text(parameters, "p"));
  if (platform) message["channel"] = ChannelOf(*platform);
  sources.emplace_back("channel", "p");

  // A true timestamp is the time; otherwise the device's, corrected by when the device sent it.
  TP_ASSIGN_OR_RETURN(std::optional<Micros> true_time, MillisParameter(parameters, "ttm"));
  TP_ASSIGN_OR_RETURN(std::optional<Micros> created, MillisParameter(parameters, "dtm"));
  TP_ASSIGN_OR_RETURN(std::optional<Micros> sent, MillisParameter(parameters, "stm"));
  if (true_time) {
    message["timestamp"] = FormatTimestamp(*true_time);
    sources.emplace_back("timestamp", "ttm");
  } else if (created) {
    message["timestamp"] = FormatTimestamp(*created);
    if (sent) message["sentAt"] = FormatTimestamp(*sent);
    sources.emplace_back("timestamp", "dtm");
  }
  return Status::Ok();
}

}  // namespace

Status CheckSnowplowPayload(const json& body) { return CheckEnvelope(body, "payload_data", "schema"); }

Result<Message> ParseSnowplowEvent(json&& parameters, Micros received_at) {
  if (!parameters.is_object()) return InvalidArgument("a Snowplow event must be an object of parameters");
  json message = json::object();
  FieldSources sources;
  TP_RETURN_IF_ERROR(BuildMessage(parameters, message, sources));
  Result<Message> parsed = ParseSegmentMessage(std::move(message), {.received_at = received_at, .sent_at = std::nullopt});
  if (!parsed.ok()) return RenameField(parsed.status(), sources);
  return parsed;
}

}  // namespace tp::events
