// A case's conversation: every message about the problem, from any channel (what the customer wrote,
// agents' replies, internal notes, system events), and the case's history of changes (who changed what,
// when, before and after), read back as one ordered timeline so nobody has to ask the customer twice.
//
//   TP_ASSIGN_OR_RETURN(Message reply, AddMessage(tx, case_id, {.kind = MessageKind::kReply,
//                                                               .body = "We are sending a new one.",
//                                                               .status = CaseStatus::kPending},
//                                                 {.from = "support@shop.example"}, audit));
//   TP_ASSIGN_OR_RETURN(std::vector<TimelineEntry> timeline, ReadConversation(tx, case_id));
//
// Messages are kept as given (text or HTML) with a plain-text and a sanitised HTML rendering made once,
// when they arrive (richtext/), so a case with hundreds of messages opens without parsing any.
//
// What a message does to its case:
// - A customer message reopens a pending or solved case (status open); a new case stays new.
// - An agent's reply sets the first response time once, moves a new case to open, or to the status the
//   reply asks for (Zendesk's "submit as pending/solved"), and is e-mailed to the customer when the
//   server sends mail and the customer has an address; its delivery state follows that e-mail.
// - A note is internal: never sent, and changes no status unless asked to.
// - A closed case takes no messages (kFailedPrecondition, field "case_id"): a customer writing after
//   that opens a new case.
// Each status change a message makes is a case change like any other (audit, history, case.updated);
// the message itself is published as case.message_added.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/attachments.h"
#include "cases/cases.h"
#include "common/channels.h"
#include "common/clock.h"
#include "common/status.h"
#include "identity/audit.h"
#include "richtext/richtext.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr std::size_t kMaxTimelineEntries = 5000;  // of each kind, as Zendesk caps a ticket's comments

enum class MessageKind { kCustomer, kReply, kNote };
std::string_view MessageKindName(MessageKind kind);  // "customer", "reply", "note"
Result<MessageKind> ParseMessageKind(std::string_view name);  // kInvalidArgument field "kind"
// "inbound" for customer messages, "outbound" for replies, "internal" for notes.
std::string_view MessageDirection(MessageKind kind);

struct Message {
  std::string id;  // "msg_…"
  std::string case_id;
  std::string customer_id;
  MessageKind kind = MessageKind::kReply;
  Channel channel = Channel::kOther;
  // "customer" (author_id is the customer), or the actor who wrote it: "user", "api_key", "rule", "system".
  std::string author_type;
  std::optional<std::string> author_id;
  std::string body;  // as given
  richtext::BodyFormat format = richtext::BodyFormat::kText;
  richtext::RenderedBody rendered;
  // "received" (customer), "internal" (note), "not_sent" (a reply with no way to reach the
  // customer yet), or the state of the e-mail that carries a reply: "pending", "retrying", "delivered", "failed".
  std::string delivery_state;
  std::optional<std::string> delivery_id;
  std::vector<Attachment> attachments;
  Micros created_at = 0;
};

struct NewMessage {
  MessageKind kind = MessageKind::kReply;
  std::optional<Channel> channel;  // the case's channel when absent
  std::string body;
  richtext::BodyFormat format = richtext::BodyFormat::kText;
  std::vector<std::string> attachment_ids;  // uploads of this case (attachments.h)
  // The case's status after a reply or note; customer messages set their own (see above).
  std::optional<CaseStatus> status;
  std::optional<Micros> created_at;  // imports; now when absent, never in the future
};

// How replies reach the customer by e-mail; an empty `from` means the server sends no mail.
struct ReplyMail {
  std::string from;
};

// One entry of the case's history: what a change did (action "case.create" or "case.update").
struct CaseChange {
  std::string id;  // "chg_…"
  std::string case_id;
  std::string actor_type;
  std::string actor_id;
  std::string action;
  std::string before_json;  // the changed fields before, a JSON object
  std::string after_json;   // and after
  Micros at = 0;
};

struct TimelineEntry {
  Micros at = 0;
  std::optional<Message> message;  // exactly one of the two is set
  std::optional<CaseChange> change;
};

// Adds a message to case `case_id` (kNotFound when the tenant has none). kInvalidArgument field "body"
// (richtext::RenderBody), "status" for a status on a customer message or one the case cannot move to, "attachment_ids"
// (LinkAttachments), "created_at"; kFailedPrecondition field "case_id" for a closed case.
Result<Message> AddMessage(store::TenantTx& tx, std::string_view case_id, const NewMessage& input,
                           const ReplyMail& mail, const identity::AuditContext& audit);
// The case's messages and changes in the order they happened (a message before the change it caused),
// at most kMaxTimelineEntries of each, the newest kept.
Result<std::vector<TimelineEntry>> ReadConversation(store::TenantTx& tx, std::string_view case_id);

// Writes one history entry; cases.cc calls it for every create and update.
Status RecordCaseChange(store::TenantTx& tx, const Case& item, const identity::AuditContext& audit,
                        std::string_view action, const std::string& before_json, const std::string& after_json,
                        Micros at);

}  // namespace tp::cases
