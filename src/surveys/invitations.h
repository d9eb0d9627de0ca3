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
};

struct InvitationOutcome {
  std::string customer_id;
  std::optional<std::string> link_id;
  std::optional<std::string> delivery_id;
  // Why nobody was invited: "opted_out", "contacted_recently", "no_email"; empty when the e-mail went.
  std::string skipped;
};

// kInvalidArgument field "customer_ids" (none, over kMaxInvitationsPerRequest, or a case with several),
// "from" (no sender: serve has no --mail-from); kNotFound as CreateLink. Records "survey_link.create"
// per invitation.
Result<std::vector<InvitationOutcome>> InviteByEmail(store::TenantTx& tx, const EmailInvitation& input,
                                                     const identity::AuditContext& audit, Micros now);

// Records that the link's customer does not want surveys (the respondent's page offers it). Idempotent.
// kNotFound field "token"; kFailedPrecondition field "token" for an anonymous link.
Status OptOut(store::Store& store, std::string_view token, Micros now);

// The handler of kReminderJob: queues the reminder unless the invitation was answered, the customer
// opted out or the link expired.
jobs::Outcome SendReminder(store::Store& store, const jobs::Job& job, Micros now);

}  // namespace tp::surveys
