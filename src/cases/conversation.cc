#include "cases/conversation.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>

#include "cases/search.h"
#include "changes/kinds.h"
#include "common/ids.h"
#include "outbound/deliveries.h"
#include "profiles/customers.h"
#include "profiles/text.h"
#include "store/sql_params.h"

namespace tp::cases {
namespace {

using nlohmann::json;
using store::Sql;

constexpr std::string_view kMessagePrefix = "msg_";
constexpr std::string_view kChangePrefix = "chg_";

constexpr std::string_view kInsertMessage =
    "INSERT INTO case_messages (tenant_id, id, case_id, customer_id, kind, channel, author_type, author_id, body, "
    "body_format, body_text, body_html, delivery_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
// The newest kMaxTimelineEntries, put back in order by the caller; a reply's delivery state is its e-mail's.
constexpr std::string_view kSelectMessages =
    "SELECT m.id, m.customer_id, m.kind, m.channel, m.author_type, m.author_id, m.body, m.body_format, m.body_text, "
    "m.body_html, m.delivery_id, d.state, m.created_at FROM case_messages m LEFT JOIN deliveries d "
    "ON d.tenant_id = m.tenant_id AND d.id = m.delivery_id WHERE m.tenant_id = $1 AND m.case_id = $2 "
    "ORDER BY m.id DESC LIMIT $3";
constexpr std::string_view kInsertChange =
    "INSERT INTO case_changes (tenant_id, id, case_id, customer_id, actor_type, actor_id, action, before_json, "
    "after_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kSelectChanges =
    "SELECT id, actor_type, actor_id, action, before_json, after_json, at FROM case_changes "
    "WHERE tenant_id = $1 AND case_id = $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kSetFirstResponse =
    "UPDATE cases SET first_response_at = $3 WHERE tenant_id = $1 AND id = $2 AND first_response_at IS NULL";
constexpr std::string_view kTouchCase = "UPDATE cases SET updated_at = $3 WHERE tenant_id = $1 AND id = $2";

constexpr std::array kKinds = {MessageKind::kCustomer, MessageKind::kReply, MessageKind::kNote};

// The status a message leaves its case in, when it changes it.
Result<std::optional<CaseStatus>> StatusAfter(const Case& item, const NewMessage& input) {
  if (input.kind == MessageKind::kCustomer) {
    if (input.status) return InvalidArgument("a customer message sets no status", "status");
    const bool reopens = item.status == CaseStatus::kPending || item.status == CaseStatus::kSolved;
    return reopens ? std::optional(CaseStatus::kOpen) : std::nullopt;
  }
  if (input.status) {
    if (!IsAllowedTransition(item.status, *input.status)) {
      return InvalidArgument("a " + std::string(CaseStatusName(item.status)) + " case cannot become " +
                                 std::string(CaseStatusName(*input.status)),
                             "status");
    }
    return input.status;
  }
  if (input.kind == MessageKind::kReply && item.status == CaseStatus::kNew) return std::optional(CaseStatus::kOpen);
  return std::optional<CaseStatus>();
}

// The domain of the sender's address, for message ids that mail clients thread on.
std::string MailDomain(const std::string& from) {
  const auto at = from.rfind('@');
  return at == std::string::npos ? "touchpoint.invalid" : from.substr(at + 1);
}

// E-mails a reply to the case's customer; std::nullopt when there is no way to reach them.
Result<std::optional<outbound::Delivery>> MailReply(store::TenantTx& tx, const Case& item, const Message& reply,
                                                    const std::optional<std::string>& previous_message_id,
                                                    const ReplyMail& mail) {
  if (mail.from.empty()) return std::optional<outbound::Delivery>();
  TP_ASSIGN_OR_RETURN(const profiles::Customer customer, profiles::GetCustomer(tx, item.customer_id));
  if (!customer.email) return std::optional<outbound::Delivery>();
  const std::string domain = MailDomain(mail.from);
  outbound::MailMessage message{.from = {"", mail.from},
                                .to = {{customer.name, *customer.email}},
                                .subject = "Re: " + item.subject + " [" + item.id + "]",
                                .text = reply.rendered.text,
                                .message_id = reply.id + "@" + domain};
  if (previous_message_id) {
    message.in_reply_to = *previous_message_id + "@" + domain;
    message.references = {*message.in_reply_to};
  }
  TP_ASSIGN_OR_RETURN(outbound::Delivery delivery,
                      outbound::QueueEmail(tx, message, "case:" + item.id, item.customer_id, reply.created_at));
  return std::optional(std::move(delivery));
}

Result<Message> MessageFromRow(const store::Row& row, std::string_view case_id) {
  Result<MessageKind> kind = ParseMessageKind(row.Text(2));
  Result<Channel> channel = ParseChannel(row.Text(3));
  Result<richtext::BodyFormat> format = richtext::ParseBodyFormat(row.Text(7));
  if (!kind.ok() || !channel.ok() || !format.ok()) return Internal("message " + row.Text(0) + " has unknown values");
  Message message{.id = row.Text(0),
                  .case_id = std::string(case_id),
                  .customer_id = row.Text(1),
                  .kind = *kind,
                  .channel = *channel,
                  .author_type = row.Text(4),
                  .author_id = row.OptionalText(5),
                  .body = row.Text(6),
                  .format = *format,
                  .rendered = {.text = row.Text(8), .html = row.Text(9)},
                  .delivery_id = row.OptionalText(10),
                  .created_at = row.Int(12)};
  if (message.kind == MessageKind::kCustomer) {
    message.delivery_state = "received";
  } else if (message.kind == MessageKind::kNote) {
    message.delivery_state = "internal";
  } else {
    message.delivery_state = row.OptionalText(11).value_or("not_sent");
  }
  return message;
}

}  // namespace

std::string_view MessageKindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kCustomer: return "customer";
    case MessageKind::kReply: return "reply";
    case MessageKind::kNote: return "note";
  }
  return "note";
}

