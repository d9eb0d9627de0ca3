#include "assignment/assignment.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cases/cases.h"
#include "changes/kinds.h"
#include "common/crypto.h"
#include "identity/teams.h"
#include "identity/users.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::assignment {
namespace {

using cases::CaseStatus;
using nlohmann::json;
using profiles::ReadResult;
using profiles::WriteResult;

const identity::AuditContext kManager{.actor_type = "user", .actor_id = "usr_manager"};
constexpr Micros kT0 = 1'780'000'000'000'000;

TeamAgent Agent(std::string user_id, std::int64_t load, bool can_take, std::optional<Micros> last = std::nullopt) {
  return {.availability = {.user_id = std::move(user_id), .status = AgentStatus::kOnline, .last_assigned_at = last},
          .load = load,
          .can_take = can_take};
}

TEST(ChooseAgent, RoundRobinTakesTheNextWhoCanAfterThePreviousAndWraps) {
  const std::vector<TeamAgent> agents = {Agent("usr_a", 0, true), Agent("usr_b", 0, false), Agent("usr_c", 0, true)};
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kRoundRobin, agents, std::nullopt), 0u);
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kRoundRobin, agents, "usr_a"), 2u);  // usr_b cannot
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kRoundRobin, agents, "usr_c"), 0u);
  // The previous one left the team: the next after where they were.
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kRoundRobin, agents, "usr_bb"), 2u);
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kRoundRobin, std::vector<TeamAgent>{Agent("usr_a", 0, false)}, std::nullopt),
            std::nullopt);
}

TEST(ChooseAgent, LeastLoadedTakesTheLightestThenTheLongestWaiting) {
  std::vector<TeamAgent> agents = {Agent("usr_a", 3, true, kT0), Agent("usr_b", 1, true, kT0 + 5),
                                   Agent("usr_c", 1, true, kT0 + 2), Agent("usr_d", 0, false)};
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kLeastLoaded, agents, std::nullopt), 2u);
  agents[0].load = 1;
  agents[0].availability.last_assigned_at.reset();  // never assigned: first among equals
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kLeastLoaded, agents, std::nullopt), 0u);
  EXPECT_EQ(ChooseAgent(AssignmentMethod::kManual, agents, std::nullopt), std::nullopt);
}

TEST(AssignmentNames, RoundTripAndRefuseUnknownNames) {
  for (AssignmentMethod method :
       {AssignmentMethod::kManual, AssignmentMethod::kRoundRobin, AssignmentMethod::kLeastLoaded}) {
    EXPECT_EQ(ParseAssignmentMethod(AssignmentMethodName(method)).value(), method);
  }
  for (AgentStatus status : {AgentStatus::kOnline, AgentStatus::kAway, AgentStatus::kOffline}) {
    EXPECT_EQ(ParseAgentStatus(AgentStatusName(status)).value(), status);
  }
  EXPECT_EQ(ParseAssignmentMethod("random").status().field(), "method");
  EXPECT_EQ(ParseAgentStatus("busy").status().field(), "status");
}

class AssignmentTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    other_tenant_ = profiles::CreateTestTenant(store(), "globex");
    customer_id_ = Write<profiles::Customer>([&](store::TenantTx& tx) {
                     return profiles::CreateCustomer(tx, {.name = "Jana Nová", .email = "jana@example.cz"}, kManager);
                   }).id;
    team_id_ = Write<identity::Team>([&](store::TenantTx& tx) {
                 return identity::CreateTeam(tx, kManager, {.name = "Service", .kind = "service"});
               }).id;
    for (const std::string name : {"a", "b", "c"}) agents_.push_back(MakeMember(name, identity::Role::kAgent));
  }

  store::Store& store() { return db_->store(); }

  template <typename T, typename Fn>
  T Write(Fn&& fn, const std::string& tenant = {}) {
    Result<T> result = WriteResult<T>(store(), tenant.empty() ? tenant_ : tenant, std::forward<Fn>(fn));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) throw std::runtime_error(result.status().ToString());
    return *result;
  }

  std::string MakeMember(const std::string& name, identity::Role role) {
    const identity::User user = Write<identity::User>([&](store::TenantTx& tx) {
      return identity::CreateUser(tx, kManager,
                                  {.email = name + "@acme.test", .name = name, .role = role, .password = "correct horse battery"},
                                  identity::PasswordHashLimits::Minimum());
    });
    Write<bool>([&](store::TenantTx& tx) -> Result<bool> {
      TP_RETURN_IF_ERROR(identity::AddTeamMember(tx, kManager, team_id_, user.id));
      return true;
    });
    return user.id;
  }

  void SetStatus(const std::string& user_id, AgentStatus status, std::optional<std::int64_t> capacity = std::nullopt) {
    Write<Availability>([&](store::TenantTx& tx) {
      return SetAvailability(tx, user_id, {.status = status, .capacity = capacity}, kManager, kT0);
    });
  }

  void SetMethod(AssignmentMethod method) {
    Write<TeamAssignment>([&](store::TenantTx& tx) { return SetTeamMethod(tx, team_id_, method, kManager, kT0); });
  }

  cases::Case MakeCase(std::optional<std::string> team_id, CaseStatus status = CaseStatus::kNew) {
    return Write<cases::Case>([&](store::TenantTx& tx) {
      return cases::CreateCase(tx,
                               {.customer_id = customer_id_, .subject = "Zásilka", .status = status, .team_id = team_id},
                               kManager);
    });
  }

  cases::Case GetCase(const std::string& case_id) {
    Result<cases::Case> found =
        ReadResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) { return cases::GetCase(tx, case_id); });
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : cases::Case{};
  }

  // Hands the feed's changes since the last call to the subscriber, as the feed would.
  void DeliverFeed() {
    std::vector<store::Change> batch;
    ASSERT_TRUE(store()
                    .ReadSystem([&](store::SystemTx& tx) -> Status {
                      TP_ASSIGN_OR_RETURN(store::Rows rows,
                                          tx.Query("SELECT sequence, tenant_id, kind, subject_id, data FROM change_feed "
                                                   "WHERE sequence > $1 ORDER BY sequence",
                                                   {delivered_up_to_}));
                      for (const store::Row& row : rows) {
                        batch.push_back({.sequence = row.Int(0),
                                         .tenant_id = row.Text(1),
                                         .kind = row.Text(2),
                                         .subject_id = row.Text(3),
                                         .data = row.Text(4)});
                      }
                      return Status::Ok();
                    })
                    .ok());
    if (batch.empty()) return;
    delivered_up_to_ = batch.back().sequence;
    const Status status = store().WriteSystem([&](store::SystemTx& tx) { return HandleChanges(tx, batch, kT0); });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::string AssigneeOf(const std::string& case_id) { return GetCase(case_id).assignee_id.value_or(""); }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string other_tenant_;
  std::string customer_id_;
  std::string team_id_;
  std::vector<std::string> agents_;  // by user id, as the team lists them
  std::int64_t delivered_up_to_ = 0;
};

TEST_P(AssignmentTest, ManualTeamsAndOfflineAgentsAssignNothing) {
  SetStatus(agents_[0], AgentStatus::kOnline);
  const cases::Case manual = MakeCase(team_id_);
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(manual.id), "");  // the team never chose a method

  SetStatus(agents_[0], AgentStatus::kAway);
  SetMethod(AssignmentMethod::kRoundRobin);
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(manual.id), "");  // nobody online
  const TeamAssignment state = Write<TeamAssignment>([&](store::TenantTx& tx) { return GetTeamAssignment(tx, team_id_); });
  EXPECT_EQ(state.method, AssignmentMethod::kRoundRobin);
  EXPECT_EQ(state.queued, 1);
  ASSERT_EQ(state.agents.size(), 3u);
  EXPECT_EQ(state.agents[0].availability.status, AgentStatus::kAway);
  EXPECT_EQ(state.agents[1].availability.status, AgentStatus::kOffline);  // never set
  EXPECT_FALSE(state.agents[0].can_take);
}

