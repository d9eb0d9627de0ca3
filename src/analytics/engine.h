// The in-memory columnar CX analytics engine: per tenant, every feedback response held column-wise
// (dictionary-encoded dimensions, one byte for metric and score, seconds as int32, the customer as a
// dense index into a per-customer attribute table), kept current by batches of operations and queried
// by analytics/query.h. No SQL and no HTTP here: analytics_source/ builds the batches from the store and
// the change feed.
//
//   analytics::Engine engine;
//   engine.Apply("ten_1", {analytics::UpsertCustomer{.customer_id = "cus_1", .traits = {{"segment", "vip"}}},
//                          analytics::AddResponse{.metric = feedback::Metric::kNps, .score = 9,
//                                                 .created_at = now, .customer_id = "cus_1",
//                                                 .touchpoint = "delivery"}});
//   engine.Read("ten_1", [&](const analytics::TenantData& data) { ... });   // or analytics::RunQuery
//
// Thread safety: Apply and Read may be called from any thread. A batch given to Apply becomes visible
// to readers all at once: each tenant has a reader/writer lock; Apply holds it exclusively for the
// whole batch, Read shares it for the whole read (README.md says why this and not copy-on-write
// snapshots). ReplaceTenant swaps in data built off-lock, so a start-up load never blocks queries.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "feedback/feedback.h"

namespace tp::analytics {

// The dimensions a response row carries itself, in the order of ResponseChunk::dimensions.
enum class RowDimension : std::uint8_t { kTouchpoint, kStage, kChannel, kSurvey, kLanguage, kTeam, kAgent };
inline constexpr std::size_t kRowDimensions = 7;
std::string_view RowDimensionName(RowDimension dimension);  // "touchpoint", "stage", ...

// Rows are stored in chunks of this many, so that columns grow without copying and a scan can be split.
inline constexpr std::size_t kChunkRows = std::size_t{1} << 16;
// Code 0 of every dictionary is the empty value ("no touchpoint", "no team", an absent trait).
inline constexpr std::uint32_t kEmptyCode = 0;
// A row dimension holds at most this many distinct values (16-bit codes); later values share the last
// code, shown as kOverflowValue, so a query never mixes them up with a real value.
inline constexpr std::uint32_t kMaxRowDimensionCodes = 0xFFFF;
inline constexpr std::string_view kOverflowValue = "(other)";
// A row without a (linked) customer: anonymous, or the person was erased.
inline constexpr std::uint32_t kNoCustomer = 0xFFFFFFFF;
// Times are whole seconds after this instant (2000-01-01T00:00:00Z) in an int32: 1931..2068.
inline constexpr Micros kTimeEpoch = 946'684'800'000'000;
std::int32_t ToEngineSeconds(Micros micros);  // floors; clamps outside the int32 range
Micros FromEngineSeconds(std::int32_t seconds);

// Strings to dense codes. Code 0 is "".
class Dictionary {
 public:
  Dictionary();
  // The code of `value`, adding it when new (up to `max_codes`; beyond, the last code).
  std::uint32_t Encode(std::string_view value, std::uint32_t max_codes = 0xFFFFFFFF);
  std::optional<std::uint32_t> Find(std::string_view value) const;
  const std::string& Value(std::uint32_t code) const { return values_.at(code); }
  std::size_t size() const { return values_.size(); }
  std::size_t MemoryBytes() const;

 private:
  std::vector<std::string> values_;
  std::unordered_map<std::string, std::uint32_t> codes_;
};

// kChunkRows rows, column by column. metric_score is (metric << 4) | score (scores are 0..10).
struct ResponseChunk {
  ResponseChunk();
  std::size_t size() const { return metric_score.size(); }
  std::vector<std::uint8_t> metric_score;
  std::array<std::vector<std::uint16_t>, kRowDimensions> dimensions;
  std::vector<std::int32_t> seconds;
  std::vector<std::uint32_t> customer;
  // The range of `seconds`, so that a query skips chunks outside its window (rows arrive roughly in
  // time order, so chunks cover short spans).
  std::int32_t min_seconds = std::numeric_limits<std::int32_t>::max();
  std::int32_t max_seconds = std::numeric_limits<std::int32_t>::min();
};
inline std::uint8_t PackMetricScore(feedback::Metric metric, int score) {
  return static_cast<std::uint8_t>((static_cast<int>(metric) << 4) | score);
}
inline feedback::Metric MetricOf(std::uint8_t metric_score) { return static_cast<feedback::Metric>(metric_score >> 4); }
inline int ScoreOf(std::uint8_t metric_score) { return metric_score & 0x0F; }

// One customer trait over every customer: its values dictionary-encoded, one code per customer index.
struct TraitColumn {
  std::string name;
  Dictionary values;
  std::vector<std::uint32_t> codes;  // by customer index; kEmptyCode when the customer lacks the trait
};

// The customers of one tenant that rows point at, by dense index.
struct CustomerTable {
  std::vector<std::string> ids;  // index → customer id
  std::unordered_map<std::string, std::uint32_t> index;
  std::vector<TraitColumn> traits;
  std::unordered_map<std::string, std::size_t> trait_index;  // name → position in traits

