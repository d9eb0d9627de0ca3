#include "outbound/deliveries.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "changes/kinds.h"
#include "common/ids.h"
#include "store/sql_params.h"
#include "outbound/webhooks.h"

namespace tp::outbound {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDeliveryColumns =
    "id, channel, destination, source, customer_id, state, attempts, last_error, last_status, created_at, "
    "updated_at, delivered_at";
constexpr std::string_view kInsertDelivery =
    "INSERT INTO deliveries (tenant_id, id, channel, destination, source, customer_id, payload, state, attempts, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)";
constexpr std::string_view kRecordAttempt =
    "UPDATE deliveries SET state = $3, attempts = $4, last_error = $5, last_status = $6, updated_at = $7, "
    "delivered_at = $8 WHERE tenant_id = $1 AND id = $2";
constexpr int kDeliveryAttempts = 12;  // waits of 10 s doubling: the last try comes about 6 hours after the first

Delivery DeliveryFromRow(const store::Row& row) {
  Delivery delivery;
  delivery.id = row.Text(0);
  delivery.channel = row.Text(1) == "email" ? DeliveryChannel::kEmail : DeliveryChannel::kWebhook;
  delivery.destination = row.Text(2);
  delivery.source = row.Text(3);
  delivery.customer_id = row.OptionalText(4);
  delivery.state = ParseDeliveryState(row.Text(5)).value_or(DeliveryState::kPending);
  delivery.attempts = static_cast<int>(row.Int(6));
  delivery.last_error = row.OptionalText(7);
  if (auto status = row.OptionalInt(8)) delivery.last_status = static_cast<int>(*status);
  delivery.created_at = row.Int(9);
  delivery.updated_at = row.Int(10);
  delivery.delivered_at = row.OptionalInt(11);
  return delivery;
}

Result<Delivery> Queue(store::TenantTx& tx, DeliveryChannel channel, std::string_view destination,
                       std::string_view source, const std::optional<std::string>& customer_id, std::string payload,
                       Micros now) {
  Delivery delivery;
  delivery.id = NewId("dlv_");
  delivery.channel = channel;
  delivery.destination = std::string(destination);
  delivery.source = std::string(source);
  delivery.customer_id = customer_id;
  delivery.created_at = now;
  delivery.updated_at = now;
  TP_RETURN_IF_ERROR(tx.Execute(kInsertDelivery, {delivery.id, std::string(DeliveryChannelName(channel)),
                                                  delivery.destination, delivery.source, store::Nullable(customer_id),
                                                  std::move(payload), now})
                         .status());
  TP_RETURN_IF_ERROR(jobs::Schedule(tx,
                                    {.kind = std::string(kDeliverJob),
                                     .payload = Json{{"delivery_id", delivery.id}}.dump(),
                                     .unique_key = delivery.id,
                                     .max_attempts = kDeliveryAttempts},
                                    now)
                         .status());
  return delivery;
}

Json MailboxJson(const Mailbox& mailbox) { return Json{{"name", mailbox.name}, {"address", mailbox.address}}; }
Mailbox MailboxFrom(const Json& json) {
  return Mailbox{json.value("name", std::string()), json.value("address", std::string())};
}

}  // namespace

std::string_view DeliveryChannelName(DeliveryChannel channel) {
  return channel == DeliveryChannel::kEmail ? "email" : "webhook";
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kRetrying:
      return "retrying";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view name) {
  for (DeliveryState state :
       {DeliveryState::kPending, DeliveryState::kRetrying, DeliveryState::kDelivered, DeliveryState::kFailed}) {
    if (DeliveryStateName(state) == name) return state;
  }
  return std::nullopt;
}

Result<Delivery> QueueWebhookCall(store::TenantTx& tx, std::string_view webhook_id, std::string_view url,
                                  std::string_view event_kind, std::string body,
                                  const std::optional<std::string>& customer_id, Micros now) {
  Json payload{{"webhook_id", webhook_id}, {"kind", event_kind}, {"body", std::move(body)}};
  return Queue(tx, DeliveryChannel::kWebhook, url, "webhook:" + std::string(webhook_id), customer_id, payload.dump(),
               now);
}

