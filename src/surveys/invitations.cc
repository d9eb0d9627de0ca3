#include "surveys/invitations.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

#include "identity/tenants.h"
#include "outbound/deliveries.h"
#include "profiles/customers.h"

namespace tp::surveys {
namespace {

constexpr Micros kDay = 24LL * 3600 * 1'000'000;

constexpr std::string_view kIsOptedOut =
    "SELECT 1 FROM survey_opt_outs WHERE tenant_id = $1 AND customer_id = $2 LIMIT 1";
constexpr std::string_view kLastInvitation =
    "SELECT MAX(created_at) FROM survey_links WHERE tenant_id = $1 AND customer_id = $2 AND kind = 'invitation'";
// Not unique per customer: a merge moves both profiles' opt-outs to the survivor.
constexpr std::string_view kRecordOptOut =
    "INSERT INTO survey_opt_outs (tenant_id, customer_id, origin_customer_id, source, created_at) "
    "SELECT $1, $2, $2, $3, $4 WHERE NOT EXISTS "
    "(SELECT 1 FROM survey_opt_outs WHERE tenant_id = $1 AND customer_id = $2)";
constexpr std::string_view kFindLinkCustomer =
    "SELECT tenant_id, id, customer_id FROM survey_links WHERE token_hash = $1";
constexpr std::string_view kLinkState =
    "SELECT l.expires_at, r.status, o.customer_id, l.customer_id FROM survey_links l "
    "LEFT JOIN survey_responses r ON r.tenant_id = l.tenant_id AND r.id = l.response_id "
    "LEFT JOIN survey_opt_outs o ON o.tenant_id = l.tenant_id AND o.customer_id = l.customer_id "
    "WHERE l.tenant_id = $1 AND l.id = $2 LIMIT 1";

// The default message per language: short, with the link on its own line (mail clients link it).
struct DefaultText {
  std::string_view language, subject, text, reminder, opt_out;
};
constexpr DefaultText kDefaultTexts[] = {
    {"", "How did we do?", "Hello {name},\n\nplease tell us how we did. It takes a minute:\n\n{link}\n\nThank you!",
     "Reminder: ", "To receive no more surveys from us: "},
    {"cs", "Jak jsme si vedli?",
     "Dobrý den {name},\n\nřekněte nám prosím, jak jsme si vedli. Zabere to minutu:\n\n{link}\n\nDěkujeme!",
     "Připomínka: ", "Nechcete-li od nás další dotazníky: "},
    {"sk", "Ako sme si viedli?",
     "Dobrý deň {name},\n\npovedzte nám prosím, ako sme si viedli. Zaberie to minútu:\n\n{link}\n\nĎakujeme!",
     "Pripomienka: ", "Ak od nás nechcete ďalšie dotazníky: "},
    {"pl", "Jak nam poszło?",
     "Dzień dobry {name},\n\nprosimy, powiedz nam, jak nam poszło. To zajmie minutę:\n\n{link}\n\nDziękujemy!",
     "Przypomnienie: ", "Aby nie otrzymywać od nas więcej ankiet: "},
    {"sl", "Kako smo se odrezali?",
     "Pozdravljeni {name},\n\npovejte nam, kako smo se odrezali. Vzame vam minuto:\n\n{link}\n\nHvala!",
     "Opomnik: ", "Če ne želite več naših anket: "},
};

const DefaultText& DefaultFor(std::string_view language) {
  for (const DefaultText& text : kDefaultTexts) {
    if (text.language == language) return text;
  }
  return kDefaultTexts[0];
}

// Every invitation and reminder says how to receive no more (the page records the opt-out).
std::string WithOptOut(const std::string& text, const DefaultText& defaults) {
  return text + "\n\n-- \n" + std::string(defaults.opt_out) + "{link}/opt-out\n";
}

std::string Fill(std::string text, std::string_view placeholder, std::string_view value) {
  for (std::size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

Result<Micros> ContactGap(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(const identity::Tenant tenant, identity::GetTenant(tx));
  const nlohmann::json settings = nlohmann::json::parse(tenant.settings_json, nullptr, false);
  std::int64_t days = identity::kDefaultSurveyContactGapDays;
  if (settings.is_object()) days = settings.value(std::string(identity::kSurveyContactGapSetting), days);
  return days * kDay;
}

// Why the customer may not be invited now ("" when they may).
Result<std::string> ContactRuleFor(store::TenantTx& tx, const profiles::Customer& customer, Micros gap, Micros now) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> opted_out, tx.QueryOne(kIsOptedOut, {customer.id}));
  if (opted_out) return std::string("opted_out");
  if (!customer.email) return std::string("no_email");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> last, tx.QueryOne(kLastInvitation, {customer.id}));
  if (gap > 0 && last && !last->IsNull(0) && last->Int(0) > now - gap) return std::string("contacted_recently");
  return std::string();
}

// An invitation or reminder e-mail as it waits in a job: everything but the recipient, whom it reads
// from the profile when it goes.
struct ScheduledMail {
  std::string link_id;
  std::string url;
  outbound::Mailbox from;
  std::string subject;
  std::string text;  // with "{link}" and "{name}" still to fill
  std::string reminder_subject;
  Micros reminder_after = 0;

