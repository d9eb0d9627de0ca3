#include "analytics_source/source.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <limits>
#include <algorithm>
#include <map>
#include <unordered_map>

#include "changes/kinds.h"
#include "feedback/feedback.h"
#include "profiles/contact_data.h"

namespace tp::analytics_source {

namespace {

using nlohmann::json;

// One feedback response with what its survey response adds; the columns ToResponse reads.
constexpr std::string_view kResponseColumns =
    "SELECT f.metric, f.score, f.created_at, f.customer_id, f.touchpoint, f.survey, COALESCE(r.stage, ''), "
    "COALESCE(r.channel, ''), COALESCE(r.language, ''), COALESCE(r.team_id, ''), COALESCE(r.agent_id, ''), f.id "
    "FROM feedback_responses f LEFT JOIN survey_responses r ON r.tenant_id = f.tenant_id AND r.id = f.survey_response_id ";
// Keyset pages along the primary key: each page is an index range, not a sort of the table (ordering by
// created_at made a 1 M-row load take 76 s on SQLite). Ids are in arrival order, which is nearly time
// order, so chunks still cover short spans of time.
const std::string kLoadPage = std::string(kResponseColumns) +
                              "WHERE f.tenant_id = $1 AND f.id > $2 ORDER BY f.id LIMIT $3";
const std::string kResponsesOfCustomer = std::string(kResponseColumns) + "WHERE f.tenant_id = $1 AND f.customer_id = $2";
constexpr std::string_view kCustomers = "SELECT id, traits FROM customers WHERE tenant_id = $1 AND merged_into IS NULL";
constexpr std::string_view kCustomerById = "SELECT id, traits FROM customers WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kLastSequence =
    "SELECT COALESCE(MAX(sequence), 0) FROM change_feed WHERE tenant_id = $1";

Result<analytics::AddResponse> ToResponse(const store::Row& row) {
  TP_ASSIGN_OR_RETURN(feedback::Metric metric, feedback::ParseMetric(row.Text(0)));
  return analytics::AddResponse{.metric = metric,
                                .score = static_cast<int>(row.Int(1)),
                                .created_at = row.Int(2),
                                .customer_id = row.OptionalText(3),
                                .touchpoint = row.Text(4),
                                .stage = row.Text(6),
                                .channel = row.Text(7),
                                .survey = row.Text(5),
                                .language = row.Text(8),
                                .team_id = row.Text(9),
                                .agent_id = row.Text(10)};
}

// The scalar traits of a customer that are not contact data, as text.
analytics::UpsertCustomer ToCustomer(const store::Row& row, const profiles::ContactDataClassifier& classifier) {
  analytics::UpsertCustomer customer{.customer_id = row.Text(0)};
  const json traits = json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
  if (!traits.is_object()) return customer;
  for (const auto& [name, value] : traits.items()) {
    if (classifier.IsContactKey(name)) continue;
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
      if (profiles::ContactDataClassifier::ContainsContactText(text)) continue;
    } else if (value.is_number() || value.is_boolean()) {
      text = value.dump();
    } else {
      continue;  // objects, arrays and null are not dimensions
    }
    if (!text.empty()) customer.traits.emplace(name, std::move(text));
  }
  return customer;
}

}  // namespace

Result<std::unique_ptr<analytics::TenantData>> LoadTenant(store::Store& store, const std::string& tenant_id) {
  auto data = std::make_unique<analytics::TenantData>();
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& system) -> Status {
    store::TenantTx tx = system.InTenant(tenant_id);
    if (tx.backend() == store::Backend::kPostgres) {
      // One snapshot for every page (SQLite's read transaction is one anyway); must come first.
      TP_RETURN_IF_ERROR(system.Execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").status());
    }
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> sequence, tx.QueryOne(kLastSequence));
    data->applied_sequence = sequence ? sequence->Int(0) : 0;
    TP_ASSIGN_OR_RETURN(profiles::ContactDataClassifier classifier, profiles::LoadContactDataClassifier(tx));
    TP_ASSIGN_OR_RETURN(store::Rows customers, tx.Query(kCustomers));
    for (const store::Row& row : customers) {
      TP_RETURN_IF_ERROR(analytics::ApplyOperation(*data, ToCustomer(row, classifier)));
    }
    std::string after_id;
    while (true) {
      TP_ASSIGN_OR_RETURN(store::Rows page, tx.Query(kLoadPage, {after_id, kLoadPageRows}));
      for (const store::Row& row : page) {
        TP_ASSIGN_OR_RETURN(analytics::AddResponse response, ToResponse(row));
        TP_RETURN_IF_ERROR(analytics::ApplyOperation(*data, response));
      }
      if (page.size() < static_cast<std::size_t>(kLoadPageRows)) break;
      after_id = page.back().Text(11);
    }
    return Status::Ok();
  }));
  return data;
}