Result<Delivery> QueueEmail(store::TenantTx& tx, const MailMessage& message, std::string_view source,
                            const std::optional<std::string>& customer_id, Micros now) {
  TP_RETURN_IF_ERROR(CheckMailMessage(message));
  Json to = Json::array();
  std::string destination;
  for (const Mailbox& recipient : message.to) {
    to.push_back(MailboxJson(recipient));
    destination += (destination.empty() ? "" : ", ") + recipient.address;
  }
  Json headers = Json::array();
  for (const auto& [name, value] : message.headers) headers.push_back(Json::array({name, value}));
  Json payload{{"from", MailboxJson(message.from)}, {"to", std::move(to)},  {"subject", message.subject},
               {"text", message.text},              {"message_id", message.message_id},
               {"references", message.references},  {"headers", std::move(headers)}};
  if (message.in_reply_to) payload["in_reply_to"] = *message.in_reply_to;
  return Queue(tx, DeliveryChannel::kEmail, destination, source, customer_id, payload.dump(), now);
}

Result<Delivery> GetDelivery(store::TenantTx& tx, std::string_view delivery_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kDeliveryColumns) +
                                                " FROM deliveries WHERE tenant_id = $1 AND id = $2",
                                            {std::string(delivery_id)}));
  if (!row) return NotFound("no delivery " + std::string(delivery_id));
  return DeliveryFromRow(*row);
}

Result<Page<Delivery>> ListDeliveries(store::TenantTx& tx, const DeliveryFilter& filter, const PageRequest& page) {
  // Ids grow with time (common/ids.h), so "newest first" pages backwards from the cursor. One fragment
  // per filter that is set (store/sql_params.h).
  store::SqlParams params;
  std::string sql = "SELECT " + std::string(kDeliveryColumns) + " FROM deliveries WHERE tenant_id = $1";
  if (!page.after_id.empty()) sql += store::Sql({" AND id < ", params.Bind(page.after_id)});
  if (filter.state) sql += store::Sql({" AND state = ", params.Bind(std::string(DeliveryStateName(*filter.state)))});
  if (filter.source) sql += store::Sql({" AND source = ", params.Bind(*filter.source)});
  sql += store::Sql({" ORDER BY id DESC LIMIT ", params.Bind(static_cast<std::int64_t>(page.limit + 1))});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Delivery> deliveries;
  deliveries.reserve(rows.size());
  for (const store::Row& row : rows) deliveries.push_back(DeliveryFromRow(row));
  return MakePage(std::move(deliveries), page.limit, [](const Delivery& delivery) { return delivery.id; });
}

std::string SignWebhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string timestamp = std::to_string(unix_seconds);
  return "t=" + timestamp + ",v1=" + HmacSha256Hex(secret, timestamp + "." + std::string(body));
}

Deliverer::Deliverer(store::Store& store, const HttpClient& http, const SmtpSender* mail, const SecretBox* secrets,
                     std::function<Micros()> now)
    : store_(store), http_(http), mail_(mail), secrets_(secrets), now_(std::move(now)) {}

jobs::Outcome Deliverer::SendWebhook(const std::string& tenant_id, const Delivery& delivery,
                                     const std::string& payload_text, std::optional<int>& status) {
  const Json payload = Json::parse(payload_text, nullptr, false);
  if (!payload.is_object()) return jobs::Outcome::Fail(Internal("a webhook delivery's payload is not JSON"));
  const std::string webhook_id = payload.value("webhook_id", std::string());
  const std::string body = payload.value("body", std::string());
  if (secrets_ == nullptr) return jobs::Outcome::Retry(Unavailable("the server has no --secrets-key-file to sign with"));
  std::string secret;
  const Status opened = store_.Read(tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(secret, WebhookSecret(tx, webhook_id, *secrets_));
    return Status::Ok();
  });
  if (!opened.ok()) {
    if (opened.code() == ErrorCode::kNotFound) return jobs::Outcome::Fail(NotFound("the webhook was deleted"));
    return jobs::Outcome::Retry(opened);
  }
  const std::int64_t unix_seconds = now_() / 1'000'000;
  HttpRequest request{.method = "POST", .url = delivery.destination, .headers = {}, .body = body};
  request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"Touchpoint-Delivery", delivery.id},
                     {"Touchpoint-Event", payload.value("kind", std::string())},
                     {"Touchpoint-Signature", SignWebhook(secret, unix_seconds, body)}};
  Result<HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    const ErrorCode code = response.status().code();
    // A refused address or a bad URL will not get better by waiting.
    if (code == ErrorCode::kPermissionDenied || code == ErrorCode::kInvalidArgument) {
      return jobs::Outcome::Fail(response.status());
    }
    return jobs::Outcome::Retry(response.status());
  }
  status = static_cast<int>(response->status);
  if (response->status >= 200 && response->status < 300) return jobs::Outcome::Done();
  jobs::Outcome outcome =
      jobs::Outcome::Retry(Unavailable("the receiver answered HTTP " + std::to_string(response->status)));
  if (response->retry_after_seconds) outcome.retry_at = now_() + *response->retry_after_seconds * 1'000'000;
  return outcome;
}

