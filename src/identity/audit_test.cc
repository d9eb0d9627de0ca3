#include "identity/audit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "identity/api_keys.h"
#include "identity/identity_test_support.h"
#include "identity/teams.h"
#include "identity/totp.h"

namespace tp::identity {
namespace {

using testing::FastHash;
using testing::IdentityTest;
using testing::kMinute;
using testing::kPassword;
using testing::kT0;
using testing::Unwrap;

constexpr std::string_view kSelectPasswordHashes = "SELECT password_hash FROM users WHERE tenant_id = $1";

class Audit : public IdentityTest {
 protected:
  Audit() : tenant_(MakeTenant("acme")), admin_(MakeUser(tenant_, "admin@acme.example", Role::kAdmin)) {}

  Tenant tenant_;
  User admin_;
};

TEST_P(Audit, EveryWriteLeavesAnEntryAndNoSecretLeaks) {
  const Principal principal{.kind = Principal::Kind::kSession, .tenant_id = tenant_.id, .user_id = admin_.id,
                            .role = Role::kAdmin};
  const AuditContext audit = AuditContext::For(principal, "req-42", "198.51.100.7");
  std::vector<std::string> secrets{std::string(kPassword), "a new password 1"};

  const NewSession session = Unwrap(LogIn(tenant_, admin_.email));
  secrets.push_back(session.token);
  secrets.push_back(session.csrf_token);
  ASSERT_FALSE(LogIn(tenant_, admin_.email, "wrong password").ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return UpdateTenantSettings(tx, audit, "ACME", R"({"locale":"sk"})");
              }).ok());
  const User agent = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) {
    return CreateUser(tx, audit,
                      {.email = "agent@acme.example", .name = "Agent", .role = Role::kAgent,
                       .password = std::string(kPassword)},
                      FastHash());
  }));
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return UpdateUser(tx, audit, agent.id, {.contact_data_granted = true});
              }).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return ChangePassword(tx, audit, admin_.id, kPassword, "a new password 1", session.session_id,
                                      FastHash());
              }).ok());
  const std::string totp_secret =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return BeginTotpEnrollment(tx, audit, admin_.id); }));
  secrets.push_back(totp_secret);
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return ConfirmTotpEnrollment(tx, audit, admin_.id, TotpCode(totp_secret, kT0), kT0);
              }).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return DisableTotp(tx, audit, admin_.id, "a new password 1");
              }).ok());
  const Team team =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return CreateTeam(tx, audit, {.name = "Sales"}); }));
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) {
                return UpdateTeam(tx, audit, team.id, {.description = "Closers"});
              }).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return AddTeamMember(tx, audit, team.id, agent.id); }).ok());
  ASSERT_TRUE(
      Write(tenant_.id, [&](store::TenantTx& tx) { return RemoveTeamMember(tx, audit, team.id, agent.id); }).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return DeleteTeam(tx, audit, team.id); }).ok());
  const CreatedApiKey key = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) {
    return CreateApiKey(tx, audit, principal, "shop", ApiKeyScope::kIngest);
  }));
  secrets.push_back(key.secret_token);
  secrets.push_back(key.secret_token.substr(35));
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return RevokeApiKey(tx, audit, key.key.id); }).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return RevokeSessions(tx, audit, agent.id); }).ok());

  const std::vector<AuditEntry> entries = AuditOf(tenant_);
  std::multiset<std::string> actions;
  for (const AuditEntry& entry : entries) actions.insert(entry.action);
  for (const std::string_view action :
       {"tenant.create", "user.create", "auth.login", "auth.login_failed", "tenant.update", "user.update",
        "user.password_change", "user.totp_begin", "user.totp_enable", "user.totp_disable", "team.create",
        "team.update", "team.member_add", "team.member_remove", "team.delete", "api_key.create", "api_key.revoke",
        "user.sessions_revoke"}) {
    EXPECT_TRUE(actions.count(std::string(action)) > 0) << action;
  }
  // user.create twice: the fixture's admin and the agent.
  EXPECT_EQ(actions.count("user.create"), 2u);

  const store::Rows hashes =
      Unwrap(Write(tenant_.id, [](store::TenantTx& tx) { return tx.Query(kSelectPasswordHashes); }));
  for (const store::Row& row : hashes) secrets.push_back(row.Text(0));
  for (const AuditEntry& entry : entries) {
    for (const std::optional<std::string>& json : {entry.before_json, entry.after_json}) {
      if (!json) continue;
      EXPECT_EQ(json->find("$argon2"), std::string::npos) << entry.action << ": " << *json;
      for (const std::string& secret : secrets) {
        EXPECT_EQ(json->find(secret), std::string::npos) << entry.action << " holds a secret: " << *json;
      }
    }
    if (entry.action != "tenant.create" && entry.action.rfind("auth.", 0) != 0 && entry.action != "user.create") {
      EXPECT_EQ(entry.actor_id, admin_.id) << entry.action;
      EXPECT_EQ(entry.request_id, "req-42") << entry.action;
      EXPECT_EQ(entry.ip, "198.51.100.7") << entry.action;
    }
  }
}

