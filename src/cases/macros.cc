#include "cases/macros.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/ids.h"
#include "common/templates.h"
#include "profiles/customers.h"
#include "profiles/text.h"

namespace tp::cases {
namespace {

using nlohmann::json;

constexpr std::string_view kMacroIdPrefix = "mac_";
constexpr std::string_view kSelectMacros =
    "SELECT id, name, definition, created_at, updated_at FROM macros WHERE tenant_id = $1";

std::string Joined(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

Result<std::string> StringField(const json& object, const std::string& name, const std::string& field) {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) return InvalidArgument(field + " must be a string", field);
  return found->get<std::string>();
}

Status RejectUnknown(const json& object, std::initializer_list<std::string_view> known, const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidArgument("unknown field " + prefix + key, prefix + key);
    }
  }
  return Status::Ok();
}

Result<MacroMessage> ParseMessage(const json& object, MessageKind kind, const std::string& field) {
  if (!object.is_object()) return InvalidArgument(field + " must be an object", field);
  TP_RETURN_IF_ERROR(RejectUnknown(object, {"body", "format"}, field + "."));
  MacroMessage message{.kind = kind};
  TP_ASSIGN_OR_RETURN(message.body, StringField(object, "body", field + ".body"));
  if (object.contains("format")) {
    TP_ASSIGN_OR_RETURN(const std::string format, StringField(object, "format", field + ".format"));
    TP_ASSIGN_OR_RETURN(message.format, richtext::ParseBodyFormat(format, field + ".format"));
  }
  for (const std::string& path : TemplatePlaceholders(message.body)) {
    if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), path) == std::end(kPlaceholders)) {
      const std::string known = Joined(std::vector<std::string>(std::begin(kPlaceholders), std::end(kPlaceholders)));
      return InvalidArgument("unknown placeholder {{" + path + "}}; a macro may use " + known, field + ".body");
    }
  }
  const Status renders = richtext::RenderBody(message.body, message.format).status();
  if (!renders.ok()) return InvalidArgument(renders.message(), field + ".body");
  return message;
}

Result<std::vector<std::string>> TagList(const json& set, const std::string& name) {
  std::vector<std::string> tags;
  const auto found = set.find(name);
  if (found == set.end()) return tags;
  const std::string field = "set." + name;
  if (!found->is_array() || found->size() > kMaxTags) {
    return InvalidArgument(field + " must be a list of at most " + std::to_string(kMaxTags) + " tags", field);
  }
  for (const json& tag : *found) {
    if (!tag.is_string()) return InvalidArgument(field + " must be a list of tags", field);
    TP_ASSIGN_OR_RETURN(std::string normalized, NormalizeTag(tag.get<std::string>(), field));
    tags.push_back(std::move(normalized));
  }
  return tags;
}

// A user or team id, or null to remove it.
Result<std::optional<std::optional<std::string>>> NullableId(const json& set, const std::string& name) {
  using NullableText = std::optional<std::optional<std::string>>;
  const auto found = set.find(name);
  if (found == set.end()) return NullableText();
  if (found->is_null()) return NullableText(std::in_place, std::nullopt);
  if (!found->is_string()) return InvalidArgument("set." + name + " must be an id or null", "set." + name);
  return NullableText(std::in_place, found->get<std::string>());
}

template <typename T>
Result<std::optional<T>> EnumField(const json& set, const std::string& name, Result<T> (*parse)(std::string_view)) {
  if (!set.contains(name)) return std::optional<T>();
  TP_ASSIGN_OR_RETURN(const std::string text, StringField(set, name, "set." + name));
  Result<T> parsed = parse(text);
  if (!parsed.ok()) return InvalidArgument(parsed.status().message(), "set." + name);
  return std::optional<T>(*parsed);
}

Result<CasePatch> ParseSet(const json& set) {
  if (!set.is_object()) return InvalidArgument("set must be an object", "set");
  TP_RETURN_IF_ERROR(
      RejectUnknown(set, {"status", "priority", "type", "add_tags", "remove_tags", "team_id", "assignee_id"}, "set."));
  CasePatch patch;
  TP_ASSIGN_OR_RETURN(patch.status, EnumField(set, "status", ParseCaseStatus));
  TP_ASSIGN_OR_RETURN(patch.priority, EnumField(set, "priority", ParseCasePriority));
  TP_ASSIGN_OR_RETURN(patch.type, EnumField(set, "type", ParseCaseType));
  TP_ASSIGN_OR_RETURN(patch.add_tags, TagList(set, "add_tags"));
  TP_ASSIGN_OR_RETURN(patch.remove_tags, TagList(set, "remove_tags"));
  TP_ASSIGN_OR_RETURN(patch.team_id, NullableId(set, "team_id"));
  TP_ASSIGN_OR_RETURN(patch.assignee_id, NullableId(set, "assignee_id"));
  return patch;
}

