#include "sla/storage.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cases/conversation.h"
#include "changes/kinds.h"
#include "common/crypto.h"
#include "identity/teams.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"
#include "sla/test_support.h"

namespace tp::sla {
namespace {

using cases::CaseStatus;
using nlohmann::json;
using profiles::ReadResult;
using profiles::WriteResult;

const identity::AuditContext kAdmin{.actor_type = "user", .actor_id = "usr_admin"};

const char* const kWorkWeek = R"({"time_zone": "UTC",
    "hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
              "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}})";

class SlaStorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    other_tenant_ = profiles::CreateTestTenant(store(), "globex");
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(
          tx, {.name = "Jana Nová", .email = "jana@example.cz", .traits_json = R"({"tier": "gold"})"}, kAdmin);
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_id_ = customer->id;
    Result<identity::Team> team = WriteResult<identity::Team>(store(), tenant_, [&](store::TenantTx& tx) {
      return identity::CreateTeam(tx, kAdmin, {.name = "Service", .kind = "service"});
    });
    ASSERT_TRUE(team.ok()) << team.status().ToString();
    team_id_ = team->id;
  }

  store::Store& store() { return db_->store(); }

  Policy MakePolicy(const std::string& targets, const std::string& match = "{}") {
    Result<Policy> policy = WriteResult<Policy>(store(), tenant_, [&](store::TenantTx& tx) {
      return CreatePolicy(tx, {.name = "Standard", .match = json::parse(match), .targets = json::parse(targets)},
                          kAdmin, NowMicros());
    });
    EXPECT_TRUE(policy.ok()) << policy.status().ToString();
    return policy.ok() ? *policy : Policy{};
  }

  // A case, handed to the subscriber as the feed would.
  cases::Case MakeCase(Micros created_at, std::optional<std::string> team_id = std::nullopt, Micros now = NowMicros()) {
    Result<cases::Case> created = WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
      return cases::CreateCase(tx,
                               {.customer_id = customer_id_,
                                .subject = "Zásilka",
                                .channel = Channel::kEmail,
                                .team_id = team_id,
                                .created_at = created_at},
                               kAdmin);
    });
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    Deliver(changes::kinds::kCaseCreated, created->id, now);
    return *created;
  }

  void Deliver(std::string_view kind, const std::string& case_id, Micros now) {
    const std::vector<store::Change> batch = {{.sequence = 1,
                                               .tenant_id = tenant_,
                                               .kind = std::string(kind),
                                               .subject_id = case_id,
                                               .data = json{{"case_id", case_id}}.dump()}};
    const Status status = store().WriteSystem([&](store::SystemTx& tx) { return HandleChanges(tx, batch, now); });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  CaseSla StateOf(const std::string& case_id) {
    Result<CaseSla> state =
        ReadResult<CaseSla>(store(), tenant_, [&](store::TenantTx& tx) { return GetCaseSla(tx, case_id); });
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? *state : CaseSla{};
  }

  // The data of every sla.breached (or other `kind`) change published so far.
  std::vector<json> Breaches(std::string_view kind = changes::kinds::kSlaBreached) {
    std::vector<json> out;
    const Status status = store().ReadSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT data FROM change_feed WHERE kind = $1 ORDER BY sequence",
                                                     {std::string(kind)}));
      for (const store::Row& row : rows) out.push_back(json::parse(row.Text(0)));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  std::vector<jobs::Job> JobsOf(std::string_view kind) {
    Result<Page<jobs::Job>> page = ReadResult<Page<jobs::Job>>(store(), tenant_, [&](store::TenantTx& tx) {
      return jobs::ListJobs(tx, std::string(kind), std::nullopt, PageRequest{.after_id = "", .limit = 100});
    });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<jobs::Job>{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string other_tenant_;
  std::string customer_id_;
  std::string team_id_;
};

TEST_P(SlaStorageTest, CalendarsAreValidatedWithTheFieldNamed) {
  const auto create = [&](const std::string& name, const json& definition) {
    return WriteResult<SlaCalendar>(store(), tenant_, [&](store::TenantTx& tx) {
      return CreateCalendar(tx, {.name = name, .definition = definition}, kAdmin, NowMicros());
    });
  };
  Result<SlaCalendar> created = create("Prague office", json::parse(kWorkWeek));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->id.starts_with("cal_"));
  EXPECT_EQ(created->definition["time_zone"], "UTC");

  EXPECT_EQ(create("", json::parse(kWorkWeek)).status().field(), "name");
  EXPECT_EQ(create("x", json::array()).status().field(), "definition");
  EXPECT_EQ(create("x", json::parse(R"({"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}})"))
                .status()
                .field(),
            "definition.time_zone");
  EXPECT_EQ(
      create("x", json::parse(R"({"time_zone": "UTC", "hours": {"mon": [["17:00", "09:00"]]}})")).status().field(),
      "definition.hours.mon");

  // Another tenant does not see it.
  const Status hidden =
      store().Read(other_tenant_, [&](store::TenantTx& tx) { return GetCalendar(tx, created->id).status(); });
  EXPECT_EQ(hidden.code(), ErrorCode::kNotFound);
}

