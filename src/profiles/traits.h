// Traits over time: a profile's traits object holds the latest value of each trait, its trait times
// when each was set, and trait_history every value a trait ever had (with the time and the source).
// Latest wins by the time the value was true at the source, not by arrival, so a late-arriving old
// event does not overwrite a newer value (it is still kept in the history).
//
//   std::vector<TraitChange> changes = ApplyTraits(traits, times, incoming, event_time);
//   TP_RETURN_IF_ERROR(RecordTraitHistory(tx, customer_id, changes, "identify"));
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::profiles {

struct TraitChange {
  std::string name;
  nlohmann::json value;  // null: the trait was removed
  Micros set_at = 0;
};

// Applies `incoming` (an object of traits set at `at`) to `traits` and `times` (trait name → micros):
// a trait changes when it is new or `at` is not older than its current time and the value differs.
// Returns every incoming trait with a different value for the history, applied or not.
std::vector<TraitChange> ApplyTraits(nlohmann::json& traits, nlohmann::json& times, const nlohmann::json& incoming,
                                     Micros at);
// The changes that turn `before` into `after` at `at`, removals as null values (a whole-object replace).
std::vector<TraitChange> DiffTraits(const nlohmann::json& before, const nlohmann::json& after, Micros at);

Status RecordTraitHistory(store::TenantTx& tx, const std::string& customer_id, const std::vector<TraitChange>& changes,
                          std::string_view source);
// The trait changes of one customer, for recording those of many in a few statements (ingestion
// records a whole batch's at once).
struct CustomerTraitChanges {
  const std::string& customer_id;
  const std::vector<TraitChange>& changes;
};
Status RecordTraitHistory(store::TenantTx& tx, const std::vector<CustomerTraitChanges>& customers,
                          std::string_view source);

// A stored JSON object (traits, their set-times) as a value; {} when the text is not an object.
nlohmann::json StoredObject(const std::string& text);

struct TraitState {
  nlohmann::json traits = nlohmann::json::object();
  nlohmann::json times = nlohmann::json::object();
};
// The latest value of every trait in the customer's history (removed ones left out).
Result<TraitState> TraitsFromHistory(store::TenantTx& tx, std::string_view customer_id);

struct TraitHistoryEntry {
  std::string name;
  std::string value_json;
  Micros set_at = 0;
  std::string source;
};
// Newest first, at most `limit` entries.
Result<std::vector<TraitHistoryEntry>> ListTraitHistory(store::TenantTx& tx, std::string_view customer_id, int limit);

}  // namespace tp::profiles
