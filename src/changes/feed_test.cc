#include "changes/feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "store/testing.h"

namespace tp::changes {
namespace {

using namespace std::chrono_literals;
using store::Change;

constexpr std::string_view kTenant = "tenant_feed";

// Publishes one change per kind in one transaction; fails (rolls back) when `fail` is set.
Status PublishIn(store::Store& store, std::vector<std::string> kinds, bool fail = false) {
  return store.Write(std::string(kTenant), [&](store::TenantTx& tx) -> Status {
    for (const std::string& kind : kinds) TP_RETURN_IF_ERROR(tx.Publish(kind, "subject", R"({"x":1})"));
    if (fail) return InvalidArgument("rolled back on purpose");
    return Status::Ok();
  });
}

// Records what a subscriber was handed.
struct Seen {
  std::mutex mutex;
  std::vector<Change> changes;
  void Add(const std::vector<Change>& batch) {
    const std::lock_guard lock(mutex);
    changes.insert(changes.end(), batch.begin(), batch.end());
  }
  // A transient subscriber that records here.
  TransientHandler Recorder() {
    return [this](const std::vector<Change>& batch) {
      Add(batch);
      return Status::Ok();
    };
  }
  std::vector<std::string> Kinds() {
    const std::lock_guard lock(mutex);
    std::vector<std::string> kinds;
    for (const Change& change : changes) kinds.push_back(change.kind);
    return kinds;
  }
};

std::int64_t Head(Feed& feed) {
  Result<std::int64_t> head = feed.HeadSequence();
  EXPECT_TRUE(head.ok()) << head.status().message();
  return head.ok() ? *head : -1;
}

class FeedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FeedTest, DeliversCommittedChangesInOrderAndNothingOfARolledBackWrite) {
  store::TestDatabase db(GetParam());
  Seen seen;
  Feed feed(db.store());
  feed.SubscribeTransient("seen", seen.Recorder());
  ASSERT_TRUE(feed.Start().ok());
  ASSERT_TRUE(PublishIn(db.store(), {"a.one", "a.two"}).ok());
  EXPECT_FALSE(PublishIn(db.store(), {"rolled.back"}, /*fail=*/true).ok());
  ASSERT_TRUE(PublishIn(db.store(), {"b.one"}).ok());
  ASSERT_TRUE(feed.WaitHandled(Head(feed), 10s));
  EXPECT_EQ(seen.Kinds(), (std::vector<std::string>{"a.one", "a.two", "b.one"}));
  // Gapless and in commit order: the rolled-back write took no sequence.
  const std::lock_guard lock(seen.mutex);
  for (size_t index = 0; index < seen.changes.size(); ++index) {
    EXPECT_EQ(seen.changes[index].sequence, static_cast<std::int64_t>(index + 1));
    EXPECT_EQ(seen.changes[index].tenant_id, kTenant);
    EXPECT_EQ(seen.changes[index].data, R"({"x":1})");
    EXPECT_GT(seen.changes[index].committed_at, 0);
  }
}

TEST_P(FeedTest, PublishingInAReadTransactionIsRefused) {
  store::TestDatabase db(GetParam());
  const Status status = db.store().Read(std::string(kTenant), [](store::TenantTx& tx) {
    return tx.Publish("read.only", "x", "{}");
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
}

TEST_P(FeedTest, ConcurrentWritersGetGaplessSequencesInCommitOrder) {
  store::TestDatabase db(GetParam());
  Seen seen;
  Feed feed(db.store());
  feed.SubscribeTransient("seen", seen.Recorder());
  ASSERT_TRUE(feed.Start().ok());
  std::vector<std::thread> writers;
  std::atomic<int> failures = 0;
  for (int writer = 0; writer < 4; ++writer) {
    writers.emplace_back([&, writer] {
      for (int write = 0; write < 25; ++write) {
        if (!PublishIn(db.store(), {"w" + std::to_string(writer), "w" + std::to_string(writer)}).ok()) ++failures;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(feed.WaitHandled(200, 20s));
  const std::lock_guard lock(seen.mutex);
  ASSERT_EQ(seen.changes.size(), 200u);
  for (size_t index = 0; index < seen.changes.size(); ++index) {
    EXPECT_EQ(seen.changes[index].sequence, static_cast<std::int64_t>(index + 1));
  }
  // One transaction's two changes are adjacent: nothing of another commit falls between them.
  for (size_t index = 0; index < seen.changes.size(); index += 2) {
    EXPECT_EQ(seen.changes[index].kind, seen.changes[index + 1].kind);
  }
}

TEST_P(FeedTest, AFailingSubscriberGetsTheSameBatchAgain) {
  store::TestDatabase db(GetParam());
  Seen seen;
  std::atomic<int> calls = 0;
  Feed feed(db.store(), FeedOptions{.retry_pause = 20ms});
  feed.SubscribeTransient("flaky", [&](const std::vector<Change>& batch) {
    if (calls++ == 0) return Unavailable("not yet");
    seen.Add(batch);
    return Status::Ok();
  });
  ASSERT_TRUE(feed.Start().ok());
  ASSERT_TRUE(PublishIn(db.store(), {"retried"}).ok());
  ASSERT_TRUE(feed.WaitHandled(Head(feed), 10s));
  EXPECT_EQ(seen.Kinds(), std::vector<std::string>{"retried"});
  EXPECT_GE(calls.load(), 2);
}

TEST_P(FeedTest, ADurableSubscriberResumesAfterARestartWithNoGap) {
  store::TestDatabase db(GetParam());
  Seen first;
  {
    Feed feed(db.store());
    feed.SubscribeDurable("resumer", [&](store::SystemTx&, const std::vector<Change>& batch) {
      return first.Recorder()(batch);
    });
    ASSERT_TRUE(feed.Start().ok());
    ASSERT_TRUE(PublishIn(db.store(), {"before.1", "before.2"}).ok());
    ASSERT_TRUE(feed.WaitHandled(Head(feed), 10s));
  }
  // Committed while no feed ran (as after a kill -9 between commit and delivery).
  ASSERT_TRUE(PublishIn(db.store(), {"while.down.1"}).ok());
  ASSERT_TRUE(PublishIn(db.store(), {"while.down.2"}).ok());
  db.Reopen();
  Seen second;
  Feed feed(db.store());
  feed.SubscribeDurable("resumer", [&](store::SystemTx&, const std::vector<Change>& batch) {
    return second.Recorder()(batch);
  });
  ASSERT_TRUE(feed.Start().ok());
  ASSERT_TRUE(PublishIn(db.store(), {"after"}).ok());
  ASSERT_TRUE(feed.WaitHandled(Head(feed), 10s));
  EXPECT_EQ(first.Kinds(), (std::vector<std::string>{"before.1", "before.2"}));
  EXPECT_EQ(second.Kinds(), (std::vector<std::string>{"while.down.1", "while.down.2", "after"}));
}

TEST_P(FeedTest, ADurableSubscribersFailedEffectsRollBackAndTheBatchIsReplayed) {
  store::TestDatabase db(GetParam());
  ASSERT_TRUE(db.store()
                  .WriteSystem([](store::SystemTx& tx) {
                    return tx.ExecuteScript("CREATE TABLE feed_effects (sequence BIGINT PRIMARY KEY)");
                  })
                  .ok());
  std::atomic<int> calls = 0;
  Feed feed(db.store(), FeedOptions{.retry_pause = 20ms});
  feed.SubscribeDurable("effects", [&](store::SystemTx& tx, const std::vector<Change>& batch) -> Status {
    for (const Change& change : batch) {
      TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO feed_effects (sequence) VALUES ($1)", {change.sequence}).status());
    }
    if (calls++ == 0) return Unavailable("fails after writing its effects");
    return Status::Ok();
  });
  ASSERT_TRUE(feed.Start().ok());
  ASSERT_TRUE(PublishIn(db.store(), {"x", "y"}).ok());
  ASSERT_TRUE(feed.WaitHandled(Head(feed), 10s));
  std::int64_t effects = 0;
  ASSERT_TRUE(db.store()
                  .ReadSystem([&](store::SystemTx& tx) -> Status {
                    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM feed_effects"));
                    effects = row->Int(0);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(effects, 2);  // the failed attempt's inserts were rolled back, or the replay would conflict
}

TEST_P(FeedTest, PruningKeepsWhatADurableSubscriberHasNotHadAndWhatIsRecent) {
  store::TestDatabase db(GetParam());
  {
    Feed feed(db.store());
    feed.SubscribeDurable("slow", [](store::SystemTx&, const std::vector<Change>&) { return Status::Ok(); });
    ASSERT_TRUE(feed.Start().ok());
    ASSERT_TRUE(PublishIn(db.store(), {"handled.1", "handled.2"}).ok());
    ASSERT_TRUE(feed.WaitHandled(2, 10s));
  }
  ASSERT_TRUE(PublishIn(db.store(), {"not.yet.handled"}).ok());  // committed while "slow" was down
  Feed feed(db.store(), FeedOptions{.retention = std::chrono::hours(1)});
  const auto prune = [&](Micros at) {
    const Result<std::int64_t> pruned = feed.Prune(at);
    EXPECT_TRUE(pruned.ok()) << pruned.status().message();
    return pruned.ok() ? *pruned : -1;
  };
  const Micros now = NowMicros();
  EXPECT_EQ(prune(now), 0) << "younger than the retention";
  // Two hours on: the two handled changes go, the third stays until "slow" has had it.
  EXPECT_EQ(prune(now + 2 * 3600 * 1'000'000LL), 2);
  ASSERT_TRUE(feed.Start().ok());
  const auto left = feed.ReadAfter(0, 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().kind, "not.yet.handled");
  EXPECT_EQ(Head(feed), 3) << "sequences go on after pruning";
}

INSTANTIATE_TEST_SUITE_P(Backends, FeedTest, ::testing::ValuesIn(store::TestBackends()));

// Several server processes on one PostgreSQL: each store below stands for one process.
class PostgresFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("TP_TEST_POSTGRES_URL") == nullptr) GTEST_SKIP() << "TP_TEST_POSTGRES_URL is not set";
  }
};

TEST_F(PostgresFeedTest, ASerializationRetryPublishesOnce) {
  store::TestDatabase db("postgres");
  ASSERT_TRUE(db.store()
                  .WriteSystem([](store::SystemTx& tx) {
                    return tx.ExecuteScript(
                        "CREATE FUNCTION feed_test_conflict(tenant TEXT) RETURNS INTEGER AS $$ BEGIN "
                        "RAISE EXCEPTION 'simulated' USING ERRCODE = '40001'; END $$ LANGUAGE plpgsql");
                  })
                  .ok());
  int attempts = 0;
  ASSERT_TRUE(db.store()
                  .Write(std::string(kTenant),
                         [&](store::TenantTx& tx) -> Status {
                           TP_RETURN_IF_ERROR(tx.Publish("retried.write", "s", "{}"));
                           if (attempts++ == 0) return tx.Query("SELECT feed_test_conflict($1)").status();
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(attempts, 2);
  Feed feed(db.store());
  ASSERT_TRUE(feed.Start().ok());
  Result<std::vector<Change>> changes = feed.ReadAfter(0, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(changes->front().kind, "retried.write");
  EXPECT_EQ(changes->front().sequence, 1);
}

TEST_F(PostgresFeedTest, TwoProcessesEachSeeEveryChangeAndADurableSubscriberRunsOnce) {
  store::TestDatabase db("postgres");
  Result<std::unique_ptr<store::Store>> other = store::OpenStore(db.url());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(db.store()
                  .WriteSystem([](store::SystemTx& tx) {
                    return tx.ExecuteScript("CREATE TABLE feed_effects (sequence BIGINT PRIMARY KEY)");
                  })
                  .ok());
  // A long poll interval: what wakes the other process quickly is LISTEN/NOTIFY.
  const FeedOptions options{.poll_interval = 60s, .retry_pause = 20ms};
  Seen seen_here;
  Seen seen_there;
  Feed here(db.store(), options);
  Feed there(**other, options);
  const auto effects = [](store::SystemTx& tx, const std::vector<Change>& batch) -> Status {
    for (const Change& change : batch) {
      TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO feed_effects (sequence) VALUES ($1)", {change.sequence}).status());
    }
    return Status::Ok();
  };
  for (auto [feed, seen] : {std::pair{&here, &seen_here}, std::pair{&there, &seen_there}}) {
    feed->SubscribeTransient("seen", seen->Recorder());
    feed->SubscribeDurable("once", effects);
  }
  ASSERT_TRUE(here.Start().ok());
  ASSERT_TRUE(there.Start().ok());
  std::thread writer_here([&] {
    for (int write = 0; write < 20; ++write) ASSERT_TRUE(PublishIn(db.store(), {"here"}).ok());
  });
  std::thread writer_there([&] {
    for (int write = 0; write < 20; ++write) ASSERT_TRUE(PublishIn(**other, {"there"}).ok());
  });
  writer_here.join();
  writer_there.join();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(here.WaitHandled(40, 10s));
  ASSERT_TRUE(there.WaitHandled(40, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "woken by the poll, not by NOTIFY";
  EXPECT_EQ(seen_here.Kinds().size(), 40u);
  EXPECT_EQ(seen_there.Kinds().size(), 40u);
  std::int64_t effect_rows = 0;
  ASSERT_TRUE(db.store()
                  .ReadSystem([&](store::SystemTx& tx) -> Status {
                    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM feed_effects"));
                    effect_rows = row->Int(0);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(effect_rows, 40);
  here.Stop();
  there.Stop();
}

}  // namespace
}  // namespace tp::changes
