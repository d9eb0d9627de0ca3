// Webhooks, outbound deliveries and the job queue behind them: what an admin configures and watches.
#include "api/render.h"
#include "api/routes.h"
#include "jobs/jobs.h"
#include "outbound/deliveries.h"
#include "outbound/webhooks.h"

namespace tp::api {
namespace {

using identity::Permission;

Result<http::Response> ListWebhooks(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, outbound::ListWebhooks(tx, page_request));
    return PageJson(page, WebhookJson);
  });
}

Result<http::Response> CreateWebhook(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  outbound::WebhookSpec spec;
  TP_ASSIGN_OR_RETURN(spec.url, fields.RequiredString("url", 2000));
  TP_ASSIGN_OR_RETURN(spec.kinds, fields.RequiredStringArray("kinds", 50, 100));
  TP_ASSIGN_OR_RETURN(auto description, fields.OptionalString("description", 500));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  spec.description = description.value_or("");
  const SecretBox* secrets = registrar.options().secrets;
  if (secrets == nullptr) return Unavailable("this server has no secrets key to seal webhook secrets with");
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, outbound::CreateWebhook(tx, call.audit, spec, *secrets, call.now));
    Json body = WebhookJson(created.webhook);
    body["secret"] = created.secret;
    return body;
  });
}

Result<http::Response> GetWebhook(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string webhook_id, PathId(call.request, "id", "whk_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto webhook, outbound::GetWebhook(tx, webhook_id));
    return WebhookJson(webhook);
  });
}

Result<http::Response> DeleteWebhook(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string webhook_id, PathId(call.request, "id", "whk_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return outbound::DeleteWebhook(tx, call.audit, webhook_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> ListDeliveries(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  outbound::DeliveryFilter filter;
  if (auto state = call.request.QueryParam("state")) {
    filter.state = outbound::ParseDeliveryState(*state);
    if (!filter.state) return InvalidArgument("state must be pending, retrying, delivered or failed", "state");
  }
  filter.source = call.request.QueryParam("source");
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, outbound::ListDeliveries(tx, filter, page_request));
    return PageJson(page, DeliveryJson);
  });
}

Result<http::Response> GetDelivery(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string delivery_id, PathId(call.request, "id", "dlv_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto delivery, outbound::GetDelivery(tx, delivery_id));
    return DeliveryJson(delivery);
  });
}

Result<http::Response> SendTestEmail(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(std::string to, fields.RequiredString("to", 254));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  const std::string& from = registrar.options().mail_from;
  if (from.empty()) return FailedPrecondition("no SMTP server is configured (serve --smtp-url and --mail-from)");
  outbound::MailMessage message;
  message.from = {"touchpoint", from};
  message.to = {{"", to}};
  message.subject = "touchpoint: test e-mail";
  message.text = "This message confirms that touchpoint can send e-mail through its SMTP server.\n";
  message.headers = {{"Auto-Submitted", "auto-generated"}};
  return WriteJson(registrar, call, 202, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto delivery, outbound::QueueEmail(tx, message, "mail:test", std::nullopt, call.now));
    TP_RETURN_IF_ERROR(identity::RecordAudit(tx, call.audit, "mail.test", "delivery", delivery.id));
    return DeliveryJson(delivery);
  });
}

Result<http::Response> ListJobs(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  std::optional<jobs::JobState> state;
  if (auto name = call.request.QueryParam("state")) {
    for (auto candidate : {jobs::JobState::kQueued, jobs::JobState::kRunning, jobs::JobState::kSucceeded,
                           jobs::JobState::kDead}) {
      if (jobs::JobStateName(candidate) == *name) state = candidate;
    }
    if (!state) return InvalidArgument("state must be queued, running, succeeded or dead", "state");
  }
  const std::optional<std::string> kind = call.request.QueryParam("kind");
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, jobs::ListJobs(tx, kind, state, page_request));
    return PageJson(page, JobJson);
  });
}

Result<http::Response> GetJob(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string job_id, PathId(call.request, "id", "job_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto job, jobs::GetJob(tx, job_id));
    return JobJson(job);
  });
}

}  // namespace

void RegisterOutboundRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/webhooks", Permission::kIntegrationsManage, ListWebhooks);
  registrar.Protected("POST", "/api/v1/webhooks", Permission::kIntegrationsManage, CreateWebhook);
  registrar.Protected("GET", "/api/v1/webhooks/{id}", Permission::kIntegrationsManage, GetWebhook);
  registrar.Protected("DELETE", "/api/v1/webhooks/{id}", Permission::kIntegrationsManage, DeleteWebhook);
  registrar.Protected("GET", "/api/v1/deliveries", Permission::kIntegrationsManage, ListDeliveries);
  registrar.Protected("GET", "/api/v1/deliveries/{id}", Permission::kIntegrationsManage, GetDelivery);
  registrar.Protected("POST", "/api/v1/mail/test", Permission::kIntegrationsManage, SendTestEmail);
  registrar.Protected("GET", "/api/v1/jobs", Permission::kIntegrationsManage, ListJobs);
  registrar.Protected("GET", "/api/v1/jobs/{id}", Permission::kIntegrationsManage, GetJob);
}

}  // namespace tp::api