Result<MessageKind> ParseMessageKind(std::string_view name) {
  for (MessageKind kind : kKinds) {
    if (MessageKindName(kind) == name) return kind;
  }
  return InvalidArgument("kind must be one of customer, reply, note", "kind");
}

std::string_view MessageDirection(MessageKind kind) {
  switch (kind) {
    case MessageKind::kCustomer: return "inbound";
    case MessageKind::kReply: return "outbound";
    case MessageKind::kNote: return "internal";
  }
  return "internal";
}

Status RecordCaseChange(store::TenantTx& tx, const Case& item, const identity::AuditContext& audit,
                        std::string_view action, const std::string& before_json, const std::string& after_json,
                        Micros at) {
  return tx
      .Execute(kInsertChange, {NewId(kChangePrefix), item.id, item.customer_id, audit.actor_type, audit.actor_id,
                               std::string(action), before_json, after_json, at})
      .status();
}

Result<Message> AddMessage(store::TenantTx& tx, std::string_view case_id, const NewMessage& input,
                           const ReplyMail& mail, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const Case item, GetCase(tx, case_id));
  if (item.status == CaseStatus::kClosed) {
    return FailedPrecondition("the case is closed and takes no more messages; open a new case", "case_id");
  }
  const Micros now = NowMicros();
  if (input.created_at) TP_RETURN_IF_ERROR(profiles::CheckClientTimestamp(*input.created_at, now, "created_at"));
  TP_ASSIGN_OR_RETURN(const std::optional<CaseStatus> status_after, StatusAfter(item, input));
  TP_ASSIGN_OR_RETURN(richtext::RenderedBody rendered, richtext::RenderBody(input.body, input.format));

  Message message{.id = NewId(kMessagePrefix),
                  .case_id = item.id,
                  .customer_id = item.customer_id,
                  .kind = input.kind,
                  .channel = input.channel.value_or(item.channel),
                  .body = input.body,
                  .format = input.format,
                  .rendered = std::move(rendered),
                  .created_at = input.created_at.value_or(now)};
  if (input.kind == MessageKind::kCustomer) {
    message.author_type = "customer";
    message.author_id = item.customer_id;
  } else {
    message.author_type = audit.actor_type;
    message.author_id = audit.actor_id;
  }
  TP_ASSIGN_OR_RETURN(message.attachments, LinkAttachments(tx, item.id, message.id, input.attachment_ids));

  if (input.kind == MessageKind::kReply) {
    TP_ASSIGN_OR_RETURN(store::Rows previous,
                        tx.Query("SELECT id FROM case_messages WHERE tenant_id = $1 AND case_id = $2 AND kind <> "
                                 "'note' ORDER BY id DESC LIMIT 1",
                                 {item.id}));
    const std::optional<std::string> previous_id =
        previous.empty() ? std::nullopt : std::optional(previous.front().Text(0));
    TP_ASSIGN_OR_RETURN(std::optional<outbound::Delivery> delivery, MailReply(tx, item, message, previous_id, mail));
    if (delivery) {
      message.delivery_id = delivery->id;
      message.delivery_state = outbound::DeliveryStateName(delivery->state);
    } else {
      message.delivery_state = "not_sent";
    }
    TP_RETURN_IF_ERROR(tx.Execute(kSetFirstResponse, {item.id, message.created_at}).status());
  } else {
    message.delivery_state = input.kind == MessageKind::kCustomer ? "received" : "internal";
  }
  TP_RETURN_IF_ERROR(tx.Execute(kInsertMessage,
                                {message.id, message.case_id, message.customer_id,
                                 std::string(MessageKindName(message.kind)), std::string(ChannelName(message.channel)),
                                 message.author_type, store::Nullable(message.author_id), message.body,
                                 std::string(richtext::BodyFormatName(message.format)), message.rendered.text,
                                 message.rendered.html, store::Nullable(message.delivery_id), message.created_at})
                         .status());
  TP_RETURN_IF_ERROR(IndexCaseText(tx, item, message.id, message.rendered.text));
  // A message is an update of its case: "recently updated" lists and searches put it first.
  TP_RETURN_IF_ERROR(tx.Execute(kTouchCase, {item.id, now}).status());
  json attachment_ids = json::array();
  for (const Attachment& attachment : message.attachments) attachment_ids.push_back(attachment.id);
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCaseMessageAdded, item.id,
                                json{{"case_id", item.id},
                                     {"message_id", message.id},
                                     {"customer_id", item.customer_id},
                                     {"kind", MessageKindName(message.kind)},
                                     {"channel", ChannelName(message.channel)},
                                     {"author_type", message.author_type},
                                     {"author_id", message.author_id ? json(*message.author_id) : json(nullptr)},
                                     {"attachments", std::move(attachment_ids)}}
                                    .dump()));
  if (status_after && *status_after != item.status) {
    TP_RETURN_IF_ERROR(UpdateCase(tx, item.id, {.status = *status_after}, audit).status());
  }
  return message;
}