json OptionalIdJson(const std::optional<std::optional<std::string>>& id) {
  return *id ? json(**id) : json(nullptr);
}

json ChangesJson(const CasePatch& patch) {
  json set = json::object();
  if (patch.status) set["status"] = CaseStatusName(*patch.status);
  if (patch.priority) set["priority"] = CasePriorityName(*patch.priority);
  if (patch.type) set["type"] = CaseTypeName(*patch.type);
  if (!patch.add_tags.empty()) set["add_tags"] = patch.add_tags;
  if (!patch.remove_tags.empty()) set["remove_tags"] = patch.remove_tags;
  if (patch.team_id) set["team_id"] = OptionalIdJson(patch.team_id);
  if (patch.assignee_id) set["assignee_id"] = OptionalIdJson(patch.assignee_id);
  return set;
}

bool ChangesNothing(const CasePatch& patch) {
  return !patch.status && !patch.priority && !patch.type && patch.add_tags.empty() && patch.remove_tags.empty() &&
         !patch.team_id && !patch.assignee_id;
}

Result<Macro> MacroFromRow(const store::Row& row) {
  const json definition = json::parse(row.Text(2), nullptr, false);
  Result<Macro> macro = ParseMacro(definition);
  if (!macro.ok()) return Internal("macro " + row.Text(0) + " no longer parses: " + macro.status().message());
  macro->id = row.Text(0);
  macro->created_at = row.Int(3);
  macro->updated_at = row.Int(4);
  return macro;
}

// "Jana Nová" → first "Jana", last "Nová".
std::pair<std::string, std::string> SplitName(const std::string& name) {
  const auto space = name.find(' ');
  if (space == std::string::npos) return {name, ""};
  return {name.substr(0, space), name.substr(space + 1)};
}

// Strings escaped for an HTML body, so a customer called "<b>" stays text.
json Escaped(json value) {
  if (value.is_string()) return richtext::EscapeHtml(value.get<std::string>());
  if (value.is_structured()) {
    for (auto& child : value) child = Escaped(child);
  }
  return value;
}

Result<json> PlaceholderContext(store::TenantTx& tx, const Case& item, const MacroAgent& agent) {
  TP_ASSIGN_OR_RETURN(const profiles::Customer customer, profiles::GetCustomer(tx, item.customer_id));
  const auto [first_name, last_name] = SplitName(customer.name);
  const auto [agent_first, agent_last] = SplitName(agent.name);
  return json{{"customer",
               {{"name", customer.name},
                {"first_name", first_name},
                {"last_name", last_name},
                {"email", customer.email ? json(*customer.email) : json(nullptr)}}},
              {"case",
               {{"id", item.id},
                {"subject", item.subject},
                {"status", CaseStatusName(item.status)},
                {"priority", CasePriorityName(item.priority)},
                {"type", CaseTypeName(item.type)},
                {"order_ids", Joined(item.order_ids)},
                {"touchpoint", item.touchpoint ? json(*item.touchpoint) : json(nullptr)}}},
              {"agent", {{"name", agent.name}, {"first_name", agent_first}, {"email", agent.email}}}};
}

Result<MacroPreview> Preview(store::TenantTx& tx, const Macro& macro, const Case& item, const MacroAgent& agent) {
  MacroPreview preview{.message = macro.message, .set = macro.set};
  if (preview.message) {
    TP_ASSIGN_OR_RETURN(const json context, PlaceholderContext(tx, item, agent));
    const bool html = preview.message->format == richtext::BodyFormat::kHtml;
    preview.message->body = RenderTemplate(preview.message->body, html ? Escaped(context) : context);
  }
  return preview;
}

Result<Macro> StoreMacro(store::TenantTx& tx, const std::optional<std::string>& existing_id, const json& definition,
                         const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(Macro macro, ParseMacro(definition));
  const Micros now = NowMicros();
  const json stored = MacroJson(macro);
  if (existing_id) {
    TP_ASSIGN_OR_RETURN(const Macro before, GetMacro(tx, *existing_id));
    macro.id = before.id;
    macro.created_at = before.created_at;
    TP_RETURN_IF_ERROR(tx.Execute("UPDATE macros SET name = $3, definition = $4, updated_at = $5 WHERE tenant_id = $1 "
                                  "AND id = $2",
                                  {macro.id, macro.name, stored.dump(), now})
                           .status());
    TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "macro.update", "macro", macro.id, MacroJson(before).dump(),
                                             stored.dump()));
  } else {
    macro.id = NewId(kMacroIdPrefix);
    macro.created_at = now;
    TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO macros (tenant_id, id, name, definition, created_at, updated_at) "
                                  "VALUES ($1, $2, $3, $4, $5, $5)",
                                  {macro.id, macro.name, stored.dump(), now})
                           .status());
    TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "macro.create", "macro", macro.id, {}, stored.dump()));
  }
  macro.updated_at = now;
  return macro;
}

}  // namespace