TEST_P(Audit, ListsNewestFirstWithFiltersAndPages) {
  const AuditContext audit{.actor_type = "user", .actor_id = admin_.id};
  std::vector<std::string> team_ids;
  for (int team_idx = 0; team_idx < 5; ++team_idx) {
    team_ids.push_back(Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) {
                         return CreateTeam(tx, audit, {.name = "Team " + std::to_string(team_idx)});
                       })).id);
  }
  // Newest first, paged by "older than the cursor".
  std::vector<std::string> targets;
  PageRequest request;
  request.limit = 2;
  for (;;) {
    const Page<AuditEntry> page = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) {
      return ListAudit(tx, {.action = "team.create"}, request);
    }));
    for (const AuditEntry& entry : page.items) targets.push_back(entry.target_id);
    if (page.next_cursor.empty()) break;
    request = Unwrap(PageRequest::Parse(page.next_cursor, "2"));
  }
  std::vector<std::string> expected(team_ids.rbegin(), team_ids.rend());
  // Ids are ordered by millisecond; entries written within one millisecond have no defined order.
  std::vector<std::string> sorted_targets = targets;
  std::sort(sorted_targets.begin(), sorted_targets.end());
  std::vector<std::string> sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());
  EXPECT_EQ(sorted_targets, sorted_expected);

  const std::vector<AuditEntry> one = AuditOf(tenant_, {.target_id = team_ids[2]});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.front().target_type, "team");
  EXPECT_EQ(AuditOf(tenant_, {.actor_id = admin_.id}).size(), 5u);
  EXPECT_EQ(AuditOf(tenant_, {.actor_id = "usr_nobody"}).size(), 0u);

  const std::vector<AuditEntry> all = AuditOf(tenant_);
  ASSERT_GE(all.size(), 2u);
  for (size_t entry_idx = 1; entry_idx < all.size(); ++entry_idx) {
    EXPECT_GT(all[entry_idx - 1].id, all[entry_idx].id);
  }
  const auto [oldest, newest] = std::minmax_element(all.begin(), all.end(), [](const AuditEntry& a, const AuditEntry& b) {
    return a.at < b.at;
  });
  EXPECT_EQ(AuditOf(tenant_, {.since = newest->at + 1}).size(), 0u);
  EXPECT_EQ(AuditOf(tenant_, {.until = oldest->at}).size(), 0u);
  EXPECT_EQ(AuditOf(tenant_, {.since = oldest->at, .until = newest->at + 1}).size(), all.size());
  EXPECT_EQ(AuditOf(tenant_, {.since = newest->at}).size(),
            static_cast<size_t>(std::count_if(all.begin(), all.end(),
                                              [&](const AuditEntry& entry) { return entry.at == newest->at; })));
}

TEST_P(Audit, IsPerTenant) {
  const Tenant other = MakeTenant("globex");
  MakeUser(other, "eve@globex.example");
  for (const AuditEntry& entry : AuditOf(tenant_)) {
    EXPECT_NE(entry.target_id, other.id);
    EXPECT_EQ(entry.after_json.value_or("").find("globex"), std::string::npos) << entry.action;
  }
}

TEST_P(Audit, RecordsOnlyTheListedActions) {
  const size_t before = AuditOf(tenant_).size();
  const Status unlisted = Write(tenant_.id, [&](store::TenantTx& tx) {
    return RecordAudit(tx, System(), "tenant.rename", "tenant", tenant_.id);
  });
  EXPECT_EQ(unlisted.code(), ErrorCode::kInternal);
  EXPECT_EQ(AuditOf(tenant_).size(), before);
  for (std::string_view action : kAuditActions) {
    EXPECT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return RecordAudit(tx, System(), action, "test", "t"); }).ok())
        << action;
  }
  EXPECT_EQ(AuditOf(tenant_).size(), before + std::size(kAuditActions));
}

INSTANTIATE_TEST_SUITE_P(Backends, Audit, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::identity
