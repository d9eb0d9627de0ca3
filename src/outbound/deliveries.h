// Outbound deliveries: every webhook call and e-mail the platform sends, as a row whose state, attempts
// and last error an admin can see (GET /api/v1/deliveries). Queuing one writes the row and schedules a
// durable job ("outbound.deliver") in the caller's transaction, so a delivery exists exactly when the
// write that caused it committed; the job runner (jobs/) then sends it, retrying with backoff across
// restarts. Delivery is at least once: a receiver may see a repeat after a crash mid-request and
// should deduplicate by the Touchpoint-Delivery header (docs/webhooks.md).
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/pagination.h"
#include "common/status.h"
#include "jobs/jobs.h"
#include "outbound/http_client.h"
#include "outbound/mail.h"
#include "store/store.h"

namespace tp::outbound {

inline constexpr std::string_view kDeliverJob = "outbound.deliver";

enum class DeliveryChannel { kWebhook, kEmail };
enum class DeliveryState { kPending, kRetrying, kDelivered, kFailed };
std::string_view DeliveryChannelName(DeliveryChannel channel);
std::string_view DeliveryStateName(DeliveryState state);
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);

struct Delivery {
  std::string id;  // "dlv_…"
  DeliveryChannel channel = DeliveryChannel::kWebhook;
  std::string destination;  // the URL, or the recipients' addresses
  std::string source;       // what caused it: "webhook:whk_…", "mail:test"
  std::optional<std::string> customer_id;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::optional<std::string> last_error;
  std::optional<int> last_status;  // the receiver's HTTP status or the SMTP reply
  Micros created_at = 0;
  Micros updated_at = 0;
  std::optional<Micros> delivered_at;
};

// A webhook call: POST `body` (JSON) to `url`, signed with the secret of webhook `webhook_id`.
Result<Delivery> QueueWebhookCall(store::TenantTx& tx, std::string_view webhook_id, std::string_view url,
                                  std::string_view event_kind, std::string body,
                                  const std::optional<std::string>& customer_id, Micros now);
// An e-mail; kInvalidArgument (CheckMailMessage) for a malformed message.
Result<Delivery> QueueEmail(store::TenantTx& tx, const MailMessage& message, std::string_view source,
                            const std::optional<std::string>& customer_id, Micros now);

Result<Delivery> GetDelivery(store::TenantTx& tx, std::string_view delivery_id);
struct DeliveryFilter {
  std::optional<DeliveryState> state;
  std::optional<std::string> source;
};
// Newest first.
Result<Page<Delivery>> ListDeliveries(store::TenantTx& tx, const DeliveryFilter& filter, const PageRequest& page);

// Signature of a webhook body (docs/webhooks.md): "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" under the webhook's secret>".
std::string SignWebhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// Sends deliveries; the handler of kDeliverJob.
class Deliverer {
 public:
  // `mail` is nullptr when no SMTP server is configured: e-mails then fail with a clear error.
  // `secrets` is nullptr when the server has no secrets key (then no webhook can exist to sign for).
  Deliverer(store::Store& store, const HttpClient& http, const SmtpSender* mail, const SecretBox* secrets,
            std::function<Micros()> now = NowMicros);
  jobs::Outcome Run(const jobs::Job& job);

 private:
  jobs::Outcome SendWebhook(const std::string& tenant_id, const Delivery& delivery, const std::string& payload,
                            std::optional<int>& status);
  jobs::Outcome SendEmail(const std::string& payload);

  store::Store& store_;
  const HttpClient& http_;
  const SmtpSender* mail_;
  const SecretBox* secrets_;
  std::function<Micros()> now_;
};

}  // namespace tp::outbound
