#include "identity/api_keys.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/ids.h"
#include "identity/identity_test_support.h"
#include "identity/teams.h"

namespace tp::identity {
namespace {

using testing::IdentityTest;
using testing::kMinute;
using testing::kT0;
using testing::Unwrap;

constexpr std::string_view kSelectKeyRow =
    "SELECT id, user_id, name, scope, secret_hash, created_at, last_used_at, revoked_at FROM api_keys "
    "WHERE tenant_id = $1 AND id = $2";

class ApiKeys : public IdentityTest {
 protected:
  ApiKeys()
      : tenant_(MakeTenant("acme")),
        admin_(MakeUser(tenant_, "admin@acme.example", Role::kAdmin)),
        owner_(MakeUser(tenant_, "dev@acme.example", Role::kManager)) {}

  Principal SessionOf(const User& user) {
    return Principal{.kind = Principal::Kind::kSession, .tenant_id = tenant_.id, .user_id = user.id, .role = user.role};
  }
  Result<CreatedApiKey> Create(const User& user, std::string_view name, ApiKeyScope scope) {
    const Principal creator = SessionOf(user);
    return Write(tenant_.id, [&](store::TenantTx& tx) {
      return CreateApiKey(tx, AuditContext::For(creator, "req-key"), creator, name, scope);
    });
  }
  Result<ApiKey> Get(const std::string& key_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return GetApiKey(tx, key_id); });
  }
  Result<ApiKey> Revoke(const std::string& key_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return RevokeApiKey(tx, System(), key_id); });
  }

  Tenant tenant_;
  User admin_;
  User owner_;
};

TEST_P(ApiKeys, TheSecretIsShownOnceAndNeverStored) {
  const CreatedApiKey created = Unwrap(Create(owner_, " shop integration ", ApiKeyScope::kIngest));
  EXPECT_TRUE(LooksLikeId(created.key.id, "key_"));
  EXPECT_EQ(created.key.name, "shop integration");
  EXPECT_EQ(created.key.user_id, owner_.id);
  EXPECT_EQ(created.key.scope, ApiKeyScope::kIngest);
  EXPECT_FALSE(created.key.last_used_at);
  EXPECT_FALSE(created.key.revoked_at);

  const std::string prefix = "tpk_" + created.key.id + "_";
  ASSERT_EQ(created.secret_token.rfind(prefix, 0), 0u) << created.secret_token;
  const std::string secret = created.secret_token.substr(prefix.size());
  EXPECT_EQ(secret.size(), 43u);

  const store::Rows rows =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return tx.Query(kSelectKeyRow, {created.key.id}); }));
  ASSERT_EQ(rows.size(), 1u);
  for (size_t column = 0; column < rows.front().size(); ++column) {
    EXPECT_EQ(rows.front().Text(column).find(secret), std::string::npos) << "column " << column;
  }
  EXPECT_EQ(rows.front().Text(4), Sha256Hex(secret));
}

TEST_P(ApiKeys, AuthenticatesWithTheScopeAndTheUsersCurrentRole) {
  const Team team = Unwrap(Write(tenant_.id, [](store::TenantTx& tx) {
    return CreateTeam(tx, IdentityTest::System(), {.name = "Data", .kind = "it"});
  }));
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return AddTeamMember(tx, System(), team.id, owner_.id);
              }).ok());
  const CreatedApiKey full = Unwrap(Create(owner_, "reporting", ApiKeyScope::kFull));
  const CreatedApiKey ingest = Unwrap(Create(owner_, "shop", ApiKeyScope::kIngest));

  const Principal principal = Unwrap(AuthenticateApiKey(store(), full.secret_token, kT0));
  EXPECT_EQ(principal.kind, Principal::Kind::kApiKey);
  EXPECT_EQ(principal.tenant_id, tenant_.id);
  EXPECT_EQ(principal.user_id, owner_.id);
  EXPECT_EQ(principal.api_key_id, full.key.id);
  EXPECT_EQ(principal.api_key_scope, ApiKeyScope::kFull);
  EXPECT_EQ(principal.role, Role::kManager);
  EXPECT_EQ(principal.team_ids, std::vector<std::string>{team.id});
  EXPECT_EQ(principal.actor_id(), full.key.id);
  EXPECT_EQ(Unwrap(AuthenticateApiKey(store(), ingest.secret_token, kT0)).api_key_scope, ApiKeyScope::kIngest);

  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return UpdateUser(tx, System(), owner_.id, {.role = Role::kViewer});
              }).ok());
  EXPECT_EQ(Unwrap(AuthenticateApiKey(store(), full.secret_token, kT0)).role, Role::kViewer);
}

TEST_P(ApiKeys, RejectsWrongAndMalformedTokens) {
  const CreatedApiKey created = Unwrap(Create(owner_, "shop", ApiKeyScope::kIngest));
  std::string wrong_secret = created.secret_token;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  const std::string other_id = "tpk_" + NewId("key_") + created.secret_token.substr(34);
  for (const std::string& token : {wrong_secret, other_id, std::string(), std::string("tpk_"),
                                   created.secret_token.substr(1), created.secret_token + "x",
                                   "tpk_usr_" + created.secret_token.substr(8)}) {
    EXPECT_EQ(AuthenticateApiKey(store(), token, kT0).status().code(), ErrorCode::kUnauthenticated) << token;
  }
}

