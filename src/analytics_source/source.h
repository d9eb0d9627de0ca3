// The analytics engine's link to the store: builds each tenant's columns from the tables at start-up
// and keeps them current from the change feed. This is where the engine's SQL lives, so that
// analytics/ itself stays free of it.
//
//   analytics::Engine engine;
//   analytics_source::Follower follower(store, engine);
//   follower.Subscribe(feed);                  // before feed.Start()
//   TP_RETURN_IF_ERROR(feed.Start());
//   TP_RETURN_IF_ERROR(follower.CatchUp(feed));  // loads every tenant (progress in the log), then follows
//
// Consistency. A tenant is loaded in one read transaction (REPEATABLE READ on PostgreSQL, a WAL
// snapshot on SQLite) that also reads the tenant's last change-feed sequence, so the data holds
// exactly the changes up to it; the feed handler skips those and applies the later ones. Changes:
// feedback.submitted (the response, joined to its survey response and customer), events.ingested (the
// traits of the customers it names: identify calls change them without customer.updated), customer.created /
// customer.updated (traits), customer.merged (rows move to the survivor), customer.unmerged (the rows
// the store gave back move back), customer.erased (rows unlinked, traits forgotten).
//
// Traits: top-level scalar traits (strings, numbers, booleans as text), minus contact data by the
// tenant's classifier (profiles/contact_data.h), so the engine never holds or returns contact data.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analytics/engine.h"
#include "changes/feed.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::analytics_source {

// Rows read per statement while loading.
inline constexpr std::int64_t kLoadPageRows = 50'000;

// Builds one tenant's data from the store.
Result<std::unique_ptr<analytics::TenantData>> LoadTenant(store::Store& store, const std::string& tenant_id);
// Loads every tenant into `engine` (replacing what it held), logging progress.
Status LoadAll(store::Store& store, analytics::Engine& engine);
// Applies a change-feed batch (any tenants, in order) to `engine`.
Status ApplyChanges(store::Store& store, analytics::Engine& engine, const std::vector<store::Change>& batch);
// Keeps an engine current from the feed across its start-up load. A transient subscriber starts at
// the feed's head when the feed starts, so what commits while the tenants load is delivered during
// the load: the follower holds those batches back, and after the load it reads the feed from the
// oldest loaded sequence on (Feed::ReadAfter), then applies what it held, then every later batch as
// it comes. ApplyChanges skips what a tenant already has, so the overlaps apply once.
// Thread-safe: the feed's thread calls the handler, any one thread calls CatchUp.
class Follower {
 public:
  Follower(store::Store& store, analytics::Engine& engine) : store_(store), engine_(engine) {}
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Registers the transient subscriber "analytics"; before feed.Start().
  void Subscribe(changes::Feed& feed);
  // After feed.Start(): LoadAll, the catch-up, then marks the engine loaded (Engine::loaded()).
  Status CatchUp(changes::Feed& feed);

 private:
  Status Handle(const std::vector<store::Change>& batch);

  store::Store& store_;
  analytics::Engine& engine_;
  std::mutex mutex_;
  bool following_ = false;                      // guarded by mutex_
  std::vector<store::Change> held_;             // guarded by mutex_: delivered before following_
};

}  // namespace tp::analytics_source
