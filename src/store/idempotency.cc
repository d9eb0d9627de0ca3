#include "store/idempotency.h"

namespace tp::store {
namespace {
constexpr int kInProgress = 0;

constexpr std::string_view kSelectKey =
    "SELECT request_hash, status, response_body, created_at FROM idempotency_keys "
    "WHERE tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3";
constexpr std::string_view kInsertKey =
    "INSERT INTO idempotency_keys (tenant_id, principal_id, idempotency_key, request_hash, status, created_at) "
    "VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT DO NOTHING";
constexpr std::string_view kRestartKey =
    "UPDATE idempotency_keys SET request_hash = $4, status = 0, response_body = NULL, created_at = $5 "
    "WHERE tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3 AND created_at = $6";
constexpr std::string_view kCompleteKey =
    "UPDATE idempotency_keys SET status = $4, response_body = $5 "
    "WHERE tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3";
constexpr std::string_view kDeleteKey =
    "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3";
}  // namespace

Result<std::optional<RememberedResponse>> ClaimIdempotencyKey(Store& store, const IdempotencyKey& key,
                                                              std::string_view request_hash, Micros now) {
  std::optional<RememberedResponse> remembered;
  TP_RETURN_IF_ERROR(store.Write(key.tenant_id, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::int64_t inserted,
                        tx.Execute(kInsertKey, {key.principal_id, key.key, std::string(request_hash), now}));
    if (inserted == 1) return Status::Ok();
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kSelectKey, {key.principal_id, key.key}));
    if (!row) return Unavailable("idempotency key vanished while being claimed; retry");
    const Micros created_at = row->Int(3);
    const bool expired = now - created_at > kIdempotencyRetention;
    const bool abandoned = row->Int(1) == kInProgress && now - created_at > kIdempotencyStaleClaim;
    if (expired || abandoned) {
      TP_RETURN_IF_ERROR(tx.Execute(kRestartKey, {key.principal_id, key.key, std::string(request_hash), now,
                                                  created_at}));
      return Status::Ok();
    }
    if (row->Text(0) != request_hash) {
      return Conflict("Idempotency-Key was already used for a different request", "Idempotency-Key");
    }
    if (row->Int(1) == kInProgress) {
      return Conflict("a request with this Idempotency-Key is still in progress", "Idempotency-Key");
    }
    remembered = RememberedResponse{static_cast<int>(row->Int(1)), row->Text(2)};
    return Status::Ok();
  }));
  return remembered;
}

Status CompleteIdempotencyKey(Store& store, const IdempotencyKey& key, const RememberedResponse& response) {
  return store.Write(key.tenant_id, [&](TenantTx& tx) -> Status {
    return tx.Execute(kCompleteKey, {key.principal_id, key.key, std::int64_t{response.status}, response.body})
        .status();
  });
}

Status ReleaseIdempotencyKey(Store& store, const IdempotencyKey& key) {
  return store.Write(key.tenant_id, [&](TenantTx& tx) -> Status {
    return tx.Execute(kDeleteKey, {key.principal_id, key.key}).status();
  });
}

}  // namespace tp::store
