#include "cases/cases.h"
#include "cases/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>

#include "common/crypto.h"
#include "common/ids.h"
#include "identity/teams.h"
#include "identity/users.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using ::testing::UnorderedElementsAre;
using ::testing::IsEmpty;
using profiles::ReadResult;
using profiles::WriteResult;


TEST(CaseStatus, NamesRoundTripAndUnknownNamesNameTheirField) {
  for (CaseStatus status : {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kPending, CaseStatus::kSolved,
                            CaseStatus::kClosed}) {
    EXPECT_EQ(*ParseCaseStatus(CaseStatusName(status)), status);
  }
  EXPECT_EQ(*ParseChannel("whatsapp"), Channel::kWhatsapp);
  EXPECT_EQ(*ParseCasePriority("urgent"), CasePriority::kUrgent);
  EXPECT_EQ(ParseCaseStatus("reopened").status().field(), "status");
  EXPECT_EQ(ParseCasePriority("critical").status().field(), "priority");
  EXPECT_EQ(ParseChannel("fax").status().field(), "channel");
}

TEST(CaseStatus, ClosedIsFinalAndNothingReturnsToNew) {
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kNew, CaseStatus::kOpen));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kOpen, CaseStatus::kPending));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kPending, CaseStatus::kOpen));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kSolved, CaseStatus::kOpen));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kSolved, CaseStatus::kClosed));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kNew, CaseStatus::kNew));
  EXPECT_TRUE(IsAllowedTransition(CaseStatus::kClosed, CaseStatus::kClosed));
  EXPECT_FALSE(IsAllowedTransition(CaseStatus::kClosed, CaseStatus::kOpen));
  EXPECT_FALSE(IsAllowedTransition(CaseStatus::kClosed, CaseStatus::kSolved));
  EXPECT_FALSE(IsAllowedTransition(CaseStatus::kOpen, CaseStatus::kNew));
  EXPECT_FALSE(IsAllowedTransition(CaseStatus::kSolved, CaseStatus::kNew));
}

class CasesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    const Status status = store().Write(tenant_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(identity::Team service,
                          identity::CreateTeam(tx, kSystemActor, {.name = "Service", .kind = "service"}));
      TP_ASSIGN_OR_RETURN(identity::Team sales, identity::CreateTeam(tx, kSystemActor, {.name = "Sales", .kind = "sales"}));
      TP_ASSIGN_OR_RETURN(identity::Team it, identity::CreateTeam(tx, kSystemActor, {.name = "IT", .kind = "it"}));
      TP_ASSIGN_OR_RETURN(identity::User agent,
                          identity::CreateUser(tx, kSystemActor,
                                               {.email = "agent@acme.example", .name = "Tereza Malá",
                                                .role = identity::Role::kAgent, .password = "correct horse battery"},
                                               identity::PasswordHashLimits::Minimum()));
      TP_ASSIGN_OR_RETURN(profiles::Customer jana, profiles::CreateCustomer(tx, {.name = "Jana"}, kSystemActor));
      TP_ASSIGN_OR_RETURN(profiles::Customer petr, profiles::CreateCustomer(tx, {.name = "Petr"}, kSystemActor));
      service_ = service.id;
      sales_ = sales.id;
      it_ = it.id;
      agent_ = agent.id;
      jana_ = jana.id;
      petr_ = petr.id;
      return Status::Ok();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  store::Store& store() { return db_->store(); }

  Result<Case> Create(const NewCase& input, const std::string& tenant_id = {}) {
    return WriteResult<Case>(store(), tenant_id.empty() ? tenant_ : tenant_id,
                             [&](store::TenantTx& tx) { return CreateCase(tx, input, kSystemActor); });
  }

  Case MustCreate(const NewCase& input) {
    Result<Case> created = Create(input);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Case{};
  }

  Result<Case> Update(const std::string& case_id, const CasePatch& patch) {
    return WriteResult<Case>(store(), tenant_,
                             [&](store::TenantTx& tx) { return UpdateCase(tx, case_id, patch, kSystemActor); });
  }

  Result<Page<Case>> List(const CaseQuery& query, const PageRequest& page = {}) {
    return ReadResult<Page<Case>>(store(), tenant_, [&](store::TenantTx& tx) { return ListCases(tx, query, page); });
  }

  std::vector<std::string> Subjects(const CaseQuery& query) {
    Result<Page<Case>> page = List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> subjects;
    if (!page.ok()) return subjects;
    for (const Case& item : page->items) subjects.push_back(item.subject);
    return subjects;
  }

  std::vector<std::string> AllIds(const CaseQuery& query, int limit) {
    std::vector<std::string> ids;
    PageRequest request{.after_id = "", .limit = limit};
    for (int page_idx = 0; page_idx < 100; ++page_idx) {
      Result<Page<Case>> page = List(query, request);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->items.size()), limit);
      for (const Case& item : page->items) ids.push_back(item.id);
      if (page->next_cursor.empty()) break;
      request = *PageRequest::Parse(page->next_cursor, std::to_string(limit));
    }
    return ids;
  }

  std::vector<identity::AuditEntry> Audit(const std::string& action) {
    Result<Page<identity::AuditEntry>> audit =
        ReadResult<Page<identity::AuditEntry>>(store(), tenant_, [&](store::TenantTx& tx) {
          return identity::ListAudit(tx, {.action = action}, PageRequest{});
        });
    EXPECT_TRUE(audit.ok());
    return audit.ok() ? audit->items : std::vector<identity::AuditEntry>{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_, service_, sales_, it_, agent_, jana_, petr_;
};

TEST_P(CasesTest, CreateNamesTheFieldThatIsInvalid) {
  EXPECT_EQ(Create({.customer_id = jana_, .subject = "  "}).status().field(), "subject");
  EXPECT_EQ(Create({.customer_id = jana_, .subject = std::string(301, 'x')}).status().field(), "subject");
  EXPECT_EQ(Create({.customer_id = jana_, .subject = "Refund", .created_at = NowMicros() + 3'600'000'000LL})
                .status()
                .field(),
            "created_at");

  for (const std::string& customer_id : {NewId("cus_"), std::string("nonsense")}) {
    Result<Case> unknown_customer = Create({.customer_id = customer_id, .subject = "Refund"});
    EXPECT_EQ(unknown_customer.status().code(), ErrorCode::kNotFound);
    EXPECT_EQ(unknown_customer.status().field(), "customer_id");
  }
  Result<Case> unknown_team = Create({.customer_id = jana_, .subject = "Refund", .team_id = NewId("team_")});
  EXPECT_EQ(unknown_team.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown_team.status().field(), "team_id");
  Result<Case> unknown_user = Create({.customer_id = jana_, .subject = "Refund", .assignee_id = NewId("usr_")});
  EXPECT_EQ(unknown_user.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown_user.status().field(), "assignee_id");
  EXPECT_THAT(Audit("case.create"), IsEmpty());
}

TEST_P(CasesTest, CreateStoresTheCaseAndAuditsIt) {
  const Case created = MustCreate({.customer_id = jana_,
                                   .subject = " Poškozená zásilka ",
                                   .channel = Channel::kWhatsapp,
                                   .priority = CasePriority::kHigh,
                                   .team_id = service_,
                                   .assignee_id = agent_});
  EXPECT_TRUE(LooksLikeId(created.id, "cas_"));
  EXPECT_EQ(created.subject, "Poškozená zásilka");
  EXPECT_EQ(created.status, CaseStatus::kNew);

  Result<Case> fetched =
      ReadResult<Case>(store(), tenant_, [&](store::TenantTx& tx) { return GetCase(tx, created.id); });
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->customer_id, jana_);
  EXPECT_EQ(fetched->subject, "Poškozená zásilka");
  EXPECT_EQ(fetched->channel, Channel::kWhatsapp);
  EXPECT_EQ(fetched->priority, CasePriority::kHigh);
  EXPECT_EQ(fetched->team_id, service_);
  EXPECT_EQ(fetched->assignee_id, agent_);
  EXPECT_EQ(fetched->created_at, created.created_at);

  const auto entries = Audit("case.create");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(*entries[0].after_json)["channel"], "whatsapp");
}

TEST_P(CasesTest, AnotherTenantCannotSeeTheCaseNorUseTheCustomer) {
  const Case created = MustCreate({.customer_id = jana_, .subject = "Refund request"});
  const std::string other_tenant = profiles::CreateTestTenant(store(), "globex");
  Result<Case> fetched =
      ReadResult<Case>(store(), other_tenant, [&](store::TenantTx& tx) { return GetCase(tx, created.id); });
  EXPECT_EQ(fetched.status().code(), ErrorCode::kNotFound);
  Result<Case> foreign_customer = Create({.customer_id = jana_, .subject = "Refund request"}, other_tenant);
  EXPECT_EQ(foreign_customer.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(foreign_customer.status().field(), "customer_id");
  Result<Page<Case>> listed = ReadResult<Page<Case>>(store(), other_tenant, [&](store::TenantTx& tx) {
    return ListCases(tx, {}, PageRequest{});
  });
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(listed->items, IsEmpty());
}

TEST_P(CasesTest, UpdateFollowsTheLifecycle) {
  const Case created = MustCreate({.customer_id = jana_, .subject = "Delayed delivery"});
  EXPECT_EQ(Update(created.id, {.status = CaseStatus::kOpen})->status, CaseStatus::kOpen);
  EXPECT_EQ(Update(created.id, {.status = CaseStatus::kSolved})->status, CaseStatus::kSolved);
  EXPECT_EQ(Update(created.id, {.status = CaseStatus::kOpen})->status, CaseStatus::kOpen);
  Result<Case> back_to_new = Update(created.id, {.status = CaseStatus::kNew});
  EXPECT_EQ(back_to_new.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(back_to_new.status().field(), "status");
  EXPECT_EQ(Update(created.id, {.status = CaseStatus::kClosed})->status, CaseStatus::kClosed);
  Result<Case> reopened = Update(created.id, {.status = CaseStatus::kOpen});
  EXPECT_EQ(reopened.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(reopened.status().field(), "status");
  EXPECT_EQ(Audit("case.update").size(), 4u);
}

TEST_P(CasesTest, UpdateChangesTeamAndAssigneeAndAuditsOnlyRealChanges) {
  const Case created = MustCreate({.customer_id = jana_, .subject = "Invoice question", .team_id = sales_});
  Result<Case> updated = Update(created.id, {.priority = CasePriority::kUrgent,
                                             .team_id = std::optional<std::string>(service_),
                                             .assignee_id = std::optional<std::string>(agent_)});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->priority, CasePriority::kUrgent);
  EXPECT_EQ(updated->team_id, service_);
  EXPECT_EQ(updated->assignee_id, agent_);
  EXPECT_GE(updated->updated_at, created.updated_at);

  const auto entries = Audit("case.update");
  ASSERT_EQ(entries.size(), 1u);
  const auto before = nlohmann::json::parse(*entries[0].before_json);
  const auto after = nlohmann::json::parse(*entries[0].after_json);
  EXPECT_EQ(before["team_id"], sales_);
  EXPECT_EQ(after["team_id"], service_);
  EXPECT_TRUE(before["assignee_id"].is_null());
  EXPECT_EQ(after["priority"], "urgent");
  EXPECT_FALSE(after.contains("status"));

  Result<Case> unchanged = Update(created.id, {.priority = CasePriority::kUrgent});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(Audit("case.update").size(), 1u);

  Result<Case> unassigned = Update(created.id, {.team_id = std::optional<std::string>(),
                                                .assignee_id = std::optional<std::string>()});
  ASSERT_TRUE(unassigned.ok());
  EXPECT_EQ(unassigned->team_id, std::nullopt);
  EXPECT_EQ(unassigned->assignee_id, std::nullopt);

  EXPECT_EQ(Update(created.id, {.team_id = std::optional<std::string>(NewId("team_"))}).status().field(), "team_id");
  EXPECT_EQ(Update(NewId("cas_"), {.status = CaseStatus::kOpen}).status().code(), ErrorCode::kNotFound);
}

TEST_P(CasesTest, ListFiltersByStatusCustomerAndTeams) {
  MustCreate({.customer_id = jana_, .subject = "jana service new", .team_id = service_});
  MustCreate({.customer_id = jana_, .subject = "jana sales open", .status = CaseStatus::kOpen, .team_id = sales_});
  MustCreate({.customer_id = petr_, .subject = "petr service open", .status = CaseStatus::kOpen, .team_id = service_});
  MustCreate({.customer_id = petr_, .subject = "petr it new", .team_id = it_});
  MustCreate({.customer_id = petr_, .subject = "petr no team"});

  EXPECT_EQ(Subjects({}).size(), 5u);
  EXPECT_THAT(Subjects({.status = CaseStatus::kOpen}), UnorderedElementsAre("jana sales open", "petr service open"));
  EXPECT_THAT(Subjects({.customer_id = jana_}), UnorderedElementsAre("jana service new", "jana sales open"));
  EXPECT_THAT(Subjects({.team_id = service_}), UnorderedElementsAre("jana service new", "petr service open"));
  EXPECT_THAT(Subjects({.status = CaseStatus::kOpen, .team_id = service_}), UnorderedElementsAre("petr service open"));
  EXPECT_THAT(Subjects({.only_teams = std::vector{service_, it_}}),
              UnorderedElementsAre("jana service new", "petr service open", "petr it new"));
  EXPECT_THAT(Subjects({.customer_id = petr_, .only_teams = std::vector{service_, it_}}),
              UnorderedElementsAre("petr service open", "petr it new"));
  EXPECT_THAT(Subjects({.team_id = sales_, .only_teams = std::vector{service_}}), IsEmpty());
  EXPECT_THAT(Subjects({.team_id = service_, .only_teams = std::vector{service_, it_}}),
              UnorderedElementsAre("jana service new", "petr service open"));
  EXPECT_THAT(Subjects({.only_teams = std::vector<std::string>{}}), IsEmpty());

  // The customers an agent of a team may see follow from the same cases.
  Result<Page<profiles::Customer>> visible = ReadResult<Page<profiles::Customer>>(
      store(), tenant_,
      [&](store::TenantTx& tx) { return profiles::ListCustomers(tx, {.only_teams = std::vector{it_}}, {}); });
  ASSERT_TRUE(visible.ok());
  ASSERT_EQ(visible->items.size(), 1u);
  EXPECT_EQ(visible->items[0].id, petr_);
}

TEST_P(CasesTest, PagesReturnEveryCaseExactlyOnceInIdOrder) {
  std::vector<std::string> all;
  std::vector<std::string> in_teams;
  std::vector<std::string> open;
  const std::vector<std::optional<std::string>> owners = {service_, sales_, it_, std::nullopt, service_};
  for (int case_idx = 0; case_idx < 21; ++case_idx) {
    const std::optional<std::string>& team = owners[static_cast<size_t>(case_idx) % owners.size()];
    const CaseStatus status = case_idx % 3 == 0 ? CaseStatus::kOpen : CaseStatus::kNew;
    const Case created = MustCreate({.customer_id = case_idx % 2 == 0 ? jana_ : petr_,
                                     .subject = "case " + std::to_string(case_idx),
                                     .status = status,
                                     .team_id = team});
    all.push_back(created.id);
    if (team == service_ || team == it_) in_teams.push_back(created.id);
    if (status == CaseStatus::kOpen) open.push_back(created.id);
  }
  std::sort(all.begin(), all.end());
  std::sort(in_teams.begin(), in_teams.end());
  std::sort(open.begin(), open.end());
  for (int limit : {1, 4, 21, 50}) {
    EXPECT_EQ(AllIds({}, limit), all) << "limit " << limit;
    EXPECT_EQ(AllIds({.only_teams = std::vector{service_, it_}}, limit), in_teams) << "limit " << limit;
    EXPECT_EQ(AllIds({.status = CaseStatus::kOpen}, limit), open) << "limit " << limit;
  }
}

TEST_P(CasesTest, ABulkUpdateChangesEveryCaseOrNone) {
  const Case first = MustCreate({.customer_id = jana_, .subject = "One", .team_id = service_});
  const Case second = MustCreate({.customer_id = petr_, .subject = "Two", .team_id = service_});
  const Case elsewhere = MustCreate({.customer_id = petr_, .subject = "Three", .team_id = sales_});
  auto bulk = [&](const std::vector<std::string>& ids, const std::optional<std::vector<std::string>>& teams) {
    return WriteResult<std::vector<Case>>(store(), tenant_, [&](store::TenantTx& tx) {
      return UpdateCases(tx, ids, {.priority = CasePriority::kUrgent, .add_tags = {"outage"}}, teams, kSystemActor);
    });
  };
  auto updated = bulk({first.id, second.id}, std::vector{service_});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  ASSERT_EQ(updated->size(), 2u);
  EXPECT_EQ((*updated)[1].priority, CasePriority::kUrgent);
  EXPECT_THAT((*updated)[1].tags, ::testing::ElementsAre("outage"));

  // Another team's case stops the whole call, naming it; the cases before it are unchanged.
  const Status refused = bulk({elsewhere.id == first.id ? second.id : first.id, elsewhere.id}, std::vector{service_})
                             .status();
  EXPECT_EQ(refused.code(), ErrorCode::kNotFound);
  EXPECT_EQ(refused.field(), "case_ids[1]");
  EXPECT_EQ(bulk({first.id, first.id}, std::nullopt).status().field(), "case_ids");
  EXPECT_EQ(bulk({}, std::nullopt).status().field(), "case_ids");
  const Status closed_first = WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) {
                                return UpdateCase(tx, second.id, {.status = CaseStatus::kClosed}, kSystemActor);
                              }).status();
  ASSERT_TRUE(closed_first.ok());
  const Status reopen = WriteResult<std::vector<Case>>(store(), tenant_, [&](store::TenantTx& tx) {
                          return UpdateCases(tx, {first.id, second.id}, {.status = CaseStatus::kOpen}, std::nullopt,
                                             kSystemActor);
                        }).status();
  EXPECT_EQ(reopen.field(), "status");
  EXPECT_THAT(reopen.message(), ::testing::HasSubstr("case_ids[1]"));
  auto first_after = ReadResult<Case>(store(), tenant_, [&](store::TenantTx& tx) { return GetCase(tx, first.id); });
  EXPECT_EQ(first_after->status, CaseStatus::kNew);  // rolled back with the rest
}

INSTANTIATE_TEST_SUITE_P(Backends, CasesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
