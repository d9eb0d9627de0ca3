#include "analytics/engine.h"

#include <algorithm>
#include <limits>
#include <mutex>

namespace tp::analytics {

namespace {

constexpr std::string_view kRowDimensionNames[kRowDimensions] = {"touchpoint", "stage", "channel", "survey",
                                                                 "language",   "team",  "agent"};

// What a hash map node costs beyond its key and value: the node's next pointer and cached hash, and
// the bucket pointer (libstdc++).
constexpr std::size_t kHashNodeOverhead = 3 * sizeof(void*);

std::size_t StringHeapBytes(const std::string& text) {
  // libstdc++ keeps up to 15 characters inside the string itself.
  return text.capacity() > 15 ? text.capacity() + 1 : 0;
}

Status ValidateResponse(const AddResponse& response) {
  if (response.score < feedback::MinScore(response.metric) || response.score > feedback::MaxScore(response.metric)) {
    return InvalidArgument("score outside the metric's scale", "score");
  }
  return Status::Ok();
}

}  // namespace

std::string_view RowDimensionName(RowDimension dimension) {
  return kRowDimensionNames[static_cast<std::size_t>(dimension)];
}

std::int32_t ToEngineSeconds(Micros micros) {
  // Floor division, so that instants before the epoch round down as well.
  const Micros offset = micros - kTimeEpoch;
  Micros seconds = offset / 1'000'000;
  if (offset % 1'000'000 < 0) --seconds;
  seconds = std::clamp<Micros>(seconds, std::numeric_limits<std::int32_t>::min(),
                               std::numeric_limits<std::int32_t>::max());
  return static_cast<std::int32_t>(seconds);
}

Micros FromEngineSeconds(std::int32_t seconds) { return kTimeEpoch + Micros{seconds} * 1'000'000; }

Dictionary::Dictionary() {
  values_.emplace_back();
  codes_.emplace("", kEmptyCode);
}

std::uint32_t Dictionary::Encode(std::string_view value, std::uint32_t max_codes) {
  const std::string key(value);
  if (auto found = codes_.find(key); found != codes_.end()) return found->second;
  if (values_.size() + 1 >= max_codes) {
    // The last code stands for every value beyond the limit; it is added once, under its own name,
    // and is not found by Find, so no filter value can select it by accident.
    if (values_.size() + 1 == max_codes) values_.emplace_back(kOverflowValue);
    return max_codes - 1;
  }
  const auto code = static_cast<std::uint32_t>(values_.size());
  values_.push_back(key);
  codes_.emplace(key, code);
  return code;
}

std::optional<std::uint32_t> Dictionary::Find(std::string_view value) const {
  if (auto found = codes_.find(std::string(value)); found != codes_.end()) return found->second;
  return std::nullopt;
}

std::size_t Dictionary::MemoryBytes() const {
  std::size_t bytes = values_.capacity() * sizeof(std::string) + codes_.bucket_count() * sizeof(void*);
  for (const std::string& value : values_) bytes += 2 * StringHeapBytes(value);
  bytes += codes_.size() * (sizeof(std::pair<const std::string, std::uint32_t>) + kHashNodeOverhead);
  return bytes;
}

ResponseChunk::ResponseChunk() {
  metric_score.reserve(kChunkRows);
  for (auto& column : dimensions) column.reserve(kChunkRows);
  seconds.reserve(kChunkRows);
  customer.reserve(kChunkRows);
}

std::optional<std::uint32_t> CustomerTable::Find(std::string_view customer_id) const {
  if (auto found = index.find(std::string(customer_id)); found != index.end()) return found->second;
  return std::nullopt;
}

std::uint32_t CustomerTable::Intern(const std::string& customer_id) {
  if (auto found = index.find(customer_id); found != index.end()) return found->second;
  const auto customer = static_cast<std::uint32_t>(ids.size());
  ids.push_back(customer_id);
  index.emplace(customer_id, customer);
  for (TraitColumn& trait : traits) trait.codes.push_back(kEmptyCode);
  return customer;
}

const TraitColumn* CustomerTable::Trait(std::string_view name) const {
  if (auto found = trait_index.find(std::string(name)); found != trait_index.end()) return &traits[found->second];
  return nullptr;
}

void CustomerTable::SetTraits(std::uint32_t customer, const std::map<std::string, std::string>& values) {
  for (TraitColumn& trait : traits) trait.codes[customer] = kEmptyCode;
  for (const auto& [name, value] : values) {
    auto found = trait_index.find(name);
    if (found == trait_index.end()) {
      found = trait_index.emplace(name, traits.size()).first;
      TraitColumn& added = traits.emplace_back();
      added.name = name;
      added.codes.assign(ids.size(), kEmptyCode);
    }
    TraitColumn& trait = traits[found->second];
    trait.codes[customer] = trait.values.Encode(value);
  }
}

std::size_t CustomerTable::MemoryBytes() const {
  std::size_t bytes = ids.capacity() * sizeof(std::string) + index.bucket_count() * sizeof(void*);
  for (const std::string& id : ids) bytes += 2 * StringHeapBytes(id);
  bytes += index.size() * (sizeof(std::pair<const std::string, std::uint32_t>) + kHashNodeOverhead);
  for (const TraitColumn& trait : traits) {
    bytes += trait.codes.capacity() * sizeof(std::uint32_t) + trait.values.MemoryBytes();
  }
  return bytes;
}

TenantData::Memory TenantData::MeasureMemory() const {
  Memory memory;
  memory.rows = rows;
  for (const auto& chunk : chunks) {
    std::size_t chunk_bytes = chunk->metric_score.capacity() * sizeof(std::uint8_t) +
                              chunk->seconds.capacity() * sizeof(std::int32_t) +
                              chunk->customer.capacity() * sizeof(std::uint32_t);
    for (const auto& column : chunk->dimensions) chunk_bytes += column.capacity() * sizeof(std::uint16_t);
    memory.response_bytes += chunk_bytes + sizeof(ResponseChunk);
  }
  memory.response_bytes += chunks.capacity() * sizeof(chunks[0]);
  for (const Dictionary& dictionary : dictionaries) memory.dictionary_bytes += dictionary.MemoryBytes();
  memory.customer_bytes = customers.MemoryBytes();
  return memory;
}

namespace {

void Append(TenantData& data, const AddResponse& response) {
  if (data.chunks.empty() || data.chunks.back()->size() == kChunkRows) {
    data.chunks.push_back(std::make_unique<ResponseChunk>());
  }
  ResponseChunk& chunk = *data.chunks.back();
  chunk.metric_score.push_back(PackMetricScore(response.metric, response.score));
  const std::array<const std::string*, kRowDimensions> values = {
      &response.touchpoint, &response.stage, &response.channel, &response.survey,
      &response.language,   &response.team_id, &response.agent_id};
  for (std::size_t dimension = 0; dimension < kRowDimensions; ++dimension) {
    chunk.dimensions[dimension].push_back(
        static_cast<std::uint16_t>(data.dictionaries[dimension].Encode(*values[dimension], kMaxRowDimensionCodes)));
  }
  const std::int32_t seconds = ToEngineSeconds(response.created_at);
  chunk.seconds.push_back(seconds);
  chunk.min_seconds = std::min(chunk.min_seconds, seconds);
  chunk.max_seconds = std::max(chunk.max_seconds, seconds);
  chunk.customer.push_back(response.customer_id ? data.customers.Intern(*response.customer_id) : kNoCustomer);
  ++data.rows;
}

// Calls `visit(chunk, row)` for every row pointing at `customer`.
template <typename Visit>
void ForEachRowOf(TenantData& data, std::uint32_t customer, Visit&& visit) {
  for (auto& chunk : data.chunks) {
    for (std::size_t row = 0; row < chunk->size(); ++row) {
      if (chunk->customer[row] == customer) visit(*chunk, row);
    }
  }
}

bool SameColumns(const TenantData& data, const ResponseChunk& chunk, std::size_t row, const AddResponse& response) {
  if (chunk.metric_score[row] != PackMetricScore(response.metric, response.score)) return false;
  if (chunk.seconds[row] != ToEngineSeconds(response.created_at)) return false;
  const std::array<const std::string*, kRowDimensions> values = {
      &response.touchpoint, &response.stage, &response.channel, &response.survey,
      &response.language,   &response.team_id, &response.agent_id};
  for (std::size_t dimension = 0; dimension < kRowDimensions; ++dimension) {
    if (data.dictionaries[dimension].Value(chunk.dimensions[dimension][row]) != *values[dimension]) return false;
  }
  return true;
}

}  // namespace

Status ApplyOperation(TenantData& data, const Operation& operation) {
  if (const auto* response = std::get_if<AddResponse>(&operation)) {
    TP_RETURN_IF_ERROR(ValidateResponse(*response));
    Append(data, *response);
    return Status::Ok();
  }
  if (const auto* upsert = std::get_if<UpsertCustomer>(&operation)) {
    data.customers.SetTraits(data.customers.Intern(upsert->customer_id), upsert->traits);
    return Status::Ok();
  }
  if (const auto* merge = std::get_if<MergeCustomers>(&operation)) {
    const std::optional<std::uint32_t> merged = data.customers.Find(merge->merged_id);
    if (!merged) return Status::Ok();  // nothing held under the merged profile
    const std::uint32_t survivor = data.customers.Intern(merge->survivor_id);
    ForEachRowOf(data, *merged, [&](ResponseChunk& chunk, std::size_t row) { chunk.customer[row] = survivor; });
    return Status::Ok();
  }
  if (const auto* move = std::get_if<MoveResponses>(&operation)) {
    const std::optional<std::uint32_t> from = data.customers.Find(move->from_customer_id);
    if (!from) return Status::Ok();
    const std::uint32_t to = data.customers.Intern(move->to_customer_id);
    std::vector<bool> moved(move->responses.size(), false);
    ForEachRowOf(data, *from, [&](ResponseChunk& chunk, std::size_t row) {
      for (std::size_t response = 0; response < move->responses.size(); ++response) {
        if (moved[response] || !SameColumns(data, chunk, row, move->responses[response])) continue;
        moved[response] = true;
        chunk.customer[row] = to;
        return;
      }
    });
    return Status::Ok();
  }
  const auto& erase = std::get<EraseCustomers>(operation);
  for (const std::string& profile_id : erase.profile_ids) {
    const std::optional<std::uint32_t> customer = data.customers.Find(profile_id);
    if (!customer) continue;
    ForEachRowOf(data, *customer, [&](ResponseChunk& chunk, std::size_t row) { chunk.customer[row] = kNoCustomer; });
    data.customers.SetTraits(*customer, {});
  }
  return Status::Ok();
}

Engine::Tenant* Engine::FindTenant(const std::string& tenant_id) const {
  std::shared_lock lock(tenants_mutex_);
  auto found = tenants_.find(tenant_id);
  return found == tenants_.end() ? nullptr : found->second.get();
}

Engine::Tenant& Engine::TenantFor(const std::string& tenant_id) {
  if (Tenant* tenant = FindTenant(tenant_id)) return *tenant;
  std::unique_lock lock(tenants_mutex_);
  auto& slot = tenants_[tenant_id];
  if (!slot) {
    slot = std::make_unique<Tenant>();
    slot->data = std::make_unique<TenantData>();
  }
  return *slot;
}

Status Engine::Apply(const std::string& tenant_id, const std::vector<Operation>& batch,
                     std::optional<std::int64_t> sequence) {
  Tenant& tenant = TenantFor(tenant_id);
  std::unique_lock lock(tenant.mutex);
  for (const Operation& operation : batch) TP_RETURN_IF_ERROR(ApplyOperation(*tenant.data, operation));
  if (sequence) tenant.data->applied_sequence = std::max(tenant.data->applied_sequence, *sequence);
  return Status::Ok();
}

void Engine::ReplaceTenant(const std::string& tenant_id, std::unique_ptr<TenantData> data) {
  Tenant& tenant = TenantFor(tenant_id);
  std::unique_ptr<TenantData> old;
  {
    std::unique_lock lock(tenant.mutex);
    old = std::exchange(tenant.data, std::move(data));
  }
  // `old` is freed here, after the lock: freeing gigabytes should not hold up readers.
}

Status Engine::Read(const std::string& tenant_id, const std::function<Status(const TenantData&)>& reader) const {
  Tenant* tenant = FindTenant(tenant_id);
  if (!tenant) {
    static const TenantData kEmpty;
    return reader(kEmpty);
  }
  std::shared_lock lock(tenant->mutex);
  return reader(*tenant->data);
}

std::int64_t Engine::AppliedSequence(const std::string& tenant_id) const {
  Tenant* tenant = FindTenant(tenant_id);
  if (!tenant) return 0;
  std::shared_lock lock(tenant->mutex);
  return tenant->data->applied_sequence;
}

std::vector<std::string> Engine::TenantIds() const {
  std::shared_lock lock(tenants_mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, tenant] : tenants_) ids.push_back(id);
  return ids;
}

}  // namespace tp::analytics
