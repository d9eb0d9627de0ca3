// Durable jobs: work that must happen even if the process that wanted it dies (deliveries, SLA timers,
// rule actions). A job is a row in the store, scheduled inside the transaction that wants it, so it
// exists exactly when that write committed. Workers inside `serve` (Runner) claim due jobs with a
// lease; a process that crashes mid-job loses its lease and another process, or the next start, takes
// the job over. Failed attempts are retried with exponential backoff until max_attempts, then the job
// is dead; state and last error stay visible (GetJob, ListJobs).
//
//   TP_ASSIGN_OR_RETURN(auto id, jobs::Schedule(tx, {.kind = "outbound.deliver", .payload = R"({"id":"…"})",
//                                                     .unique_key = delivery_id}, now));
//   runner.Handle("outbound.deliver", [&](const jobs::Job& job) { return Deliver(job); });
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::jobs {

enum class JobState { kQueued, kRunning, kSucceeded, kDead };
std::string_view JobStateName(JobState state);

struct JobSpec {
  std::string kind;
  std::string payload = "{}";  // a JSON object for the handler
  // At most one job of this kind and key ever exists in the tenant: scheduling it again returns
  // std::nullopt. Work that recurs puts its period in the key ("retention:2026-12-01").
  std::optional<std::string> unique_key;
  Micros run_at = 0;  // 0: now
  int max_attempts = 8;
};

struct Job {
  std::string tenant_id;
  std::string id;  // "job_…"
  std::string kind;
  std::optional<std::string> unique_key;
  std::string payload;
  JobState state = JobState::kQueued;
  Micros run_at = 0;
  int attempts = 0;  // started attempts, the running one included
  int max_attempts = 0;
  std::optional<std::string> last_error;
  Micros created_at = 0;
  Micros updated_at = 0;
  std::optional<Micros> finished_at;
};

// Schedules a job in the caller's transaction. Returns the new job's id, or std::nullopt when a job
// with the same kind and unique key already exists. kInvalidArgument for an empty kind or payload that
// is not a JSON object, max_attempts outside 1..100.
Result<std::optional<std::string>> Schedule(store::TenantTx& tx, const JobSpec& spec, Micros now);
// kNotFound for an unknown job.
Result<Job> GetJob(store::TenantTx& tx, std::string_view job_id);
// Ordered by id (creation order); optionally one kind or one state.
Result<Page<Job>> ListJobs(store::TenantTx& tx, const std::optional<std::string>& kind,
                           const std::optional<JobState>& state, const PageRequest& page);

// What a handler says about one attempt.
struct Outcome {
  // OK: done. Otherwise the attempt failed with this error and is retried after a backoff unless
  // `permanent` or the attempts are used up.
  Status status = Status::Ok();
  bool permanent = false;
  std::optional<Micros> retry_at;  // overrides the backoff (a receiver's Retry-After)
  static Outcome Done() { return {}; }
  static Outcome Retry(Status error) { return {std::move(error), false, std::nullopt}; }
  static Outcome Fail(Status error) { return {std::move(error), true, std::nullopt}; }
};
using Handler = std::function<Outcome(const Job& job)>;

struct RunnerOptions {
  std::string owner;  // names this process in leases; a random one when empty
  int workers = 2;
  std::chrono::milliseconds lease{std::chrono::minutes(5)};  // a handler must finish well within it
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds backoff_base{std::chrono::seconds(10)};  // doubles per attempt, ±20 %
  std::chrono::milliseconds backoff_max{std::chrono::hours(6)};
  std::function<Micros()> now = NowMicros;  // tests move the clock
};

class Runner {
 public:
  Runner(store::Store& store, RunnerOptions options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Register before Start(). A job of a kind without a handler waits (another process may have one).
  void Handle(std::string kind, Handler handler);
  void Start();
  // Lets running attempts finish, then returns; idempotent.
  void Stop();
  // A job was scheduled: look now instead of at the next poll.
  void Wake();

  // Claims and runs due jobs on the calling thread until none is due or `max_jobs` ran; returns how
  // many ran. For tests (with a moved clock) and the CLI.
  Result<int> RunDue(int max_jobs = 1000);

  // The backoff before attempt `attempts + 1` (without jitter): base · 2^(attempts-1), capped.
  std::chrono::milliseconds BackoffAfter(int attempts) const;

 private:
  Result<std::optional<Job>> ClaimOne();
  Status Finish(const Job& job, const Outcome& outcome);
  void WorkerLoop();

  store::Store& store_;
  RunnerOptions options_;
  std::vector<std::pair<std::string, Handler>> handlers_;  // fixed once started
  std::once_flag claim_sql_built_;
  std::string claim_sql_;  // for the handled kinds, built on the first claim

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace tp::jobs