jobs::Outcome Deliverer::SendEmail(const std::string& payload_text) {
  if (mail_ == nullptr) {
    return jobs::Outcome::Retry(Unavailable("no SMTP server is configured (serve --smtp-url)"));
  }
  const Json payload = Json::parse(payload_text, nullptr, false);
  if (!payload.is_object()) return jobs::Outcome::Fail(Internal("an e-mail delivery's payload is not JSON"));
  MailMessage message;
  message.from = MailboxFrom(payload.value("from", Json::object()));
  for (const Json& recipient : payload.value("to", Json::array())) message.to.push_back(MailboxFrom(recipient));
  message.subject = payload.value("subject", std::string());
  message.text = payload.value("text", std::string());
  message.message_id = payload.value("message_id", std::string());
  if (payload.contains("in_reply_to")) message.in_reply_to = payload["in_reply_to"].get<std::string>();
  message.references = payload.value("references", std::vector<std::string>());
  for (const Json& header : payload.value("headers", Json::array())) {
    message.headers.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
  }
  const Status sent = mail_->Send(message);
  if (sent.ok()) return jobs::Outcome::Done();
  if (sent.code() == ErrorCode::kInvalidArgument || sent.code() == ErrorCode::kPermissionDenied) {
    return jobs::Outcome::Fail(sent);
  }
  return jobs::Outcome::Retry(sent);
}

jobs::Outcome Deliverer::Run(const jobs::Job& job) {
  const Json job_payload = Json::parse(job.payload, nullptr, false);
  const std::string delivery_id = job_payload.is_object() ? job_payload.value("delivery_id", std::string()) : "";
  std::optional<Delivery> delivery;
  std::string payload;
  const Status loaded = store_.Read(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kDeliveryColumns) +
                                                  ", payload FROM deliveries WHERE tenant_id = $1 AND id = $2",
                                              {delivery_id}));
    // An erased customer's deliveries are gone with them: nothing left to send.
    if (!row) return Status::Ok();
    delivery = DeliveryFromRow(*row);
    payload = row->Text(12);
    return Status::Ok();
  });
  if (!loaded.ok()) return jobs::Outcome::Retry(loaded);
  if (!delivery) return jobs::Outcome::Done();
  if (delivery->state == DeliveryState::kDelivered) return jobs::Outcome::Done();

  std::optional<int> status;
  const jobs::Outcome outcome = delivery->channel == DeliveryChannel::kEmail
                                    ? SendEmail(payload)
                                    : SendWebhook(job.tenant_id, *delivery, payload, status);
  const bool done = outcome.status.ok();
  const bool final_failure = !done && (outcome.permanent || job.attempts >= job.max_attempts);
  const DeliveryState state = done            ? DeliveryState::kDelivered
                              : final_failure ? DeliveryState::kFailed
                                              : DeliveryState::kRetrying;
  const Micros now = now_();
  const Status recorded = store_.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(
        tx.Execute(kRecordAttempt,
                   {delivery_id, std::string(DeliveryStateName(state)), static_cast<std::int64_t>(job.attempts),
                    done ? store::kNull : store::Value(outcome.status.message()),
                    status ? store::Value(static_cast<std::int64_t>(*status)) : store::kNull, now,
                    done ? store::Value(now) : store::kNull})
            .status());
    return tx.Publish(changes::kinds::kDeliveryUpdated, delivery_id,
                      Json{{"delivery_id", delivery_id}, {"state", DeliveryStateName(state)}}.dump());
  });
  // Not retried when only the record failed: a delivered call must not be sent twice for it.
  if (!recorded.ok()) spdlog::warn("delivery {}: its attempt was made but not recorded: {}", delivery_id, recorded.message());
  return outcome;
}

}  // namespace tp::outbound
