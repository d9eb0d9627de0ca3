// Cases and their conversation: the help desk's endpoints. Agents reach only their teams' cases
// (CheckCaseVisible, customer_access.h): another team's case is 404, as one that does not exist.
// Attachments are uploaded as the raw file (POST /api/v1/attachments?case_id=…&file_name=…, which the
// server spools to disk like imports), then sent with a message by id; downloads are always
// `Content-Disposition: attachment` with the type the upload was checked as, and `nosniff`.
#include <cctype>
#include <fstream>
#include <iterator>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "identity/users.h"
#include "cases/attachments.h"
#include "cases/cases.h"
#include "cases/conversation.h"
#include "cases/custom_fields.h"
#include "cases/macros.h"
#include "cases/presence.h"
#include "cases/search.h"
#include "sla/storage.h"

namespace tp::api {
namespace {

using identity::Permission;

// RFC 6266: an ASCII fallback name for old clients and the exact UTF-8 name (RFC 8187) for the rest.
std::string AttachmentDisposition(std::string_view file_name) {
  std::string fallback;
  std::string encoded;
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const char c : file_name) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = std::isalnum(byte) || c == '.' || c == '-' || c == '_';
    const bool continuation = (byte & 0xC0) == 0x80;  // one '_' per character, not per byte
    if (!continuation) fallback.push_back(plain || c == ' ' ? c : '_');
    if (plain) {
      encoded.push_back(c);
    } else {
      encoded += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

// ?view=mine (the caller's unsolved cases) or unassigned (unsolved, nobody's yet), ?assignee_id= (a
// user id, or "none"), ?status=, ?customer_id=, ?team_id=; with ?q= a full-text search instead of a
// page: the most recently updated matches, at most ?limit=.
// The values of all of a case's custom fields fit in this (cases/custom_fields.h limits each).
constexpr std::size_t kMaxCustomFieldsBytes = 256 * 1024;

Json CustomFieldJson(const cases::CustomField& field) {
  return {{"key", field.key},
          {"label", field.label},
          {"kind", cases::FieldKindName(field.kind)},
          {"choices", field.choices},
          {"active", field.active},
          {"position", field.position},
          {"created_at", TimestampJson(field.created_at)},
          {"updated_at", TimestampJson(field.updated_at)}};
}

Result<http::Response> ListCustomFields(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto fields, cases::ListCustomFields(tx));
    Json items = Json::array();
    for (const cases::CustomField& field : fields) items.push_back(CustomFieldJson(field));
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> CreateCustomField(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::NewCustomField input;
  TP_ASSIGN_OR_RETURN(input.key, fields.RequiredString("key", cases::kMaxCustomFieldKeyBytes));
  TP_ASSIGN_OR_RETURN(input.label, fields.RequiredString("label", cases::kMaxCustomFieldLabelChars * 4));
  TP_ASSIGN_OR_RETURN(const std::string kind, fields.RequiredString("kind", 20));
  TP_ASSIGN_OR_RETURN(auto choices, fields.OptionalStringArray("choices", cases::kMaxChoices, cases::kMaxChoiceChars * 4));
  TP_ASSIGN_OR_RETURN(input.position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(input.kind, cases::ParseFieldKind(kind));
  input.choices = choices.value_or(std::vector<std::string>{});
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto field, cases::CreateCustomField(tx, input, call.audit));
    return CustomFieldJson(field);
  });
}

Result<http::Response> UpdateCustomField(Registrar& registrar, Call& call) {
  const std::string key(call.request.PathParam("key"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::CustomFieldPatch patch;
  TP_ASSIGN_OR_RETURN(patch.label, fields.OptionalString("label", cases::kMaxCustomFieldLabelChars * 4));
  TP_ASSIGN_OR_RETURN(patch.choices, fields.OptionalStringArray("choices", cases::kMaxChoices, cases::kMaxChoiceChars * 4));
  TP_ASSIGN_OR_RETURN(patch.active, fields.OptionalBool("active"));
  TP_ASSIGN_OR_RETURN(patch.position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto field, cases::UpdateCustomField(tx, key, patch, call.audit));
    return CustomFieldJson(field);
  });
}

// The inbox in SLA order (sla/storage.h): `sort=sla_due` on any view, and `view=breaching`, the unsolved
// cases with a target due within `within_minutes` (default 60) or already breached.
Result<http::Response> ListCasesByDue(Registrar& registrar, Call& call, const cases::CaseQuery& query,
                                      const PageRequest& page_request, bool breaching) {
  if (query.status || query.customer_id || call.request.QueryParam("q")) {
    return InvalidArgument("the SLA order lists unsolved cases by view, team and assignee only",
                           query.status ? "status" : query.customer_id ? "customer_id" : "q");
  }
  sla::DueQuery due{.team_id = query.team_id, .only_teams = query.only_teams};
  if (query.assignee_id) {
    if (*query.assignee_id) {
      due.assignee_id = **query.assignee_id;
    } else {
      due.unassigned = true;
    }
  }
  if (breaching) {
    TP_ASSIGN_OR_RETURN(const auto minutes, IntFromQuery(call.request, "within_minutes", 0, 7 * 24 * 60));
    due.due_before = call.now + minutes.value_or(60) * 60'000'000LL;
  }
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, sla::ListCasesByDue(tx, due, page_request));
    return PageJson(page, [](const sla::DueCase& found) {
      Json item = CaseJson(found.item);
      item["sla_due_at"] = TimestampJson(found.next_due_at);
      return item;
    });
  });
}