TEST_P(SlaStorageTest, ACalendarInUseCannotBeDeletedAndUnknownIdsAreNamed) {
  Result<SlaCalendar> calendar = WriteResult<SlaCalendar>(store(), tenant_, [&](store::TenantTx& tx) {
    return CreateCalendar(tx, {.name = "Office", .definition = json::parse(kWorkWeek)}, kAdmin, NowMicros());
  });
  ASSERT_TRUE(calendar.ok());
  const auto set = [&](const std::string& team_id, const std::optional<std::string>& calendar_id) {
    return store().Write(
        tenant_, [&](store::TenantTx& tx) { return SetTeamCalendar(tx, team_id, calendar_id, kAdmin, NowMicros()); });
  };
  EXPECT_EQ(set("team_nope", calendar->id).field(), "team_id");
  EXPECT_EQ(set(team_id_, "cal_nope").field(), "calendar_id");
  ASSERT_TRUE(set(team_id_, calendar->id).ok());
  EXPECT_EQ(JobsOf(kRecomputeJob).size(), 1u);

  const auto remove = [&] {
    return store().Write(tenant_, [&](store::TenantTx& tx) { return DeleteCalendar(tx, calendar->id, kAdmin); });
  };
  const Status in_use = remove();
  EXPECT_EQ(in_use.code(), ErrorCode::kConflict);
  EXPECT_EQ(in_use.field(), "calendar_id");
  ASSERT_TRUE(set(team_id_, std::nullopt).ok());
  EXPECT_TRUE(remove().ok());
}

