#include "surveys/invitations.h"

#include <nlohmann/json.hpp>

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
constexpr std::string_view kReminderState =
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
  TP_ASSIGN_OR_RETURN(const Micros gap, ContactGap(tx));
  const DefaultText& defaults = DefaultFor(input.language);
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
                                                     .order_id = input.order_id},
                                                    audit));
    const std::string url = input.base_url + "/s/" + link.token;
    outbound::MailMessage message{
        .from = input.from,
        .to = {{customer->name, *customer->email}},
        .subject = input.subject.empty() ? std::string(defaults.subject) : input.subject,
        .text = Fill(Fill(WithOptOut(input.text.empty() ? std::string(defaults.text) : input.text, defaults), "{link}",
                          url),
                     "{name}", customer->name),
        // A survey invitation is bulk mail that nobody should auto-reply to (RFC 3834).
        .headers = {{"Auto-Submitted", "auto-generated"}, {"Precedence", "bulk"}}};
    TP_ASSIGN_OR_RETURN(outbound::Delivery delivery,
                        outbound::QueueEmail(tx, message, "survey:" + link.id, customer->id, now));
    if (input.reminder_after > 0) {
      // No name or address in the job: the reminder reads them from the profile when it is due, so an
      // erasure in between leaves nothing behind (and a changed address is used).
      const nlohmann::json payload{{"link_id", link.id},
                                   {"url", url},
                                   {"from", {{"name", input.from.name}, {"address", input.from.address}}},
                                   {"subject", std::string(defaults.reminder) + message.subject},
                                   {"text", WithOptOut(input.text.empty() ? std::string(defaults.text) : input.text,
                                                       defaults)}};
      TP_RETURN_IF_ERROR(jobs::Schedule(tx,
                                        {.kind = std::string(kReminderJob),
                                         .payload = payload.dump(),
                                         .unique_key = "survey-reminder:" + link.id,
                                         .run_at = now + input.reminder_after},
                                        now)
                             .status());
    }
    outcome.link_id = link.id;
    outcome.delivery_id = delivery.id;
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

jobs::Outcome SendReminder(store::Store& store, const jobs::Job& job, Micros now) {
  const nlohmann::json payload = nlohmann::json::parse(job.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("link_id") || !payload["link_id"].is_string() ||
      !payload.contains("from") || !payload["from"].is_object()) {
    return jobs::Outcome::Fail(Internal("a reminder without its link"));
  }
  Status status = store.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> state, tx.QueryOne(kReminderState, {payload["link_id"].get<std::string>()}));
    // Nothing to remind of: the link is gone (its customer erased), answered, expired or opted out.
    if (!state || state->Text(1) == "complete" || !state->IsNull(2) ||
        (!state->IsNull(0) && state->Int(0) <= now)) {
      return Status::Ok();
    }
    Result<profiles::Customer> customer = profiles::GetCustomer(tx, state->Text(3));
    if (!customer.ok() || !customer->email) return Status::Ok();
    outbound::MailMessage message{
        .from = {payload["from"].value("name", ""), payload["from"].value("address", "")},
        .to = {{customer->name, *customer->email}},
        .subject = payload.value("subject", ""),
        .text = Fill(Fill(payload.value("text", ""), "{link}", payload.value("url", "")), "{name}", customer->name),
        .headers = {{"Auto-Submitted", "auto-generated"}, {"Precedence", "bulk"}}};
    return outbound::QueueEmail(tx, message, "survey-reminder:" + payload["link_id"].get<std::string>(),
                                customer->id, now)
        .status();
  });
  return status.ok() ? jobs::Outcome::Done() : jobs::Outcome::Retry(status);
}

}  // namespace tp::surveys
