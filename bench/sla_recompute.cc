// The cost of sla.recompute (sla/storage.h): re-evaluating every open case of a tenant after an SLA
// policy changed, as the job runs it (batches of sla::kRecomputeBatch, one transaction each). Seeds a
// fresh tenant with N open cases and their case_sla rows (facts as the subscriber stores them: created,
// opened, a first reply for two thirds of them, a customer message after it for a third), a team on a
// Prague work-week calendar for half of them, and one policy; then times
//   1. the first evaluation of every row (all rows written, a breach check scheduled for each),
//   2. a recompute after the policy's targets changed (every due moves: all rows written again),
//   3. a recompute with nothing changed (every row read and evaluated, none written).
//
//   sla_recompute --db URL [--cases 100000] [--tenant bench-sla]
//
// The database must be empty or hold no tenant of that slug (bench/sla_recompute.sh makes a fresh
// one). Prints one machine-readable line per phase:
//   sla-recompute phase=NAME cases=N duration_us=N per_case_us=N.N
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "identity/audit.h"
#include "identity/teams.h"
#include "identity/tenants.h"
#include "jobs/jobs.h"
#include "sla/sla.h"
#include "sla/storage.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using tp::Micros;
using tp::Status;

constexpr Micros kMinute = 60'000'000;
constexpr std::size_t kSeedBatch = 5000;

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr, "usage: %s --db URL [--cases N] [--tenant SLUG]\n", program);
  std::exit(2);
}

void Check(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "sla_recompute: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

constexpr std::string_view kInsertCaseSla =
    "INSERT INTO case_sla (tenant_id, case_id, customer_id, team_id, status, priority, type, channel, facts, "
    "first_response_active, first_response_breached, next_response_active, next_response_breached, "
    "resolution_active, resolution_breached, case_created_at, computed_at) "
    "VALUES ($1, $2, $3, $4, $5, 'normal', 'question', 'email', $6, 0, 0, 0, 0, 0, 0, $7, $7)";
constexpr std::string_view kInsertCustomer =
    "INSERT INTO customers (tenant_id, id, created_at, updated_at, first_seen_at) VALUES ($1, $2, $3, $3, $3)";

void Report(const char* phase, std::size_t cases, Clock::duration elapsed) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  std::printf("sla-recompute phase=%s cases=%zu duration_us=%lld per_case_us=%.1f\n", phase, cases,
              static_cast<long long>(micros), static_cast<double>(micros) / static_cast<double>(cases));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::string slug = "bench-sla";
  std::size_t case_count = 100'000;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    const std::string flag = argv[arg_idx];
    if (arg_idx + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++arg_idx];
    if (flag == "--db")
      db = value;
    else if (flag == "--cases")
      case_count = std::stoul(value);
    else if (flag == "--tenant")
      slug = value;
    else
      Usage(argv[0]);
  }
  if (db.empty() || case_count == 0) Usage(argv[0]);
  auto opened = tp::store::OpenStore(db);
  Check(opened.status(), "open");
  tp::store::Store& store = **opened;
  Check(store.Migrate(), "migrate");

  std::string tenant_id;
  Check(store.WriteSystem([&](tp::store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(tp::identity::Tenant tenant, tp::identity::CreateTenant(tx, slug, "SLA bench"));
    tenant_id = tenant.id;
    return Status::Ok();
  }),
        "create tenant");
  const auto audit = tp::identity::AuditContext::System("bench");
  const Micros now = tp::NowMicros();
  std::string team_id;
  std::string policy_id;
  Check(store.Write(
            tenant_id,
            [&](tp::store::TenantTx& tx) -> Status {
              TP_ASSIGN_OR_RETURN(tp::identity::Team team, tp::identity::CreateTeam(tx, audit, {.name = "Service"}));
              team_id = team.id;
              TP_ASSIGN_OR_RETURN(
                  tp::sla::SlaCalendar calendar,
                  tp::sla::CreateCalendar(
                      tx, {.name = "Prague office", .definition = json::parse(R"({"time_zone": "Europe/Prague",
        "hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                  "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}, "holidays": ["2026-12-24"]})")},
                      audit, now));
              TP_RETURN_IF_ERROR(tp::sla::SetTeamCalendar(tx, team_id, calendar.id, audit, now));
              TP_ASSIGN_OR_RETURN(
                  tp::sla::Policy policy,
                  tp::sla::CreatePolicy(
                      tx, {.name = "Standard", .targets = json::parse(R"({"normal": {"first_response_minutes": 240,
                                 "next_response_minutes": 480, "resolution_minutes": 2880}})")},
                      audit, now));
              policy_id = policy.id;
              return Status::Ok();
            }),
        "configure");

  // Seed: cases opened over the last three days.
  std::mt19937_64 random(42);
  std::uniform_int_distribution<Micros> age(10 * kMinute, 3 * 24 * 60 * kMinute);
  const auto seed_start = Clock::now();
  for (std::size_t done = 0; done < case_count;) {
    Check(store.Write(
              tenant_id,
              [&](tp::store::TenantTx& tx) -> Status {
                for (std::size_t in_batch = 0; in_batch < kSeedBatch && done + in_batch < case_count; ++in_batch) {
                  const std::size_t case_idx = done + in_batch;
                  const Micros created_at = now - age(random);
                  tp::sla::CaseFacts facts{.created_at = created_at,
                                           .statuses = {{created_at, tp::cases::CaseStatus::kNew},
                                                        {created_at + kMinute, tp::cases::CaseStatus::kOpen}},
                                           .conversation = {{created_at, true}}};
                  if (case_idx % 3 != 0) {
                    facts.first_response_at = created_at + 30 * kMinute;
                    facts.conversation.push_back({created_at + 30 * kMinute, false});
                  }
                  if (case_idx % 3 == 1) facts.conversation.push_back({created_at + 60 * kMinute, true});
                  const std::string customer_id = tp::NewId("cus_");
                  TP_RETURN_IF_ERROR(tx.Execute(kInsertCustomer, {customer_id, created_at}).status());
                  TP_RETURN_IF_ERROR(tx.Execute(kInsertCaseSla,
                                                {tp::NewId("cas_"), customer_id,
                                                 case_idx % 2 == 0 ? tp::store::Value(team_id) : tp::store::kNull,
                                                 std::string("open"), tp::sla::CaseFactsJson(facts).dump(), created_at})
                                         .status());
                }
                return Status::Ok();
              }),
          "seed");
    done += std::min(kSeedBatch, case_count - done);
  }
  Report("seed", case_count, Clock::now() - seed_start);

  const tp::jobs::Job job{
      .tenant_id = tenant_id, .id = "job_bench", .kind = std::string(tp::sla::kRecomputeJob), .payload = "{}"};
  const auto run = [&](const char* phase, Micros at) {
    const auto start = Clock::now();
    const tp::jobs::Outcome outcome = tp::sla::RunRecomputeJob(store, job, at);
    Check(outcome.status, phase);
    Report(phase, case_count, Clock::now() - start);
  };
  run("first", now);
  Check(store.Write(tenant_id,
                    [&](tp::store::TenantTx& tx) -> Status {
                      return tp::sla::UpdatePolicy(tx, policy_id,
                                                   {.targets = json::parse(R"({"normal": {"first_response_minutes": 120,
                                   "next_response_minutes": 240, "resolution_minutes": 1440}})")},
                                                   audit, now)
                          .status();
                    }),
        "change the policy");
  run("policy_changed", now);
  run("unchanged", now);
  store.Close();
  return 0;
}
