#include "changes/feed.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

namespace tp::changes {
namespace {

constexpr std::string_view kReadAfter =
    "SELECT sequence, tenant_id, kind, subject_id, data, committed_at FROM change_feed "
    "WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3";
constexpr std::string_view kHead = "SELECT last_sequence FROM change_feed_head WHERE id = 1";
constexpr std::string_view kFindCursor = "SELECT last_sequence FROM change_feed_cursors WHERE subscriber = $1";
constexpr std::string_view kInsertCursor =
    "INSERT INTO change_feed_cursors (subscriber, last_sequence, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (subscriber) DO NOTHING";
// Moves the cursor only from where this process read it: if another process moved it first, no row
// changes and the batch's effects roll back with the transaction.
constexpr std::string_view kAdvanceCursor =
    "UPDATE change_feed_cursors SET last_sequence = $2, updated_at = $4 WHERE subscriber = $1 AND last_sequence = $3";
constexpr std::chrono::milliseconds kListenWait{250};
// Every durable subscriber of every process has its cursor here; none may lose a change it has not had.
constexpr std::string_view kSlowestCursor = "SELECT MIN(last_sequence) FROM change_feed_cursors";
constexpr std::string_view kPruneChunk =
    "DELETE FROM change_feed WHERE sequence IN (SELECT sequence FROM change_feed WHERE sequence <= $1 "
    "AND committed_at < $2 ORDER BY sequence LIMIT 10000)";

}  // namespace

Feed::Feed(store::Store& store, FeedOptions options) : store_(store), options_(options) {}

Feed::~Feed() { Stop(); }

void Feed::SubscribeTransient(std::string name, TransientHandler handler) {
  auto subscriber = std::make_unique<Subscriber>();
  subscriber->name = std::move(name);
  subscriber->transient = std::move(handler);
  subscribers_.push_back(std::move(subscriber));
}

void Feed::SubscribeDurable(std::string name, DurableHandler handler) {
  auto subscriber = std::make_unique<Subscriber>();
  subscriber->name = std::move(name);
  subscriber->durable = std::move(handler);
  subscribers_.push_back(std::move(subscriber));
}

void Feed::ObserveLocalCommits(std::function<void(const std::vector<store::Change>&)> observer) {
  local_observers_.push_back(std::move(observer));
}

Result<std::int64_t> Feed::HeadSequence() const {
  std::int64_t head = 0;
  TP_RETURN_IF_ERROR(store_.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kHead));
    if (!row) return Internal("change_feed_head has no row; is the schema migrated?");
    head = row->Int(0);
    return Status::Ok();
  }));
  return head;
}

Result<std::int64_t> Feed::LoadCursor(const std::string& name, std::int64_t head) {
  std::int64_t cursor = head;
  TP_RETURN_IF_ERROR(store_.WriteSystem([&](store::SystemTx& tx) -> Status {
    TP_RETURN_IF_ERROR(tx.Execute(kInsertCursor, {name, head, NowMicros()}).status());
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kFindCursor, {name}));
    if (row) cursor = row->Int(0);
    return Status::Ok();
  }));
  return cursor;
}

Status Feed::Start() {
  if (runner_.joinable()) return Internal("the change feed is already running");
  // After a restart everything in the table is on disk (a commit lost to a power cut is gone from the
  // file too), so the deliverable horizon starts at the head.
  TP_ASSIGN_OR_RETURN(const std::int64_t head, HeadSequence());
  durable_sequence_.store(head);
  std::int64_t lowest = head;
  for (auto& subscriber : subscribers_) {
    if (subscriber->durable) {
      TP_ASSIGN_OR_RETURN(subscriber->cursor, LoadCursor(subscriber->name, head));
    } else {
      subscriber->cursor = head;
    }
    lowest = std::min(lowest, subscriber->cursor);
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_ = false;
    handled_sequence_ = lowest;
  }
  store_.OnPublished([this](const std::vector<store::Change>& changes) {
    for (const auto& observer : local_observers_) observer(changes);
    const std::int64_t last_sequence = changes.back().sequence;
    std::int64_t known = durable_sequence_.load();
    while (known < last_sequence && !durable_sequence_.compare_exchange_weak(known, last_sequence)) {
    }
    Wake();
  });
  notifications_ = store_.ListenForChanges();
  runner_ = std::thread([this] { Run(); });
  if (notifications_) listener_ = std::thread([this] { Listen(); });
  return Status::Ok();
}

