#include "profiles/traits.h"

#include "common/ids.h"
#include "store/sql_params.h"

namespace tp::profiles {
namespace {

using store::Sql;
using store::SqlParams;

using nlohmann::json;

constexpr std::string_view kInsertHead =
    "INSERT INTO trait_history (tenant_id, id, customer_id, name, value, set_at, source) VALUES ";
constexpr std::string_view kSelectHistory =
    "SELECT name, value, set_at FROM trait_history WHERE tenant_id = $1 AND customer_id = $2 ORDER BY name, set_at, id";
constexpr std::string_view kSelectRecent =
    "SELECT name, value, set_at, source FROM trait_history WHERE tenant_id = $1 AND customer_id = $2 "
    "ORDER BY set_at DESC, id DESC LIMIT $3";

Micros TimeOf(const json& times, const std::string& name) {
  const auto it = times.find(name);
  return it != times.end() && it->is_number_integer() ? it->get<Micros>() : std::numeric_limits<Micros>::min();
}

}  // namespace

std::vector<TraitChange> ApplyTraits(json& traits, json& times, const json& incoming, Micros at) {
  std::vector<TraitChange> changes;
  for (const auto& [name, value] : incoming.items()) {
    const auto current = traits.find(name);
    if (current != traits.end() && *current == value) continue;
    changes.push_back({name, value, at});
    if (at < TimeOf(times, name)) continue;  // older than what the profile knows: history only
    if (value.is_null()) {
      traits.erase(name);
    } else {
      traits[name] = value;
    }
    times[name] = at;
  }
  return changes;
}

json StoredObject(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}

std::vector<TraitChange> DiffTraits(const json& before, const json& after, Micros at) {
  std::vector<TraitChange> changes;
  for (const auto& [name, value] : after.items()) {
    const auto old = before.find(name);
    if (old == before.end() || *old != value) changes.push_back({name, value, at});
  }
  for (const auto& [name, value] : before.items()) {
    if (!after.contains(name)) changes.push_back({name, nullptr, at});
  }
  return changes;
}

Status RecordTraitHistory(store::TenantTx& tx, const std::string& customer_id, const std::vector<TraitChange>& changes,
                          std::string_view source) {
  return RecordTraitHistory(tx, {CustomerTraitChanges{customer_id, changes}}, source);
}

Status RecordTraitHistory(store::TenantTx& tx, const std::vector<CustomerTraitChanges>& customers,
                          std::string_view source) {
  std::vector<std::pair<const std::string*, const TraitChange*>> rows;
  for (const CustomerTraitChanges& customer : customers) {
    for (const TraitChange& change : customer.changes) rows.emplace_back(&customer.customer_id, &change);
  }
  // Powers of two up to kLargestInsert rows per statement: few statement texts for the store to cache.
  constexpr std::size_t kLargestInsert = 128;
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t chunk = kLargestInsert;
    while (chunk > rows.size() - begin) chunk /= 2;
    SqlParams params;
    const std::string source_param = params.Bind(std::string(source));
    std::string sql(kInsertHead);
    for (std::size_t i = begin; i < begin + chunk; ++i) {
      const auto& [customer_id, change] = rows[i];
      if (i > begin) sql += ", ";
      sql += Sql({"($1, ", params.Bind(NewId("trh_")), ", ", params.Bind(*customer_id), ", ", params.Bind(change->name),
                  ", ", params.Bind(change->value.dump()), ", ", params.Bind(change->set_at), ", ", source_param, ")"});
    }
    TP_RETURN_IF_ERROR(tx.Execute(sql, params.values()).status());
    begin += chunk;
  }
  return Status::Ok();
}

Result<TraitState> TraitsFromHistory(store::TenantTx& tx, std::string_view customer_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectHistory, {std::string(customer_id)}));
  TraitState state;
  for (const store::Row& row : rows) {  // per name in time order: the last row wins
    const std::string name = row.Text(0);
    json value = json::parse(row.Text(1), nullptr, false);
    if (value.is_null() || value.is_discarded()) {
      state.traits.erase(name);
    } else {
      state.traits[name] = std::move(value);
    }
    state.times[name] = row.Int(2);
  }
  return state;
}

Result<std::vector<TraitHistoryEntry>> ListTraitHistory(store::TenantTx& tx, std::string_view customer_id, int limit) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectRecent, {std::string(customer_id), std::int64_t{limit}}));
  std::vector<TraitHistoryEntry> entries;
  for (const store::Row& row : rows) entries.push_back({row.Text(0), row.Text(1), row.Int(2), row.Text(3)});
  return entries;
}

}  // namespace tp::profiles