TEST_P(AssignmentTest, RoundRobinGoesAroundTheOnlineAgentsAndTheQueueWaitsForCapacity) {
  SetMethod(AssignmentMethod::kRoundRobin);
  SetStatus(agents_[0], AgentStatus::kOnline, 2);
  SetStatus(agents_[2], AgentStatus::kOnline, 1);
  std::vector<std::string> case_ids;
  for (int index = 0; index < 4; ++index) case_ids.push_back(MakeCase(team_id_).id);
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(case_ids[0]), agents_[0]);
  EXPECT_EQ(AssigneeOf(case_ids[1]), agents_[2]);
  EXPECT_EQ(AssigneeOf(case_ids[2]), agents_[0]);
  EXPECT_EQ(AssigneeOf(case_ids[3]), "");  // everyone is at capacity: it waits in the queue

  // Solving one of usr_c's cases frees capacity; the waiting case goes to them.
  Write<cases::Case>([&](store::TenantTx& tx) {
    return cases::UpdateCase(tx, case_ids[1], {.status = CaseStatus::kSolved}, kManager);
  });
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(case_ids[3]), agents_[2]);

  // An agent coming online takes from the queue at once.
  const std::string late = MakeCase(team_id_).id;
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(late), "");
  SetStatus(agents_[1], AgentStatus::kOnline);
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(late), agents_[1]);
}

TEST_P(AssignmentTest, LeastLoadedCountsOpenCasesInEveryTeamButNotPendingOnes) {
  SetMethod(AssignmentMethod::kLeastLoaded);
  // usr_a already works two open cases (one without a team) and one pending; usr_b one open.
  for (const auto& [assignee, status] : std::vector<std::pair<std::string, CaseStatus>>{
           {agents_[0], CaseStatus::kOpen}, {agents_[0], CaseStatus::kPending}, {agents_[1], CaseStatus::kOpen}}) {
    Write<cases::Case>([&](store::TenantTx& tx) {
      return cases::CreateCase(tx,
                               {.customer_id = customer_id_, .subject = "Earlier", .status = status,
                                .team_id = team_id_, .assignee_id = assignee},
                               kManager);
    });
  }
  Write<cases::Case>([&](store::TenantTx& tx) {
    return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "No team", .status = CaseStatus::kOpen,
                                  .assignee_id = agents_[0]}, kManager);
  });
  SetStatus(agents_[0], AgentStatus::kOnline);
  SetStatus(agents_[1], AgentStatus::kOnline);
  const std::string first = MakeCase(team_id_).id;
  const std::string second = MakeCase(team_id_).id;
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(first), agents_[1]);   // 1 open against usr_a's 2
  EXPECT_EQ(AssigneeOf(second), agents_[0]);  // 2 each now; usr_a waited longer
  const TeamAssignment state = Write<TeamAssignment>([&](store::TenantTx& tx) { return GetTeamAssignment(tx, team_id_); });
  EXPECT_EQ(state.agents[0].load, 3);
  EXPECT_EQ(state.agents[1].load, 2);
  EXPECT_EQ(state.queued, 0);
}

TEST_P(AssignmentTest, OnlyMembersWhoMayWorkCasesAndAreEnabledTakeCases) {
  const std::string analyst = MakeMember("analyst", identity::Role::kAnalyst);
  SetMethod(AssignmentMethod::kRoundRobin);
  SetStatus(analyst, AgentStatus::kOnline);
  SetStatus(agents_[0], AgentStatus::kOnline);
  Write<identity::User>([&](store::TenantTx& tx) {
    return identity::UpdateUser(tx, kManager, agents_[0], {.disabled = true});
  });
  const std::string waiting = MakeCase(team_id_).id;
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(waiting), "");
  // Solved and closed cases and cases of other teams are not the team's queue.
  const std::string solved = MakeCase(team_id_, CaseStatus::kSolved).id;
  const std::string no_team = MakeCase(std::nullopt).id;
  SetStatus(agents_[1], AgentStatus::kOnline);
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(waiting), agents_[1]);
  EXPECT_EQ(AssigneeOf(solved), "");
  EXPECT_EQ(AssigneeOf(no_team), "");
}