Status LoadAll(store::Store& store, analytics::Engine& engine) {
  std::vector<std::string> tenant_ids;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT id FROM tenants ORDER BY id"));
    for (const store::Row& row : rows) tenant_ids.push_back(row.Text(0));
    return Status::Ok();
  }));
  const auto started = std::chrono::steady_clock::now();
  std::size_t rows = 0;
  for (std::size_t tenant_idx = 0; tenant_idx < tenant_ids.size(); ++tenant_idx) {
    const auto tenant_started = std::chrono::steady_clock::now();
    TP_ASSIGN_OR_RETURN(std::unique_ptr<analytics::TenantData> data, LoadTenant(store, tenant_ids[tenant_idx]));
    const analytics::TenantData::Memory memory = data->MeasureMemory();
    rows += memory.rows;
    spdlog::info("analytics: loaded tenant {} ({}/{}): {} responses, {} customers, {:.1f} bytes per response, {} ms",
                 tenant_ids[tenant_idx], tenant_idx + 1, tenant_ids.size(), memory.rows, data->customers.ids.size(),
                 memory.BytesPerResponse(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - tenant_started)
                     .count());
    engine.ReplaceTenant(tenant_ids[tenant_idx], std::move(data));
  }
  spdlog::info("analytics: {} responses of {} tenants loaded in {} ms", rows, tenant_ids.size(),
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  return Status::Ok();
}

namespace {

Status AddCustomerTraits(store::TenantTx& tx, const profiles::ContactDataClassifier& classifier,
                         const std::string& customer_id, std::vector<analytics::Operation>& operations) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kCustomerById, {customer_id}));
  if (row) operations.push_back(ToCustomer(*row, classifier));
  return Status::Ok();
}

// The responses a run of feedback.submitted changes names and their customers, read in a few
// statements instead of two per change.
struct Prefetched {
  std::unordered_map<std::string, analytics::AddResponse> responses;
  std::unordered_map<std::string, analytics::UpsertCustomer> customers;
};
constexpr std::size_t kIdsPerStatement = 500;

std::string InList(std::size_t count) {
  std::string list = "(";
  for (std::size_t position = 0; position < count; ++position) {
    list += (position == 0 ? "$" : ", $") + std::to_string(position + 2);
  }
  return list + ")";
}

// `customer_ids`: customers named by the run besides the responses' (events.ingested).
Status Prefetch(store::TenantTx& tx, const profiles::ContactDataClassifier& classifier,
                const std::vector<std::string>& response_ids, std::vector<std::string> customer_ids,
                Prefetched& prefetched) {
  for (std::size_t first = 0; first < response_ids.size(); first += kIdsPerStatement) {
    const std::size_t count = std::min(kIdsPerStatement, response_ids.size() - first);
    std::vector<store::Value> params(response_ids.begin() + first, response_ids.begin() + first + count);
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(std::string(kResponseColumns) + "WHERE f.tenant_id = $1 AND f.id IN " +
                                                       InList(count),
                                                   std::move(params)));
    for (const store::Row& row : rows) {
      TP_ASSIGN_OR_RETURN(analytics::AddResponse response, ToResponse(row));
      if (response.customer_id) customer_ids.push_back(*response.customer_id);
      prefetched.responses.emplace(row.Text(11), std::move(response));
    }
  }
  std::sort(customer_ids.begin(), customer_ids.end());
  customer_ids.erase(std::unique(customer_ids.begin(), customer_ids.end()), customer_ids.end());
  for (std::size_t first = 0; first < customer_ids.size(); first += kIdsPerStatement) {
    const std::size_t count = std::min(kIdsPerStatement, customer_ids.size() - first);
    std::vector<store::Value> params(customer_ids.begin() + first, customer_ids.begin() + first + count);
    TP_ASSIGN_OR_RETURN(store::Rows rows,
                        tx.Query("SELECT id, traits FROM customers WHERE tenant_id = $1 AND id IN " + InList(count),
                                 std::move(params)));
    for (const store::Row& row : rows) prefetched.customers.emplace(row.Text(0), ToCustomer(row, classifier));
  }
  return Status::Ok();
}