void Feed::Stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ && !runner_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (runner_.joinable()) {
    store_.OnPublished(nullptr);
    runner_.join();
  }
  if (listener_.joinable()) listener_.join();
  notifications_.reset();
}

void Feed::Wake() {
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void Feed::Listen() {
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (notifications_->Wait(kListenWait)) Wake();
  }
}

std::int64_t Feed::DeliverableSequence() const {
  if (store_.CommitsVisibleBeforeDurable()) return durable_sequence_.load();
  return std::numeric_limits<std::int64_t>::max();
}

Result<std::vector<store::Change>> Feed::ReadAfter(std::int64_t after, size_t limit) const {
  std::vector<store::Change> changes;
  const std::int64_t until = DeliverableSequence();
  if (after >= until) return changes;
  TP_RETURN_IF_ERROR(store_.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kReadAfter, {after, until, static_cast<std::int64_t>(limit)}));
    changes.reserve(rows.size());
    for (const store::Row& row : rows) {
      changes.push_back(store::Change{row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5)});
    }
    return Status::Ok();
  }));
  return changes;
}

Status Feed::DeliverDurable(Subscriber& subscriber, const std::vector<store::Change>& batch) {
  const std::int64_t from = subscriber.cursor;
  const std::int64_t to = batch.back().sequence;
  bool moved_elsewhere = false;
  const Status written = store_.WriteSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::int64_t advanced, tx.Execute(kAdvanceCursor, {subscriber.name, to, from, NowMicros()}));
    moved_elsewhere = advanced != 1;
    if (moved_elsewhere) return Conflict("another process handled these changes first");
    return subscriber.durable(tx, batch);
  });
  if (!written.ok() && !moved_elsewhere) return written;
  if (moved_elsewhere) {
    TP_ASSIGN_OR_RETURN(subscriber.cursor, LoadCursor(subscriber.name, to));
  } else {
    subscriber.cursor = to;
  }
  return Status::Ok();
}

bool Feed::Deliver(Subscriber& subscriber, const std::vector<store::Change>& window) {
  const auto first = std::upper_bound(window.begin(), window.end(), subscriber.cursor,
                                      [](std::int64_t cursor, const store::Change& change) {
                                        return cursor < change.sequence;
                                      });
  if (first == window.end()) return true;
  const std::vector<store::Change> batch(first, window.end());
  Status status;
  if (subscriber.durable) {
    status = DeliverDurable(subscriber, batch);
  } else {
    status = subscriber.transient(batch);
    if (status.ok()) subscriber.cursor = batch.back().sequence;
  }
  if (status.ok()) return true;
  spdlog::warn("change feed: subscriber {} failed after sequence {}: {}", subscriber.name, subscriber.cursor,
               status.message());
  subscriber.paused_until = std::chrono::steady_clock::now() + options_.retry_pause;
  return false;
}