  nlohmann::json Payload() const {
    return {{"link_id", link_id},
            {"url", url},
            {"from", {{"name", from.name}, {"address", from.address}}},
            {"subject", subject},
            {"text", text},
            {"reminder_subject", reminder_subject},
            {"reminder_after", reminder_after}};
  }
  static std::optional<ScheduledMail> FromPayload(const std::string& payload_text) {
    const nlohmann::json payload = nlohmann::json::parse(payload_text, nullptr, false);
    if (!payload.is_object() || !payload.contains("link_id") || !payload["link_id"].is_string() ||
        !payload.contains("from") || !payload["from"].is_object()) {
      return std::nullopt;
    }
    return ScheduledMail{.link_id = payload["link_id"].get<std::string>(),
                         .url = payload.value("url", ""),
                         .from = {payload["from"].value("name", ""), payload["from"].value("address", "")},
                         .subject = payload.value("subject", ""),
                         .text = payload.value("text", ""),
                         // Reminders scheduled before invitations could be scheduled carry theirs as "subject".
                         .reminder_subject = payload.value("reminder_subject", payload.value("subject", "")),
                         .reminder_after = payload.value("reminder_after", Micros{0})};
  }
};

Status ScheduleMail(store::TenantTx& tx, std::string_view kind, const ScheduledMail& mail, Micros run_at, Micros now) {
  return jobs::Schedule(tx,
                        {.kind = std::string(kind),
                         .payload = mail.Payload().dump(),
                         .unique_key = std::string(kind) + ":" + mail.link_id,
                         .run_at = run_at},
                        now)
      .status();
}

Result<std::string> QueueMail(store::TenantTx& tx, const ScheduledMail& mail, const std::string& subject,
                              std::string_view purpose, const profiles::Customer& customer, Micros now) {
  outbound::MailMessage message{
      .from = mail.from,
      .to = {{customer.name, *customer.email}},
      .subject = subject,
      .text = Fill(Fill(mail.text, "{link}", mail.url), "{name}", customer.name),
      // A survey invitation is bulk mail that nobody should auto-reply to (RFC 3834).
      .headers = {{"Auto-Submitted", "auto-generated"}, {"Precedence", "bulk"}}};
  TP_ASSIGN_OR_RETURN(outbound::Delivery delivery,
                      outbound::QueueEmail(tx, message, std::string(purpose) + mail.link_id, customer.id, now));
  return delivery.id;
}

// The invitation e-mail, and its reminder scheduled.
Result<std::string> QueueInvitation(store::TenantTx& tx, const ScheduledMail& mail, const profiles::Customer& customer,
                                    Micros now) {
  TP_ASSIGN_OR_RETURN(std::string delivery_id, QueueMail(tx, mail, mail.subject, "survey:", customer, now));
  if (mail.reminder_after > 0) TP_RETURN_IF_ERROR(ScheduleMail(tx, kReminderJob, mail, now + mail.reminder_after, now));
  return delivery_id;
}

Status QueueReminder(store::TenantTx& tx, const ScheduledMail& mail, const profiles::Customer& customer, Micros now) {
  return QueueMail(tx, mail, mail.reminder_subject, "survey-reminder:", customer, now).status();
}

}  // namespace

