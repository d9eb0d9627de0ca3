#include "jobs/jobs.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "changes/kinds.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "store/sql_params.h"

namespace tp::jobs {
namespace {

constexpr std::string_view kJobColumns =
    "tenant_id, id, kind, unique_key, payload, state, run_at, attempts, max_attempts, last_error, created_at, "
    "updated_at, finished_at";
constexpr std::string_view kInsertJob =
    "INSERT INTO jobs (tenant_id, id, kind, unique_key, payload, state, run_at, attempts, max_attempts, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8, $8) "
    "ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING";
// Finishing checks the lease: a job taken over after this process's lease expired belongs to the new
// owner, whose attempt counts.
constexpr std::string_view kSucceed =
    "UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, "
    "updated_at = $4, finished_at = $4 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND attempts = $5";
constexpr std::string_view kRequeue =
    "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, last_error = $6, run_at = $7, "
    "updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND attempts = $5";
constexpr std::string_view kBury =
    "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, last_error = $6, updated_at = $4, "
    "finished_at = $4 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND attempts = $5";
constexpr size_t kMaxErrorLength = 1000;

std::optional<JobState> ParseJobState(std::string_view name) {
  if (name == "queued") return JobState::kQueued;
  if (name == "running") return JobState::kRunning;
  if (name == "succeeded") return JobState::kSucceeded;
  if (name == "dead") return JobState::kDead;
  return std::nullopt;
}

Job JobFromRow(const store::Row& row) {
  Job job;
  job.tenant_id = row.Text(0);
  job.id = row.Text(1);
  job.kind = row.Text(2);
  job.unique_key = row.OptionalText(3);
  job.payload = row.Text(4);
  job.state = ParseJobState(row.Text(5)).value_or(JobState::kQueued);
  job.run_at = row.Int(6);
  job.attempts = static_cast<int>(row.Int(7));
  job.max_attempts = static_cast<int>(row.Int(8));
  job.last_error = row.OptionalText(9);
  job.created_at = row.Int(10);
  job.updated_at = row.Int(11);
  job.finished_at = row.OptionalInt(12);
  return job;
}

Micros ToMicros(std::chrono::milliseconds duration) { return static_cast<Micros>(duration.count()) * 1000; }

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kDead:
      return "dead";
  }
  return "queued";
}

Result<std::optional<std::string>> Schedule(store::TenantTx& tx, const JobSpec& spec, Micros now) {
  if (spec.kind.empty() || spec.kind.size() > 100) return InvalidArgument("a job needs a kind of 1 to 100 characters", "kind");
  if (spec.max_attempts < 1 || spec.max_attempts > 100) {
    return InvalidArgument("max_attempts must be 1 to 100", "max_attempts");
  }
  const nlohmann::json payload = nlohmann::json::parse(spec.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return InvalidArgument("a job's payload must be a JSON object", "payload");
  std::string id = NewId("job_");
  TP_ASSIGN_OR_RETURN(std::int64_t inserted,
                      tx.Execute(kInsertJob, {id, spec.kind, store::Nullable(spec.unique_key), spec.payload,
                                              spec.run_at == 0 ? now : spec.run_at,
                                              static_cast<std::int64_t>(spec.max_attempts), now}));
  if (inserted == 0) return std::optional<std::string>();
  // Wakes the runners of every process (Runner::Wake through the change feed) instead of their next poll.
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kJobScheduled, id,
                                nlohmann::json{{"job_id", id}, {"kind", spec.kind}}.dump()));
  return std::optional<std::string>(std::move(id));
}

Result<Job> GetJob(store::TenantTx& tx, std::string_view job_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kJobColumns) +
                                                " FROM jobs WHERE tenant_id = $1 AND id = $2",
                                            {std::string(job_id)}));
  if (!row) return NotFound("no job " + std::string(job_id));
  return JobFromRow(*row);
}

Result<Page<Job>> ListJobs(store::TenantTx& tx, const std::optional<std::string>& kind,
                           const std::optional<JobState>& state, const PageRequest& page) {
  store::SqlParams params;
  std::string sql = "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE tenant_id = $1";
  sql += store::Sql({" AND id > ", params.Bind(page.after_id)});
  if (kind) sql += store::Sql({" AND kind = ", params.Bind(*kind)});
  if (state) sql += store::Sql({" AND state = ", params.Bind(std::string(JobStateName(*state)))});
  sql += store::Sql({" ORDER BY id LIMIT ", params.Bind(static_cast<std::int64_t>(page.limit + 1))});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const store::Row& row : rows) jobs.push_back(JobFromRow(row));
  return MakePage(std::move(jobs), page.limit, [](const Job& job) { return job.id; });
}