Result<http::Response> ListCases(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  cases::CaseQuery query;
  TP_ASSIGN_OR_RETURN(query.status, ParseOptional(call.request.QueryParam("status"), cases::ParseCaseStatus, "status"));
  query.customer_id = call.request.QueryParam("customer_id");
  query.team_id = call.request.QueryParam("team_id");
  query.only_teams = TeamScope(call);
  if (const auto assignee = call.request.QueryParam("assignee_id")) {
    query.assignee_id = *assignee == "none" ? std::nullopt : std::optional(*assignee);
  }
  const auto view = call.request.QueryParam("view");
  if (view) {
    if (*view == "mine") {
      query.assignee_id = std::optional(call.principal.user_id);
    } else if (*view == "unassigned") {
      query.assignee_id = std::optional<std::string>();
    } else if (*view != "all" && *view != "breaching") {
      return InvalidArgument("view must be one of mine, unassigned, breaching, all", "view");
    }
    if (*view != "all" && !query.status) query.any_status = cases::UnsolvedStatuses();
  }
  const auto sort = call.request.QueryParam("sort");
  if (sort && *sort != "sla_due" && *sort != "created") return InvalidArgument("sort must be sla_due or created", "sort");
  const bool breaching = view && *view == "breaching";
  if (!breaching && call.request.QueryParam("within_minutes")) {
    return InvalidArgument("within_minutes belongs to view=breaching", "within_minutes");
  }
  if (breaching || (sort && *sort == "sla_due")) {
    return ListCasesByDue(registrar, call, query, page_request, breaching);
  }
  if (const auto text = call.request.QueryParam("q")) {
    if (call.request.QueryParam("cursor")) return InvalidArgument("a search has no further pages", "cursor");
    if (call.request.QueryParam("view")) return InvalidArgument("search within a view is not supported", "view");
    cases::CaseSearch search{.text = *text,
                             .status = query.status,
                             .team_id = query.team_id,
                             .assignee_id = query.assignee_id,
                             .only_teams = query.only_teams,
                             .limit = page_request.limit};
    return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
      TP_ASSIGN_OR_RETURN(auto found, cases::SearchCases(tx, search));
      Json items = Json::array();
      for (const cases::Case& item : found) items.push_back(CaseJson(item));
      return Json{{"items", std::move(items)}, {"next_cursor", nullptr}};
    });
  }
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, cases::ListCases(tx, query, page_request));
    return PageJson(page, CaseJson);
  });
}

