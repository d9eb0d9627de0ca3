#include "identity/api_keys.h"

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "identity/teams.h"
#include "identity/users.h"
#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::string_view kInsertKey =
    "INSERT INTO api_keys (tenant_id, id, user_id, name, scope, secret_hash, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kSelectKey =
    "SELECT id, user_id, name, scope, created_at, last_used_at, revoked_at FROM api_keys "
    "WHERE tenant_id = $1 AND id = $2";
// $2 = '' lists every user's keys (an optional filter as a sentinel keeps the statement constant).
constexpr std::string_view kListKeys =
    "SELECT id, user_id, name, scope, created_at, last_used_at, revoked_at FROM api_keys "
    "WHERE tenant_id = $1 AND ($2 = '' OR user_id = $2) AND id > $3 ORDER BY id LIMIT $4";
constexpr std::string_view kRevokeKey =
    "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL";
constexpr std::string_view kFindKeyForAuth =
    "SELECT k.tenant_id, k.user_id, k.scope, k.secret_hash, k.last_used_at, k.revoked_at, u.role, "
    "u.contact_data_granted, u.disabled FROM api_keys k JOIN users u ON u.tenant_id = k.tenant_id AND "
    "u.id = k.user_id WHERE k.id = $1";
constexpr std::string_view kTouchKey =
    "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2";

constexpr std::string_view kTokenPrefix = "tpk_";
constexpr std::string_view kKeyIdPrefix = "key_";
constexpr std::size_t kKeyIdLength = 30;       // "key_" + 26
constexpr std::size_t kKeySecretBytes = 32;
constexpr std::size_t kSecretLength = 43;      // base64url of 32 bytes, unpadded
constexpr std::size_t kMaxKeyNameBytes = 100;
constexpr Micros kTouchInterval = 60'000'000;  // a minute: last_used_at is for humans, not billing

ApiKey KeyFromRow(const store::Row& row) {
  return ApiKey{.id = row.Text(0),
                .user_id = row.Text(1),
                .name = row.Text(2),
                // An unknown scope in the database gets the narrower one.
                .scope = ParseApiKeyScope(row.Text(3)).value_or(ApiKeyScope::kIngest),
                .created_at = row.Int(4),
                .last_used_at = row.OptionalInt(5),
                .revoked_at = row.OptionalInt(6)};
}

std::string KeyJson(const ApiKey& key) {
  return nlohmann::json{{"id", key.id},
                        {"user_id", key.user_id},
                        {"name", key.name},
                        {"scope", ApiKeyScopeName(key.scope)},
                        {"revoked", key.revoked_at.has_value()}}
      .dump();
}

struct ParsedToken {
  std::string_view key_id;
  std::string_view secret;
};

// Splits "tpk_" key-id "_" secret by position: the secret's base64url alphabet contains '_' itself.
std::optional<ParsedToken> ParseToken(std::string_view token) {
  const std::size_t secret_start = kTokenPrefix.size() + kKeyIdLength + 1;
  if (token.size() != secret_start + kSecretLength || token.substr(0, kTokenPrefix.size()) != kTokenPrefix ||
      token[secret_start - 1] != '_') {
    return std::nullopt;
  }
  const std::string_view key_id = token.substr(kTokenPrefix.size(), kKeyIdLength);
  if (!LooksLikeId(key_id, kKeyIdPrefix)) return std::nullopt;
  return ParsedToken{.key_id = key_id, .secret = token.substr(secret_start)};
}

Status InvalidKey() { return Unauthenticated("invalid API key"); }
}  // namespace

Result<CreatedApiKey> CreateApiKey(store::TenantTx& tx, const AuditContext& audit, const Principal& creator,
                                   std::string_view name, ApiKeyScope scope) {
  if (creator.kind == Principal::Kind::kApiKey) return PermissionDenied("an API key cannot create API keys");
  TP_ASSIGN_OR_RETURN(std::string clean_name, CleanName(name, "name", kMaxKeyNameBytes));
  TP_ASSIGN_OR_RETURN(const User owner, GetUser(tx, creator.user_id));
  CreatedApiKey created{.key = ApiKey{.id = NewId(kKeyIdPrefix),
                                      .user_id = owner.id,
                                      .name = std::move(clean_name),
                                      .scope = scope,
                                      .created_at = NowMicros()}};
  const std::string secret = RandomToken(kKeySecretBytes);
  created.secret_token = std::string(kTokenPrefix) + created.key.id + "_" + secret;
  TP_RETURN_IF_ERROR(tx.Execute(kInsertKey, {created.key.id, created.key.user_id, created.key.name,
                                             std::string(ApiKeyScopeName(scope)), Sha256Hex(secret),
                                             created.key.created_at}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "api_key.create", "api_key", created.key.id, {}, KeyJson(created.key)));
  return created;
}

