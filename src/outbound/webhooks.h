// Webhooks: a tenant admin names a URL and the change kinds it wants (changes/kinds.h; "*" for every
// public kind, "customer.*" for a family). Every matching change of the tenant becomes one signed
// delivery (deliveries.h). FanOut is the change feed's durable subscriber "webhooks": it queues the
// deliveries in the same transaction that moves its cursor, so each change is queued exactly once,
// even across restarts and several server processes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::outbound {

struct Webhook {
  std::string id;  // "whk_…"
  std::string url;
  std::string description;
  std::vector<std::string> kinds;
  bool active = true;
  std::string created_by;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct WebhookSpec {
  std::string url;
  std::vector<std::string> kinds;
  std::string description;
};

struct CreatedWebhook {
  Webhook webhook;
  std::string secret;  // "whsec_…": shown once; kept only sealed under the server's secrets key
};

// kInvalidArgument naming the field: a URL that is not http(s) (outbound/http_client.h CheckWebUrl),
// no kinds, a kind that is not a public change kind or pattern. Records "webhook.create".
Result<CreatedWebhook> CreateWebhook(store::TenantTx& tx, const identity::AuditContext& audit,
                                     const WebhookSpec& spec, const SecretBox& secrets, Micros now);
Result<Webhook> GetWebhook(store::TenantTx& tx, std::string_view webhook_id);
Result<Page<Webhook>> ListWebhooks(store::TenantTx& tx, const PageRequest& page);
// Later changes are no longer sent; queued deliveries still go out. Records "webhook.delete".
Status DeleteWebhook(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view webhook_id);
// The signing secret, opened (deliveries sign with it at send time, so a rotated key applies at once).
Result<std::string> WebhookSecret(store::TenantTx& tx, std::string_view webhook_id, const SecretBox& secrets);

// True when `kind` is delivered to a webhook that asked for `pattern`.
bool KindMatches(std::string_view pattern, std::string_view kind);

// The durable feed subscriber: queues one delivery per matching webhook and change.
Status FanOut(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now);

// The JSON body a webhook receives for a change.
std::string WebhookBody(const store::Change& change);

}  // namespace tp::outbound