Result<http::Response> CreateCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::NewCase item;
  TP_ASSIGN_OR_RETURN(auto customer_id, fields.OptionalString("customer_id", 64));
  // Instead of an existing customer, a new one may come with the case (a first contact).
  TP_ASSIGN_OR_RETURN(auto customer_fields, fields.OptionalObject("customer"));
  std::optional<profiles::NewCustomer> new_customer;
  if (customer_fields) {
    TP_ASSIGN_OR_RETURN(new_customer, ReadNewCustomer(*customer_fields));
  }
  if (customer_id.has_value() == new_customer.has_value()) {
    return InvalidArgument("give either customer_id or a new customer", "customer_id");
  }
  TP_ASSIGN_OR_RETURN(item.subject, fields.RequiredString("subject", 2000));
  TP_ASSIGN_OR_RETURN(auto channel, fields.OptionalString("channel", 20));
  TP_ASSIGN_OR_RETURN(auto priority, fields.OptionalString("priority", 20));
  TP_ASSIGN_OR_RETURN(item.team_id, fields.OptionalString("team_id", 64));
  TP_ASSIGN_OR_RETURN(item.assignee_id, fields.OptionalString("assignee_id", 64));
  TP_ASSIGN_OR_RETURN(auto tags, fields.OptionalStringArray("tags", cases::kMaxTags, cases::kMaxTagBytes));
  item.tags = tags.value_or(std::vector<std::string>{});
  TP_ASSIGN_OR_RETURN(auto type, fields.OptionalString("type", 40));
  TP_ASSIGN_OR_RETURN(item.touchpoint, fields.OptionalString("touchpoint", 400));
  TP_ASSIGN_OR_RETURN(item.stage, fields.OptionalString("stage", 400));
  TP_ASSIGN_OR_RETURN(auto order_ids, fields.OptionalStringArray("order_ids", cases::kMaxOrderIds, 400));
  item.order_ids = order_ids.value_or(std::vector<std::string>{});
  TP_ASSIGN_OR_RETURN(item.custom_fields_json, fields.OptionalObjectText("custom_fields", kMaxCustomFieldsBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(item.type, ParseOptional(type, cases::ParseCaseType, "type"));
  TP_ASSIGN_OR_RETURN(auto parsed_priority, ParseOptional(priority, cases::ParseCasePriority, "priority"));
  item.channel = Channel::kOther;
  if (channel) {
    TP_ASSIGN_OR_RETURN(item.channel, ParseChannel(*channel, "channel"));
  }
  item.priority = parsed_priority.value_or(cases::CasePriority::kNormal);
  if (customer_id) item.customer_id = *customer_id;
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, cases::OpenCase(tx, call.principal, item, new_customer, call.audit));
    return CaseJson(created);
  });
}

Result<http::Response> GetCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    return CaseJson(item);
  });
}

// The fields of PATCH /api/v1/cases/{id}, which a bulk update takes too. Unknown fields are refused by
// the caller (RejectUnknown), after it read its own.
Result<cases::CasePatch> ReadCasePatch(FieldReader& fields) {
  cases::CasePatch patch;
  TP_ASSIGN_OR_RETURN(auto status, fields.OptionalString("status", 20));
  TP_ASSIGN_OR_RETURN(auto priority, fields.OptionalString("priority", 20));
  TP_ASSIGN_OR_RETURN(patch.team_id, fields.NullableString("team_id", 64));
  TP_ASSIGN_OR_RETURN(patch.assignee_id, fields.NullableString("assignee_id", 64));
  TP_ASSIGN_OR_RETURN(patch.tags, fields.OptionalStringArray("tags", cases::kMaxTags, cases::kMaxTagBytes));
  TP_ASSIGN_OR_RETURN(auto add_tags, fields.OptionalStringArray("add_tags", cases::kMaxTags, cases::kMaxTagBytes));
  TP_ASSIGN_OR_RETURN(auto remove_tags, fields.OptionalStringArray("remove_tags", cases::kMaxTags, cases::kMaxTagBytes));
  patch.add_tags = add_tags.value_or(std::vector<std::string>{});
  patch.remove_tags = remove_tags.value_or(std::vector<std::string>{});
  TP_ASSIGN_OR_RETURN(auto type, fields.OptionalString("type", 40));
  TP_ASSIGN_OR_RETURN(patch.touchpoint, fields.NullableString("touchpoint", 400));
  TP_ASSIGN_OR_RETURN(patch.stage, fields.NullableString("stage", 400));
  TP_ASSIGN_OR_RETURN(patch.order_ids, fields.OptionalStringArray("order_ids", cases::kMaxOrderIds, 400));
  TP_ASSIGN_OR_RETURN(patch.custom_fields_json, fields.OptionalObjectText("custom_fields", kMaxCustomFieldsBytes));
  TP_ASSIGN_OR_RETURN(patch.type, ParseOptional(type, cases::ParseCaseType, "type"));
  TP_ASSIGN_OR_RETURN(patch.status, ParseOptional(status, cases::ParseCaseStatus, "status"));
  TP_ASSIGN_OR_RETURN(patch.priority, ParseOptional(priority, cases::ParseCasePriority, "priority"));
  return patch;
}

