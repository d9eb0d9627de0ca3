#include "ingest/identity_graph.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace tp::ingest {

namespace {

constexpr std::size_t kInitialSlots = 1024;

char KindByte(profiles::IdentifierKind kind) { return static_cast<char>(kind); }

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

std::string_view IdentityGraph::KeyOf(NodeId node) const {
  const std::size_t begin = node == 0 ? 0 : key_ends_[node - 1];
  return std::string_view(keys_).substr(begin, key_ends_[node] - begin);
}

bool IdentityGraph::NodeIs(NodeId node, const profiles::Identifier& identifier) const {
  const std::string_view key = KeyOf(node);
  return key.front() == KindByte(identifier.kind) && key.substr(1) == identifier.value;
}

std::size_t IdentityGraph::FirstEmptySlot(std::uint64_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = hash & mask;
  while (slots_[slot].node != kEmptySlot) slot = (slot + 1) & mask;
  return slot;
}

// Rebuilt from the arena in node order rather than from the old slots: a sequential read, and the old
// table can go first.
void IdentityGraph::GrowTable() {
  const std::size_t slot_count = std::max(kInitialSlots, slots_.size() * 2);
  slots_.clear();
  slots_.shrink_to_fit();
  slots_.resize(slot_count);
  for (NodeId node = 0; node < parent_.size(); ++node) {
    const std::string_view key = KeyOf(node);
    const std::uint64_t hash = Hash(static_cast<profiles::IdentifierKind>(key.front()), key.substr(1));
    slots_[FirstEmptySlot(hash)] = {HashHigh(hash), node};
  }
}

IdentityGraph::NodeId IdentityGraph::Add(const profiles::Identifier& identifier) {
  // Room for this identifier should it be new, so the probe below ends on the slot it would take.
  if ((parent_.size() + 1) * 10 > slots_.size() * 7) GrowTable();
  const std::uint64_t hash = Hash(identifier.kind, identifier.value);
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = hash & mask;
  for (; slots_[slot].node != kEmptySlot; slot = (slot + 1) & mask) {
    if (slots_[slot].hash_high == HashHigh(hash) && NodeIs(slots_[slot].node, identifier)) return slots_[slot].node;
  }
  const auto node = static_cast<NodeId>(parent_.size());
  slots_[slot] = {HashHigh(hash), node};
  keys_ += KindByte(identifier.kind);
  keys_ += identifier.value;
  key_ends_.push_back(keys_.size());
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
  NodeId root_a = Find(Add(a));
  NodeId root_b = Find(Add(b));
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
  for (NodeId node = 0; node < parent_.size(); ++node) {
    std::size_t& cluster = cluster_of_root[Find(node)];
    if (cluster == kNoCluster) {
      cluster = clusters.size();
      clusters.emplace_back();
    }
    const std::string_view key = KeyOf(node);
    clusters[cluster].push_back({static_cast<profiles::IdentifierKind>(key.front()), std::string(key.substr(1))});
  }
  return clusters;
}

}  // namespace tp::ingest