TEST_P(ApiKeys, RecordsLastUseAtMostOnceAMinute) {
  const CreatedApiKey created = Unwrap(Create(owner_, "shop", ApiKeyScope::kIngest));
  ASSERT_TRUE(AuthenticateApiKey(store(), created.secret_token, kT0).ok());
  EXPECT_EQ(Unwrap(Get(created.key.id)).last_used_at, kT0);
  ASSERT_TRUE(AuthenticateApiKey(store(), created.secret_token, kT0 + kMinute - 1).ok());
  EXPECT_EQ(Unwrap(Get(created.key.id)).last_used_at, kT0);
  ASSERT_TRUE(AuthenticateApiKey(store(), created.secret_token, kT0 + kMinute).ok());
  EXPECT_EQ(Unwrap(Get(created.key.id)).last_used_at, kT0 + kMinute);
}

TEST_P(ApiKeys, RevocationIsFinalAndIdempotent) {
  const CreatedApiKey created = Unwrap(Create(owner_, "shop", ApiKeyScope::kIngest));
  const ApiKey revoked = Unwrap(Revoke(created.key.id));
  ASSERT_TRUE(revoked.revoked_at);
  EXPECT_EQ(AuthenticateApiKey(store(), created.secret_token, kT0).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(Unwrap(Revoke(created.key.id)).revoked_at, revoked.revoked_at);
  EXPECT_EQ(AuditOf(tenant_, {.action = "api_key.revoke"}).size(), 1u);
  EXPECT_EQ(Revoke("key_01ARZ3NDEKTSV4RRFFQ69G5FAV").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Revoke("../etc").status().code(), ErrorCode::kNotFound);
}

TEST_P(ApiKeys, StopWorkingWhenTheUserIsDisabled) {
  const CreatedApiKey created = Unwrap(Create(owner_, "shop", ApiKeyScope::kFull));
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return UpdateUser(tx, System(), owner_.id, {.disabled = true});
              }).ok());
  EXPECT_EQ(AuthenticateApiKey(store(), created.secret_token, kT0).status().code(), ErrorCode::kUnauthenticated);
}

TEST_P(ApiKeys, AKeyCannotMintKeys) {
  const CreatedApiKey created = Unwrap(Create(owner_, "reporting", ApiKeyScope::kFull));
  const Principal key = Unwrap(AuthenticateApiKey(store(), created.secret_token, kT0));
  const Result<CreatedApiKey> minted = Write(tenant_.id, [&](store::TenantTx& tx) {
    return CreateApiKey(tx, AuditContext::For(key), key, "child", ApiKeyScope::kFull);
  });
  EXPECT_EQ(minted.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(Create(owner_, "", ApiKeyScope::kFull).status().field(), "name");
}

TEST_P(ApiKeys, ListsByUserAndPage) {
  std::vector<std::string> owner_keys;
  for (int key_idx = 0; key_idx < 3; ++key_idx) {
    owner_keys.push_back(Unwrap(Create(owner_, "key " + std::to_string(key_idx), ApiKeyScope::kIngest)).key.id);
  }
  const std::string admin_key = Unwrap(Create(admin_, "admin key", ApiKeyScope::kFull)).key.id;

  PageRequest request;
  request.limit = 2;
  const Page<ApiKey> first =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return ListApiKeys(tx, owner_.id, request); }));
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, owner_keys[0]);
  EXPECT_EQ(first.items[1].id, owner_keys[1]);
  request = Unwrap(PageRequest::Parse(first.next_cursor, "2"));
  const Page<ApiKey> second =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return ListApiKeys(tx, owner_.id, request); }));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].id, owner_keys[2]);
  EXPECT_TRUE(second.next_cursor.empty());

  const Page<ApiKey> all =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return ListApiKeys(tx, std::nullopt, PageRequest{}); }));
  ASSERT_EQ(all.items.size(), 4u);
  EXPECT_EQ(all.items.back().id, admin_key);
}

TEST_P(ApiKeys, AreInvisibleFromAnotherTenant) {
  const CreatedApiKey ours = Unwrap(Create(owner_, "shop", ApiKeyScope::kIngest));
  const Tenant other = MakeTenant("globex");
  EXPECT_EQ(Write(other.id, [&](store::TenantTx& tx) { return GetApiKey(tx, ours.key.id); }).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(Write(other.id, [&](store::TenantTx& tx) { return RevokeApiKey(tx, System(), ours.key.id); })
                .status()
                .code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(Unwrap(Write(other.id, [](store::TenantTx& tx) { return ListApiKeys(tx, std::nullopt, {}); }))
                  .items.empty());
  // A principal of tenant A cannot create a key in tenant B: its user does not exist there.
  const Principal creator = SessionOf(owner_);
  EXPECT_EQ(Write(other.id, [&](store::TenantTx& tx) {
              return CreateApiKey(tx, AuditContext::For(creator), creator, "x", ApiKeyScope::kFull);
            }).status().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(AuthenticateApiKey(store(), ours.secret_token, kT0).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiKeys, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::identity
