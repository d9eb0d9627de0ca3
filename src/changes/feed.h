// The change feed: every committed domain change, in commit order, to subscribers inside the process.
// The contract is in README.md beside this file.
//
//   changes::Feed feed(store);
//   feed.SubscribeTransient("credential-cache", [&](const std::vector<store::Change>& batch) { ... });
//   feed.SubscribeDurable("webhooks", [&](store::SystemTx& tx, const std::vector<store::Change>& batch) {
//     ... write what the batch causes; it commits together with the subscriber's new cursor ...
//   });
//   TP_RETURN_IF_ERROR(feed.Start());
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace tp::changes {

// In-memory consumers (caches, live updates): called on the feed's thread with each new batch. They
// start at the head when the feed starts and see every later change once, in order. An error is
// logged and the batch is offered again after `retry_pause`.
using TransientHandler = std::function<Status(const std::vector<store::Change>& batch)>;
// Consumers whose effects must happen exactly once across restarts and processes: the handler writes
// its effects through `tx`, the same transaction that advances the subscriber's stored cursor, so a
// crash before the commit replays the batch and a second process cannot apply it twice.
using DurableHandler = std::function<Status(store::SystemTx& tx, const std::vector<store::Change>& batch)>;

struct FeedOptions {
  size_t batch_size = 256;
  // How often the table is read without a wake-up: the fallback when a notification was lost.
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds retry_pause{1000};
  // Pause after each round of deliveries, so that a stream of commits is delivered in batches.
  std::chrono::milliseconds min_interval{100};
  // Changes older than this that every durable subscriber has handled are deleted (hourly): the feed
  // is a log for subscribers, not an archive, and the ids it holds should not outlive their purpose.
  std::chrono::hours retention{24 * 7};
  std::chrono::minutes prune_interval{60};
};

class Feed {
 public:
  explicit Feed(store::Store& store, FeedOptions options = {});
  ~Feed();
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  // Subscribe before Start(). Names are unique; a durable subscriber's cursor is stored under its name
  // and, the first time it subscribes, starts at the head (it does not replay history).
  void SubscribeTransient(std::string name, TransientHandler handler);
  void SubscribeDurable(std::string name, DurableHandler handler);
  // Called with this process's own changes before the write that made them returns (after the commit
  // is durable), on the writing thread: for state that must follow a write at once, such as the
  // credential cache after a revocation. Must be fast and must not write to the store.
  void ObserveLocalCommits(std::function<void(const std::vector<store::Change>&)> observer);

  // Starts the delivery thread (and, on PostgreSQL, the thread listening for other processes).
  Status Start();
  // Stops after the batch in progress; idempotent.
  void Stop();

  // The newest sequence that may be delivered: committed and durable.
  std::int64_t DeliverableSequence() const;
  // Waits until every subscriber has handled every change up to `sequence` (tests, shutdown).
  bool WaitHandled(std::int64_t sequence, std::chrono::milliseconds timeout);

  // Changes after `after`, at most `limit`, up to DeliverableSequence().
  Result<std::vector<store::Change>> ReadAfter(std::int64_t after, size_t limit) const;
  // The last sequence handed out (committed, maybe not yet durable on SQLite).
  Result<std::int64_t> HeadSequence() const;
  // Deletes what the retention allows, as of `now`; returns how many changes went.
  Result<std::int64_t> Prune(Micros now);

 private:
  struct Subscriber {
    std::string name;
    TransientHandler transient;
    DurableHandler durable;
    std::int64_t cursor = 0;
    std::chrono::steady_clock::time_point paused_until{};
  };

  void Run();
  void Listen();
  void Wake();
  void AdvanceForeignHorizon();
  // Hands every subscriber what is deliverable after its cursor; false when one of them is paused.
  bool DeliverAll();
  // Hands one subscriber the part of `window` after its cursor; false when it failed and is paused.
  bool Deliver(Subscriber& subscriber, const std::vector<store::Change>& window);
  Status DeliverDurable(Subscriber& subscriber, const std::vector<store::Change>& batch);
  Result<std::int64_t> LoadCursor(const std::string& name, std::int64_t head);

  store::Store& store_;
  const FeedOptions options_;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;  // fixed once started; used by the feed thread
  std::vector<std::function<void(const std::vector<store::Change>&)>> local_observers_;  // fixed once started
  std::atomic<std::int64_t> durable_sequence_ = 0;        // SQLite: the last sequence known durable
  std::int64_t visible_at_last_check_ = 0;                // feed thread only
  std::chrono::steady_clock::time_point last_horizon_check_{};
  std::chrono::steady_clock::time_point last_prune_{};  // feed thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable handled_;
  bool woken_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::int64_t handled_sequence_ = 0;  // every subscriber is at least here; guarded by mutex_
  std::unique_ptr<store::ChangeNotifications> notifications_;
  std::thread runner_;
  std::thread listener_;
};

}  // namespace tp::changes