TEST_P(SlaStorageTest, PoliciesListByPositionAndRejectBadInputByField) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  const Policy vip =
      MakePolicy(R"({"urgent": {"first_response_minutes": 15}})", R"({"customer_traits": {"tier": "gold"}})");
  EXPECT_EQ(vip.position, 1);
  Result<Policy> moved = WriteResult<Policy>(store(), tenant_, [&](store::TenantTx& tx) {
    return UpdatePolicy(tx, vip.id, {.position = 0}, kAdmin, NowMicros());
  });
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  Result<std::vector<Policy>> listed =
      ReadResult<std::vector<Policy>>(store(), tenant_, [&](store::TenantTx& tx) { return ListPolicies(tx); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  // Equal positions: the older policy first.
  EXPECT_EQ((*listed)[1].id, vip.id);

  const auto create = [&](NewPolicy input) {
    return store().Write(tenant_,
                         [&](store::TenantTx& tx) { return CreatePolicy(tx, input, kAdmin, NowMicros()).status(); });
  };
  const json targets = json::parse(R"({"normal": {"resolution_minutes": 60}})");
  EXPECT_EQ(create({.name = "", .targets = targets}).field(), "name");
  EXPECT_EQ(create({.name = "x", .position = -1, .targets = targets}).field(), "position");
  EXPECT_EQ(create({.name = "x", .match = json::parse(R"({"types": ["bug"]})"), .targets = targets}).field(),
            "match.types");
  EXPECT_EQ(create({.name = "x", .targets = json::parse(R"({"normal": {"resolution_minutes": 0}})")}).field(),
            "targets.normal.resolution_minutes");
  EXPECT_EQ(
      store()
          .Write(other_tenant_, [&](store::TenantTx& tx) { return DeletePolicy(tx, vip.id, kAdmin, NowMicros()); })
          .code(),
      ErrorCode::kNotFound);
}

TEST_P(SlaStorageTest, TheSubscriberWritesTheCaseStateAndPublishesABreachOnce) {
  const Policy policy = MakePolicy(R"({"normal": {"first_response_minutes": 60, "resolution_minutes": 600}})");
  const Micros now = NowMicros();
  const cases::Case late = MakeCase(now - 120 * kMicrosPerMinute, std::nullopt, now);

  CaseSla state = StateOf(late.id);
  EXPECT_EQ(state.policy_id, policy.id);
  EXPECT_FALSE(state.calendar_id);
  EXPECT_EQ(state.status, CaseStatus::kNew);
  EXPECT_EQ(state.state.first_response.due_at, late.created_at + 60 * kMicrosPerMinute);
  EXPECT_TRUE(state.state.first_response.breached);
  EXPECT_EQ(state.state.resolution.due_at, late.created_at + 600 * kMicrosPerMinute);
  EXPECT_FALSE(state.state.resolution.breached);
  EXPECT_EQ(state.state.next_due_at, late.created_at + 60 * kMicrosPerMinute);

  std::vector<json> breaches = Breaches();
  ASSERT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches[0]["case_id"], late.id);
  EXPECT_EQ(breaches[0]["metric"], "first_response");
  EXPECT_EQ(breaches[0]["policy_id"], policy.id);
  EXPECT_FALSE(breaches[0].contains("subject"));
  // The next check is the resolution's due.
  std::vector<jobs::Job> checks = JobsOf(kCheckJob);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].run_at, late.created_at + 600 * kMicrosPerMinute);

  // Handling the same case again neither republishes nor reschedules.
  Deliver(changes::kinds::kCaseUpdated, late.id, now + kMicrosPerMinute);
  EXPECT_EQ(Breaches().size(), 1u);
  EXPECT_EQ(JobsOf(kCheckJob).size(), 1u);
}

TEST_P(SlaStorageTest, TheCheckJobWarnsOnceBeforeTheDueAndThenMarksTheBreach) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60, "warn_before_minutes": 15}})");
  const Micros now = NowMicros();
  const cases::Case item = MakeCase(now - 30 * kMicrosPerMinute, std::nullopt, now);
  const Micros due = item.created_at + 60 * kMicrosPerMinute;
  std::vector<jobs::Job> checks = JobsOf(kCheckJob);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].run_at, due - 15 * kMicrosPerMinute);  // the warning comes first
  EXPECT_TRUE(Breaches(changes::kinds::kSlaNearBreach).empty());

  EXPECT_TRUE(RunCheckJob(store(), checks[0], due - 15 * kMicrosPerMinute).status.ok());
  std::vector<json> warnings = Breaches(changes::kinds::kSlaNearBreach);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["case_id"], item.id);
  EXPECT_EQ(warnings[0]["metric"], "first_response");
  EXPECT_EQ(warnings[0]["due_at"], FormatTimestamp(due));
  EXPECT_EQ(warnings[0]["warning_at"], FormatTimestamp(due - 15 * kMicrosPerMinute));
  EXPECT_TRUE(Breaches().empty());
  EXPECT_EQ(StateOf(item.id).state.next_check_at, due);

  // The case changing meanwhile, or the job running twice, does not warn again.
  Deliver(changes::kinds::kCaseUpdated, item.id, due - 10 * kMicrosPerMinute);
  EXPECT_TRUE(RunCheckJob(store(), checks[0], due - 5 * kMicrosPerMinute).status.ok());
  EXPECT_EQ(Breaches(changes::kinds::kSlaNearBreach).size(), 1u);

  EXPECT_TRUE(RunCheckJob(store(), checks[0], due).status.ok());
  EXPECT_EQ(Breaches().size(), 1u);
  EXPECT_EQ(Breaches(changes::kinds::kSlaNearBreach).size(), 1u);
}

