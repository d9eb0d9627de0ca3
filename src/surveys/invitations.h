// E-mail invitations to a survey, with one reminder, sent through the platform's outbound delivery
// (outbound/deliveries.h: a durable job per message, retried with backoff, its state visible at
// GET /api/v1/deliveries). The contact rules hold across all surveys: a customer who opted out is never
// invited, and one invited within the tenant's `survey_contact_gap_days` (identity/tenants.h, 30 by
// default) is not invited again. Each customer gets their own invitation link (surveys.h), so each
// answers once.
//
//   TP_ASSIGN_OR_RETURN(auto outcomes, InviteByEmail(tx, {.survey_id = id, .customer_ids = {a, b},
//                                                         .from = {"Shop", "cx@shop.cz"},
//                                                         .base_url = "https://cx.shop.cz"}, audit, now));
#pragma once

#include <string>
#include <vector>

#include "jobs/jobs.h"
#include "outbound/mail.h"
#include "surveys/surveys.h"

namespace tp::surveys {

inline constexpr std::string_view kReminderJob = "surveys.remind";
// A scheduled invitation (EmailInvitation::send_at in the future): sends the first e-mail when due.
inline constexpr std::string_view kInvitationJob = "surveys.invite";
// How far ahead an invitation may be scheduled.
inline constexpr Micros kMaxInvitationDelay = 366LL * 24 * 3600 * 1'000'000;
inline constexpr Micros kDefaultReminderDelay = 3LL * 24 * 3600 * 1'000'000;
inline constexpr std::size_t kMaxInvitationsPerRequest = 1000;

struct EmailInvitation {
  std::string survey_id;
  std::vector<std::string> customer_ids;
  std::string language;  // the invitations' language; "" = the survey's default
  // The message; "{link}" is replaced by the customer's survey URL and "{name}" by their name. Empty:
  // a short text in the invitation's language.
  std::string subject;
  std::string text;
  outbound::Mailbox from;
  std::string base_url;  // how respondents reach touchpoint (serve --public-url)
  std::optional<std::string> case_id;  // a CSAT about one case (one customer only)
  std::optional<std::string> order_id;
  Micros reminder_after = kDefaultReminderDelay;  // 0: no reminder
  // When the e-mail goes: now when absent or not in the future; later through kInvitationJob (an NPS a
  // week after the order). The contact rules are checked now, and again (opt-out, an address) when it goes.
  std::optional<Micros> send_at;
  // False only for a deliberate second ask, such as the re-survey after a detractor's follow-up case is
  // solved: the contact gap is then not applied. Opt-outs always are.
  bool respect_contact_gap = true;
};

struct InvitationOutcome {
  std::string customer_id;
  std::optional<std::string> link_id;
  std::optional<std::string> delivery_id;    // the e-mail, when it went at once
  std::optional<Micros> scheduled_for;       // when a scheduled e-mail will go
  // Why nobody was invited: "opted_out", "contacted_recently", "no_email"; empty when the e-mail went.
  std::string skipped;
};

// kInvalidArgument field "customer_ids" (none, over kMaxInvitationsPerRequest, or a case with several),
// "from" (no sender: serve has no --mail-from), "send_at" (more than kMaxInvitationDelay ahead);
// kNotFound as CreateLink. Records "survey_link.create" per invitation. The link is made at once (it
// expires kDefaultInvitationLifetime after the e-mail goes), so the contact gap counts from then.
Result<std::vector<InvitationOutcome>> InviteByEmail(store::TenantTx& tx, const EmailInvitation& input,
                                                     const identity::AuditContext& audit, Micros now);

// Records that the link's customer does not want surveys (the respondent's page offers it). Idempotent.
// kNotFound field "token"; kFailedPrecondition field "token" for an anonymous link.
Status OptOut(store::Store& store, std::string_view token, Micros now);

// The handler of kInvitationJob and kReminderJob: queues the e-mail unless the invitation was answered,
// the customer opted out, lost their address or was erased, or the link expired; an invitation then
// schedules its reminder.
jobs::Outcome SendScheduledMail(store::Store& store, const jobs::Job& job, Micros now);

}  // namespace tp::surveys