Result<Macro> ParseMacro(const json& definition) {
  if (!definition.is_object()) return InvalidArgument("a macro is a JSON object", "");
  TP_RETURN_IF_ERROR(RejectUnknown(definition, {"name", "reply", "note", "set"}, ""));
  Macro macro;
  TP_ASSIGN_OR_RETURN(const std::string name, StringField(definition, "name", "name"));
  TP_ASSIGN_OR_RETURN(macro.name, profiles::CleanLine(name, "name", kMaxMacroNameChars, true));
  if (definition.contains("reply") && definition.contains("note")) {
    return InvalidArgument("a macro writes a reply or a note, not both", "note");
  }
  if (definition.contains("reply")) {
    TP_ASSIGN_OR_RETURN(macro.message, ParseMessage(definition["reply"], MessageKind::kReply, "reply"));
  } else if (definition.contains("note")) {
    TP_ASSIGN_OR_RETURN(macro.message, ParseMessage(definition["note"], MessageKind::kNote, "note"));
  }
  if (definition.contains("set")) {
    TP_ASSIGN_OR_RETURN(macro.set, ParseSet(definition["set"]));
  }
  if (!macro.message && ChangesNothing(macro.set)) {
    return InvalidArgument("a macro writes a reply or a note, or changes the case", "set");
  }
  return macro;
}

json MacroJson(const Macro& macro) {
  json out{{"name", macro.name}, {"set", ChangesJson(macro.set)}};
  if (macro.message) {
    out[macro.message->kind == MessageKind::kNote ? "note" : "reply"] = {
        {"body", macro.message->body}, {"format", richtext::BodyFormatName(macro.message->format)}};
  }
  return out;
}

json MacroChangesJson(const CasePatch& set) { return ChangesJson(set); }

Result<Macro> CreateMacro(store::TenantTx& tx, const json& definition, const identity::AuditContext& audit) {
  return StoreMacro(tx, std::nullopt, definition, audit);
}

Result<Macro> UpdateMacro(store::TenantTx& tx, std::string_view macro_id, const json& definition,
                          const identity::AuditContext& audit) {
  return StoreMacro(tx, std::string(macro_id), definition, audit);
}

Status DeleteMacro(store::TenantTx& tx, std::string_view macro_id, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const Macro macro, GetMacro(tx, macro_id));
  TP_RETURN_IF_ERROR(tx.Execute("DELETE FROM macros WHERE tenant_id = $1 AND id = $2", {macro.id}).status());
  return identity::RecordAudit(tx, audit, "macro.delete", "macro", macro.id, MacroJson(macro).dump(), {});
}

Result<Macro> GetMacro(store::TenantTx& tx, std::string_view macro_id) {
  if (!LooksLikeId(macro_id, kMacroIdPrefix)) return NotFound("no such macro");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(std::string(kSelectMacros) + " AND id = $2", {std::string(macro_id)}));
  if (!row) return NotFound("no such macro");
  return MacroFromRow(*row);
}

Result<std::vector<Macro>> ListMacros(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(std::string(kSelectMacros) + " ORDER BY name, id"));
  std::vector<Macro> macros;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Macro macro, MacroFromRow(row));
    macros.push_back(std::move(macro));
  }
  return macros;
}

Result<MacroPreview> PreviewMacro(store::TenantTx& tx, std::string_view macro_id, std::string_view case_id,
                                  const MacroAgent& agent) {
  TP_ASSIGN_OR_RETURN(const Macro macro, GetMacro(tx, macro_id));
  TP_ASSIGN_OR_RETURN(const Case item, GetCase(tx, case_id));
  return Preview(tx, macro, item, agent);
}

Result<AppliedMacro> ApplyMacro(store::TenantTx& tx, std::string_view macro_id, std::string_view case_id,
                                const MacroAgent& agent, const ReplyMail& mail, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const Macro macro, GetMacro(tx, macro_id));
  TP_ASSIGN_OR_RETURN(const Case before, GetCase(tx, case_id));
  if (before.status == CaseStatus::kClosed) {
    return FailedPrecondition("the case is closed; macros change open cases", "case_id");
  }
  TP_ASSIGN_OR_RETURN(const MacroPreview preview, Preview(tx, macro, before, agent));
  AppliedMacro applied;
  // The message first, with the status the macro sets, so a reply "submitted as pending" is one change.
  CasePatch set = preview.set;
  if (preview.message) {
    TP_ASSIGN_OR_RETURN(applied.message,
                        AddMessage(tx, case_id,
                                   {.kind = preview.message->kind,
                                    .body = preview.message->body,
                                    .format = preview.message->format,
                                    .status = set.status},
                                   mail, audit));
    set.status.reset();
  }
  TP_ASSIGN_OR_RETURN(applied.item, UpdateCase(tx, case_id, set, audit));
  return applied;
}

}  // namespace tp::cases