TEST_P(AssignmentTest, AssignmentsAreOrdinaryCaseUpdatesByTheSystem) {
  SetMethod(AssignmentMethod::kRoundRobin);
  SetStatus(agents_[0], AgentStatus::kOnline);
  const std::string case_id = MakeCase(team_id_).id;
  DeliverFeed();
  ASSERT_EQ(AssigneeOf(case_id), agents_[0]);
  const Status status = store().ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows rows,
                        tx.Query("SELECT actor_type, actor_id, action FROM audit_log WHERE target_id = $1 ORDER BY at",
                                 {case_id}));
    EXPECT_EQ(rows.size(), 2u);
    if (rows.size() == 2) {
      EXPECT_EQ(rows[1].Text(0), "system");
      EXPECT_EQ(rows[1].Text(1), "assignment");
      EXPECT_EQ(rows[1].Text(2), "case.update");
    }
    TP_ASSIGN_OR_RETURN(store::Rows changes, tx.Query("SELECT kind FROM change_feed WHERE subject_id = $1 ORDER BY sequence",
                                                      {case_id}));
    EXPECT_EQ(changes.size(), 2u);
    if (changes.size() == 2) {
      EXPECT_EQ(changes[1].Text(0), changes::kinds::kCaseUpdated);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  // The assignment's own change is delivered too, and assigns nothing more.
  DeliverFeed();
  EXPECT_EQ(AssigneeOf(case_id), agents_[0]);
}

TEST_P(AssignmentTest, AvailabilityIsValidatedAuditedAndPublished) {
  const auto set = [&](const std::string& user_id, const AvailabilityPatch& patch) {
    return WriteResult<Availability>(store(), tenant_, [&](store::TenantTx& tx) {
      return SetAvailability(tx, user_id, patch, kManager, kT0);
    });
  };
  EXPECT_EQ(set(agents_[0], {.capacity = -1}).status().field(), "capacity");
  EXPECT_EQ(set(agents_[0], {.capacity = kMaxCapacity + 1}).status().field(), "capacity");
  EXPECT_EQ(set("usr_nobody", {.status = AgentStatus::kOnline}).status().field(), "user_id");
  const Result<Availability> other_tenant = WriteResult<Availability>(store(), other_tenant_, [&](store::TenantTx& tx) {
    return SetAvailability(tx, agents_[0], {.status = AgentStatus::kOnline}, kManager, kT0);
  });
  EXPECT_EQ(other_tenant.status().code(), ErrorCode::kNotFound);

  const Result<Availability> online = set(agents_[0], {.status = AgentStatus::kOnline, .capacity = 4});
  ASSERT_TRUE(online.ok()) << online.status().ToString();
  EXPECT_EQ(online->capacity, 4);
  EXPECT_EQ(online->updated_at, kT0);
  ASSERT_TRUE(set(agents_[0], {.status = AgentStatus::kOnline}).ok());  // no change: nothing recorded
  const Status status = store().ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows audit, tx.Query("SELECT before_json, after_json FROM audit_log WHERE action = $1",
                                                    {std::string("agent.availability")}));
    EXPECT_EQ(audit.size(), 1u);
    if (!audit.empty()) {
      EXPECT_EQ(json::parse(audit[0].Text(0)), json::parse(R"({"status": "offline", "capacity": 10})"));
      EXPECT_EQ(json::parse(audit[0].Text(1)), json::parse(R"({"status": "online", "capacity": 4})"));
    }
    TP_ASSIGN_OR_RETURN(store::Rows changes, tx.Query("SELECT data FROM change_feed WHERE kind = $1",
                                                      {std::string(changes::kinds::kAgentAvailabilityChanged)}));
    EXPECT_EQ(changes.size(), 1u);
    if (!changes.empty()) {
      EXPECT_EQ(json::parse(changes[0].Text(0))["status"], "online");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
}

TEST_P(AssignmentTest, TeamsOfAnotherTenantAreNotFound) {
  const Result<TeamAssignment> other = WriteResult<TeamAssignment>(store(), other_tenant_, [&](store::TenantTx& tx) {
    return SetTeamMethod(tx, team_id_, AssignmentMethod::kRoundRobin, kManager, kT0);
  });
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(other.status().field(), "team_id");
}

INSTANTIATE_TEST_SUITE_P(Backends, AssignmentTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::assignment