Result<http::Response> UpdateCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(const cases::CasePatch patch, ReadCasePatch(fields));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto updated, cases::UpdateCase(tx, case_id, patch, call.audit));
    return CaseJson(updated);
  });
}

// PATCH /api/v1/cases {"case_ids": [...], and the fields of a single case's PATCH}: all or none.
Result<http::Response> UpdateCases(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> case_ids,
                      fields.RequiredStringArray("case_ids", cases::kMaxBulkCases, 64));
  TP_ASSIGN_OR_RETURN(const cases::CasePatch patch, ReadCasePatch(fields));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto updated, cases::UpdateCases(tx, case_ids, patch, TeamScope(call), call.audit));
    Json items = Json::array();
    for (const cases::Case& item : updated) items.push_back(CaseJson(item));
    return Json{{"items", std::move(items)}};
  });
}

// PUT {"activity": "viewing" | "replying"}: the caller is on the case; the answer says who else is.
Result<http::Response> ReportPresence(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(const std::string activity_name, fields.RequiredString("activity", 20));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(const cases::Activity activity, cases::ParseActivity(activity_name));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto others,
                        cases::ReportPresence(tx, case_id, call.principal.user_id, activity, call.now));
    Json list = Json::array();
    for (const cases::Presence& other : others) {
      Result<identity::User> user = identity::GetUser(tx, other.user_id);
      list.push_back({{"user_id", other.user_id},
                      {"name", user.ok() ? Json(user->name) : Json(nullptr)},
                      {"activity", cases::ActivityName(other.activity)},
                      {"seen_at", TimestampJson(other.seen_at)}});
    }
    return Json{{"others", std::move(list)}};
  });
}

Result<http::Response> EndPresence(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    return cases::EndPresence(tx, case_id, call.principal.user_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> AddMessage(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::NewMessage message;
  TP_ASSIGN_OR_RETURN(auto kind, fields.OptionalString("kind", 20));
  TP_ASSIGN_OR_RETURN(message.body, fields.RequiredString("body", richtext::kMaxBodyBytes));
  TP_ASSIGN_OR_RETURN(auto format, fields.OptionalString("format", 20));
  TP_ASSIGN_OR_RETURN(auto channel, fields.OptionalString("channel", 20));
  TP_ASSIGN_OR_RETURN(auto status, fields.OptionalString("status", 20));
  TP_ASSIGN_OR_RETURN(auto attachment_ids,
                      fields.OptionalStringArray("attachment_ids", cases::kMaxAttachmentsPerMessage, 64));
  message.attachment_ids = attachment_ids.value_or(std::vector<std::string>{});
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto parsed_kind, ParseOptional(kind, cases::ParseMessageKind, "kind"));
  message.kind = parsed_kind.value_or(cases::MessageKind::kReply);
  if (format) {
    TP_ASSIGN_OR_RETURN(message.format, richtext::ParseBodyFormat(*format, "format"));
  }
  if (channel) {
    TP_ASSIGN_OR_RETURN(message.channel, ParseChannel(*channel, "channel"));
  }
  TP_ASSIGN_OR_RETURN(message.status, ParseOptional(status, cases::ParseCaseStatus, "status"));
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto added, cases::AddMessage(tx, case_id, message, {.from = registrar.options().mail_from},
                                                      call.audit));
    return MessageJson(added);
  });
}

