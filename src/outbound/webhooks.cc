#include "outbound/webhooks.h"

#include <nlohmann/json.hpp>

#include <map>

#include "changes/kinds.h"
#include "common/ids.h"
#include "outbound/deliveries.h"
#include "outbound/http_client.h"

namespace tp::outbound {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kWebhookColumns = "id, url, description, kinds, active, created_by, created_at, updated_at";
constexpr size_t kMaxKinds = 50;
constexpr size_t kMaxDescription = 500;

Webhook WebhookFromRow(const store::Row& row) {
  Webhook webhook;
  webhook.id = row.Text(0);
  webhook.url = row.Text(1);
  webhook.description = row.Text(2);
  const Json kinds = Json::parse(row.Text(3), nullptr, false);
  if (kinds.is_array()) {
    for (const Json& kind : kinds) {
      if (kind.is_string()) webhook.kinds.push_back(kind.get<std::string>());
    }
  }
  webhook.active = row.Int(4) != 0;
  webhook.created_by = row.Text(5);
  webhook.created_at = row.Int(6);
  webhook.updated_at = row.Int(7);
  return webhook;
}

bool IsPublicKind(std::string_view kind) {
  for (std::string_view known : changes::kinds::kPublic) {
    if (known == kind) return true;
  }
  return false;
}

// "*", an exact public kind, or "family.*" for a family that has public kinds.
bool IsValidPattern(std::string_view pattern) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) {
    for (std::string_view known : changes::kinds::kPublic) {
      if (KindMatches(pattern, known)) return true;
    }
    return false;
  }
  return IsPublicKind(pattern);
}

Json WebhookAuditJson(const Webhook& webhook) {
  return Json{{"url", webhook.url}, {"kinds", webhook.kinds}, {"description", webhook.description}};
}

}  // namespace

bool KindMatches(std::string_view pattern, std::string_view kind) {
  if (!IsPublicKind(kind)) return false;
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) return kind.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == kind;
}

Result<CreatedWebhook> CreateWebhook(store::TenantTx& tx, const identity::AuditContext& audit,
                                     const WebhookSpec& spec, const SecretBox& secrets, Micros now) {
  TP_RETURN_IF_ERROR(CheckWebUrl(spec.url, "url"));
  if (spec.kinds.empty() || spec.kinds.size() > kMaxKinds) {
    return InvalidArgument("name 1 to 50 change kinds, e.g. [\"customer.*\"] or [\"*\"]", "kinds");
  }
  for (const std::string& kind : spec.kinds) {
    if (!IsValidPattern(kind)) return InvalidArgument("not a change kind a webhook can receive: " + kind, "kinds");
  }
  if (spec.description.size() > kMaxDescription) {
    return InvalidArgument("must be at most 500 characters", "description");
  }
  CreatedWebhook created;
  Webhook& webhook = created.webhook;
  webhook.id = NewId("whk_");
  webhook.url = spec.url;
  webhook.description = spec.description;
  webhook.kinds = spec.kinds;
  webhook.created_by = audit.actor_id;
  webhook.created_at = now;
  webhook.updated_at = now;
  created.secret = "whsec_" + RandomToken(32);
  TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO webhooks (tenant_id, id, url, description, kinds, secret_sealed, active, "
                                "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8)",
                                {webhook.id, webhook.url, webhook.description, Json(webhook.kinds).dump(),
                                 secrets.Seal(created.secret), webhook.created_by, now})
                         .status());
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "webhook.create", "webhook", webhook.id, std::nullopt,
                                           WebhookAuditJson(webhook).dump()));
  return created;
}

Result<Webhook> GetWebhook(store::TenantTx& tx, std::string_view webhook_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kWebhookColumns) +
                                                " FROM webhooks WHERE tenant_id = $1 AND id = $2 AND active = 1",
                                            {std::string(webhook_id)}));
  if (!row) return NotFound("no webhook " + std::string(webhook_id));
  return WebhookFromRow(*row);
}