// The distinct customers of an events.ingested record.
std::vector<std::string> IngestedCustomers(const json& data) {
  std::vector<std::string> ids;
  if (!data.contains("events") || !data["events"].is_array()) return ids;
  for (const json& event : data["events"]) {
    if (event.is_object() && event.contains("customer_id") && event["customer_id"].is_string()) {
      ids.push_back(event["customer_id"].get<std::string>());
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The operations one change stands for, read from the store as it is now.
Status OperationsFor(store::TenantTx& tx, const profiles::ContactDataClassifier& classifier, const Prefetched& prefetched,
                     const store::Change& change, std::vector<analytics::Operation>& operations) {
  const json data = json::parse(change.data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object()) return Internal("change " + std::to_string(change.sequence) + " has no JSON object");
  const auto text = [&](const char* key) { return data.contains(key) && data[key].is_string() ? data[key].get<std::string>() : ""; };
  if (change.kind == changes::kinds::kFeedbackSubmitted) {
    auto response = prefetched.responses.find(change.subject_id);
    if (response == prefetched.responses.end()) return Status::Ok();
    if (response->second.customer_id) {
      auto customer = prefetched.customers.find(*response->second.customer_id);
      if (customer != prefetched.customers.end()) operations.push_back(customer->second);
    }
    operations.push_back(response->second);
  } else if (change.kind == changes::kinds::kEventsIngested) {
    // Identify calls (and traits in an event's context) change traits without customer.updated.
    for (const std::string& customer_id : IngestedCustomers(data)) {
      auto customer = prefetched.customers.find(customer_id);
      if (customer != prefetched.customers.end()) operations.push_back(customer->second);
    }
  } else if (change.kind == changes::kinds::kCustomerCreated || change.kind == changes::kinds::kCustomerUpdated) {
    TP_RETURN_IF_ERROR(AddCustomerTraits(tx, classifier, text("customer_id"), operations));
  } else if (change.kind == changes::kinds::kCustomerMerged) {
    operations.push_back(analytics::MergeCustomers{.survivor_id = text("survivor_id"), .merged_id = text("merged_id")});
    TP_RETURN_IF_ERROR(AddCustomerTraits(tx, classifier, text("survivor_id"), operations));
  } else if (change.kind == changes::kinds::kCustomerUnmerged) {
    const std::string restored = text("restored_id");
    analytics::MoveResponses move{.from_customer_id = text("survivor_id"), .to_customer_id = restored};
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kResponsesOfCustomer, {restored}));
    for (const store::Row& row : rows) {
      TP_ASSIGN_OR_RETURN(analytics::AddResponse response, ToResponse(row));
      move.responses.push_back(std::move(response));
    }
    operations.push_back(std::move(move));
    TP_RETURN_IF_ERROR(AddCustomerTraits(tx, classifier, text("survivor_id"), operations));
    TP_RETURN_IF_ERROR(AddCustomerTraits(tx, classifier, restored, operations));
  } else if (change.kind == changes::kinds::kCustomerErased) {
    analytics::EraseCustomers erase;
    if (data.contains("profile_ids") && data["profile_ids"].is_array()) {
      for (const json& id : data["profile_ids"]) {
        if (id.is_string()) erase.profile_ids.push_back(id.get<std::string>());
      }
    }
    if (erase.profile_ids.empty()) erase.profile_ids.push_back(text("customer_id"));
    operations.push_back(std::move(erase));
  }
  return Status::Ok();
}

bool Concerns(const store::Change& change) {
  using namespace changes::kinds;
  return change.kind == kFeedbackSubmitted || change.kind == kEventsIngested || change.kind == kCustomerCreated ||
         change.kind == kCustomerUpdated ||
         change.kind == kCustomerMerged || change.kind == kCustomerUnmerged || change.kind == kCustomerErased;
}

}  // namespace

