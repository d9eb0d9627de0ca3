#include "ingest/identity_graph.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

namespace tp::ingest {

namespace {

constexpr std::size_t kInitialSlots = 1024;

std::uint32_t HashHigh(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

}  // namespace

std::uint64_t IdentityGraph::Hash(profiles::IdentifierKind kind, std::string_view value) {
  std::uint64_t hash = std::hash<std::string_view>{}(value) ^ (static_cast<std::uint64_t>(kind) + 1) * 0x9e3779b97f4a7c15;
  // MurmurHash3's finaliser: spreads the kind over both the low bits (the slot) and the high bits (kept in
  // the slot), so the same value under two kinds neither shares a home slot nor passes the slot check.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccd;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53;
  hash ^= hash >> 33;
  return hash;
}

IdentityGraph::StoredKey IdentityGraph::KeyAt(std::size_t key_begin) const {
  std::size_t value_size;
  std::memcpy(&value_size, keys_.data() + key_begin, sizeof value_size);
  const std::size_t kind_at = key_begin + sizeof value_size;
  return {static_cast<profiles::IdentifierKind>(keys_[kind_at]),
          std::string_view(keys_.data() + kind_at + 1, value_size), kind_at + 1 + value_size};
}

void IdentityGraph::MakeRoomFor(std::size_t new_identifiers) {
  if ((parent_.size() + new_identifiers) * 10 <= slots_.size() * 7) return;
  // Rebuilt by reading keys_ front to back rather than the old slots: sequential, and the old table can
  // go first.
  const std::size_t slot_count = std::max(kInitialSlots, slots_.size() * 2);
  slots_.clear();
  slots_.shrink_to_fit();
  slots_.resize(slot_count);
  std::size_t key_begin = 0;
  for (NodeId node = 0; node < parent_.size(); ++node) {
    const StoredKey key = KeyAt(key_begin);
    const std::uint64_t hash = Hash(key.kind, key.value);
    std::size_t slot = HomeSlot(hash);
    while (slots_[slot].node != kEmptySlot) slot = (slot + 1) & (slots_.size() - 1);
    slots_[slot] = {key_begin, HashHigh(hash), node};
    key_begin = key.end;
  }
}

IdentityGraph::NodeId IdentityGraph::Add(const profiles::Identifier& identifier) {
  MakeRoomFor(1);
  return FindOrInsert(identifier, Hash(identifier.kind, identifier.value));
}

IdentityGraph::NodeId IdentityGraph::FindOrInsert(const profiles::Identifier& identifier, std::uint64_t hash) {
  std::size_t slot = HomeSlot(hash);
  for (; slots_[slot].node != kEmptySlot; slot = (slot + 1) & (slots_.size() - 1)) {
    if (slots_[slot].hash_high != HashHigh(hash)) continue;
    const StoredKey key = KeyAt(slots_[slot].key_begin);
    if (key.kind == identifier.kind && key.value == identifier.value) return slots_[slot].node;
  }
  const auto node = static_cast<NodeId>(parent_.size());
  slots_[slot] = {keys_.size(), HashHigh(hash), node};
  const std::size_t value_size = identifier.value.size();
  keys_.append(reinterpret_cast<const char*>(&value_size), sizeof value_size);
  keys_ += static_cast<char>(identifier.kind);
  keys_ += identifier.value;
  parent_.push_back(node);
  size_.push_back(1);
  user_id_of_.push_back(identifier.kind == profiles::IdentifierKind::kUserId ? std::int64_t{node} : -1);
  ++clusters_;
  return node;
}

IdentityGraph::NodeId IdentityGraph::Find(NodeId node) {
  while (parent_[node] != node) {
    parent_[node] = parent_[parent_[node]];  // path halving
    node = parent_[node];
  }
  return node;
}

bool IdentityGraph::Link(const profiles::Identifier& a, const profiles::Identifier& b) {
  MakeRoomFor(2);
  // Each lookup starts with a cache miss on its slot; asking for both slots before probing either
  // overlaps the two misses (about 10 % of the time of a link).
  const std::uint64_t hash_a = Hash(a.kind, a.value);
  const std::uint64_t hash_b = Hash(b.kind, b.value);
  __builtin_prefetch(&slots_[HomeSlot(hash_a)]);
  __builtin_prefetch(&slots_[HomeSlot(hash_b)]);
  NodeId root_a = Find(FindOrInsert(a, hash_a));
  NodeId root_b = Find(FindOrInsert(b, hash_b));
  if (root_a == root_b) return true;
  const std::int64_t user_a = user_id_of_[root_a];
  const std::int64_t user_b = user_id_of_[root_b];
  if (user_a >= 0 && user_b >= 0) {
    ++refused_;
    return false;
  }
  if (size_[root_a] < size_[root_b]) std::swap(root_a, root_b);
  parent_[root_b] = root_a;
  size_[root_a] += size_[root_b];
  user_id_of_[root_a] = std::max(user_a, user_b);
  --clusters_;
  return true;
}

IdentityGraph::NodeId IdentityGraph::Cluster(const profiles::Identifier& identifier) { return Find(Add(identifier)); }

std::vector<std::vector<profiles::Identifier>> IdentityGraph::Clusters() {
  constexpr std::size_t kNoCluster = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> cluster_of_root(parent_.size(), kNoCluster);
  std::vector<std::vector<profiles::Identifier>> clusters;
  std::size_t key_begin = 0;
  for (NodeId node = 0; node < parent_.size(); ++node) {
    std::size_t& cluster = cluster_of_root[Find(node)];
    if (cluster == kNoCluster) {
      cluster = clusters.size();
      clusters.emplace_back();
    }
    const StoredKey key = KeyAt(key_begin);
    clusters[cluster].push_back({key.kind, std::string(key.value)});
    key_begin = key.end;
  }
  return clusters;
}

}  // namespace tp::ingest
