// The analytics engine's link to the store: builds each tenant's columns from the tables at start-up
// and keeps them current from the change feed. This is where the engine's SQL lives, so that
// analytics/ itself stays free of it.
//
//   analytics::Engine engine;
//   TP_RETURN_IF_ERROR(analytics_source::LoadAll(store, engine));   // logs progress per tenant
//   analytics_source::Subscribe(feed, store, engine);               // before feed.Start()
//
// Consistency. A tenant is loaded in one read transaction (REPEATABLE READ on PostgreSQL, a WAL
// snapshot on SQLite) that also reads the tenant's last change-feed sequence, so the data holds
// exactly the changes up to it; the feed handler skips those and applies the later ones. Changes:
// feedback.submitted (the response, joined to its survey response and customer), customer.created /
// customer.updated (traits), customer.merged (rows move to the survivor), customer.unmerged (the rows
// the store gave back move back), customer.erased (rows unlinked, traits forgotten).
//
// Traits: top-level scalar traits (strings, numbers, booleans as text), minus contact data by the
// tenant's classifier (profiles/contact_data.h), so the engine never holds or returns contact data.
#pragma once

#include <memory>
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
// Subscribes ApplyChanges to the feed as the transient subscriber "analytics".
void Subscribe(changes::Feed& feed, store::Store& store, analytics::Engine& engine);

}  // namespace tp::analytics_source