TEST_P(SlaStorageTest, AReplyMeetsTheFirstResponseAndPendingPausesTheResolution) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60, "resolution_minutes": 600}})");
  const Micros created_at = NowMicros() - 10 * kMicrosPerMinute;
  const cases::Case item = MakeCase(created_at);
  Result<cases::Message> reply = WriteResult<cases::Message>(store(), tenant_, [&](store::TenantTx& tx) {
    return cases::AddMessage(
        tx, item.id, {.kind = cases::MessageKind::kReply, .body = "Posíláme novou.", .status = CaseStatus::kPending},
        {}, kAdmin);
  });
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  Deliver(changes::kinds::kCaseMessageAdded, item.id, NowMicros());

  const CaseSla state = StateOf(item.id);
  EXPECT_EQ(state.status, CaseStatus::kPending);
  EXPECT_EQ(state.state.first_response.met_at, reply->created_at);
  EXPECT_FALSE(state.state.first_response.breached);
  EXPECT_TRUE(state.state.resolution.paused);
  ASSERT_TRUE(state.state.resolution.remaining);
  // Ten minutes (and the moment the test took) of the 600 are used.
  EXPECT_LE(*state.state.resolution.remaining, 590 * kMicrosPerMinute);
  EXPECT_GT(*state.state.resolution.remaining, 580 * kMicrosPerMinute);
  EXPECT_FALSE(state.state.next_due_at);

  const json shown = CaseSlaJson(state);
  EXPECT_EQ(shown["metrics"]["resolution"]["paused"], true);
  EXPECT_FALSE(shown["metrics"].contains("next_response"));
}

TEST_P(SlaStorageTest, TheCheckJobMarksTheBreachAtTheDueTime) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  const Micros now = NowMicros();
  const cases::Case item = MakeCase(now - 30 * kMicrosPerMinute, std::nullopt, now);
  std::vector<jobs::Job> checks = JobsOf(kCheckJob);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].run_at, item.created_at + 60 * kMicrosPerMinute);
  EXPECT_TRUE(Breaches().empty());

  jobs::Job job = checks[0];
  EXPECT_TRUE(RunCheckJob(store(), job, item.created_at + 60 * kMicrosPerMinute).status.ok());
  EXPECT_TRUE(StateOf(item.id).state.first_response.breached);
  ASSERT_EQ(Breaches().size(), 1u);
  // A second run of the same job (a lease taken over) publishes nothing new.
  EXPECT_TRUE(RunCheckJob(store(), job, item.created_at + 61 * kMicrosPerMinute).status.ok());
  EXPECT_EQ(Breaches().size(), 1u);
}

TEST_P(SlaStorageTest, TheTeamCalendarCountsBusinessHours) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  Result<SlaCalendar> calendar = WriteResult<SlaCalendar>(store(), tenant_, [&](store::TenantTx& tx) {
    return CreateCalendar(tx, {.name = "Office", .definition = json::parse(kWorkWeek)}, kAdmin, NowMicros());
  });
  ASSERT_TRUE(calendar.ok());
  ASSERT_TRUE(
      store()
          .Write(tenant_,
                 [&](store::TenantTx& tx) { return SetTeamCalendar(tx, team_id_, calendar->id, kAdmin, NowMicros()); })
          .ok());
  // Monday 16:30: half an hour that day, the rest on Tuesday morning.
  const Micros monday = At("2026-11-30T16:30:00Z");
  const cases::Case item = MakeCase(monday, team_id_, monday + kMicrosPerMinute);
  const CaseSla state = StateOf(item.id);
  EXPECT_EQ(state.calendar_id, calendar->id);
  EXPECT_EQ(state.team_id, team_id_);
  EXPECT_EQ(state.state.first_response.due_at, At("2026-12-01T09:30:00Z"));
}

