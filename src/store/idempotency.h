// Idempotency-Key support for POST requests (the contract Stripe popularised): the first request
// with a key runs and its response is remembered for 24 hours; a retry with the same key and the same
// request gets the remembered response without running again; the same key with a different request,
// or while the first is still running, is a conflict. Keys are per tenant and per caller.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "store/store.h"

namespace tp::store {

struct IdempotencyKey {
  std::string tenant_id;
  std::string principal_id;
  std::string key;
};

struct RememberedResponse {
  int status = 0;
  std::string body;
};

inline constexpr Micros kIdempotencyRetention = 24LL * 3600 * 1'000'000;
// A claim older than this whose request never completed (a crashed process) may be taken over.
inline constexpr Micros kIdempotencyStaleClaim = 60LL * 1'000'000;

// Claims `key` for a request whose fingerprint is `request_hash`. Returns std::nullopt when the caller
// now owns the key and must run the request and then call CompleteIdempotencyKey or
// ReleaseIdempotencyKey; a RememberedResponse when the same request already completed; kConflict when
// the key belongs to a different request or its first request is still in progress.
Result<std::optional<RememberedResponse>> ClaimIdempotencyKey(Store& store, const IdempotencyKey& key,
                                                              std::string_view request_hash, Micros now);
Status CompleteIdempotencyKey(Store& store, const IdempotencyKey& key, const RememberedResponse& response);
// Forgets a claim whose request failed in a way worth retrying (5xx), so a retry runs again.
Status ReleaseIdempotencyKey(Store& store, const IdempotencyKey& key);

}  // namespace tp::store