Status ApplyChanges(store::Store& store, analytics::Engine& engine, const std::vector<store::Change>& batch) {
  // Runs of one tenant's changes, in order; each run becomes one atomic engine batch.
  std::size_t begin = 0;
  while (begin < batch.size()) {
    std::size_t end = begin;
    while (end < batch.size() && batch[end].tenant_id == batch[begin].tenant_id) ++end;
    const std::string& tenant_id = batch[begin].tenant_id;
    const std::int64_t applied = engine.AppliedSequence(tenant_id);
    std::vector<analytics::Operation> operations;
    bool relevant = false;
    for (std::size_t change_idx = begin; change_idx < end; ++change_idx) {
      relevant = relevant || (batch[change_idx].sequence > applied && Concerns(batch[change_idx]));
    }
    if (relevant) {
      TP_RETURN_IF_ERROR(store.Read(tenant_id, [&](store::TenantTx& tx) -> Status {
        TP_ASSIGN_OR_RETURN(profiles::ContactDataClassifier classifier, profiles::LoadContactDataClassifier(tx));
        std::vector<std::string> response_ids;
        std::vector<std::string> customer_ids;
        for (std::size_t change_idx = begin; change_idx < end; ++change_idx) {
          const store::Change& change = batch[change_idx];
          if (change.sequence <= applied) continue;
          if (change.kind == changes::kinds::kFeedbackSubmitted) {
            response_ids.push_back(change.subject_id);  // feedback.submitted's subject is the response id
          } else if (change.kind == changes::kinds::kEventsIngested) {
            const std::vector<std::string> ingested =
                IngestedCustomers(json::parse(change.data, nullptr, /*allow_exceptions=*/false));
            customer_ids.insert(customer_ids.end(), ingested.begin(), ingested.end());
          }
        }
        Prefetched prefetched;
        TP_RETURN_IF_ERROR(Prefetch(tx, classifier, response_ids, std::move(customer_ids), prefetched));
        for (std::size_t change_idx = begin; change_idx < end; ++change_idx) {
          const store::Change& change = batch[change_idx];
          if (change.sequence <= applied || !Concerns(change)) continue;
          TP_RETURN_IF_ERROR(OperationsFor(tx, classifier, prefetched, change, operations));
        }
        return Status::Ok();
      }));
      TP_RETURN_IF_ERROR(engine.Apply(tenant_id, operations, batch[end - 1].sequence));
    }
    begin = end;
  }
  return Status::Ok();
}

void Follower::Subscribe(changes::Feed& feed) {
  feed.SubscribeTransient("analytics", [this](const std::vector<store::Change>& batch) { return Handle(batch); });
}

Status Follower::Handle(const std::vector<store::Change>& batch) {
  std::lock_guard lock(mutex_);
  if (!following_) {
    held_.insert(held_.end(), batch.begin(), batch.end());
    return Status::Ok();
  }
  return ApplyChanges(store_, engine_, batch);
}

Status Follower::CatchUp(changes::Feed& feed) {
  TP_RETURN_IF_ERROR(LoadAll(store_, engine_));
  std::int64_t after = std::numeric_limits<std::int64_t>::max();
  for (const std::string& tenant_id : engine_.TenantIds()) after = std::min(after, engine_.AppliedSequence(tenant_id));
  if (after == std::numeric_limits<std::int64_t>::max()) after = 0;
  // What committed between the oldest tenant snapshot and the feed's start reached no handler.
  while (true) {
    TP_ASSIGN_OR_RETURN(std::vector<store::Change> changes, feed.ReadAfter(after, 1000));
    if (changes.empty()) break;
    TP_RETURN_IF_ERROR(ApplyChanges(store_, engine_, changes));
    after = changes.back().sequence;
  }
  std::lock_guard lock(mutex_);
  TP_RETURN_IF_ERROR(ApplyChanges(store_, engine_, held_));
  held_.clear();
  held_.shrink_to_fit();
  following_ = true;
  engine_.MarkLoaded();
  spdlog::info("analytics: following the change feed");
  return Status::Ok();
}

}  // namespace tp::analytics_source