TEST_P(SlaStorageTest, APolicyChangeRecomputesOpenCasesFromTheirStoredFacts) {
  const Policy policy = MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  const Micros now = NowMicros();
  const cases::Case item = MakeCase(now - 30 * kMicrosPerMinute, std::nullopt, now);
  ASSERT_TRUE(store()
                  .Write(tenant_,
                         [&](store::TenantTx& tx) {
                           return UpdatePolicy(
                                      tx, policy.id,
                                      {.targets = json::parse(R"({"normal": {"first_response_minutes": 240}})")},
                                      kAdmin, now)
                               .status();
                         })
                  .ok());
  std::vector<jobs::Job> recomputes = JobsOf(kRecomputeJob);
  ASSERT_EQ(recomputes.size(), 2u);  // the policy's creation and its change
  EXPECT_TRUE(RunRecomputeJob(store(), recomputes[1], now + kMicrosPerMinute).status.ok());
  EXPECT_EQ(StateOf(item.id).state.first_response.due_at, item.created_at + 240 * kMicrosPerMinute);
  // A job for the new due; the old one finds the case not breached and leaves it.
  EXPECT_EQ(JobsOf(kCheckJob).size(), 2u);

  // A policy that no longer matches leaves the case without targets.
  ASSERT_TRUE(store()
                  .Write(tenant_,
                         [&](store::TenantTx& tx) {
                           return UpdatePolicy(tx, policy.id, {.match = json::parse(R"({"channels": ["phone"]})")},
                                               kAdmin, now)
                               .status();
                         })
                  .ok());
  Result<std::optional<std::string>> last = WriteResult<std::optional<std::string>>(
      store(), tenant_,
      [&](store::TenantTx& tx) { return RecomputeOpenCases(tx, std::nullopt, "", 10, now + 2 * kMicrosPerMinute); });
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_FALSE(*last);  // one batch reached the end
  const CaseSla state = StateOf(item.id);
  EXPECT_FALSE(state.policy_id);
  EXPECT_FALSE(state.state.first_response.active);
  EXPECT_FALSE(state.state.next_due_at);
}

TEST_P(SlaStorageTest, AttainmentCountsMetAndBreachedTargets) {
  const Policy policy = MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  const Micros now = NowMicros();
  MakeCase(now - 120 * kMicrosPerMinute, std::nullopt, now);  // breached
  const cases::Case answered = MakeCase(now - 10 * kMicrosPerMinute, team_id_, now);
  ASSERT_TRUE(store()
                  .Write(tenant_,
                         [&](store::TenantTx& tx) {
                           return cases::AddMessage(tx, answered.id,
                                                    {.kind = cases::MessageKind::kReply, .body = "Hned."}, {}, kAdmin)
                               .status();
                         })
                  .ok());
  Deliver(changes::kinds::kCaseMessageAdded, answered.id, NowMicros());
  MakeCase(now - 5 * kMicrosPerMinute, std::nullopt, now);  // still running: counts in neither

  const auto attainment = [&](const AttainmentQuery& query) {
    Result<std::array<MetricAttainment, 3>> result = ReadResult<std::array<MetricAttainment, 3>>(
        store(), tenant_, [&](store::TenantTx& tx) { return Attainment(tx, query); });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : std::array<MetricAttainment, 3>{};
  };
  std::array<MetricAttainment, 3> all = attainment({});
  EXPECT_EQ(all[0].met, 1);
  EXPECT_EQ(all[0].breached, 1);
  EXPECT_EQ(all[0].attainment_percent, 50.0);
  EXPECT_FALSE(all[2].attainment_percent);
  EXPECT_EQ(attainment({.team_id = team_id_})[0].met, 1);
  EXPECT_EQ(attainment({.team_id = team_id_})[0].breached, 0);
  EXPECT_EQ(attainment({.policy_id = policy.id})[0].breached, 1);
  EXPECT_EQ(attainment({.since = now - 60 * kMicrosPerMinute})[0].breached, 0);
  EXPECT_EQ(attainment({.only_teams = std::vector<std::string>{}})[0].met, 0);
}

TEST_P(SlaStorageTest, ACaseWithoutAMatchingPolicyGetsARowWithNothingDue) {
  const cases::Case item = MakeCase(NowMicros() - kMicrosPerMinute);
  const CaseSla state = StateOf(item.id);
  EXPECT_FALSE(state.policy_id);
  EXPECT_FALSE(state.state.next_due_at);
  EXPECT_TRUE(JobsOf(kCheckJob).empty());
}

