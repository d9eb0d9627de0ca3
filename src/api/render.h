// JSON shapes of the API's objects, one function per type, so every endpoint renders an object the
// same way (and the OpenAPI schemas have one source to match).
#pragma once

#include "api/json_body.h"
#include "cases/cases.h"
#include "cases/conversation.h"
#include "feedback/feedback.h"
#include "feedback/reviews.h"
#include "identity/api_keys.h"
#include "identity/audit.h"
#include "identity/teams.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "ingest/merges.h"
#include "jobs/jobs.h"
#include "outbound/deliveries.h"
#include "outbound/webhooks.h"
#include "surveys/surveys.h"

namespace tp::api {

Json UserJson(const identity::User& user);
Json TenantJson(const identity::Tenant& tenant);
Json TeamJson(const identity::Team& team);
Json ApiKeyJson(const identity::ApiKey& key);
Json AuditJson(const identity::AuditEntry& entry);
Json WebhookJson(const outbound::Webhook& webhook);
Json DeliveryJson(const outbound::Delivery& delivery);
Json JobJson(const jobs::Job& job);
Json CaseJson(const cases::Case& item);
// With its renderings (text, sanitised html), direction, delivery state and attachments.
Json MessageJson(const cases::Message& message);
Json CaseChangeJson(const cases::CaseChange& change);
Json AttachmentJson(const cases::Attachment& attachment);
Json FeedbackJson(const feedback::FeedbackResponse& response);
Json SummaryJson(const feedback::MetricSummary& summary);
// A summary with the previous period's under "previous_period" and the change under "change".
Json ComparisonJson(const feedback::MetricComparison& comparison);
// With the author; CustomerDataView::Review leaves the author out for callers without contact data.
Json ReviewJson(const feedback::Review& review);
Json MergeJson(const ingest::Merge& merge);
// A survey with its definition (null in lists, which leave it out).
Json SurveyJson(const surveys::Survey& survey);
// `base_url` makes the respondent's URL of a link just created (the only time its token is known).
Json SurveyLinkJson(const surveys::SurveyLink& link, std::string_view base_url = {});
Json SurveyResponseJson(const surveys::SurveyResponse& response);
// Parses a stored JSON document (settings, audit snapshots); null when absent.
Json StoredJson(const std::optional<std::string>& text);

}  // namespace tp::api