Result<std::vector<TimelineEntry>> ReadConversation(store::TenantTx& tx, std::string_view case_id) {
  TP_ASSIGN_OR_RETURN(const Case item, GetCase(tx, case_id));
  const auto limit = static_cast<std::int64_t>(kMaxTimelineEntries);
  TP_ASSIGN_OR_RETURN(store::Rows message_rows, tx.Query(kSelectMessages, {item.id, limit}));
  TP_ASSIGN_OR_RETURN(store::Rows change_rows, tx.Query(kSelectChanges, {item.id, limit}));
  TP_ASSIGN_OR_RETURN(std::vector<Attachment> attachments, ListCaseAttachments(tx, item.id));
  std::map<std::string, std::vector<Attachment>> by_message;
  for (Attachment& attachment : attachments) {
    if (attachment.message_id) by_message[*attachment.message_id].push_back(std::move(attachment));
  }

  std::vector<TimelineEntry> timeline;
  timeline.reserve(message_rows.size() + change_rows.size());
  for (const store::Row& row : message_rows) {
    TP_ASSIGN_OR_RETURN(Message message, MessageFromRow(row, item.id));
    if (auto found = by_message.find(message.id); found != by_message.end()) {
      message.attachments = std::move(found->second);
    }
    timeline.push_back({.at = message.created_at, .message = std::move(message)});
  }
  for (const store::Row& row : change_rows) {
    timeline.push_back({.at = row.Int(6),
                        .change = CaseChange{.id = row.Text(0),
                                             .case_id = item.id,
                                             .actor_type = row.Text(1),
                                             .actor_id = row.Text(2),
                                             .action = row.Text(3),
                                             .before_json = row.Text(4),
                                             .after_json = row.Text(5),
                                             .at = row.Int(6)}});
  }
  // By time; at the same instant a message comes before the change it caused, and ids (time-ordered)
  // break the remaining ties.
  auto order = [](const TimelineEntry& entry) {
    return std::tuple(entry.at, entry.message ? 0 : 1, entry.message ? entry.message->id : entry.change->id);
  };
  std::sort(timeline.begin(), timeline.end(),
            [&](const TimelineEntry& left, const TimelineEntry& right) { return order(left) < order(right); });
  return timeline;
}

}  // namespace tp::cases