bool Feed::DeliverAll() {
  // One read of the table serves every subscriber: each takes the part after its own cursor.
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    std::optional<std::int64_t> lowest;
    for (const auto& subscriber : subscribers_) {
      if (now >= subscriber->paused_until) lowest = std::min(lowest.value_or(subscriber->cursor), subscriber->cursor);
    }
    if (!lowest) return false;
    Result<std::vector<store::Change>> window = ReadAfter(*lowest, options_.batch_size);
    if (!window.ok()) {
      spdlog::warn("change feed: reading after sequence {} failed: {}", *lowest, window.status().message());
      return false;
    }
    if (window->empty()) break;
    bool progressed = false;
    bool behind = false;  // a durable subscriber whose cursor another process moved only part of the way
    for (auto& subscriber : subscribers_) {
      if (now < subscriber->paused_until) continue;
      const std::int64_t before = subscriber->cursor;
      if (Deliver(*subscriber, *window) && subscriber->cursor < window->back().sequence) behind = true;
      progressed = progressed || subscriber->cursor != before;
    }
    if (window->size() < options_.batch_size && !(behind && progressed)) break;
  }
  return std::all_of(subscribers_.begin(), subscribers_.end(), [now = std::chrono::steady_clock::now()](const auto& s) {
    return now >= s->paused_until;
  });
}

void Feed::AdvanceForeignHorizon() {
  // Another process writing the same SQLite file (a CLI import beside the server) reports nothing to
  // this one. Its commits are synced milliseconds after they are visible, so what was visible a whole
  // poll interval ago is taken as durable.
  if (!store_.CommitsVisibleBeforeDurable()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_horizon_check_ < options_.poll_interval) return;
  last_horizon_check_ = now;
  std::int64_t known = durable_sequence_.load();
  while (known < visible_at_last_check_ && !durable_sequence_.compare_exchange_weak(known, visible_at_last_check_)) {
  }
  if (Result<std::int64_t> head = HeadSequence(); head.ok()) visible_at_last_check_ = *head;
}

Result<std::int64_t> Feed::Prune(Micros now) {
  TP_ASSIGN_OR_RETURN(std::int64_t keep_after, HeadSequence());
  TP_RETURN_IF_ERROR(store_.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto slowest, tx.QueryOne(kSlowestCursor));
    if (slowest && !slowest->IsNull(0)) keep_after = std::min(keep_after, slowest->Int(0));
    return Status::Ok();
  }));
  const Micros cutoff = now - std::chrono::duration_cast<std::chrono::microseconds>(options_.retention).count();
  std::int64_t pruned = 0;
  for (std::int64_t deleted = -1; deleted != 0;) {
    TP_RETURN_IF_ERROR(store_.WriteSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(deleted, tx.Execute(kPruneChunk, {keep_after, cutoff}));
      return Status::Ok();
    }));
    pruned += deleted;
  }
  return pruned;
}

void Feed::Run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    AdvanceForeignHorizon();
    if (const auto now = std::chrono::steady_clock::now(); now - last_prune_ >= options_.prune_interval) {
      last_prune_ = now;
      if (Result<std::int64_t> pruned = Prune(NowMicros()); !pruned.ok()) {
        spdlog::warn("change feed: pruning failed: {}", pruned.status().message());
      }
    }
    const bool all_current = DeliverAll();
    std::int64_t lowest = std::numeric_limits<std::int64_t>::max();
    for (const auto& subscriber : subscribers_) lowest = std::min(lowest, subscriber->cursor);
    {
      std::unique_lock lock(mutex_);
      if (!subscribers_.empty()) handled_sequence_ = std::max(handled_sequence_, lowest);
      // A paused subscriber is retried after its pause without waiting for the next commit.
      if (!all_current) woken_ = true;
      handled_.notify_all();
      // Commits that arrive meanwhile are handled together: under a steady stream of writes the feed
      // reads the table (and moves durable cursors) a few times a second instead of once per commit.
      const auto pause =
          all_current ? options_.min_interval : std::max(options_.min_interval, std::chrono::milliseconds(50));
      wake_.wait_for(lock, pause, [this] { return stopping_; });
      if (stopping_) return;
    }
  }
}

bool Feed::WaitHandled(std::int64_t sequence, std::chrono::milliseconds timeout) {
  Wake();
  std::unique_lock lock(mutex_);
  return handled_.wait_for(lock, timeout, [&] { return handled_sequence_ >= sequence; });
}

}  // namespace tp::changes