Result<http::Response> GetConversation(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto timeline, cases::ReadConversation(tx, case_id));
    Json entries = Json::array();
    for (const cases::TimelineEntry& entry : timeline) {
      entries.push_back(entry.message ? Json{{"type", "message"}, {"message", MessageJson(*entry.message)}}
                                      : Json{{"type", "change"}, {"change", CaseChangeJson(*entry.change)}});
    }
    return Json{{"case", CaseJson(item)}, {"entries", std::move(entries)}};
  });
}

// The raw file, read from memory or from the spool file, refused before reading when too large
// (cases::CheckAttachment checks the rest).
Result<std::string> UploadedFile(const http::Request& request) {
  const Status too_large(ErrorCode::kPayloadTooLarge,
                         "an attachment has at most " + std::to_string(cases::kMaxAttachmentBytes >> 20) + " MiB",
                         "content");
  if (!request.spooled_body) {
    if (request.body.size() > cases::kMaxAttachmentBytes) return too_large;
    return request.body;
  }
  std::ifstream file(request.spooled_body->path(), std::ios::binary | std::ios::ate);
  if (!file) return Unavailable("the upload could not be read back; try again");
  if (static_cast<std::uint64_t>(file.tellg()) > cases::kMaxAttachmentBytes) return too_large;
  file.seekg(0);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

Result<http::Response> UploadAttachment(Registrar& registrar, Call& call) {
  const std::optional<std::string> case_id = call.request.QueryParam("case_id");
  if (!case_id) return InvalidArgument("case_id is required", "case_id");
  const std::optional<std::string> file_name = call.request.QueryParam("file_name");
  if (!file_name) return InvalidArgument("file_name is required", "file_name");
  cases::NewAttachment upload{.file_name = *file_name,
                              .content_type = call.request.Header("Content-Type").value_or("")};
  TP_ASSIGN_OR_RETURN(upload.content, UploadedFile(call.request));
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, *case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto stored, cases::UploadAttachment(tx, item.id, upload));
    return AttachmentJson(stored);
  });
}

Result<http::Response> DownloadAttachment(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string attachment_id, PathId(call.request, "id", "att_"));
  cases::Attachment attachment;
  std::string content;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(attachment, cases::GetAttachment(tx, attachment_id));
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, attachment.case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(content, cases::ReadAttachmentContent(tx, attachment));
    return Status::Ok();
  }));
  const bool text = attachment.content_type.starts_with("text/") || attachment.content_type == "message/rfc822";
  http::Response response =
      http::Response::Text(200, std::move(content), attachment.content_type + (text ? "; charset=utf-8" : ""));
  response.headers["Content-Disposition"] = AttachmentDisposition(attachment.file_name);
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox";
  return response;
}

Json MacroBody(const cases::Macro& macro) {
  Json body = cases::MacroJson(macro);
  body["id"] = macro.id;
  body["created_at"] = TimestampJson(macro.created_at);
  body["updated_at"] = TimestampJson(macro.updated_at);
  return body;
}

Result<http::Response> ListMacros(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto macros, cases::ListMacros(tx));
    Json items = Json::array();
    for (const cases::Macro& macro : macros) items.push_back(MacroBody(macro));
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> CreateMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto macro, cases::CreateMacro(tx, request, call.audit));
    return MacroBody(macro);
  });
}

Result<http::Response> GetMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string macro_id, PathId(call.request, "id", "mac_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto macro, cases::GetMacro(tx, macro_id));
    return MacroBody(macro);
  });
}

Result<http::Response> ReplaceMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string macro_id, PathId(call.request, "id", "mac_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto macro, cases::UpdateMacro(tx, macro_id, request, call.audit));
    return MacroBody(macro);
  });
}

Result<http::Response> DeleteMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string macro_id, PathId(call.request, "id", "mac_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return cases::DeleteMacro(tx, macro_id, call.audit);
  }));
  return http::Response::NoContent();
}