  std::optional<std::uint32_t> Find(std::string_view customer_id) const;
  // The index of `customer_id`, adding the customer (with no traits) when new.
  std::uint32_t Intern(const std::string& customer_id);
  const TraitColumn* Trait(std::string_view name) const;
  // Replaces every trait of the customer with `traits` (name → text).
  void SetTraits(std::uint32_t customer, const std::map<std::string, std::string>& traits);
  std::size_t MemoryBytes() const;
};

// Everything the engine holds for one tenant.
struct TenantData {
  std::array<Dictionary, kRowDimensions> dictionaries;
  std::vector<std::unique_ptr<ResponseChunk>> chunks;
  CustomerTable customers;
  std::size_t rows = 0;
  // The tenant's last change-feed sequence the data includes: changes up to it are already in.
  std::int64_t applied_sequence = 0;

  struct Memory {
    std::size_t rows = 0;
    std::size_t response_bytes = 0;   // the row columns (allocated capacity)
    std::size_t dictionary_bytes = 0;
    std::size_t customer_bytes = 0;   // ids, their index and trait columns
    double BytesPerResponse() const { return rows == 0 ? 0 : static_cast<double>(response_bytes) / rows; }
  };
  Memory MeasureMemory() const;
};

// The operations a batch is made of, applied in order.
struct AddResponse {
  feedback::Metric metric = feedback::Metric::kNps;
  int score = 0;  // within the metric's scale
  Micros created_at = 0;
  std::optional<std::string> customer_id;
  std::string touchpoint;
  std::string stage;
  std::string channel;
  std::string survey;
  std::string language;
  std::string team_id;
  std::string agent_id;
};
// A customer's traits as they now are (scalar traits as text; contact data already left out).
struct UpsertCustomer {
  std::string customer_id;
  std::map<std::string, std::string> traits;
};
// Every row of merged_id now belongs to survivor_id.
struct MergeCustomers {
  std::string survivor_id;
  std::string merged_id;
};
// Rows of survivor_id that match these responses go back to restored_id (an unmerge). Rows with equal
// columns are indistinguishable to every query, so moving any one of the equal ones is exact.
struct MoveResponses {
  std::string from_customer_id;
  std::string to_customer_id;
  std::vector<AddResponse> responses;  // what to move, as the store now holds them under to_customer_id
};
// The person is gone: their rows stay (the store keeps survey scores unlinked) but point at no
// customer, and the profiles' traits are forgotten.
struct EraseCustomers {
  std::vector<std::string> profile_ids;
};
using Operation = std::variant<AddResponse, UpsertCustomer, MergeCustomers, MoveResponses, EraseCustomers>;

// Applies `operation` to `data` (no locking: for building data off-line, then ReplaceTenant).
// kInvalidArgument when a response's score is outside its metric's scale.
Status ApplyOperation(TenantData& data, const Operation& operation);

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Applies the batch atomically for readers. Stops at the first invalid operation (the ones before it
  // stay applied, still visible at once). `sequence`, when given, becomes the tenant's applied_sequence.
  Status Apply(const std::string& tenant_id, const std::vector<Operation>& batch,
               std::optional<std::int64_t> sequence = std::nullopt);
  // Replaces the tenant's data (a start-up or repair load built off-lock).
  void ReplaceTenant(const std::string& tenant_id, std::unique_ptr<TenantData> data);
  // Calls `reader` with the tenant's data under its read lock; a tenant never seen reads as empty.
  Status Read(const std::string& tenant_id, const std::function<Status(const TenantData&)>& reader) const;
  // The tenant's applied_sequence (0 for a tenant never seen).
  std::int64_t AppliedSequence(const std::string& tenant_id) const;
  std::vector<std::string> TenantIds() const;
  // Set once every tenant has been loaded and the engine follows the store's changes; before that a
  // query would see partial data (the API answers 503).
  void MarkLoaded() { loaded_ = true; }
  bool loaded() const { return loaded_; }

 private:
  struct Tenant {
    mutable std::shared_mutex mutex;
    std::unique_ptr<TenantData> data;
  };
  Tenant* FindTenant(const std::string& tenant_id) const;
  Tenant& TenantFor(const std::string& tenant_id);

  mutable std::shared_mutex tenants_mutex_;  // guards the map; tenants are never removed
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_;
  std::atomic<bool> loaded_ = false;
};

}  // namespace tp::analytics
