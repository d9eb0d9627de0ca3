// The vocabulary of change kinds. `data` always holds the ids a subscriber needs to follow the change;
// it never holds personal data (names, e-mail addresses, comments), so the feed needs no erasure.
// A change written by a rule's action also carries "caused_by": {"rules": [rule ids], "execution_id"}
// (TenantTx::SetCause, rules/engine.h), which is how the rules engine stops loops.
#pragma once

#include <string_view>

namespace tp::changes::kinds {

// data: {"customer_id"}; updated adds "fields": the names of what changed (traits, e-mail, ...).
inline constexpr std::string_view kCustomerCreated = "customer.created";
inline constexpr std::string_view kCustomerUpdated = "customer.updated";
// data: {"survivor_id", "merged_id", "merge_id"}: everything of merged_id now belongs to survivor_id.
inline constexpr std::string_view kCustomerMerged = "customer.merged";
// data: {"survivor_id", "restored_id", "merge_id"}: the rows that came from restored_id went back.
inline constexpr std::string_view kCustomerUnmerged = "customer.unmerged";
// data: {"customer_id"}: the person is gone; forget everything held about them.
inline constexpr std::string_view kCustomerErased = "customer.erased";
// data: {"events": [{"id", "customer_id", "type", "event"}...], "created_customers": [...]}: one
// record per ingestion request (a batch of events), not one per event.
inline constexpr std::string_view kEventsIngested = "events.ingested";
// created data: {"case_id", "customer_id", "status", "priority", "type", "channel", "team_id", "assignee_id",
// "tags", "touchpoint", "stage", "order_ids", "follow_up_of"}; updated: {"case_id", "customer_id",
// "before", "after"} with the fields that changed.
inline constexpr std::string_view kCaseCreated = "case.created";
inline constexpr std::string_view kCaseUpdated = "case.updated";
// data: {"case_id", "message_id", "customer_id", "kind", "channel", "author_type", "author_id",
// "attachments"}: a message joined the case's conversation (cases/conversation.h); the body stays in the case.
inline constexpr std::string_view kCaseMessageAdded = "case.message_added";
// data: {"case_id", "customer_id", "policy_id", "team_id", "assignee_id", "metric", "due_at"}: a case's SLA
// target (metric "first_response", "next_response" or "resolution") passed its due time unmet, or was
// met after it (sla/storage.h). Published once per target and policy.
inline constexpr std::string_view kSlaBreached = "sla.breached";
// data: as sla.breached, plus "warning_at": a running target came within its policy's warn_before_minutes
// of its due (sla/sla.h Targets). Published once per target, policy and due.
inline constexpr std::string_view kSlaNearBreach = "sla.near_breach";
// data: {"response_id", "customer_id", "survey", "touchpoint", "metric", "score", "survey_response_id"},
// plus "imported": true for history loaded from a file (touchpoint import responses), which the rules
// engine does not act on: an old detractor gets no follow-up case today.
inline constexpr std::string_view kFeedbackSubmitted = "feedback.submitted";
// data: {"response_id", "survey_id", "version", "customer_id", "case_id", "feedback_ids"}: a survey
// response was completed; its NPS/CSAT/CES answers are the feedback.submitted records of feedback_ids.
// "imported": true as for feedback.submitted.
inline constexpr std::string_view kSurveyResponseSubmitted = "survey_response.submitted";
// data: {"user_id"} / {"api_key_id", "user_id"} / {"session_id", "user_id"}: credentials to forget.
inline constexpr std::string_view kUserUpdated = "user.updated";
inline constexpr std::string_view kApiKeyRevoked = "api_key.revoked";
inline constexpr std::string_view kSessionEnded = "session.ended";
// data: {"team_id"}: membership or the team itself changed.
inline constexpr std::string_view kTeamUpdated = "team.updated";
// data: {"user_id", "status"}: an agent went online, away or offline, or their capacity changed
// (assignment/assignment.h).
inline constexpr std::string_view kAgentAvailabilityChanged = "agent.availability_changed";
// Internal kinds: the platform's own bookkeeping, never sent to webhooks.
// data: {"job_id", "kind"}: wakes job runners on every node.
inline constexpr std::string_view kJobScheduled = "job.scheduled";
// data: {"delivery_id", "state"}.
inline constexpr std::string_view kDeliveryUpdated = "delivery.updated";

// Every kind a webhook may ask for.
inline constexpr std::string_view kPublic[] = {
    kCustomerCreated, kCustomerUpdated, kCustomerMerged, kCustomerUnmerged, kCustomerErased, kEventsIngested,
    kCaseCreated,     kCaseUpdated,     kFeedbackSubmitted, kUserUpdated,   kApiKeyRevoked,  kSessionEnded,
    kTeamUpdated,     kSurveyResponseSubmitted, kCaseMessageAdded, kSlaBreached,
    kSlaNearBreach,   kAgentAvailabilityChanged};

}  // namespace tp::changes::kinds