Result<std::vector<InvitationOutcome>> InviteByEmail(store::TenantTx& tx, const EmailInvitation& input,
                                                     const identity::AuditContext& audit, Micros now) {
  if (input.customer_ids.empty() || input.customer_ids.size() > kMaxInvitationsPerRequest) {
    return InvalidArgument("invite 1 to " + std::to_string(kMaxInvitationsPerRequest) + " customers at a time",
                           "customer_ids");
  }
  if (input.case_id && input.customer_ids.size() != 1) {
    return InvalidArgument("a survey about a case goes to that case's customer alone", "customer_ids");
  }
  if (input.from.address.empty()) {
    return Status(ErrorCode::kFailedPrecondition, "no sender: start serve with --smtp-url and --mail-from", "from");
  }
  const Micros send_at = std::max(now, input.send_at.value_or(now));
  if (send_at - now > kMaxInvitationDelay) return InvalidArgument("at most a year ahead", "send_at");
  Micros gap = 0;
  if (input.respect_contact_gap) {
    TP_ASSIGN_OR_RETURN(gap, ContactGap(tx));
  }
  const DefaultText& defaults = DefaultFor(input.language);
  const std::string subject = input.subject.empty() ? std::string(defaults.subject) : input.subject;
  const std::string text = WithOptOut(input.text.empty() ? std::string(defaults.text) : input.text, defaults);
  std::vector<InvitationOutcome> outcomes;
  for (const std::string& customer_id : input.customer_ids) {
    Result<profiles::Customer> customer = profiles::GetCustomer(tx, customer_id);
    if (!customer.ok()) return Status(ErrorCode::kNotFound, "no such customer: " + customer_id.substr(0, 64), "customer_ids");
    InvitationOutcome outcome{.customer_id = customer->id};
    TP_ASSIGN_OR_RETURN(outcome.skipped, ContactRuleFor(tx, *customer, gap, now));
    if (!outcome.skipped.empty()) {
      outcomes.push_back(std::move(outcome));
      continue;
    }
    TP_ASSIGN_OR_RETURN(SurveyLink link, CreateLink(tx,
                                                    {.survey_id = input.survey_id,
                                                     .customer_id = customer->id,
                                                     .channel = Channel::kEmail,
                                                     .language = input.language,
                                                     .case_id = input.case_id,
                                                     .order_id = input.order_id,
                                                     .expires_at = send_at + kDefaultInvitationLifetime},
                                                    audit));
    // No name or address in a scheduled e-mail: it reads them from the profile when it is due, so an
    // erasure in between leaves nothing behind (and a changed address is used).
    const ScheduledMail mail{.link_id = link.id,
                             .url = input.base_url + "/s/" + link.token,
                             .from = input.from,
                             .subject = subject,
                             .text = text,
                             .reminder_subject = std::string(defaults.reminder) + subject,
                             .reminder_after = input.reminder_after};
    outcome.link_id = link.id;
    if (send_at > now) {
      TP_RETURN_IF_ERROR(ScheduleMail(tx, kInvitationJob, mail, send_at, now));
      outcome.scheduled_for = send_at;
    } else {
      TP_ASSIGN_OR_RETURN(outcome.delivery_id, QueueInvitation(tx, mail, *customer, now));
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Status OptOut(store::Store& store, std::string_view token, Micros now) {
  return store.WriteSystem([&](store::SystemTx& system) -> Status {
    if (token.empty() || token.size() > 200) return Status(ErrorCode::kNotFound, "no such survey link", "token");
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, system.QueryOne(kFindLinkCustomer, {Sha256Hex(token)}));
    if (!row) return Status(ErrorCode::kNotFound, "no such survey link", "token");
    if (row->IsNull(2)) {
      return Status(ErrorCode::kFailedPrecondition, "an anonymous link has nobody to opt out", "token");
    }
    store::TenantTx tx = system.InTenant(row->Text(0));
    return tx.Execute(kRecordOptOut, {row->Text(2), "survey_link:" + row->Text(1), now}).status();
  });
}

jobs::Outcome SendScheduledMail(store::Store& store, const jobs::Job& job, Micros now) {
  const std::optional<ScheduledMail> mail = ScheduledMail::FromPayload(job.payload);
  if (!mail) return jobs::Outcome::Fail(Internal("a scheduled survey e-mail without its link"));
  Status status = store.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> state, tx.QueryOne(kLinkState, {mail->link_id}));
    // Nothing to send: the link is gone (its customer erased), answered, expired or opted out.
    if (!state || state->Text(1) == "complete" || !state->IsNull(2) ||
        (!state->IsNull(0) && state->Int(0) <= now)) {
      return Status::Ok();
    }
    Result<profiles::Customer> customer = profiles::GetCustomer(tx, state->Text(3));
    if (!customer.ok() || !customer->email) return Status::Ok();
    if (job.kind == kReminderJob) return QueueReminder(tx, *mail, *customer, now);
    return QueueInvitation(tx, *mail, *customer, now).status();
  });
  return status.ok() ? jobs::Outcome::Done() : jobs::Outcome::Retry(status);
}

}  // namespace tp::surveys