Runner::Runner(store::Store& store, RunnerOptions options) : store_(store), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = "worker_" + RandomToken(9);
}

Runner::~Runner() { Stop(); }

void Runner::Handle(std::string kind, Handler handler) { handlers_.emplace_back(std::move(kind), std::move(handler)); }

std::chrono::milliseconds Runner::BackoffAfter(int attempts) const {
  const int doublings = std::clamp(attempts - 1, 0, 30);
  const auto backoff = options_.backoff_base * (std::int64_t{1} << doublings);
  return std::min<std::chrono::milliseconds>(backoff, options_.backoff_max);
}

Result<std::optional<Job>> Runner::ClaimOne() {
  if (handlers_.empty()) return std::optional<Job>();
  std::call_once(claim_sql_built_, [this] {
    // A due job, or one whose lease ran out (its process died): the oldest first. PostgreSQL lets
    // concurrent claimers skip each other's rows; SQLite has one writer, so none is needed.
    std::string kinds;
    for (size_t index = 0; index < handlers_.size(); ++index) {
      kinds += (index == 0 ? "$" : ", $") + std::to_string(index + 4);
    }
    claim_sql_ = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, "
                 "attempts = attempts + 1, updated_at = $3 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs "
                 "WHERE ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_expires_at <= $3)) "
                 "AND kind IN (" + kinds + ") ORDER BY run_at LIMIT 1" +
                 (store_.backend() == store::Backend::kPostgres ? " FOR UPDATE SKIP LOCKED" : "") +
                 ") RETURNING " + std::string(kJobColumns);
  });
  const Micros now = options_.now();
  std::vector<store::Value> params{options_.owner, now + ToMicros(options_.lease), now};
  for (const auto& [kind, handler] : handlers_) params.emplace_back(kind);
  std::optional<Job> job;
  // SystemTx: the claim looks across tenants; finishing the job is scoped to its tenant again.
  TP_RETURN_IF_ERROR(store_.WriteSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(claim_sql_, params));
    job.reset();
    if (!rows.empty()) job = JobFromRow(rows.front());
    return Status::Ok();
  }));
  return job;
}

Status Runner::Finish(const Job& job, const Outcome& outcome) {
  const Micros now = options_.now();
  return store_.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    if (outcome.status.ok()) {
      return tx.Execute(kSucceed, {job.id, options_.owner, now, static_cast<std::int64_t>(job.attempts)}).status();
    }
    std::string error = outcome.status.message().substr(0, kMaxErrorLength);
    if (outcome.permanent || job.attempts >= job.max_attempts) {
      return tx.Execute(kBury, {job.id, options_.owner, now, static_cast<std::int64_t>(job.attempts), error})
          .status();
    }
    Micros retry_at = outcome.retry_at.value_or(0);
    if (retry_at <= now) {
      // ±20 % jitter, so that jobs that failed together (a receiver was down) do not retry together.
      thread_local std::mt19937_64 random(std::random_device{}());
      const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(random);
      retry_at = now + static_cast<Micros>(static_cast<double>(ToMicros(BackoffAfter(job.attempts))) * jitter);
    }
    return tx.Execute(kRequeue, {job.id, options_.owner, now, static_cast<std::int64_t>(job.attempts), error,
                                 retry_at})
        .status();
  });
}

Result<int> Runner::RunDue(int max_jobs) {
  int ran = 0;
  while (ran < max_jobs) {
    TP_ASSIGN_OR_RETURN(std::optional<Job> job, ClaimOne());
    if (!job) break;
    const auto handler = std::find_if(handlers_.begin(), handlers_.end(),
                                      [&](const auto& entry) { return entry.first == job->kind; });
    Outcome outcome = handler->second(*job);
    if (!outcome.status.ok()) {
      spdlog::warn("job {} ({}) attempt {} of {} failed: {}", job->id, job->kind, job->attempts, job->max_attempts,
                   outcome.status.message());
    }
    TP_RETURN_IF_ERROR(Finish(*job, outcome));
    ++ran;
  }
  return ran;
}

void Runner::Start() {
  const std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int worker = 0; worker < options_.workers; ++worker) workers_.emplace_back([this] { WorkerLoop(); });
}

void Runner::Stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void Runner::Wake() {
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void Runner::WorkerLoop() {
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    Result<int> ran = RunDue(1);
    if (!ran.ok()) spdlog::warn("jobs: {}", ran.status().message());
    if (ran.ok() && *ran > 0) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

}  // namespace tp::jobs
