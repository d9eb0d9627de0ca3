// API keys for machines: integrations sending events (scope `ingest`) or calling the REST API as the
// user who created the key (scope `full`, identity/permissions.h).
//
// Token grammar (shown to the user once, then only its digest is kept):
//   token  = "tpk_" key-id "_" secret
//   key-id = "key_" 26 Crockford base32 characters       (common/ids.h; the api_keys row id)
//   secret = 43 base64url characters                     (32 random bytes)
// The server finds the row by key id and compares SHA-256(secret) in constant time, so a lookup costs
// one indexed read and the database never holds a usable secret.
//
//   TP_ASSIGN_OR_RETURN(CreatedApiKey created, CreateApiKey(tx, audit, principal, "shop", ApiKeyScope::kIngest));
//   respond(created.secret_token);   // the only time it is ever visible
//   ...
//   TP_ASSIGN_OR_RETURN(Principal caller, AuthenticateApiKey(store, bearer_token, NowMicros()));
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "identity/credential_cache.h"
#include "identity/permissions.h"
#include "store/store.h"

namespace tp::identity {

struct ApiKey {
  std::string id;  // "key_…"
  std::string user_id;
  std::string name;
  ApiKeyScope scope = ApiKeyScope::kFull;
  Micros created_at = 0;
  std::optional<Micros> last_used_at;
  std::optional<Micros> revoked_at;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret_token;  // the whole token, "tpk_key_…_…"
};

// The key belongs to creator.user_id. kInvalidArgument field "name" (1 to 100 characters);
// kPermissionDenied when the creator is itself an API key. Records "api_key.create".
Result<CreatedApiKey> CreateApiKey(store::TenantTx& tx, const AuditContext& audit, const Principal& creator,
                                   std::string_view name, ApiKeyScope scope);

// A Principal of kind kApiKey with the creating user's current role, teams and contact-data grant.
// kUnauthenticated for a malformed, unknown, revoked or wrong token and when the user is disabled.
// Refreshes last_used_at at most once a minute. With a cache, a known key reads nothing.
Result<Principal> AuthenticateApiKey(store::Store& store, std::string_view token, Micros now,
                                     CredentialCache* cache = nullptr);

// kNotFound for an unknown key (the API layer uses it to check ownership before revoking).
Result<ApiKey> GetApiKey(store::TenantTx& tx, std::string_view key_id);
// Ordered by id; only the user's keys when `user_id` is set.
Result<Page<ApiKey>> ListApiKeys(store::TenantTx& tx, const std::optional<std::string>& user_id,
                                 const PageRequest& page);
// Idempotent: revoking a revoked key returns it unchanged and records nothing. kNotFound for an unknown
// key. Records "api_key.revoke".
Result<ApiKey> RevokeApiKey(store::TenantTx& tx, const AuditContext& audit, std::string_view key_id);

// The same, acting for `actor`: without api_keys:all only the actor's own keys. Someone else's key is
// kNotFound, as a missing one (key ids are not to be probed); asking to list another user's keys is
// kPermissionDenied. `owner` narrows the list to one user.
Result<ApiKey> RevokeApiKeyAs(store::TenantTx& tx, const AuditContext& audit, const Principal& actor,
                              std::string_view key_id);
Result<Page<ApiKey>> ListApiKeysAs(store::TenantTx& tx, const Principal& actor, std::optional<std::string> owner,
                                   const PageRequest& page);

}  // namespace tp::identity
