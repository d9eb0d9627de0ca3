// Macros: canned replies that also set fields, as a Zendesk agent applies them from the reply box. A
// macro holds an optional reply or note with placeholders and the changes it makes to the case:
//
//   {"name": "Parcel damaged: new one on its way",
//    "reply": {"body": "Dear {{customer.first_name}}, a new parcel for case {{case.id}} is on its way."},
//    "set": {"status": "pending", "priority": "high", "type": "order_issue", "add_tags": ["damaged"]}}
//
// Placeholders are checked when the macro is saved: only kPlaceholders exist, anything else is refused
// naming the field ("reply.body"), so an agent never sends "{{custmer.name}}" to a customer. Applying a
// macro adds its message (with the status it sets, as "submit as pending" does) and then makes its other
// changes, in one transaction; previewing renders the text for the agent to edit, changing nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cases/cases.h"
#include "cases/conversation.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr std::size_t kMaxMacroNameChars = 200;
// What a macro's text may use: the customer's and the case's fields, and the agent applying it.
inline constexpr std::string_view kPlaceholders[] = {
    "customer.name",  "customer.first_name", "customer.last_name", "customer.email", "case.id",
    "case.subject",   "case.status",         "case.priority",      "case.type",      "case.order_ids",
    "case.touchpoint", "agent.name",         "agent.first_name",   "agent.email"};

struct MacroMessage {
  MessageKind kind = MessageKind::kReply;  // reply or note
  std::string body;
  richtext::BodyFormat format = richtext::BodyFormat::kText;
};

struct Macro {
  std::string id;  // "mac_…"
  std::string name;
  std::optional<MacroMessage> message;
  CasePatch set;  // status, priority, type, add_tags, remove_tags, team_id, assignee_id
  Micros created_at = 0;
  Micros updated_at = 0;
};

// Reads a macro's definition: {"name", "reply" | "note": {"body", "format"}, "set": {…}}.
// kInvalidArgument naming the field: "name", "reply.body" (an unknown placeholder, an empty body),
// "set.status", "set.add_tags", … and "set" for a macro that neither writes nor changes anything.
Result<Macro> ParseMacro(const nlohmann::json& definition);
nlohmann::json MacroJson(const Macro& macro);
// The "set" part of a macro: the changes it makes, as ParseMacro reads them.
nlohmann::json MacroChangesJson(const CasePatch& set);

Result<Macro> CreateMacro(store::TenantTx& tx, const nlohmann::json& definition, const identity::AuditContext& audit);
// Replaces the definition (name, message and changes); records "macro.update".
Result<Macro> UpdateMacro(store::TenantTx& tx, std::string_view macro_id, const nlohmann::json& definition,
                          const identity::AuditContext& audit);
Status DeleteMacro(store::TenantTx& tx, std::string_view macro_id, const identity::AuditContext& audit);
Result<Macro> GetMacro(store::TenantTx& tx, std::string_view macro_id);
// By name.
Result<std::vector<Macro>> ListMacros(store::TenantTx& tx);

// Who applies a macro, for {{agent.*}}.
struct MacroAgent {
  std::string name;
  std::string email;
};

struct MacroPreview {
  std::optional<MacroMessage> message;  // its body with the placeholders filled in
  CasePatch set;
};
// The macro's text for case `case_id` as it would be sent, and what it would change. Nothing is written.
Result<MacroPreview> PreviewMacro(store::TenantTx& tx, std::string_view macro_id, std::string_view case_id,
                                  const MacroAgent& agent);
// Applies the macro to the case: the message (AddMessage) with the macro's status, then the other
// changes (UpdateCase), in the caller's transaction. kFailedPrecondition field "case_id" for a closed case. Returns the case after it and the message, when the macro has one.
struct AppliedMacro {
  Case item;
  std::optional<Message> message;
};
Result<AppliedMacro> ApplyMacro(store::TenantTx& tx, std::string_view macro_id, std::string_view case_id,
                                const MacroAgent& agent, const ReplyMail& mail, const identity::AuditContext& audit);

}  // namespace tp::cases