TEST_P(SlaStorageTest, TheInboxListsCasesByTheirNextDueThenThoseWithNothingDue) {
  MakePolicy(R"({"normal": {"first_response_minutes": 60}})");
  const Micros now = NowMicros();
  const cases::Case soon = MakeCase(now - 50 * kMicrosPerMinute, team_id_, now);      // due in 10 minutes
  const cases::Case breached = MakeCase(now - 90 * kMicrosPerMinute, team_id_, now);  // due 30 minutes ago
  const cases::Case later = MakeCase(now - 10 * kMicrosPerMinute, team_id_, now);     // due in 50 minutes
  const cases::Case other_team = MakeCase(now - 70 * kMicrosPerMinute, std::nullopt, now);
  cases::Case pending = MakeCase(now - 80 * kMicrosPerMinute, team_id_, now);
  const Status paused = store().Write(tenant_, [&](store::TenantTx& tx) {
    return cases::UpdateCase(tx, pending.id, {.status = CaseStatus::kPending}, kAdmin).status();
  });
  ASSERT_TRUE(paused.ok()) << paused.ToString();
  Deliver(changes::kinds::kCaseUpdated, pending.id, now);
  const cases::Case unseen = MakeCase(now, team_id_, now);  // not handed to the subscriber below
  const Status forgotten = store().Write(tenant_, [&](store::TenantTx& tx) {
    return tx.Execute("DELETE FROM case_sla WHERE tenant_id = $1 AND case_id = $2", {unseen.id}).status();
  });
  ASSERT_TRUE(forgotten.ok()) << forgotten.ToString();

  const auto list = [&](const DueQuery& query, const PageRequest& page) {
    Result<Page<DueCase>> found = ReadResult<Page<DueCase>>(
        store(), tenant_, [&](store::TenantTx& tx) { return ListCasesByDue(tx, query, page); });
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : Page<DueCase>{};
  };
  const auto ids = [](const Page<DueCase>& page) {
    std::vector<std::string> out;
    for (const DueCase& found : page.items) out.push_back(found.item.id);
    return out;
  };

  const Page<DueCase> all = list({.team_id = team_id_}, {.limit = 50});
  EXPECT_EQ(ids(all), (std::vector<std::string>{breached.id, soon.id, later.id, pending.id, unseen.id}));
  EXPECT_EQ(all.items[0].next_due_at, breached.created_at + 60 * kMicrosPerMinute);
  EXPECT_FALSE(all.items[3].next_due_at);
  EXPECT_TRUE(all.next_cursor.empty());

  // Page by page, across the two parts, gives the same order.
  std::vector<std::string> paged;
  PageRequest page{.limit = 2};
  for (int pages = 0; pages < 5; ++pages) {
    const Page<DueCase> one = list({.team_id = team_id_}, page);
    for (const DueCase& found : one.items) paged.push_back(found.item.id);
    if (one.next_cursor.empty()) break;
    Result<PageRequest> next = PageRequest::Parse(one.next_cursor, "2");
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    page = *next;
  }
  EXPECT_EQ(paged, ids(all));

  // Breaching soon: due within 20 minutes, or already breached; nothing without a due.
  EXPECT_EQ(ids(list({.team_id = team_id_, .due_before = now + 20 * kMicrosPerMinute}, {.limit = 50})),
            (std::vector<std::string>{breached.id, soon.id}));
  EXPECT_EQ(ids(list({.only_teams = std::vector<std::string>{}}, {.limit = 50})).size(), 0u);
  EXPECT_EQ(ids(list({.unassigned = true, .due_before = now + 20 * kMicrosPerMinute}, {.limit = 50})),
            (std::vector<std::string>{breached.id, other_team.id, soon.id}));
  const Result<Page<DueCase>> bad = ReadResult<Page<DueCase>>(store(), tenant_, [&](store::TenantTx& tx) {
    return ListCasesByDue(tx, {}, {.after_id = "x1:cas_a", .limit = 5});
  });
  EXPECT_EQ(bad.status().field(), "cursor");
  // Another tenant sees none of them.
  const Result<Page<DueCase>> other = ReadResult<Page<DueCase>>(
      store(), other_tenant_, [&](store::TenantTx& tx) { return ListCasesByDue(tx, {}, {.limit = 50}); });
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->items.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaStorageTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::sla
