#include "jobs/jobs.h"

#include <gtest/gtest.h>

#include <atomic>

#include "store/testing.h"

namespace tp::jobs {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTenant = "tenant_jobs";
constexpr Micros kStart = 1'800'000'000'000'000;  // a fixed clock the tests move by hand
constexpr Micros kSecond = 1'000'000;

// How many jobs a RunDue call ran; -1 (and a test failure) when it failed.
int Ran(const Result<int>& ran) {
  EXPECT_TRUE(ran.ok()) << ran.status().message();
  return ran.ok() ? *ran : -1;
}

class JobsTest : public ::testing::TestWithParam<std::string> {
 protected:
  RunnerOptions Options(std::string owner) {
    RunnerOptions options;
    options.owner = std::move(owner);
    options.lease = 30s;
    options.backoff_base = 10s;
    options.now = [this] { return now_.load(); };
    return options;
  }

  std::optional<std::string> ScheduleJob(store::Store& store, const JobSpec& spec) {
    std::optional<std::string> id;
    const Status status = store.Write(std::string(kTenant), [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(id, Schedule(tx, spec, now_.load()));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.message();
    return id;
  }

  Job Load(store::Store& store, const std::string& id) {
    Job job;
    const Status status = store.Read(std::string(kTenant), [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(job, GetJob(tx, id));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.message();
    return job;
  }

  std::atomic<Micros> now_ = kStart;
};

TEST_P(JobsTest, RunsADueJobOnceAndRecordsItsState) {
  store::TestDatabase db(GetParam());
  Runner runner(db.store(), Options("a"));
  std::vector<std::string> payloads;
  runner.Handle("greet", [&](const Job& job) {
    payloads.push_back(job.payload);
    return Outcome::Done();
  });
  const auto id = ScheduleJob(db.store(), {.kind = "greet", .payload = R"({"who":"jana"})"});
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(Load(db.store(), *id).state, JobState::kQueued);
  ASSERT_EQ(Ran(runner.RunDue()), 1);
  EXPECT_EQ(Ran(runner.RunDue()), 0);
  EXPECT_EQ(payloads, std::vector<std::string>{R"({"who":"jana"})"});
  const Job job = Load(db.store(), *id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.finished_at, kStart);
}

TEST_P(JobsTest, AUniqueKeyIsScheduledOnce) {
  store::TestDatabase db(GetParam());
  EXPECT_TRUE(ScheduleJob(db.store(), {.kind = "remind", .unique_key = "case_1"}).has_value());
  EXPECT_FALSE(ScheduleJob(db.store(), {.kind = "remind", .unique_key = "case_1"}).has_value());
  EXPECT_TRUE(ScheduleJob(db.store(), {.kind = "remind", .unique_key = "case_2"}).has_value());
  EXPECT_TRUE(ScheduleJob(db.store(), {.kind = "other", .unique_key = "case_1"}).has_value());
}

TEST_P(JobsTest, AFutureJobWaitsForItsTime) {
  store::TestDatabase db(GetParam());
  Runner runner(db.store(), Options("a"));
  int runs = 0;
  runner.Handle("later", [&](const Job&) {
    ++runs;
    return Outcome::Done();
  });
  ScheduleJob(db.store(), {.kind = "later", .run_at = kStart + 60 * kSecond});
  EXPECT_EQ(Ran(runner.RunDue()), 0);
  now_ += 61 * kSecond;
  EXPECT_EQ(Ran(runner.RunDue()), 1);
  EXPECT_EQ(runs, 1);
}

TEST_P(JobsTest, FailedAttemptsBackOffExponentiallyThenTheJobIsDead) {
  store::TestDatabase db(GetParam());
  Runner runner(db.store(), Options("a"));
  int runs = 0;
  runner.Handle("flaky", [&](const Job&) {
    ++runs;
    return Outcome::Retry(Unavailable("receiver down"));
  });
  const auto id = ScheduleJob(db.store(), {.kind = "flaky", .max_attempts = 3});
  ASSERT_EQ(Ran(runner.RunDue()), 1);
  Job job = Load(db.store(), *id);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.last_error, "receiver down");
  // 10 s ± 20 % after the first failure, 20 s ± 20 % after the second.
  EXPECT_GE(job.run_at, kStart + 8 * kSecond);
  EXPECT_LE(job.run_at, kStart + 12 * kSecond);
  EXPECT_EQ(Ran(runner.RunDue()), 0);
  now_ = job.run_at;
  ASSERT_EQ(Ran(runner.RunDue()), 1);
  job = Load(db.store(), *id);
  EXPECT_GE(job.run_at, now_.load() + 16 * kSecond);
  EXPECT_LE(job.run_at, now_.load() + 24 * kSecond);
  now_ = job.run_at;
  ASSERT_EQ(Ran(runner.RunDue()), 1);
  job = Load(db.store(), *id);
  EXPECT_EQ(job.state, JobState::kDead);
  EXPECT_EQ(job.attempts, 3);
  EXPECT_TRUE(job.finished_at.has_value());
  now_ += 3600 * kSecond;
  EXPECT_EQ(Ran(runner.RunDue()), 0);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(runner.BackoffAfter(40), std::chrono::milliseconds(6h));
}

TEST_P(JobsTest, APermanentFailureEndsTheJobAtOnceAndRetryAtIsHonoured) {
  store::TestDatabase db(GetParam());
  Runner runner(db.store(), Options("a"));
  runner.Handle("refused", [](const Job&) { return Outcome::Fail(InvalidArgument("no such address")); });
  runner.Handle("later", [&](const Job&) {
    Outcome outcome = Outcome::Retry(Unavailable("busy"));
    outcome.retry_at = now_.load() + 300 * kSecond;
    return outcome;
  });
  const auto refused = ScheduleJob(db.store(), {.kind = "refused"});
  const auto later = ScheduleJob(db.store(), {.kind = "later"});
  ASSERT_EQ(Ran(runner.RunDue()), 2);
  EXPECT_EQ(Load(db.store(), *refused).state, JobState::kDead);
  EXPECT_EQ(Load(db.store(), *later).run_at, kStart + 300 * kSecond);
}

TEST_P(JobsTest, AJobWhoseLeaseExpiredIsTakenOverAndTheOldOwnerCannotFinishIt) {
  store::TestDatabase db(GetParam());
  Runner crashed(db.store(), Options("crashed"));
  Runner survivor(db.store(), Options("survivor"));
  int survivor_runs = 0;
  survivor.Handle("work", [&](const Job& job) {
    ++survivor_runs;
    EXPECT_EQ(job.attempts, 2);
    return Outcome::Done();
  });
  crashed.Handle("work", [&](const Job&) {
    // While this attempt holds the lease nobody else may take the job...
    EXPECT_EQ(Ran(survivor.RunDue()), 0);
    // ...but once the lease ran out (the process is presumed dead) the survivor takes it over.
    now_ += 31 * kSecond;
    EXPECT_EQ(Ran(survivor.RunDue()), 1);
    return Outcome::Retry(Unavailable("the late attempt's result"));
  });
  const auto id = ScheduleJob(db.store(), {.kind = "work"});
  ASSERT_EQ(Ran(crashed.RunDue()), 1);
  const Job job = Load(db.store(), *id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_FALSE(job.last_error.has_value());
  EXPECT_EQ(survivor_runs, 1);
}

TEST_P(JobsTest, WorkersRunJobsInTheBackgroundEachOnce) {
  store::TestDatabase db(GetParam());
  RunnerOptions options = Options("bg");
  options.now = NowMicros;
  options.poll_interval = 50ms;
  Runner runner(db.store(), options);
  std::atomic<int> runs = 0;
  runner.Handle("count", [&](const Job&) {
    ++runs;
    return Outcome::Done();
  });
  runner.Start();
  for (int index = 0; index < 20; ++index) {
    const Status status = db.store().Write(std::string(kTenant), [&](store::TenantTx& tx) {
      return Schedule(tx, {.kind = "count"}, NowMicros()).status();
    });
    ASSERT_TRUE(status.ok());
  }
  runner.Wake();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (runs.load() < 20 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  runner.Stop();
  EXPECT_EQ(runs.load(), 20);
}

TEST_P(JobsTest, ListsJobsByKindAndStatePageByPage) {
  store::TestDatabase db(GetParam());
  Runner runner(db.store(), Options("a"));
  runner.Handle("done", [](const Job&) { return Outcome::Done(); });
  for (int index = 0; index < 3; ++index) ScheduleJob(db.store(), {.kind = "done"});
  ScheduleJob(db.store(), {.kind = "waiting"});
  ASSERT_EQ(Ran(runner.RunDue()), 3);
  const auto list = [&](std::optional<std::string> kind, std::optional<JobState> state, PageRequest page) {
    Page<Job> listed;
    EXPECT_TRUE(db.store()
                    .Read(std::string(kTenant),
                          [&](store::TenantTx& tx) -> Status {
                            TP_ASSIGN_OR_RETURN(listed, ListJobs(tx, kind, state, page));
                            return Status::Ok();
                          })
                    .ok());
    return listed;
  };
  EXPECT_EQ(list(std::nullopt, std::nullopt, {}).items.size(), 4u);
  EXPECT_EQ(list("done", JobState::kSucceeded, {}).items.size(), 3u);
  EXPECT_EQ(list(std::nullopt, JobState::kQueued, {}).items.at(0).kind, "waiting");
  const Page<Job> first = list("done", std::nullopt, {.limit = 2});
  ASSERT_EQ(first.items.size(), 2u);
  ASSERT_FALSE(first.next_cursor.empty());
  EXPECT_EQ(list("done", std::nullopt, {.after_id = first.items.back().id, .limit = 2}).items.size(), 1u);
}

TEST_P(JobsTest, SchedulingRejectsBadSpecs) {
  store::TestDatabase db(GetParam());
  const Status status = db.store().Write(std::string(kTenant), [&](store::TenantTx& tx) -> Status {
    EXPECT_EQ(Schedule(tx, {.kind = ""}, kStart).status().field(), "kind");
    EXPECT_EQ(Schedule(tx, {.kind = "x", .payload = "[1]"}, kStart).status().field(), "payload");
    EXPECT_EQ(Schedule(tx, {.kind = "x", .max_attempts = 0}, kStart).status().field(), "max_attempts");
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, JobsTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::jobs