Result<Principal> AuthenticateApiKey(store::Store& store, std::string_view token, Micros now,
                                     CredentialCache* cache) {
  const std::optional<ParsedToken> parsed = ParseToken(token);
  if (!parsed) return InvalidKey();
  const std::string key_id(parsed->key_id);
  std::optional<ApiKeyRecord> key = cache != nullptr ? cache->FindApiKey(key_id, now) : std::nullopt;
  if (!key) {
    TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kFindKeyForAuth, {key_id}));
      if (!row) return Status::Ok();
      key = ApiKeyRecord{.tenant_id = row->Text(0),
                         .user_id = row->Text(1),
                         .scope = ParseApiKeyScope(row->Text(2)).value_or(ApiKeyScope::kIngest),
                         .secret_hash = row->Text(3),
                         .last_used_at = row->OptionalInt(4),
                         .revoked = !row->IsNull(5),
                         .role = ParseRole(row->Text(6)).value_or(Role::kViewer),
                         .contact_data_granted = row->Int(7) != 0,
                         .user_disabled = row->Int(8) != 0};
      store::TenantTx tenant_tx = tx.InTenant(key->tenant_id);
      TP_ASSIGN_OR_RETURN(key->team_ids, TeamIdsOfUser(tenant_tx, key->user_id));
      return Status::Ok();
    }));
    // Unknown keys are not cached: the answer for them costs one indexed read, and nothing else.
    if (key && cache != nullptr) cache->PutApiKey(key_id, *key, now);
  }
  if (!key || !ConstantTimeEquals(Sha256Hex(parsed->secret), key->secret_hash)) return InvalidKey();
  if (key->revoked) return Unauthenticated("this API key has been revoked");
  if (key->user_disabled) return Unauthenticated("the user who created this API key is disabled");

  if (!key->last_used_at || now - *key->last_used_at >= kTouchInterval) {
    TP_RETURN_IF_ERROR(store.Write(key->tenant_id, [&](store::TenantTx& tx) -> Status {
      return tx.Execute(kTouchKey, {key_id, now}).status();
    }));
    key->last_used_at = now;
    if (cache != nullptr) cache->PutApiKey(key_id, *key, now);
  }
  return Principal{.kind = Principal::Kind::kApiKey,
                   .tenant_id = key->tenant_id,
                   .user_id = key->user_id,
                   .role = key->role,
                   .contact_data_granted = key->contact_data_granted,
                   .team_ids = std::move(key->team_ids),
                   .api_key_id = key_id,
                   .api_key_scope = key->scope};
}

Result<ApiKey> GetApiKey(store::TenantTx& tx, std::string_view key_id) {
  if (!LooksLikeId(key_id, kKeyIdPrefix)) return NotFound("no API key " + std::string(key_id));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectKey, {std::string(key_id)}));
  if (!row) return NotFound("no API key " + std::string(key_id));
  return KeyFromRow(*row);
}

Result<Page<ApiKey>> ListApiKeys(store::TenantTx& tx, const std::optional<std::string>& user_id,
                                 const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(kListKeys, {user_id.value_or(""), page.after_id, std::int64_t{page.limit} + 1}));
  std::vector<ApiKey> keys;
  keys.reserve(rows.size());
  for (const store::Row& row : rows) keys.push_back(KeyFromRow(row));
  return MakePage(std::move(keys), page.limit, [](const ApiKey& key) { return key.id; });
}

Result<ApiKey> RevokeApiKeyAs(store::TenantTx& tx, const AuditContext& audit, const Principal& actor,
                              std::string_view key_id) {
  TP_ASSIGN_OR_RETURN(const ApiKey key, GetApiKey(tx, key_id));
  if (key.user_id != actor.user_id && !HasPermission(actor, Permission::kApiKeysAll)) {
    return NotFound("no such API key");
  }
  return RevokeApiKey(tx, audit, key_id);
}

Result<Page<ApiKey>> ListApiKeysAs(store::TenantTx& tx, const Principal& actor, std::optional<std::string> owner,
                                   const PageRequest& page) {
  if (!HasPermission(actor, Permission::kApiKeysAll)) {
    if (owner && *owner != actor.user_id) return PermissionDenied("you may list only your own API keys");
    owner = actor.user_id;
  }
  return ListApiKeys(tx, owner, page);
}

Result<ApiKey> RevokeApiKey(store::TenantTx& tx, const AuditContext& audit, std::string_view key_id) {
  TP_ASSIGN_OR_RETURN(const ApiKey before, GetApiKey(tx, key_id));
  if (before.revoked_at) return before;
  ApiKey after = before;
  after.revoked_at = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kRevokeKey, {after.id, *after.revoked_at}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "api_key.revoke", "api_key", after.id, KeyJson(before), KeyJson(after)));
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kApiKeyRevoked, after.id,
                                nlohmann::json{{"api_key_id", after.id}, {"user_id", after.user_id}}.dump()));
  return after;
}

}  // namespace tp::identity
