#include "api/render.h"

#include "api/registrar.h"

namespace tp::api {
namespace {

Json OptionalNumber(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }
Json OptionalText(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

}  // namespace

Json UserJson(const identity::User& user) {
  return Json{{"id", user.id},
              {"email", user.email},
              {"name", user.name},
              {"role", identity::RoleName(user.role)},
              {"totp_enabled", user.totp_enabled},
              {"contact_data_granted", user.contact_data_granted},
              {"disabled", user.disabled},
              {"created_at", TimestampJson(user.created_at)},
              {"updated_at", TimestampJson(user.updated_at)}};
}

Json TenantJson(const identity::Tenant& tenant) {
  return Json{{"id", tenant.id},
              {"slug", tenant.slug},
              {"name", tenant.name},
              {"settings", StoredJson(tenant.settings_json)},
              {"created_at", TimestampJson(tenant.created_at)}};
}

Json TeamJson(const identity::Team& team) {
  return Json{{"id", team.id},
              {"name", team.name},
              {"kind", team.kind},
              {"description", team.description},
              {"member_ids", team.member_ids},
              {"created_at", TimestampJson(team.created_at)}};
}

Json ApiKeyJson(const identity::ApiKey& key) {
  return Json{{"id", key.id},
              {"user_id", key.user_id},
              {"name", key.name},
              {"scope", identity::ApiKeyScopeName(key.scope)},
              {"created_at", TimestampJson(key.created_at)},
              {"last_used_at", TimestampJson(key.last_used_at)},
              {"revoked_at", TimestampJson(key.revoked_at)}};
}

Json AuditJson(const identity::AuditEntry& entry) {
  return Json{{"id", entry.id},
              {"at", TimestampJson(entry.at)},
              {"actor_type", entry.actor_type},
              {"actor_id", entry.actor_id},
              {"action", entry.action},
              {"target_type", entry.target_type},
              {"target_id", entry.target_id},
              {"before", StoredJson(entry.before_json)},
              {"after", StoredJson(entry.after_json)},
              {"request_id", entry.request_id},
              {"ip", entry.ip}};
}

Json StoredJson(const std::optional<std::string>& text) {
  if (!text || text->empty()) return nullptr;
  Json parsed = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(*text) : parsed;
}

Json WebhookJson(const outbound::Webhook& webhook) {
  return Json{{"id", webhook.id},
              {"url", webhook.url},
              {"description", webhook.description},
              {"kinds", webhook.kinds},
              {"created_by", webhook.created_by},
              {"created_at", TimestampJson(webhook.created_at)},
              {"updated_at", TimestampJson(webhook.updated_at)}};
}

Json DeliveryJson(const outbound::Delivery& delivery) {
  return Json{{"id", delivery.id},
              {"channel", outbound::DeliveryChannelName(delivery.channel)},
              {"destination", delivery.destination},
              {"source", delivery.source},
              {"customer_id", OptionalText(delivery.customer_id)},
              {"state", outbound::DeliveryStateName(delivery.state)},
              {"attempts", delivery.attempts},
              {"last_error", delivery.last_error ? Json(*delivery.last_error) : Json()},
              {"last_status", delivery.last_status ? Json(*delivery.last_status) : Json()},
              {"created_at", TimestampJson(delivery.created_at)},
              {"updated_at", TimestampJson(delivery.updated_at)},
              {"delivered_at", TimestampJson(delivery.delivered_at)}};
}

Json JobJson(const jobs::Job& job) {
  return Json{{"id", job.id},
              {"kind", job.kind},
              {"unique_key", job.unique_key ? Json(*job.unique_key) : Json()},
              {"state", jobs::JobStateName(job.state)},
              {"run_at", TimestampJson(job.run_at)},
              {"attempts", job.attempts},
              {"max_attempts", job.max_attempts},
              {"last_error", job.last_error ? Json(*job.last_error) : Json()},
              {"created_at", TimestampJson(job.created_at)},
              {"updated_at", TimestampJson(job.updated_at)},
              {"finished_at", TimestampJson(job.finished_at)}};
}

Json CaseJson(const cases::Case& item) {
  return Json{{"id", item.id},
              {"customer_id", item.customer_id},
              {"subject", item.subject},
              {"status", cases::CaseStatusName(item.status)},
              {"priority", cases::CasePriorityName(item.priority)},
              {"type", cases::CaseTypeName(item.type)},
              {"channel", ChannelName(item.channel)},
              {"team_id", OptionalText(item.team_id)},
              {"assignee_id", OptionalText(item.assignee_id)},
              {"tags", item.tags},
              {"touchpoint", OptionalText(item.touchpoint)},
              {"stage", OptionalText(item.stage)},
              {"order_ids", item.order_ids},
              {"follow_up_of", OptionalText(item.follow_up_of)},
              {"custom_fields", StoredJson(item.custom_fields_json)},
              {"first_response_at", TimestampJson(item.first_response_at)},
              {"solved_at", TimestampJson(item.solved_at)},
              {"created_at", TimestampJson(item.created_at)},
              {"updated_at", TimestampJson(item.updated_at)}};
}

Json AttachmentJson(const cases::Attachment& attachment) {
  return Json{{"id", attachment.id},
              {"case_id", attachment.case_id},
              {"message_id", OptionalText(attachment.message_id)},
              {"file_name", attachment.file_name},
              {"content_type", attachment.content_type},
              {"size", attachment.size},
              {"sha256", attachment.sha256},
              {"url", "/api/v1/attachments/" + attachment.id + "/content"},
              {"created_at", TimestampJson(attachment.created_at)}};
}

Json MessageJson(const cases::Message& message) {
  Json attachments = Json::array();
  for (const cases::Attachment& attachment : message.attachments) attachments.push_back(AttachmentJson(attachment));
  return Json{{"id", message.id},
              {"case_id", message.case_id},
              {"kind", cases::MessageKindName(message.kind)},
              {"direction", cases::MessageDirection(message.kind)},
              {"channel", ChannelName(message.channel)},
              {"author", {{"type", message.author_type}, {"id", OptionalText(message.author_id)}}},
              {"body", message.body},
              {"format", richtext::BodyFormatName(message.format)},
              {"text", message.rendered.text},
              {"html", message.rendered.html},
              {"delivery_state", message.delivery_state},
              {"delivery_id", OptionalText(message.delivery_id)},
              {"attachments", std::move(attachments)},
              {"created_at", TimestampJson(message.created_at)}};
}

Json CaseChangeJson(const cases::CaseChange& change) {
  return Json{{"id", change.id},
              {"action", change.action},
              {"actor", {{"type", change.actor_type}, {"id", change.actor_id}}},
              {"before", StoredJson(change.before_json)},
              {"after", StoredJson(change.after_json)},
              {"at", TimestampJson(change.at)}};
}

Json FeedbackJson(const feedback::FeedbackResponse& response) {
  return Json{{"id", response.id},
              {"customer_id", OptionalText(response.customer_id)},
              {"survey", response.survey},
              {"metric", feedback::MetricName(response.metric)},
              {"score", response.score},
              {"comment", response.comment},
              {"touchpoint", response.touchpoint},
              {"survey_response_id", OptionalText(response.survey_response_id)},
              {"created_at", TimestampJson(response.created_at)}};
}

Json SurveyJson(const surveys::Survey& survey) {
  return Json{{"id", survey.id},
              {"name", survey.name},
              {"touchpoint", survey.touchpoint},
              {"stage", survey.stage},
              {"status", surveys::SurveyStatusName(survey.status)},
              {"version", survey.version},
              {"current_version", survey.current_version},
              {"definition", survey.definition},
              {"metrics", survey.metrics},
              {"languages", survey.languages},
              {"created_at", TimestampJson(survey.created_at)},
              {"updated_at", TimestampJson(survey.updated_at)}};
}

Json SurveyLinkJson(const surveys::SurveyLink& link, std::string_view base_url) {
  Json body{{"id", link.id},
            {"survey_id", link.survey_id},
            {"kind", surveys::LinkKindName(link.kind)},
            {"customer_id", OptionalText(link.customer_id)},
            {"channel", ChannelName(link.channel)},
            {"language", link.language},
            {"case_id", OptionalText(link.case_id)},
            {"order_id", OptionalText(link.order_id)},
            {"expires_at", TimestampJson(link.expires_at)},
            {"response_id", OptionalText(link.response_id)},
            {"created_at", TimestampJson(link.created_at)}};
  if (!link.token.empty()) {
    body["token"] = link.token;
    body["url"] = std::string(base_url) + "/s/" + link.token;
  }
  return body;
}

Json SurveyResponseJson(const surveys::SurveyResponse& response) {
  return Json{{"id", response.id},
              {"survey_id", response.survey_id},
              {"version", response.version},
              {"link_id", OptionalText(response.link_id)},
              {"customer_id", OptionalText(response.customer_id)},
              {"channel", ChannelName(response.channel)},
              {"touchpoint", response.touchpoint},
              {"stage", response.stage},
              {"language", response.language},
              {"case_id", OptionalText(response.case_id)},
              {"agent_id", OptionalText(response.agent_id)},
              {"team_id", OptionalText(response.team_id)},
              {"order_id", OptionalText(response.order_id)},
              {"status", surveys::ResponseStatusName(response.status)},
              {"answers", response.data},
              {"feedback_ids", response.feedback_ids},
              {"started_at", TimestampJson(response.started_at)},
              {"submitted_at", TimestampJson(response.submitted_at)}};
}


namespace {

Json IntervalJson(const std::optional<feedback::Interval>& interval) {
  if (!interval) return nullptr;
  return Json{{"low", interval->low},
              {"high", interval->high},
              {"level", 0.95},
              {"method", feedback::IntervalMethodName(interval->method)}};
}

Json ChangeJson(const std::optional<feedback::Change>& change) {
  if (!change) return nullptr;
  return Json{{"test", feedback::ChangeTestName(change->test)},
              {"difference", change->difference},
              {"standard_error", OptionalNumber(change->standard_error)},
              {"statistic", OptionalNumber(change->statistic)},
              {"degrees_of_freedom", OptionalNumber(change->degrees_of_freedom)},
              {"p_value", OptionalNumber(change->p_value)},
              {"significant", change->significant ? Json(*change->significant) : Json(nullptr)}};
}

}  // namespace

Json SummaryJson(const feedback::MetricSummary& summary) {
  Json body{{"metric", feedback::MetricName(summary.metric)},
            {"count", summary.count},
            {"mean", OptionalNumber(summary.mean)},
            {"standard_deviation", OptionalNumber(summary.standard_deviation)},
            {"mean_interval", IntervalJson(summary.mean_interval)}};
  switch (summary.metric) {
    case feedback::Metric::kNps:
      body["nps"] = OptionalNumber(summary.nps);
      body["nps_interval"] = IntervalJson(summary.nps_interval);
      body["margin_of_error"] = OptionalNumber(summary.nps_margin_of_error);
      body["promoters_pct"] = OptionalNumber(summary.promoters_pct);
      body["passives_pct"] = OptionalNumber(summary.passives_pct);
      body["detractors_pct"] = OptionalNumber(summary.detractors_pct);
      break;
    case feedback::Metric::kCsat:
      body["satisfied_pct"] = OptionalNumber(summary.satisfied_pct);
      body["satisfied_interval"] = IntervalJson(summary.satisfied_interval);
      break;
    case feedback::Metric::kCes:
      break;
  }
  return body;
}

Json ComparisonJson(const feedback::MetricComparison& comparison) {
  Json body = SummaryJson(comparison.current);
  body["previous_period"] = SummaryJson(comparison.previous);
  body["change"] = ChangeJson(comparison.change);
  return body;
}

Json ReviewJson(const feedback::Review& review) {
  return Json{{"id", review.id},
              {"source", review.source},
              {"rating", review.rating},
              {"rating_scale", review.rating_scale},
              {"title", review.title},
              {"text", review.text},
              {"author", review.author},
              {"url", review.url},
              {"touchpoint", review.touchpoint},
              {"customer_id", review.customer_id ? Json(*review.customer_id) : Json(nullptr)},
              {"reviewed_at", TimestampJson(review.reviewed_at)},
              {"imported_at", TimestampJson(review.imported_at)}};
}

Json MergeJson(const ingest::Merge& merge) {
  return Json{{"id", merge.id},
              {"survivor_id", merge.survivor_id},
              {"merged_id", merge.merged_id},
              {"reason", merge.reason},
              {"actor_type", merge.actor_type},
              {"actor_id", merge.actor_id},
              {"created_at", TimestampJson(merge.created_at)},
              {"undone_at", TimestampJson(merge.undone_at)}};
}

}  // namespace tp::api
