#include "identity/teams.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "identity/identity_test_support.h"

namespace tp::identity {
namespace {

using testing::IdentityTest;
using testing::Unwrap;

class Teams : public IdentityTest {
 protected:
  Teams()
      : tenant_(MakeTenant("acme")),
        ana_(MakeUser(tenant_, "ana@acme.example")),
        ben_(MakeUser(tenant_, "ben@acme.example")) {}

  Result<Team> Create(const NewTeam& team) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return CreateTeam(tx, System(), team); });
  }
  Result<Team> Get(const std::string& team_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return GetTeam(tx, team_id); });
  }
  Status Add(const std::string& team_id, const std::string& user_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return AddTeamMember(tx, System(), team_id, user_id); });
  }
  Status Remove(const std::string& team_id, const std::string& user_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return RemoveTeamMember(tx, System(), team_id, user_id); });
  }
  std::vector<std::string> TeamsOf(const std::string& user_id) {
    return Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return TeamIdsOfUser(tx, user_id); }));
  }

  Tenant tenant_;
  User ana_;
  User ben_;
};

TEST_P(Teams, CreatesAndValidates) {
  const Team team = Unwrap(Create({.name = " Returns desk ", .kind = "service", .description = "Refunds"}));
  EXPECT_TRUE(LooksLikeId(team.id, "team_")) << team.id;
  EXPECT_EQ(team.name, "Returns desk");
  EXPECT_EQ(team.kind, "service");
  EXPECT_TRUE(team.member_ids.empty());
  EXPECT_EQ(Unwrap(Get(team.id)).description, "Refunds");

  EXPECT_EQ(Create({.name = "", .kind = "sales"}).status().field(), "name");
  EXPECT_EQ(Create({.name = "Legal", .kind = "legal"}).status().field(), "kind");
  EXPECT_EQ(Create({.name = "Legal", .kind = "custom", .description = std::string(1001, 'x')}).status().field(),
            "description");
  const Result<Team> duplicate = Create({.name = "Returns desk", .kind = "sales"});
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(duplicate.status().field(), "name");
  EXPECT_EQ(Get("team_nope").status().code(), ErrorCode::kNotFound);
}

TEST_P(Teams, MembershipIsIdempotentAndChecked) {
  const Team team = Unwrap(Create({.name = "Sales", .kind = "sales"}));
  ASSERT_TRUE(Add(team.id, ana_.id).ok());
  ASSERT_TRUE(Add(team.id, ana_.id).ok());
  ASSERT_TRUE(Add(team.id, ben_.id).ok());
  std::vector<std::string> expected{ana_.id, ben_.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Unwrap(Get(team.id)).member_ids, expected);
  EXPECT_EQ(TeamsOf(ana_.id), std::vector<std::string>{team.id});
  EXPECT_EQ(AuditOf(tenant_, {.action = "team.member_add"}).size(), 2u);

  EXPECT_EQ(Add(team.id, "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV").code(), ErrorCode::kNotFound);
  EXPECT_EQ(Add("team_01ARZ3NDEKTSV4RRFFQ69G5FAV", ana_.id).code(), ErrorCode::kNotFound);

  ASSERT_TRUE(Remove(team.id, ana_.id).ok());
  ASSERT_TRUE(Remove(team.id, ana_.id).ok());
  EXPECT_TRUE(TeamsOf(ana_.id).empty());
  EXPECT_EQ(Unwrap(Get(team.id)).member_ids, std::vector<std::string>{ben_.id});
  EXPECT_EQ(AuditOf(tenant_, {.action = "team.member_remove"}).size(), 1u);
}

TEST_P(Teams, UpdatesWithBeforeAndAfter) {
  const Team team = Unwrap(Create({.name = "IT", .kind = "it"}));
  const Team other = Unwrap(Create({.name = "Marketing", .kind = "marketing"}));
  const Team updated = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) {
    return UpdateTeam(tx, System(), team.id, {.name = "IT operations", .description = "Keeps things up"});
  }));
  EXPECT_EQ(updated.name, "IT operations");
  EXPECT_EQ(Unwrap(Get(team.id)).description, "Keeps things up");
  EXPECT_EQ(Write(tenant_.id, [&](store::TenantTx& tx) {
              return UpdateTeam(tx, System(), other.id, {.name = "IT operations"});
            }).status().code(),
            ErrorCode::kConflict);

  const std::vector<AuditEntry> entries = AuditOf(tenant_, {.action = "team.update"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(entries.front().before_json.value())["name"], "IT");
  EXPECT_EQ(nlohmann::json::parse(entries.front().after_json.value())["name"], "IT operations");
}

TEST_P(Teams, DeletingATeamDeletesItsMemberships) {
  const Team team = Unwrap(Create({.name = "Sales", .kind = "sales"}));
  ASSERT_TRUE(Add(team.id, ana_.id).ok());
  ASSERT_TRUE(Write(tenant_.id, [&](store::TenantTx& tx) { return DeleteTeam(tx, System(), team.id); }).ok());
  EXPECT_EQ(Get(team.id).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(TeamsOf(ana_.id).empty());
  const std::vector<AuditEntry> entries = AuditOf(tenant_, {.action = "team.delete"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(entries.front().before_json.value())["member_ids"][0], ana_.id);
  // The name is free again.
  EXPECT_TRUE(Create({.name = "Sales", .kind = "sales"}).ok());
}

TEST_P(Teams, ListsPagesWithMembers) {
  std::vector<std::string> expected;
  for (int team_idx = 0; team_idx < 5; ++team_idx) {
    const Team team = Unwrap(Create({.name = "Team " + std::to_string(team_idx), .kind = "custom"}));
    ASSERT_TRUE(Add(team.id, team_idx % 2 == 0 ? ana_.id : ben_.id).ok());
    expected.push_back(team.id);
  }
  std::vector<std::string> seen;
  PageRequest request;
  request.limit = 2;
  for (;;) {
    const Page<Team> page = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return ListTeams(tx, request); }));
    for (const Team& team : page.items) {
      const size_t team_idx = seen.size();
      ASSERT_EQ(team.member_ids.size(), 1u) << team.name;
      EXPECT_EQ(team.member_ids.front(), team_idx % 2 == 0 ? ana_.id : ben_.id);
      seen.push_back(team.id);
    }
    if (page.next_cursor.empty()) break;
    request = Unwrap(PageRequest::Parse(page.next_cursor, "2"));
  }
  EXPECT_EQ(seen, expected);
}

TEST_P(Teams, AreInvisibleFromAnotherTenant) {
  const Tenant other = MakeTenant("globex");
  const User stranger = MakeUser(other, "eve@globex.example");
  const Team theirs = Unwrap(Write(other.id, [](store::TenantTx& tx) {
    return CreateTeam(tx, IdentityTest::System(), {.name = "Sales", .kind = "sales"});
  }));
  EXPECT_EQ(Get(theirs.id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Add(theirs.id, ana_.id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(Write(tenant_.id, [&](store::TenantTx& tx) { return DeleteTeam(tx, System(), theirs.id); }).code(),
            ErrorCode::kNotFound);
  // A user of another tenant cannot join one of ours.
  const Team ours = Unwrap(Create({.name = "Sales", .kind = "sales"}));
  EXPECT_EQ(Add(ours.id, stranger.id).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(
      Unwrap(Write(tenant_.id, [](store::TenantTx& tx) { return ListTeams(tx, {}); })).items.size() == 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, Teams, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::identity