Result<Page<Webhook>> ListWebhooks(store::TenantTx& tx, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query("SELECT " + std::string(kWebhookColumns) +
                                   " FROM webhooks WHERE tenant_id = $1 AND active = 1 AND id > $2 ORDER BY id LIMIT $3",
                               {page.after_id, static_cast<std::int64_t>(page.limit + 1)}));
  std::vector<Webhook> webhooks;
  for (const store::Row& row : rows) webhooks.push_back(WebhookFromRow(row));
  return MakePage(std::move(webhooks), page.limit, [](const Webhook& webhook) { return webhook.id; });
}

Status DeleteWebhook(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view webhook_id) {
  TP_ASSIGN_OR_RETURN(Webhook webhook, GetWebhook(tx, webhook_id));
  // Kept, inactive, with its sealed secret: deliveries already queued still sign with it.
  TP_RETURN_IF_ERROR(tx.Execute("UPDATE webhooks SET active = 0, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                                {webhook.id, NowMicros()})
                         .status());
  return identity::RecordAudit(tx, audit, "webhook.delete", "webhook", webhook.id, WebhookAuditJson(webhook).dump());
}

Result<std::string> WebhookSecret(store::TenantTx& tx, std::string_view webhook_id, const SecretBox& secrets) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT secret_sealed FROM webhooks WHERE tenant_id = $1 AND id = $2",
                                            {std::string(webhook_id)}));
  if (!row) return NotFound("no webhook " + std::string(webhook_id));
  return secrets.Open(row->Text(0));
}

std::string WebhookBody(const store::Change& change) {
  Json data = Json::parse(change.data, nullptr, false);
  if (data.is_discarded()) data = Json::object();
  return Json{{"sequence", change.sequence},
              {"kind", change.kind},
              {"tenant_id", change.tenant_id},
              {"subject_id", change.subject_id},
              {"occurred_at", FormatTimestamp(change.committed_at)},
              {"data", std::move(data)}}
      .dump();
}

Status FanOut(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now) {
  // One look-up of the active webhooks per tenant in the batch.
  std::map<std::string, std::vector<Webhook>, std::less<>> webhooks_of;
  for (const store::Change& change : batch) {
    if (!IsPublicKind(change.kind)) continue;
    store::TenantTx tenant = tx.InTenant(change.tenant_id);
    auto found = webhooks_of.find(change.tenant_id);
    if (found == webhooks_of.end()) {
      TP_ASSIGN_OR_RETURN(store::Rows rows,
                          tenant.Query("SELECT " + std::string(kWebhookColumns) +
                                       " FROM webhooks WHERE tenant_id = $1 AND active = 1 ORDER BY id"));
      std::vector<Webhook> webhooks;
      for (const store::Row& row : rows) webhooks.push_back(WebhookFromRow(row));
      found = webhooks_of.emplace(change.tenant_id, std::move(webhooks)).first;
    }
    std::optional<std::string> body;  // built, and the customer looked up, only when a webhook wants it
    std::optional<std::string> customer_id;
    for (const Webhook& webhook : found->second) {
      const bool wanted = std::any_of(webhook.kinds.begin(), webhook.kinds.end(),
                                      [&](const std::string& pattern) { return KindMatches(pattern, change.kind); });
      if (!wanted) continue;
      if (!body) {
        body = WebhookBody(change);
        const Json data = Json::parse(change.data, nullptr, false);
        if (data.is_object() && data.contains("customer_id") && data["customer_id"].is_string()) {
          customer_id = data["customer_id"].get<std::string>();
        }
      }
      TP_RETURN_IF_ERROR(
          QueueWebhookCall(tenant, webhook.id, webhook.url, change.kind, *body, customer_id, now).status());
    }
  }
  return Status::Ok();
}

}  // namespace tp::outbound