// {{agent.*}}: the person applying the macro (an API key speaks for its owner).
Result<cases::MacroAgent> MacroAgentOf(store::TenantTx& tx, const Call& call) {
  TP_ASSIGN_OR_RETURN(const identity::User user, identity::GetUser(tx, call.principal.user_id));
  return cases::MacroAgent{.name = user.name, .email = user.email};
}

Json MacroMessageJson(const std::optional<cases::MacroMessage>& message) {
  if (!message) return nullptr;
  return Json{{"kind", cases::MessageKindName(message->kind)},
              {"body", message->body},
              {"format", richtext::BodyFormatName(message->format)}};
}

Result<http::Response> PreviewMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(std::string macro_id, PathId(call.request, "macro_id", "mac_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(const cases::MacroAgent agent, MacroAgentOf(tx, call));
    TP_ASSIGN_OR_RETURN(auto preview, cases::PreviewMacro(tx, macro_id, case_id, agent));
    return Json{{"message", MacroMessageJson(preview.message)},
                {"set", cases::MacroChangesJson(preview.set)}};
  });
}

Result<http::Response> ApplyMacro(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(std::string macro_id, PathId(call.request, "macro_id", "mac_"));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(const cases::MacroAgent agent, MacroAgentOf(tx, call));
    TP_ASSIGN_OR_RETURN(auto applied, cases::ApplyMacro(tx, macro_id, case_id, agent,
                                                        {.from = registrar.options().mail_from}, call.audit));
    return Json{{"case", CaseJson(applied.item)},
                {"message", applied.message ? MessageJson(*applied.message) : Json(nullptr)}};
  });
}

}  // namespace

void RegisterCaseRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/cases", Permission::kCasesRead, ListCases);
  registrar.Protected("POST", "/api/v1/cases", Permission::kCasesWrite, CreateCase);
  registrar.Protected("GET", "/api/v1/cases/{id}", Permission::kCasesRead, GetCase);
  registrar.Protected("PATCH", "/api/v1/cases", Permission::kCasesWrite, UpdateCases);
  registrar.Protected("PATCH", "/api/v1/cases/{id}", Permission::kCasesWrite, UpdateCase);
  registrar.Protected("PUT", "/api/v1/cases/{id}/presence", Permission::kCasesRead, ReportPresence);
  registrar.Protected("DELETE", "/api/v1/cases/{id}/presence", Permission::kCasesRead, EndPresence);
  registrar.Protected("POST", "/api/v1/cases/{id}/messages", Permission::kCasesWrite, AddMessage);
  registrar.Protected("GET", "/api/v1/cases/{id}/conversation", Permission::kCasesRead, GetConversation);
  registrar.Protected("POST", "/api/v1/attachments", Permission::kCasesWrite, UploadAttachment);
  registrar.Protected("GET", "/api/v1/case-fields", Permission::kCasesRead, ListCustomFields);
  registrar.Protected("POST", "/api/v1/case-fields", Permission::kHelpdeskConfigure, CreateCustomField);
  registrar.Protected("PATCH", "/api/v1/case-fields/{key}", Permission::kHelpdeskConfigure, UpdateCustomField);
  registrar.Protected("GET", "/api/v1/macros", Permission::kCasesRead, ListMacros);
  registrar.Protected("POST", "/api/v1/macros", Permission::kHelpdeskConfigure, CreateMacro);
  registrar.Protected("GET", "/api/v1/macros/{id}", Permission::kCasesRead, GetMacro);
  registrar.Protected("PUT", "/api/v1/macros/{id}", Permission::kHelpdeskConfigure, ReplaceMacro);
  registrar.Protected("DELETE", "/api/v1/macros/{id}", Permission::kHelpdeskConfigure, DeleteMacro);
  registrar.Protected("POST", "/api/v1/cases/{id}/macros/{macro_id}/preview", Permission::kCasesRead, PreviewMacro);
  registrar.Protected("POST", "/api/v1/cases/{id}/macros/{macro_id}/apply", Permission::kCasesWrite, ApplyMacro);
  registrar.Protected("GET", "/api/v1/attachments/{id}/content", Permission::kCasesRead, DownloadAttachment);
}

}  // namespace tp::api
